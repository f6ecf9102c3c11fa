// pay.start against lost compare-and-sets, with the real payment core on devcloud's durable database and the demo
// provider: payment parameters never leave without the prepay saved on the order, so cancel and the close job always
// know WeChat has an order to close.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { CheckoutService } from '../../application/checkout.service';
import type { CoreDeps } from '../../application/core.deps';
import type { OrderRecord } from '../../application/order.model';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';
import { paymentsFor, storedOrder, testCoreDeps } from './core.testkit';

const OPENID = 'o_shopper_0001';
const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;
let seq = 0;

function coreWith(over: Partial<CoreDeps> = {}): CoreDeps {
  const provider = new DemoPaymentProvider(
    db,
    () => T0,
    () => `r${++seq}`.padStart(16, '0'),
  );
  return { ...testCoreDeps({ db, provider, nowMs: () => T0 }), ...over };
}

async function placeOrder(outTradeNo: string): Promise<OrderRecord> {
  const order = storedOrder(outTradeNo, T0, { openid: OPENID });
  expect(await new DbOrderStore(db).insert(order)).toBe('created');
  return order;
}

const stored = async (outTradeNo: string) => new DbOrderStore(db).get(outTradeNo);

beforeEach(async () => {
  tmp = tempDir('pay-start-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => T0 });
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

describe('pay.start', () => {
  it('never answers payment parameters whose prepay it could not save (every compare-and-set lost)', async () => {
    const order = await placeOrder('O20260301A0001');
    const real = new DbOrderStore(db);
    let writers = 0;
    // Another writer changes the order just before each of our compare-and-sets (it always wins the race).
    const orders = Object.assign(Object.create(real) as DbOrderStore, {
      update: async (current: OrderRecord, patch: Partial<OrderRecord>) => {
        writers++;
        await db
          .collection('orders')
          .doc(current.outTradeNo)
          .update({ data: { version: db.command.inc(1), updatedAtMs: T0 + writers } });
        return real.update(current, patch);
      },
    });
    const payments = paymentsFor(coreWith({ orders }));
    let answer: unknown = null;
    let error: unknown = null;
    try {
      answer = await payments.start(OPENID, order.outTradeNo);
    } catch (e) {
      error = e;
    }
    const after = await stored(order.outTradeNo);
    expect(writers).toBeGreaterThan(0);
    // No parameters left: none could be saved.
    expect(after!.prepay).toBeNull();
    expect(answer).toBeNull();
    expect(error).toMatchObject({ code: 'ORDER.BUSY' });
  });

  it('keeps the prepay, and leaves its WeChat close pending, when the shopper cancels while WeChat creates it', async () => {
    const order = await placeOrder('O20260301A0002');
    const base = coreWith();
    const checkout = new CheckoutService(base, paymentsFor(base));
    const provider = base.provider;
    // The cancel lands between WeChat's prepay and our save (the real cancel path: it sees no prepay yet).
    const racing = Object.assign(Object.create(provider) as typeof provider, {
      createJsapiPayment: async (input: Parameters<typeof provider.createJsapiPayment>[0]) => {
        const created = await provider.createJsapiPayment(input);
        await checkout.cancel(OPENID, order.outTradeNo);
        return created;
      },
    });
    const payments = paymentsFor({ ...base, provider: racing });
    await expect(payments.start(OPENID, order.outTradeNo)).rejects.toMatchObject({
      code: 'ORDER.NOT_PAYABLE',
    });
    const after = await stored(order.outTradeNo);
    expect(after!.status).toBe('CLOSED_BY_USER');
    expect(after!.prepay).not.toBeNull();
    expect(after!.providerClose).toBe('pending');
    // …and the close job will close it at WeChat once WeChat's guard (from the prepay) has passed.
    expect(after!.closeJob).toMatchObject({ state: 'queued', nextAttemptAtMs: T0 + 5 * 60_000 });
  });

  it('saves the prepay and answers it when nothing races (the control)', async () => {
    const order = await placeOrder('O20260301A0003');
    const view = await paymentsFor(coreWith()).start(OPENID, order.outTradeNo);
    expect((await stored(order.outTradeNo))!.prepay).toMatchObject({ requestPayment: view.requestPayment });
  });
});

describe('pay.start and a Native / H5 order (docs/adr/0012)', () => {
  it('never signs wx.requestPayment for an order paid by its QR code or web link', async () => {
    const order = storedOrder('O20260301A0004', T0, { openid: OPENID, channel: 'native' });
    expect(await new DbOrderStore(db).insert(order)).toBe('created');
    await expect(paymentsFor(coreWith()).start(OPENID, order.outTradeNo)).rejects.toMatchObject({
      code: 'ORDER.NOT_PAYABLE',
      details: { channel: 'native' },
    });
    expect((await stored(order.outTradeNo))!.prepay).toBeNull();
    // The control: the same order as a mini program order is started.
    const jsapi = storedOrder('O20260301A0005', T0, { openid: OPENID, channel: 'jsapi' });
    expect(await new DbOrderStore(db).insert(jsapi)).toBe('created');
    await expect(paymentsFor(coreWith()).start(OPENID, jsapi.outTradeNo)).resolves.toMatchObject({
      outTradeNo: jsapi.outTradeNo,
    });
  });
});
