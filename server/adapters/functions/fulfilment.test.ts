// Fulfilment on the production repositories (devcloud database) with WeChat's 发货信息管理 in memory, following its
// rules (docs/adr/0009): the PAID write, staff shipping and its money gate, the shipping upload queue and its
// outcomes, confirm receipt with WeChat's word, and completion.
import fc from 'fast-check';
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { FulfilmentService } from '../../application/fulfilment.service';
import { FulfilmentEventSink } from '../../application/fulfilment-events';
import type { CoreDeps } from '../../application/core.deps';
import { JobRunner } from '../../application/jobs/queue-runner';
import { completeJob } from '../../application/jobs/complete.job';
import { shippingUploadJob, TradeManagedCache } from '../../application/jobs/shipping-upload.job';
import type { ShippingUploadTally } from '../../application/jobs/shipping-upload.job';
import type { OrderRecord } from '../../application/order.model';
import { fulfilmentOf, noShippingUpload, notPaidFulfilment } from '../../application/fulfilment-view';
import { settled } from '../../application/job-queue';
import { InMemoryTradeManagement } from '../../application/ports/trade-management.testkit';
import { TradeManagementError } from '../../application/ports/trade-management.port';
import type { DeliverySnapshot } from '../../domain/delivery';
import type { Fen } from '../../domain/money';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { DemoPaymentProvider, DEMO_MERCHANT } from '../payment/demo/demo.provider';
import { paymentsFor, storedOrder, testCoreDeps } from './core.testkit';

const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);
const DAY = 24 * 3600_000;
const PAYER = 'o_shopper_0001';
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;
const ADDRESS = {
  name: '张三',
  phone: '13800138000',
  province: '广东省',
  city: '广州市',
  district: '海珠区',
  detail: '新港中路 397 号',
  postalCode: null,
};
const EXPRESS: DeliverySnapshot = { kind: 'express', address: ADDRESS, pickupPoint: null, remark: '' };
const PICKUP: DeliverySnapshot = {
  kind: 'pickup',
  address: null,
  pickupPoint: { name: '门店', address: '广州市海珠区 1 号', hours: '9:00–18:00' },
  remark: '',
};
const VIRTUAL: DeliverySnapshot = { kind: 'virtual', address: null, pickupPoint: null, remark: '' };
const ZTO = [{ expressCompany: 'ZTO', trackingNo: 'ZT100200300' }];

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let now: number;
let d: CoreDeps;
let trade: InMemoryTradeManagement;
let service: FulfilmentService;
let seq = 0;

beforeEach(async () => {
  tmp = tempDir('fulfilment-');
  now = T0;
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => now });
  const db = t.db as unknown as CloudDb;
  const provider = new DemoPaymentProvider(
    db,
    () => now,
    () => '0000000000000001',
  );
  d = testCoreDeps({ db, provider, nowMs: () => now });
  trade = new InMemoryTradeManagement();
  service = new FulfilmentService(d, trade);
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

/** An order with `delivery` paid through the payment path (the PAID write); WeChat's trade record knows it. */
async function paidOrder(delivery: DeliverySnapshot | null = EXPRESS): Promise<OrderRecord> {
  const outTradeNo = `O20261207F${String(++seq).padStart(4, '0')}`;
  const order = storedOrder(outTradeNo, now, {
    openid: PAYER,
    // As checkout writes them (an older order has none of the four).
    ...(delivery
      ? {
          delivery,
          fulfilment: notPaidFulfilment(),
          shippingUpload: noShippingUpload(),
          completeJob: settled(null),
        }
      : {}),
    prepay: { prepayId: 'p', expiresAtMs: now + 3600_000, requestPayment: {} as never, createdAtMs: now },
  });
  expect(await new DbOrderStore(t.db as unknown as CloudDb).insert(order)).toBe('created');
  const transactionId = `42000${seq}`;
  const outcome = await paymentsFor(d).applyPayment(
    {
      outTradeNo,
      state: 'SUCCESS',
      transactionId,
      chargedFen: order.payableFen,
      successTimeMs: now,
      appid: DEMO_MERCHANT.appid,
      mchid: DEMO_MERCHANT.mchid,
    },
    'notification',
  );
  expect(outcome.kind).toBe('applied');
  trade.addPayment({ transactionId, mchid: DEMO_MERCHANT.mchid, outTradeNo, payerOpenid: PAYER });
  return (await d.orders.get(outTradeNo))!;
}

