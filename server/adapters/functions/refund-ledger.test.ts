// A refund report is decided from the order's refund ledger and applied by one compare-and-set of the order; the
// refund document follows with one conditional write (docs/adr/0008). Real payment core on devcloud's durable
// database, round trips counted: a crash between the two writes is repaired by the next report, reports at once apply
// once, a refund document is never set back by an older report, and orders refunded before the ledger get one.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import type { CoreDeps } from '../../application/core.deps';
import type { OrderRecord, RefundDoc } from '../../application/order.model';
import { ProviderError } from '../../application/ports/payment-provider.errors';
import type {
  CreateRefundInput,
  PaymentProvider,
  Refund,
  RefundQueryResult,
} from '../../application/ports/payment-provider.port';
import { RefundService } from '../../application/refund.service';
import type { Fen } from '../../domain/money';
import { refundedFen, reservedRefundFen } from '../../domain/refund-policy';
import type { CloudDb } from '../db/cloud-db';
import { DbOrderStore } from '../db/order.repository';
import { toDoc } from '../db/records';
import { DbRefundStore } from '../db/refund.repository';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';
import { storedOrder, testCoreDeps } from './core.testkit';

const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;
const PAID = 1200 as Fen;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;
let seq = 0;
/** WeChat's side: every refund it accepted, as it would answer a query. */
let wechat: Map<string, Refund>;
/** WeChat is unreachable for refund requests (the refund stays recorded, unsubmitted). */
let wechatDown: boolean;
/** WeChat refuses refund requests (403 NOT_ENOUGH) without recording them. */
let wechatRefuses: boolean;
/** Refund requests sent to WeChat. */
let sends: number;

/** The demo provider, with a WeChat-like refund desk: refunds are accepted PROCESSING and queried as `wechat` holds them. */
function provider(): PaymentProvider {
  const demo = new DemoPaymentProvider(
    db,
    () => T0,
    () => `r${++seq}`.padStart(16, '0'),
  );
  return Object.assign(Object.create(demo) as DemoPaymentProvider, {
    createRefund: (input: CreateRefundInput): Promise<Refund> => {
      sends++;
      if (wechatRefuses)
        return Promise.reject(
          new ProviderError('NOT_ENOUGH', 'createRefund: 403 NOT_ENOUGH', 'fatal', { httpStatus: 403 }),
        );
      if (wechatDown)
        return Promise.reject(new ProviderError('SYSTEM_ERROR', 'createRefund: 500', 'indeterminate'));
      const r: Refund = {
        outTradeNo: input.outTradeNo,
        outRefundNo: input.outRefundNo,
        refundId: `50300${input.outRefundNo}`,
        status: 'PROCESSING',
        refundFen: input.refundFen,
        paidFen: input.paidFen,
        createTimeMs: T0,
        receivedAccount: '支付用户零钱',
      };
      wechat.set(r.outRefundNo, r);
      return Promise.resolve(r);
    },
    queryRefund: (outRefundNo: string): Promise<RefundQueryResult> => {
      const r = wechat.get(outRefundNo);
      return Promise.resolve(r ? { kind: 'found', refund: r } : { kind: 'not-found', outRefundNo });
    },
  });
}

function core(): CoreDeps {
  return testCoreDeps({ db, provider: provider(), nowMs: () => T0 });
}

const orders = () => new DbOrderStore(db);
const refunds = () => new DbRefundStore(db);

async function paidOrder(outTradeNo: string, over: Partial<OrderRecord> = {}): Promise<OrderRecord> {
  const order = storedOrder(outTradeNo, T0, {
    status: 'PAID',
    payment: {
      transactionId: `T${outTradeNo}`,
      paidFen: PAID,
      successTimeMs: T0,
      source: 'demo',
      appliedAtMs: T0,
    },
    ...over,
  });
  expect(await orders().insert(order)).toBe('created');
  return order;
}

async function requestRefund(outTradeNo: string, amountFen: number, key: string): Promise<RefundDoc> {
  return new RefundService(core()).requestRefund({
    outTradeNo,
    amountFen,
    reason: '商家退款',
    requestedBy: 'o-admin',
    requestKey: key,
  });
}

/** WeChat settles a refund; answers its notification's report (a notification carries no create_time). */
function settleAtWechat(outRefundNo: string, status: 'SUCCESS' | 'CLOSED' | 'ABNORMAL'): Refund {
  const { createTimeMs: _c, ...r } = wechat.get(outRefundNo)!;
  const settled: Refund = { ...r, status, ...(status === 'SUCCESS' ? { successTimeMs: T0 + 60_000 } : {}) };
  wechat.set(outRefundNo, { ...settled, createTimeMs: T0 });
  return settled;
}

