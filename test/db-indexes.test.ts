// At 10 k orders the order repository's own queries (the duplicate-order check, the shopper's listing, the close job's
// listings) examine only the few documents their declared index pins, never the whole collection: costs stay flat as
// the shop grows. Measured by the local database's examined-documents counter, not by time.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../devcloud/db/collections-config';
import type { Doc } from '../devcloud/db/values';
import { openTestDb, tempDir, type TestDb } from '../devcloud/test-support/temp';
import type { CloudDb } from '../server/adapters/db/cloud-db';
import { DbOrderStore } from '../server/adapters/db/order.repository';
import { queuedAt, settled } from '../server/application/job-queue';
import { statesInPhase } from '../server/domain/order-state';

const ORDERS = 10_000;
const SHOPPERS = 200;
const NOW = Date.parse('2026-11-30T08:00:00Z');

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let orders: DbOrderStore;

function orderDoc(i: number): Doc {
  const awaiting = i % 100 === 0;
  // Half of shopper-3's orders (and no one else's) were refunded.
  const refunded = i % 400 === 3;
  return {
    _id: `ORD${String(i).padStart(8, '0')}`,
    openid: `shopper-${i % SHOPPERS}`,
    clientRequestKey: `key-${i}`,
    status: awaiting ? 'AWAITING_PAYMENT' : refunded ? 'REFUNDED' : 'PAID',
    version: 1,
    lines: [{ skuId: 'sku-1', quantity: 1, unitPriceFen: 100 }],
    totalFen: 100,
    payableFen: 100,
    createdAtMs: NOW - (ORDERS - i) * 1000,
    expiresAtMs: NOW - (ORDERS - i) * 1000 + 30 * 60_000,
    updatedAtMs: NOW,
    prepay: null,
    payment: awaiting ? null : { successTimeMs: NOW - (ORDERS - i) * 1000 + 5000 },
    providerClose: awaiting ? 'not-needed' : 'closed',
    closeJob: awaiting
      ? queuedAt(NOW - (ORDERS - i) * 1000 + 30 * 60_000)
      : settled(queuedAt(NOW - (ORDERS - i) * 1000 + 30 * 60_000)),
    // One in 500 is a tester's paid order (the tester auto-refund queue).
    isTestOrder: i % 500 === 1,
    // Unique per order (orders.payment_key_unique: one payment never pays two orders).
    paymentKey: `order:${i}`,
    // One paid order in 50 waits for staff; the rest have shipped. One in 250 has a shipping upload due.
    fulfilment: {
      state: awaiting ? 'NOT_PAID' : i % 50 === 7 ? 'AWAITING_SHIPMENT' : 'SHIPPED',
      parcels: [],
    },
    shippingUpload: {
      job: i % 250 === 3 ? queuedAt(NOW - 1000) : settled(null),
      uploads: 0,
      history: [],
      state: i % 250 === 3 ? 'queued' : 'none',
      lastError: null,
    },
  };
}

beforeAll(async () => {
  tmp = tempDir('wxshop-indexes-');
  const { collections } = loadCollectionsConfig(join(__dirname, '..', 'data', 'collections.json'));
  t = await openTestDb(tmp.dir, collections);
  for (let start = 0; start < ORDERS; start += 1000) {
    const chunk: Doc[] = [];
    for (let i = start; i < start + 1000; i++) chunk.push(orderDoc(i));
    await t.store.exclusive((w) =>
      w.commit(chunk.map((d) => ({ collection: 'orders', id: d._id, after: d, insert: true }))),
    );
  }
  orders = new DbOrderStore(t.db as unknown as CloudDb);
});
afterAll(async () => {
  await t.close();
  tmp.cleanup();
});