function uploadJob(cache = new TradeManagedCache(trade)) {
  return shippingUploadJob(d, trade, new JobRunner(d), cache);
}

async function runUploads(cache?: TradeManagedCache): Promise<ShippingUploadTally> {
  const tally: ShippingUploadTally = { errors: 0, gaveUp: 0, shippingUploaded: 0, shippingNotManaged: 0 };
  await new JobRunner(d).run(uploadJob(cache), tally, { shouldStop: () => false });
  return tally;
}

async function stored(outTradeNo: string): Promise<OrderRecord> {
  return (await d.orders.get(outTradeNo))!;
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );
}

describe('the PAID write carries the fulfilment', () => {
  it('express and pickup wait for staff; nothing is queued', async () => {
    for (const delivery of [EXPRESS, PICKUP]) {
      const o = await paidOrder(delivery);
      expect(o.fulfilment?.state).toBe('AWAITING_SHIPMENT');
      expect(o.shippingUpload?.state).toBe('none');
      expect(o.completeJob?.state).toBe('settled');
    }
  });

  it('virtual goods are delivered at payment, their upload (logistics_type 3) and completion queued', async () => {
    const o = await paidOrder(VIRTUAL);
    expect(o.fulfilment).toMatchObject({ state: 'DELIVERED', shippedAtMs: T0, completeAtMs: T0 + 10 * DAY });
    expect(o.shippingUpload).toMatchObject({
      state: 'queued',
      job: { state: 'queued', nextAttemptAtMs: T0 },
    });
    expect(o.completeJob).toMatchObject({ state: 'queued', nextAttemptAtMs: T0 + 10 * DAY });
    expect(await runUploads()).toMatchObject({ shippingUploaded: 1, errors: 0 });
    expect(trade.accepted[0]).toMatchObject({
      logistics_type: 3,
      shipping_list: [{ item_desc: expect.any(String) }],
    });
  });
});