/** Round trips `fn` makes. */
async function roundTrips<T>(fn: () => Promise<T>): Promise<{ result: T; ops: number }> {
  const before = t.ops.length;
  const result = await fn();
  return { result, ops: t.ops.length - before };
}

/** The order's money agrees with its ledger, and every refund document with its ledger entry. */
async function expectLevel(outTradeNo: string): Promise<OrderRecord> {
  const order = (await orders().get(outTradeNo))!;
  const ledger = order.refundLedger!;
  expect(order).toMatchObject({
    refundedFen: refundedFen(ledger),
    refundReservedFen: reservedRefundFen(ledger),
  });
  const docs = await refunds().listByOrder(outTradeNo);
  expect(docs.map((d) => [d.outRefundNo, d.status])).toEqual(ledger.map((e) => [e.outRefundNo, e.status]));
  return order;
}

beforeEach(async () => {
  tmp = tempDir('refund-ledger-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => T0 });
  db = t.db as unknown as CloudDb;
  wechat = new Map();
  wechatDown = false;
  wechatRefuses = false;
  sends = 0;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

describe('a refund report decided from the order’s refund ledger', () => {
  it('costs 3 round trips (read the order, write it, write the refund) and a duplicate 2, for SUCCESS, ABNORMAL and CLOSED', async () => {
    await paidOrder('O20260301L0001');
    const a = await requestRefund('O20260301L0001', 300, 'ledger-a-0001');
    const b = await requestRefund('O20260301L0001', 400, 'ledger-b-0001');
    const c = await requestRefund('O20260301L0001', 500, 'ledger-c-0001');
    expect((await orders().get('O20260301L0001'))!.refundLedger).toEqual([
      {
        outRefundNo: a.outRefundNo,
        amountFen: 300,
        status: 'PROCESSING',
        owedOffline: false,
        retriedTo: null,
      },
      {
        outRefundNo: b.outRefundNo,
        amountFen: 400,
        status: 'PROCESSING',
        owedOffline: false,
        retriedTo: null,
      },
      {
        outRefundNo: c.outRefundNo,
        amountFen: 500,
        status: 'PROCESSING',
        owedOffline: false,
        retriedTo: null,
      },
    ]);
    const service = new RefundService(core());
    for (const [r, status] of [
      [a, 'SUCCESS'],
      [b, 'ABNORMAL'],
      [c, 'CLOSED'],
    ] as const) {
      const report = settleAtWechat(r.outRefundNo, status);
      const first = await roundTrips(() => service.applyRefund(report, { source: 'notification' }));
      expect(first).toMatchObject({ result: { kind: 'applied' }, ops: 3 });
      const again = await roundTrips(() => service.applyRefund(report, { source: 'notification' }));
      expect(again).toMatchObject({ result: { kind: 'duplicate' }, ops: 2 });
      await expectLevel('O20260301L0001');
    }
    expect(await orders().get('O20260301L0001')).toMatchObject({
      status: 'REFUND_FAILED',
      refundedFen: 300,
      refundReservedFen: 700,
      refundOwedOfflineFen: 0,
    });
    expect(await refunds().get(a.outRefundNo)).toMatchObject({
      status: 'SUCCESS',
      submitted: true,
      successTimeMs: T0 + 60_000,
      acceptedAtMs: T0,
      receivedAccount: '支付用户零钱',
      refundId: `50300${a.outRefundNo}`,
    });
  });

  it('a crash between the order’s write and the refund’s leaves the order whole; the next report brings the refund level and applies nothing twice', async () => {
    await paidOrder('O20260301L0002');
    const r = await requestRefund('O20260301L0002', PAID, 'ledger-crash-0001');
    const report = settleAtWechat(r.outRefundNo, 'SUCCESS');
    const d = core();
    const store = d.refunds;
    // The function dies after the order's write: the refund's write never happens.
    const crashing = Object.assign(Object.create(store) as DbRefundStore, {
      levelWithOrder: () => Promise.reject(new Error('the function died here')),
    });
    await expect(
      new RefundService({ ...d, refunds: crashing }).applyRefund(report, { source: 'notification' }),
    ).rejects.toThrow('the function died here');
    const settled = (await orders().get('O20260301L0002'))!;
    expect(settled).toMatchObject({
      status: 'REFUNDED',
      refundedFen: PAID,
      refundReservedFen: PAID,
      refundLedger: [expect.objectContaining({ status: 'SUCCESS' })],
    });
    const behind = (await refunds().get(r.outRefundNo))!;
    expect(behind).toMatchObject({ status: 'PROCESSING', successTimeMs: null });

    // WeChat delivers it again (nothing was acknowledged): the ledger has it, the document is brought level.
    const again = await roundTrips(() =>
      new RefundService(core()).applyRefund(report, { source: 'notification' }),
    );
    expect(again).toMatchObject({ result: { kind: 'duplicate', refund: { status: 'SUCCESS' } }, ops: 3 });
    expect(await orders().get('O20260301L0002')).toEqual(settled);
    expect(await refunds().get(r.outRefundNo)).toMatchObject({
      status: 'SUCCESS',
      successTimeMs: T0 + 60_000,
      submitted: true,
      acceptedAtMs: T0,
      orderVersion: settled.version,
      version: behind.version + 1,
    });
    await expectLevel('O20260301L0002');
    // And once level, a further delivery writes nothing.
    const third = await roundTrips(() =>
      new RefundService(core()).applyRefund(report, { source: 'notification' }),
    );
    expect(third).toMatchObject({ result: { kind: 'duplicate' }, ops: 2 });
    expect((await refunds().get(r.outRefundNo))!.version).toBe(behind.version + 1);
  });

  it('two reports at once (both read the order before either writes): one applies, the other finds it applied', async () => {
    await paidOrder('O20260301L0003');
    const r = await requestRefund('O20260301L0003', 500, 'ledger-twice-0001');
    const report = settleAtWechat(r.outRefundNo, 'SUCCESS');
    const orderBefore = (await orders().get('O20260301L0003'))!;
    const d = core();
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const gated = Object.assign(Object.create(d.orders) as DbOrderStore, {
      get: async (outTradeNo: string) => {
        const order = await d.orders.get(outTradeNo);
        if (++reads === 2) release();
        if (reads <= 2) await bothRead;
        return order;
      },
    });
    const service = new RefundService({ ...d, orders: gated });
    const outcomes = await Promise.all([
      service.applyRefund(report, { source: 'notification' }),
      service.applyRefund(report, { source: 'notification' }),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['applied', 'duplicate']);
    expect(await orders().get('O20260301L0003')).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refundedFen: 500,
      version: orderBefore.version + 1,
    });
    expect(await refunds().get(r.outRefundNo)).toMatchObject({ status: 'SUCCESS', version: r.version + 1 });
    await expectLevel('O20260301L0003');
  });

  it('a report that finds the refund behind brings it level before the applying report’s own write, which then changes nothing', async () => {
    await paidOrder('O20260301L0004');
    const r = await requestRefund('O20260301L0004', PAID, 'ledger-race-0001');
    const report = settleAtWechat(r.outRefundNo, 'SUCCESS');
    const d = core();
    let reached!: () => void;
    const atRefundWrite = new Promise<void>((resolve) => (reached = resolve));
    let go!: () => void;
    const mayWrite = new Promise<void>((resolve) => (go = resolve));
    const held = Object.assign(Object.create(d.refunds) as DbRefundStore, {
      levelWithOrder: async (...args: Parameters<DbRefundStore['levelWithOrder']>) => {
        reached();
        await mayWrite;
        return d.refunds.levelWithOrder(...args);
      },
    });
    const first = new RefundService({ ...d, refunds: held }).applyRefund(report, { source: 'notification' });
    await atRefundWrite;
    // The order is written, the refund not yet: a second delivery finds the ledger settled and the refund behind.
    const second = await new RefundService(core()).applyRefund(report, { source: 'notification' });
    expect(second).toMatchObject({ kind: 'duplicate', refund: { status: 'SUCCESS' } });
    const levelled = (await refunds().get(r.outRefundNo))!;
    go();
    expect(await first).toMatchObject({ kind: 'applied', refund: { status: 'SUCCESS' } });
    expect(await refunds().get(r.outRefundNo)).toEqual(levelled);
    expect(levelled.version).toBe(r.version + 1);
    await expectLevel('O20260301L0004');
  });

  it('WeChat’s acceptance not yet recorded (its answer was lost): the refund is read and the acceptance recorded as before', async () => {
    await paidOrder('O20260301L0005');
    wechatDown = true;
    const r = await requestRefund('O20260301L0005', 300, 'ledger-unsent-0001');
    expect(r).toMatchObject({ submitted: false });
    wechatDown = false;
    // WeChat had it after all (the answer was lost), and pays it.
    wechat.set(r.outRefundNo, {
      outTradeNo: r.outTradeNo,
      outRefundNo: r.outRefundNo,
      refundId: `50300${r.outRefundNo}`,
      status: 'PROCESSING',
      refundFen: r.amountFen,
      paidFen: PAID,
      createTimeMs: T0,
    });
    const report = settleAtWechat(r.outRefundNo, 'SUCCESS');
    const applied = await roundTrips(() =>
      new RefundService(core()).applyRefund(report, { source: 'notification' }),
    );
    // Read the order, write it, the refund's write matches nothing (no acceptance yet), read it, write it.
    expect(applied).toMatchObject({ result: { kind: 'applied', refund: { status: 'SUCCESS' } }, ops: 5 });
    expect(await refunds().get(r.outRefundNo)).toMatchObject({
      status: 'SUCCESS',
      submitted: true,
      acceptedAtMs: r.createdAtMs,
      successTimeMs: T0 + 60_000,
    });
    await expectLevel('O20260301L0005');
  });

  it('an order refunded before the ledger is decided from its refund documents and gets its ledger with that change', async () => {
    await paidOrder('O20260301L0006', { status: 'REFUND_PROCESSING', refundReservedFen: 700 as Fen });
    const legacy = (no: string, amountFen: number, createdAtMs: number): RefundDoc => ({
      outRefundNo: no,
      outTradeNo: 'O20260301L0006',
      requestKey: `O20260301L0006:${no}`,
      amountFen: amountFen as Fen,
      status: 'PROCESSING',
      reason: '商家退款',
      requestedBy: 'o-admin',
      refundId: `50300${no}`,
      createdAtMs,
      updatedAtMs: createdAtMs,
      successTimeMs: null,
      submitted: true,
      failure: null,
      acceptedAtMs: createdAtMs,
      version: 2,
      followUp: { state: 'queued', nextAttemptAtMs: T0, attempts: 0, lastError: null, gaveUpAtMs: null },
    });
    for (const doc of [legacy('RLEGACY0001', 300, T0), legacy('RLEGACY0002', 400, T0 + 1)]) {
      await db.collection('refunds').add({ data: toDoc(doc, 'outRefundNo') });
      wechat.set(doc.outRefundNo, {
        outTradeNo: doc.outTradeNo,
        outRefundNo: doc.outRefundNo,
        refundId: doc.refundId!,
        status: 'PROCESSING',
        refundFen: doc.amountFen,
        paidFen: PAID,
      });
    }
    const service = new RefundService(core());
    const first = await roundTrips(() =>
      service.applyRefund(settleAtWechat('RLEGACY0002', 'SUCCESS'), { source: 'notification' }),
    );
    // One more read (the refund documents) than an order with a ledger.
    expect(first).toMatchObject({ result: { kind: 'applied' }, ops: 4 });
    expect(await orders().get('O20260301L0006')).toMatchObject({
      status: 'REFUND_PROCESSING',
      refundedFen: 400,
      refundReservedFen: 700,
      refundLedger: [
        {
          outRefundNo: 'RLEGACY0001',
          amountFen: 300,
          status: 'PROCESSING',
          owedOffline: false,
          retriedTo: null,
        },
        {
          outRefundNo: 'RLEGACY0002',
          amountFen: 400,
          status: 'SUCCESS',
          owedOffline: false,
          retriedTo: null,
        },
      ],
    });
    const next = await roundTrips(() =>
      service.applyRefund(settleAtWechat('RLEGACY0001', 'SUCCESS'), { source: 'notification' }),
    );
    expect(next).toMatchObject({ result: { kind: 'applied' }, ops: 3 });
    expect(await expectLevel('O20260301L0006')).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refundedFen: 700,
    });
  });

  it('a refund closed here whose document a crash left behind is never sent again: the follow-up closes the document to match', async () => {
    await paidOrder('O20260301L0010');
    const d = core();
    const crashing = Object.assign(Object.create(d.refunds) as DbRefundStore, {
      levelWithOrder: () => Promise.reject(new Error('the function died here')),
    });
    // WeChat refuses the send and has no such refund: closed here, its amount freed — and the function dies between
    // the order's write and the refund's.
    wechatRefuses = true;
    await expect(
      new RefundService({ ...d, refunds: crashing }).requestRefund({
        outTradeNo: 'O20260301L0010',
        amountFen: 300,
        reason: '商家退款',
        requestedBy: 'o-admin',
        requestKey: 'ledger-closed-0001',
      }),
    ).rejects.toThrow('the function died here');
    const closed = (await orders().get('O20260301L0010'))!;
    expect(closed).toMatchObject({
      status: 'REFUND_FAILED',
      refundReservedFen: 0,
      refundLedger: [expect.objectContaining({ status: 'CLOSED' })],
    });
    const [behind] = await refunds().listByOrder('O20260301L0010');
    expect(behind).toMatchObject({ status: 'PROCESSING', submitted: false });
    // WeChat would take it now; the follow-up (an unsent refund is sent again) must not send what the order freed.
    wechatRefuses = false;
    const sentBefore = sends;
    const followedUp = await new RefundService(core()).submit(behind!);
    expect(sends).toBe(sentBefore);
    expect(followedUp).toMatchObject({
      status: 'CLOSED',
      submitted: false,
      failure: 'closed here: WeChat Pay has no such refund',
    });
    expect(await orders().get('O20260301L0010')).toEqual(closed);
    await expectLevel('O20260301L0010');
  });

  it('a report about a refund of another order, or of an unknown one, writes nothing', async () => {
    await paidOrder('O20260301L0007');
    await paidOrder('O20260301L0008');
    const r = await requestRefund('O20260301L0007', 300, 'ledger-other-0001');
    const report = settleAtWechat(r.outRefundNo, 'SUCCESS');
    const service = new RefundService(core());
    const before = await orders().get('O20260301L0008');
    expect(await service.applyRefund({ ...report, outTradeNo: 'O20260301L0008' })).toEqual({
      kind: 'mismatch',
      reason: 'out_trade_no differs',
    });
    expect(await service.applyRefund({ ...report, refundFen: 301 as Fen })).toEqual({
      kind: 'mismatch',
      reason: 'refund amount differs',
    });
    expect(await service.applyRefund({ ...report, outRefundNo: 'RNOSUCH0001' })).toEqual({
      kind: 'unknown-refund',
    });
    expect(await orders().get('O20260301L0008')).toEqual(before);
    expect(await refunds().get(r.outRefundNo)).toMatchObject({ status: 'PROCESSING', version: r.version });
  });
});