/** Runs `fn` and answers what it returned plus the documents examined and scans made meanwhile. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; examined: number; scans: number }> {
  const before = t.engine.queryStats();
  const value = await fn();
  const after = t.engine.queryStats();
  return { value, examined: after.examined - before.examined, scans: after.scans - before.scans };
}

describe(`order queries at ${ORDERS} orders`, () => {
  it('the duplicate-order check examines one document', async () => {
    const hit = await measured(() => orders.findByClientKey('shopper-7', 'key-7'));
    expect(hit.value?.outTradeNo).toBe('ORD00000007');
    expect(hit).toMatchObject({ examined: 1, scans: 0 });
    const miss = await measured(() => orders.findByClientKey('shopper-7', 'key-8'));
    expect(miss).toMatchObject({ value: null, examined: 0, scans: 0 });
  });

  it("a shopper's listing examines that shopper's orders only", async () => {
    const page = await measured(() => orders.listByOpenid('shopper-3', 20));
    expect(page.value).toHaveLength(20);
    expect(page.value[0]?.outTradeNo).toBe('ORD00009803');
    expect(page.scans).toBe(0);
    expect(page.examined).toBeLessThanOrEqual(ORDERS / SHOPPERS);
    const older = await measured(() => orders.listByOpenid('shopper-3', 20, NOW - 5000 * 1000));
    expect(older.value.every((o) => o.createdAtMs < NOW - 5000 * 1000)).toBe(true);
    expect(older.examined).toBeLessThanOrEqual(ORDERS / SHOPPERS);
  });

  it("a shopper's listing of one phase examines that shopper's orders in the phase's states only, pages by beforeMs", async () => {
    const refunds = statesInPhase('refund');
    const page = await measured(() => orders.listByOpenid('shopper-3', 20, undefined, refunds));
    expect(page.value).toHaveLength(20);
    expect(page.value.every((o) => o.status === 'REFUNDED')).toBe(true);
    expect(page.value[0]?.outTradeNo).toBe('ORD00009603');
    const times = page.value.map((o) => o.createdAtMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(page.scans).toBe(0);
    expect(page.examined).toBeLessThanOrEqual(ORDERS / 400);
    const last = page.value[19]!.createdAtMs;
    const next = await measured(() => orders.listByOpenid('shopper-3', 20, last, refunds));
    expect(next.value).toHaveLength(ORDERS / 400 - 20);
    expect(next.value.every((o) => o.status === 'REFUNDED' && o.createdAtMs < last)).toBe(true);
    expect(next.examined).toBeLessThanOrEqual(ORDERS / 400);
    const paid = await measured(() => orders.listByOpenid('shopper-3', 50, undefined, statesInPhase('paid')));
    expect(paid.value).toHaveLength(ORDERS / SHOPPERS - ORDERS / 400);
    expect(paid.value.every((o) => o.status === 'PAID')).toBe(true);
  });

  it("the close job's listings examine the awaiting orders, not the paid ones", async () => {
    const expired = await measured(() => orders.listCloseDue(NOW, 50));
    expect(expired.value.length).toBeGreaterThan(0);
    expect(expired.value.every((o) => o.status === 'AWAITING_PAYMENT' && o.expiresAtMs <= NOW)).toBe(true);
    expect(expired.scans).toBe(0);
    expect(expired.examined).toBeLessThanOrEqual(ORDERS / 100);
    const awaiting = await measured(() => orders.listByStatus('AWAITING_PAYMENT', 50));
    expect(awaiting.scans).toBe(0);
    expect(awaiting.examined).toBeLessThanOrEqual(ORDERS / 100);
  });

  it('the tester auto-refund queue examines paid tester orders only', async () => {
    const queue = await measured(() => orders.listPaidTestOrders(50));
    expect(queue.value).toHaveLength(ORDERS / 500);
    expect(queue.value.every((o) => o.isTestOrder && o.status === 'PAID')).toBe(true);
    expect(queue).toMatchObject({ examined: ORDERS / 500, scans: 0 });
  });

  it("staff's to-ship list and the shipping upload queue examine only the orders they answer", async () => {
    const toShip = await measured(() => orders.listByFulfilment('AWAITING_SHIPMENT', 50));
    expect(toShip.value).toHaveLength(50);
    const paidAt = toShip.value.map((o) => o.payment?.successTimeMs ?? 0);
    expect(paidAt).toEqual([...paidAt].sort((a, b) => a - b));
    // Only orders waiting for shipment are examined (one in 50), never the shipped ones.
    expect(toShip.scans).toBe(0);
    expect(toShip.examined).toBeLessThanOrEqual(ORDERS / 50);
    const next = await measured(() =>
      orders.listByFulfilment('AWAITING_SHIPMENT', 50, { paidAtMs: paidAt[49]! }),
    );
    expect(next.value[0]?.payment?.successTimeMs).toBe(paidAt[49]);
    expect(next.value[1]?.payment?.successTimeMs).toBeGreaterThan(paidAt[49] ?? 0);
    expect(next.scans).toBe(0);
    // With the order number too, the cursor is strictly after that order, still answered from the index.
    const last = toShip.value[49]!;
    const after = await measured(() =>
      orders.listByFulfilment('AWAITING_SHIPMENT', 50, {
        paidAtMs: paidAt[49]!,
        outTradeNo: last.outTradeNo,
      }),
    );
    expect(after.value.slice(0, 49).map((o) => o.outTradeNo)).toEqual(
      next.value.slice(1).map((o) => o.outTradeNo),
    );
    expect(after.scans).toBe(0);
    const uploads = await measured(() => orders.listShippingUploadDue(NOW, 100));
    expect(uploads.value).toHaveLength(ORDERS / 250);
    expect(uploads).toMatchObject({ examined: ORDERS / 250, scans: 0 });
  });

  it('reading one order by its number examines that order', async () => {
    const one = await measured(() => orders.get('ORD00004242'));
    expect(one).toMatchObject({ examined: 1, scans: 0 });
    expect(one.value?.openid).toBe('shopper-42');
  });
});