describe('staff ship an express order', () => {
  it('ships, queues the upload, and the job uploads it by transaction id for the payer', async () => {
    const o = await paidOrder();
    const view = await service.ship(o.outTradeNo, ZTO, false);
    expect(view.order.fulfilment).toMatchObject({
      state: 'SHIPPED',
      parcels: [{ expressCompany: 'ZTO', expressName: '中通快递', trackingNo: 'ZT100200300' }],
      completeAtMs: T0 + 10 * DAY,
      canConfirmReceipt: true,
      confirmReceiptExtraData: { transaction_id: o.payment!.transactionId },
    });
    expect(view.shippingUpload).toMatchObject({ state: 'queued', uploads: 0 });
    now += 1_000;
    expect(await runUploads()).toMatchObject({ shippingUploaded: 1, errors: 0 });
    expect(trade.accepted).toEqual([
      expect.objectContaining({
        order_key: { order_number_type: 2, transaction_id: o.payment!.transactionId },
        logistics_type: 1,
        delivery_mode: 1,
        payer: { openid: PAYER },
      }),
    ]);
    const after = await service.getOrder(o.outTradeNo);
    expect(after.shippingUpload).toMatchObject({ state: 'uploaded', uploads: 1, lastUploadedAtMs: now });
    // Nothing left in the queue.
    expect(await runUploads()).toMatchObject({ shippingUploaded: 0 });
    expect(trade.managedAsked).toBe(1);
  });

  it('the same parcels again answer the order; other parcels need change: true, and WeChat allows one change', async () => {
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    const version = (await stored(o.outTradeNo)).version;
    await service.ship(o.outTradeNo, ZTO, false);
    expect((await stored(o.outTradeNo)).version).toBe(version);
    const other = [{ expressCompany: 'SF', trackingNo: 'SF100200300' }];
    expect(await code(service.ship(o.outTradeNo, other, false))).toBe('FULFIL.ALREADY_SHIPPED');
    await runUploads();
    now += 60_000;
    await service.ship(o.outTradeNo, other, true);
    await runUploads();
    expect(trade.accepted).toHaveLength(2);
    expect(trade.accepted[1]?.shipping_list[0]).toMatchObject({
      express_company: 'SF',
      contact: { receiver_contact: '*******8000' },
    });
    expect(Date.parse(trade.accepted[1]!.upload_time)).toBeGreaterThan(
      Date.parse(trade.accepted[0]!.upload_time),
    );
    expect((await service.getOrder(o.outTradeNo)).shippingUpload.uploads).toBe(2);
    const third = [{ expressCompany: 'ZTO', trackingNo: 'ZT999999' }];
    expect(await code(service.ship(o.outTradeNo, third, true))).toBe('FULFIL.REUPLOAD_USED_UP');
  });

  it('two or more parcels go as a split delivery', async () => {
    const o = await paidOrder();
    await service.ship(
      o.outTradeNo,
      [
        { expressCompany: 'ZTO', trackingNo: 'ZT0001' },
        { expressCompany: 'ZTO', trackingNo: 'ZT0002' },
      ],
      false,
    );
    await runUploads();
    expect(trade.accepted[0]).toMatchObject({ delivery_mode: 2, is_all_delivered: true });
  });

  it('refuses unknown carriers, bad tracking numbers, and the wrong delivery kind', async () => {
    const o = await paidOrder();
    expect(
      await code(service.ship(o.outTradeNo, [{ expressCompany: 'UPS', trackingNo: 'ZT0001' }], false)),
    ).toBe('FULFIL.UNKNOWN_EXPRESS_COMPANY');
    expect(await code(service.ship(o.outTradeNo, [{ expressCompany: 'ZTO', trackingNo: 'x' }], false))).toBe(
      'REQUEST.INVALID',
    );
    const p = await paidOrder(PICKUP);
    expect(await code(service.ship(p.outTradeNo, ZTO, false))).toBe('FULFIL.WRONG_DELIVERY_KIND');
    expect(await code(service.readyForPickup(o.outTradeNo))).toBe('FULFIL.WRONG_DELIVERY_KIND');
    expect((await stored(o.outTradeNo)).fulfilment?.state).toBe('AWAITING_SHIPMENT');
  });

  it('an order from before fulfilment (no fulfilment, no delivery) reads AWAITING_SHIPMENT and ships as express', async () => {
    const o = storedOrder('O20261207OLD01', T0 - DAY, {
      openid: PAYER,
      status: 'PAID',
      payment: {
        transactionId: '4200OLD',
        paidFen: 1200 as Fen,
        successTimeMs: T0,
        source: 'query',
        appliedAtMs: T0,
      },
    });
    expect(await new DbOrderStore(t.db as unknown as CloudDb).insert(o)).toBe('created');
    expect((await stored(o.outTradeNo)).fulfilment).toBeUndefined();
    const view = await service.getOrder(o.outTradeNo);
    expect(view.order.delivery).toBeNull();
    expect(view.order.fulfilment.state).toBe('AWAITING_SHIPMENT');
    expect(view.shippingUpload.state).toBe('none');
    expect((await service.ship(o.outTradeNo, ZTO, false)).order.fulfilment.state).toBe('SHIPPED');
  });
});

describe("staff's to-ship list", () => {
  it('pages through orders paid in the same second without skipping or repeating any', async () => {
    const paid = [await paidOrder(), await paidOrder(), await paidOrder()];
    now += 1_000;
    paid.push(await paidOrder());
    const seen: string[] = [];
    let after: { paidAtMs: number; outTradeNo: string } | undefined;
    for (let page = 0; page < 5; page++) {
      const views = await service.listToShip('AWAITING_SHIPMENT', 2, after);
      if (views.length === 0) break;
      seen.push(...views.map((v) => v.order.outTradeNo));
      const last = views[views.length - 1]!;
      after = { paidAtMs: last.order.paidAtMs!, outTradeNo: last.order.outTradeNo };
    }
    expect(seen).toEqual(paid.map((o) => o.outTradeNo));
    // paidAtMs alone continues strictly after that instant.
    const later = await service.listToShip('AWAITING_SHIPMENT', 20, { paidAtMs: T0 });
    expect(later.map((v) => v.order.outTradeNo)).toEqual([paid[3]!.outTradeNo]);
  });
});