describe('the refund’s write that follows the order’s (levelWithOrder)', () => {
  it('never sets back a refund written from a later order version, and waits for WeChat’s acceptance when asked to', async () => {
    await paidOrder('O20260301L0009');
    const r = await requestRefund('O20260301L0009', 300, 'ledger-level-0001');
    const stored = (await refunds().get(r.outRefundNo))!;
    const at = stored.orderVersion!;
    expect(at).toBe((await orders().get('O20260301L0009'))!.version);
    // Not newer than what the refund reflects: nothing written.
    expect(
      await refunds().levelWithOrder(r.outRefundNo, at, { status: 'SUCCESS' }, { accepted: false }),
    ).toBe(false);
    expect(
      await refunds().levelWithOrder(r.outRefundNo, at - 1, { status: 'CLOSED' }, { accepted: false }),
    ).toBe(false);
    // Newer: written once, with the order version it reflects.
    expect(
      await refunds().levelWithOrder(r.outRefundNo, at + 1, { status: 'SUCCESS' }, { accepted: true }),
    ).toBe(true);
    expect(await refunds().get(r.outRefundNo)).toMatchObject({
      status: 'SUCCESS',
      orderVersion: at + 1,
      version: stored.version + 1,
    });
    // A refund whose acceptance is not recorded is left to the caller when it asks for acceptance.
    await db
      .collection('refunds')
      .doc(r.outRefundNo)
      .update({ data: { acceptedAtMs: null } });
    expect(
      await refunds().levelWithOrder(r.outRefundNo, at + 2, { status: 'CLOSED' }, { accepted: true }),
    ).toBe(false);
    // A refund older than the ledger (no orderVersion) is behind any order version.
    await db
      .collection('refunds')
      .doc(r.outRefundNo)
      .update({ data: { orderVersion: db.command.remove() } });
    expect(await refunds().levelWithOrder(r.outRefundNo, 1, { status: 'CLOSED' }, { accepted: false })).toBe(
      true,
    );
    expect(await refunds().get(r.outRefundNo)).toMatchObject({ status: 'CLOSED', orderVersion: 1 });
  });
});