describe('the money gates the goods', () => {
  it.each([
    ['REFUND_PROCESSING', 'FULFIL.REFUND_PENDING'],
    ['REFUND_FAILED', 'FULFIL.REFUND_PENDING'],
    ['REFUNDED', 'FULFIL.NOT_SHIPPABLE'],
    ['PAID_AFTER_CLOSE', 'FULFIL.NOT_SHIPPABLE'],
  ] as const)('%s refuses shipping with %s, nothing written', async (status, expected) => {
    const o = await paidOrder();
    const changed = (await d.orders.update(o, { status }))!;
    expect(await code(service.ship(o.outTradeNo, ZTO, false))).toBe(expected);
    expect((await stored(o.outTradeNo)).version).toBe(changed.version);
  });

  it('a partially refunded order still ships (the rest of the goods)', async () => {
    const o = await paidOrder();
    await d.orders.update(o, { status: 'PARTIALLY_REFUNDED', refundedFen: 100 as Fen });
    expect((await service.ship(o.outTradeNo, ZTO, false)).order.fulfilment.state).toBe('SHIPPED');
  });

  it('an order refunded in full before shipping reads CANCELLED and is never uploaded as shipped', async () => {
    const o = await paidOrder(PICKUP);
    await service.readyForPickup(o.outTradeNo);
    // The refund lands before the upload job runs.
    await d.orders.update(await stored(o.outTradeNo), { status: 'REFUNDED', refundedFen: o.payableFen });
    expect((await service.getOrder(o.outTradeNo)).order.fulfilment.state).toBe('CANCELLED');
    expect(await runUploads()).toMatchObject({ shippingUploaded: 0 });
    expect(trade.accepted).toEqual([]);
    expect((await stored(o.outTradeNo)).shippingUpload).toMatchObject({
      state: 'none',
      job: { state: 'settled' },
    });
    expect(await code(service.markPickedUp(o.outTradeNo))).toBe('FULFIL.NOT_SHIPPABLE');
    expect(await code(service.retryUpload(o.outTradeNo))).toBe('FULFIL.NOT_SHIPPABLE');
    expect(await service.listToShip('READY_FOR_PICKUP', 20)).toEqual([]);
  });
});

describe('self-pickup', () => {
  it('ready (upload logistics_type 4), picked up, listed for staff while waiting, completed later', async () => {
    const o = await paidOrder(PICKUP);
    expect((await service.listToShip('AWAITING_SHIPMENT', 20)).map((v) => v.order.outTradeNo)).toEqual([
      o.outTradeNo,
    ]);
    await service.readyForPickup(o.outTradeNo);
    expect(await service.readyForPickup(o.outTradeNo)).toMatchObject({
      order: { fulfilment: { state: 'READY_FOR_PICKUP' } },
    });
    expect((await service.listToShip('READY_FOR_PICKUP', 20)).map((v) => v.order.outTradeNo)).toEqual([
      o.outTradeNo,
    ]);
    await runUploads();
    expect(trade.accepted[0]).toMatchObject({
      logistics_type: 4,
      shipping_list: [{ item_desc: expect.any(String) }],
    });
    now += 3_600_000;
    const picked = await service.markPickedUp(o.outTradeNo);
    expect(picked.order.fulfilment).toMatchObject({
      state: 'PICKED_UP',
      receivedAtMs: now,
      completeAtMs: now + 10 * DAY,
    });
    const tally = { errors: 0, gaveUp: 0, completed: 0 };
    const job = completeJob(d, new JobRunner(d));
    await new JobRunner(d).run(job, tally, { shouldStop: () => false });
    expect(tally.completed).toBe(0);
    now += 10 * DAY;
    await new JobRunner(d).run(job, tally, { shouldStop: () => false });
    expect(tally.completed).toBe(1);
    expect((await service.getOrder(o.outTradeNo)).order.fulfilment).toMatchObject({
      state: 'COMPLETED',
      completedAtMs: now,
      completeAtMs: null,
    });
  });
});

describe('upload outcomes', () => {
  it('10060001 is retried with backoff and then succeeds', async () => {
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    trade.failNext(10060001);
    expect(await runUploads()).toMatchObject({ errors: 1, shippingUploaded: 0 });
    const waiting = await stored(o.outTradeNo);
    expect(waiting.shippingUpload).toMatchObject({ state: 'queued', lastError: '10060001 injected failure' });
    expect(waiting.shippingUpload?.job.nextAttemptAtMs).toBe(now + 60_000);
    expect(await runUploads()).toMatchObject({ shippingUploaded: 0 });
    now += 60_000;
    expect(await runUploads()).toMatchObject({ shippingUploaded: 1 });
    expect((await stored(o.outTradeNo)).shippingUpload).toMatchObject({ state: 'uploaded', lastError: null });
  });

  it.each([10060003, 10060004, 10060031])(
    '%d gives up at once: failed, attention raised; retryUpload re-queues and a success resolves the record',
    async (errcode) => {
      const o = await paidOrder();
      await service.ship(o.outTradeNo, ZTO, false);
      trade.failNext(errcode);
      expect(await runUploads()).toMatchObject({ errors: 1, gaveUp: 1 });
      const view = await service.getOrder(o.outTradeNo);
      expect(view.shippingUpload).toMatchObject({
        state: 'failed',
        lastError: `${errcode} injected failure`,
      });
      const [record] = await d.attention.list(10);
      expect(record).toMatchObject({
        id: `shipping-upload-failed:${o.outTradeNo}`,
        kind: 'shipping-upload-failed',
        outTradeNo: o.outTradeNo,
        wechatState: String(errcode),
        resolvedAtMs: null,
      });
      now += 1_000;
      expect((await service.retryUpload(o.outTradeNo)).shippingUpload.state).toBe('queued');
      // Re-queued only: the record stays open until an upload succeeds.
      expect((await d.attention.list(10))[0]?.resolvedAtMs).toBeNull();
      expect(await runUploads()).toMatchObject({ shippingUploaded: 1 });
      expect((await d.attention.list(10))[0]).toMatchObject({ resolvedBy: 'system:shipping-upload' });
    },
  );

  it('other failures back off and give up after 6 attempts, telling staff once', async () => {
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    for (let i = 0; i < 6; i++) {
      trade.failNext(-1);
      await runUploads();
      now = (await stored(o.outTradeNo)).shippingUpload?.job.nextAttemptAtMs ?? now;
    }
    expect((await stored(o.outTradeNo)).shippingUpload).toMatchObject({
      state: 'failed',
      job: { state: 'gave-up', attempts: 6 },
    });
    expect(await d.attention.list(10)).toHaveLength(1);
    expect(trade.accepted).toEqual([]);
  });

  it('not switched on (is_trade_managed false): not-managed, asked once per process, nothing uploaded', async () => {
    trade.managed = false;
    const a = await paidOrder();
    const b = await paidOrder();
    await service.ship(a.outTradeNo, ZTO, false);
    await service.ship(b.outTradeNo, ZTO, false);
    const cache = new TradeManagedCache(trade);
    expect(await runUploads(cache)).toMatchObject({ shippingNotManaged: 2, shippingUploaded: 0 });
    expect(trade.managedAsked).toBe(1);
    expect((await service.getOrder(a.outTradeNo)).shippingUpload.state).toBe('not-managed');
    expect(trade.accepted).toEqual([]);
  });
});

describe('confirm receipt', () => {
  it("only WeChat's confirmed states (3, 4, 6) make it RECEIVED; only the owner; completion still at completeAtMs", async () => {
    const o = await paidOrder();
    expect(await code(service.confirmReceipt(PAYER, o.outTradeNo))).toBe('FULFIL.NOT_SHIPPED');
    await service.ship(o.outTradeNo, ZTO, false);
    await runUploads();
    expect(await code(service.confirmReceipt(PAYER, o.outTradeNo))).toBe('FULFIL.NOT_CONFIRMED');
    expect(await code(service.confirmReceipt('o_someone_else', o.outTradeNo))).toBe('ORDER.NOT_FOUND');
    trade.confirm(o.payment!.transactionId, 6);
    now += DAY;
    const view = await service.confirmReceipt(PAYER, o.outTradeNo);
    expect(view.fulfilment).toMatchObject({
      state: 'RECEIVED',
      receivedAtMs: now,
      completeAtMs: T0 + 10 * DAY,
      canConfirmReceipt: false,
    });
    expect((await service.confirmReceipt(PAYER, o.outTradeNo)).fulfilment.state).toBe('RECEIVED');
  });

  it('WeChat unreachable answers FULFIL.NOT_CONFIRMED and changes nothing', async () => {
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    const version = (await stored(o.outTradeNo)).version;
    trade.failNext(-1);
    expect(await code(service.confirmReceipt(PAYER, o.outTradeNo))).toBe('FULFIL.NOT_CONFIRMED');
    expect((await stored(o.outTradeNo)).version).toBe(version);
  });
});

describe('the settlement push (tradeEvents)', () => {
  function push(o: OrderRecord, confirmReceiveTimeMs: number | null) {
    return {
      kind: 'order-settlement' as const,
      transactionId: o.payment!.transactionId,
      merchantId: DEMO_MERCHANT.mchid,
      subMerchantId: '',
      merchantTradeNo: o.outTradeNo,
      payTimeMs: T0,
      shippedTimeMs: T0,
      estimatedSettlementTimeMs: null,
      confirmReceiveMethod: 1 as const,
      confirmReceiveTimeMs,
      settlementTimeMs: null,
      pushedAtMs: now,
    };
  }

  it('is believed only when get_order agrees, and a repeat changes nothing', async () => {
    const sink = new FulfilmentEventSink(d, service);
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    await runUploads();
    // A push claiming a confirmation WeChat's order state does not show: acknowledged, nothing changes.
    const before = (await stored(o.outTradeNo)).version;
    await sink.onOrderSettlement(push(o, now));
    expect((await stored(o.outTradeNo)).version).toBe(before);
    // The push at shipping (no confirmation yet) is not even checked.
    await sink.onOrderSettlement(push(o, null));
    trade.confirm(o.payment!.transactionId);
    await sink.onOrderSettlement(push(o, now));
    const received = await stored(o.outTradeNo);
    expect(received.fulfilment?.state).toBe('RECEIVED');
    await sink.onOrderSettlement(push(o, now));
    expect((await stored(o.outTradeNo)).version).toBe(received.version);
  });

  it('a push for another payment of the same out_trade_no is ignored', async () => {
    const sink = new FulfilmentEventSink(d, service);
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    trade.confirm(o.payment!.transactionId);
    const before = (await stored(o.outTradeNo)).version;
    await sink.onOrderSettlement({ ...push(o, now), transactionId: '4200000000forged' });
    expect((await stored(o.outTradeNo)).version).toBe(before);
  });
});

describe("WeChat's shipping reminders (tradeEvents)", () => {
  it("a reminder to ship raises a record staff see with the money frozen, and the order's accepted upload resolves it", async () => {
    const sink = new FulfilmentEventSink(d, service);
    const o = await paidOrder();
    const remind = {
      kind: 'remind-shipping' as const,
      transactionId: o.payment!.transactionId,
      merchantId: DEMO_MERCHANT.mchid,
      subMerchantId: '',
      merchantTradeNo: o.outTradeNo,
      payTimeMs: T0,
      msg: '请尽快发货',
      pushedAtMs: now,
    };
    await sink.onRemindShipping(remind);
    await sink.onRemindShipping(remind);
    const [record] = (await d.attention.list(10)).filter((r) => r.id === `shipping-reminded:${o.outTradeNo}`);
    expect(record).toMatchObject({
      kind: 'shipping-reminded',
      outTradeNo: o.outTradeNo,
      amountFen: o.payment!.paidFen,
      deliveries: 2,
      resolvedAtMs: null,
    });
    expect(record!.wechatState).toContain('AWAITING_SHIPMENT');
    // A reminder about another payment of the same number is not this order's.
    await sink.onRemindShipping({ ...remind, merchantTradeNo: 'O-unknown', transactionId: '4200forged' });
    expect((await d.attention.list(10)).filter((r) => r.kind === 'shipping-reminded')).toHaveLength(1);
    await service.ship(o.outTradeNo, ZTO, false);
    await runUploads();
    const after = (await d.attention.list(10)).find((r) => r.id === `shipping-reminded:${o.outTradeNo}`);
    expect(after?.resolvedAtMs).not.toBeNull();
  });

  it('a reminder to call the shipping API raises one record, counted again on a repeat', async () => {
    const sink = new FulfilmentEventSink(d, service);
    await sink.onRemindAccessApi({ kind: 'remind-access-api', msg: '请接入', pushedAtMs: now });
    await sink.onRemindAccessApi({ kind: 'remind-access-api', msg: '请接入', pushedAtMs: now });
    const records = (await d.attention.list(10)).filter((r) => r.kind === 'shipping-api-reminded');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: 'shipping-api-reminded', deliveries: 2, amountFen: 0 });
  });
});

describe('an upload WeChat accepted but the order could not record', () => {
  it('is found with get_order on the next attempt and recorded, not sent again (which would spend the change)', async () => {
    const o = await paidOrder();
    await service.ship(o.outTradeNo, ZTO, false);
    // WeChat accepts the upload, but its answer is lost on the way back.
    const real = trade.uploadShippingInfo.bind(trade);
    trade.uploadShippingInfo = async (req) => {
      await real(req);
      throw new TradeManagementError(-1, 'timeout', 'uploadShippingInfo');
    };
    expect(await runUploads()).toMatchObject({ errors: 1, shippingUploaded: 0 });
    trade.uploadShippingInfo = real;
    now += 60_000;
    expect(await runUploads()).toMatchObject({ shippingUploaded: 1 });
    expect(trade.accepted).toHaveLength(1);
    expect((await stored(o.outTradeNo)).shippingUpload).toMatchObject({ state: 'uploaded', uploads: 1 });
  });
});

describe('property: a refund in full before the goods left', () => {
  it('whatever staff and the jobs do around it, the order never ships and is never uploaded as shipped', async () => {
    type Step = 'ship' | 'ready' | 'pickedUp' | 'retry' | 'upload' | 'refundFull' | 'refundPart';
    const steps: Step[] = ['ship', 'ready', 'pickedUp', 'retry', 'upload', 'refundFull', 'refundPart'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(EXPRESS, PICKUP),
        fc.array(fc.constantFrom(...steps), { minLength: 1, maxLength: 8 }),
        async (delivery, plan) => {
          const o = await paidOrder(delivery);
          const txId = o.payment!.transactionId;
          let refundedBeforeLeaving = false;
          const uploadsOf = () =>
            trade.accepted.filter(
              (a) => a.order_key.order_number_type === 2 && a.order_key.transaction_id === txId,
            ).length;
          let uploadsAtRefund = 0;
          for (const step of plan) {
            const current = await stored(o.outTradeNo);
            const act: Record<Step, () => Promise<unknown>> = {
              ship: () => service.ship(o.outTradeNo, ZTO, false),
              ready: () => service.readyForPickup(o.outTradeNo),
              pickedUp: () => service.markPickedUp(o.outTradeNo),
              retry: () => service.retryUpload(o.outTradeNo),
              upload: () => runUploads(),
              refundFull: async () => {
                const state = fulfilmentOf(current).state;
                if (
                  !refundedBeforeLeaving &&
                  (state === 'AWAITING_SHIPMENT' || state === 'READY_FOR_PICKUP')
                ) {
                  refundedBeforeLeaving = true;
                  uploadsAtRefund = uploadsOf();
                }
                await d.orders.update(current, { status: 'REFUNDED', refundedFen: current.payableFen });
              },
              refundPart: () =>
                current.status === 'PAID'
                  ? d.orders.update(current, { status: 'PARTIALLY_REFUNDED', refundedFen: 1 as Fen })
                  : Promise.resolve(),
            };
            await act[step]().catch(() => undefined);
          }
          await runUploads();
          if (!refundedBeforeLeaving) return;
          const after = await stored(o.outTradeNo);
          expect(fulfilmentOf(after).state).toBe('CANCELLED');
          expect(after.fulfilment?.state === 'SHIPPED' || after.fulfilment?.state === 'PICKED_UP').toBe(
            false,
          );
          // Nothing reached WeChat after the refund (a pickup readiness uploaded before it is that moment's record).
          expect(uploadsOf()).toBe(uploadsAtRefund);
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
