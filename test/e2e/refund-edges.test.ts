// Refund edges end to end (issue "money edges, round 2"): a refund whose first answer was lost and whose resubmission
// WeChat refuses, money WeChat moved for a refund closed here, a late ABNORMAL after a retry, money WeChat could only
// return to the merchant's card, staff's "ask WeChat now", and the refund code on a fully refunded order. Every case
// compares WeChat's refunded total per order (the simulator's ledger) with ours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refundActions } from '../../server/adapters/functions/core.handlers';
import {
  adminGet,
  placeOrder,
  runJob,
  startTestStack,
  useTestStack,
  waitFor,
  waitForStatus,
  type TestStack,
} from '../support/stack';
import { deliver, refundNotification } from '../support/notify';

const SHOPPER = 'o-ivan-0009';
const ADMIN = 'o-dev-admin';
const MINUTE = 60_000;
const REFUNDS_PATH = '/v3/refund/domestic/refunds';

/** What WeChat (the simulator) has refunded for an order: SUCCESS refunds, in fen. */
async function wechatRefundedFen(stack: TestStack, outTradeNo: string): Promise<number> {
  const refunds = await stack.sim.control.refunds({ outTradeNo });
  return refunds.filter((r) => r.status === 'SUCCESS').reduce((n, r) => n + r.refundFen, 0);
}

async function paidOrder(stack: TestStack): Promise<{ outTradeNo: string; payableFen: number }> {
  const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 2);
  await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
  await stack.sim.control.pay(order.outTradeNo);
  await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
  return order;
}

const refund = (stack: TestStack, outTradeNo: string, amountFen: number, requestKey: string) =>
  stack.as(ADMIN).call('refund', 'create', { outTradeNo, amountFen, reason: '部分退款', requestKey });

describe('a refund whose first answer was lost, resubmitted after a deploy changed its notify URL', () => {
  let dataDir: string;
  let stack: TestStack;
  afterAll(async () => {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is resent with the first send’s parameters, never closed unasked: WeChat never pays more than the shop records', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wxshop-e2e-'));
    stack = await startTestStack({ dataDir });
    // WeChat takes its time: the refund is still PROCESSING when it is sent again.
    await stack.sim.control.updateSettings({ refundDelayMs: 30 * MINUTE });
    const order = await paidOrder(stack);
    const half = Math.floor(order.payableFen / 2);
    // WeChat takes the refund, the answer is lost on the way back.
    await stack.sim.control.addFault({
      kind: 'api.error',
      path: REFUNDS_PATH,
      method: 'POST',
      when: 'after',
      count: 1,
    });
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const first = await refund(stack, order.outTradeNo, half, 'lost-answer-1');
    expect(first).toMatchObject({ ok: true, data: { status: 'PROCESSING' } });
    const outRefundNo = (first as { data: { outRefundNo: string } }).data.outRefundNo;
    expect((await adminGet(stack, 'refunds', outRefundNo))!.submitted).toBe(false);
    expect((await stack.sim.control.refund(outRefundNo)).status).toBe('PROCESSING');

    // A deploy: same data, the refund notify URL now differs (WeChat would refuse a resend carrying it).
    const gatewayPort = Number(new URL(stack.gatewayUrl).port);
    await stack.close();
    stack = await startTestStack({
      dataDir,
      gatewayPort,
      env: { WECHATPAY_REFUND_NOTIFY_URL: `http://127.0.0.1:${gatewayPort}/http/payNotify/refunds-v2` },
    });
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    await stack.advance(2 * MINUTE);
    await runJob(stack, 'reconcile');
    const resent = (await adminGet(stack, 'refunds', outRefundNo))!;
    expect(resent).toMatchObject({ status: 'PROCESSING', submitted: true });
    // Nothing was freed: the other half is all that can still be refunded.
    expect(await refund(stack, order.outTradeNo, half + 1, 'second-refund-1')).toMatchObject({
      ok: false,
      error: { code: 'REFUND.EXCEEDS_REFUNDABLE' },
    });
    // WeChat pays the first refund; its notification is lost too: the follow-up learns it.
    await stack.sim.control.setRefundOutcome(outRefundNo, 'SUCCESS', { now: true });
    await stack.advance(5 * MINUTE);
    await runJob(stack, 'reconcile');
    const after = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(after).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedFen: half });
    expect(await wechatRefundedFen(stack, order.outTradeNo)).toBe(after.refundedFen);
  });
});

describe('refund edges', () => {
  const stack = useTestStack();

  /**
   * A paid order with a full refund WeChat has paid, whose notifications WeChat has not sent (dropped): the test
   * delivers the REFUND.SUCCESS itself.
   */
  async function refundPaidAtWechat(requestKey: string) {
    const order = await paidOrder(stack);
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const r = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      reason: '全额退款',
      requestKey,
    });
    await stack.sim.control.setRefundOutcome(r.outRefundNo, 'SUCCESS', { now: true });
    return {
      order,
      outRefundNo: r.outRefundNo,
      note: await refundNotification(stack, r.outRefundNo),
    };
  }

  /** Delivers `note` while the local cloud fails writes to `collection` (`when`), as a crash at that point would. */
  async function deliverFailing(
    note: Awaited<ReturnType<typeof refundNotification>>,
    collection: 'orders' | 'refunds',
    when: 'before' | 'after',
  ) {
    stack.cloud.setWriteFaults({ rate: 1, when, collections: [collection] });
    try {
      return await deliver(stack, note);
    } finally {
      stack.cloud.setWriteFaults(null);
    }
  }

  it.each([
    ['the refund’s write fails (nothing written)', 'refunds', 'before'],
    ['the order’s write lands and its answer is lost', 'orders', 'after'],
  ] as const)(
    'a delivery that dies after the order’s write (%s) leaves the money applied; the next delivery brings the refund level, once',
    async (_case, collection, when) => {
      const { order, outRefundNo, note } = await refundPaidAtWechat(`crash-${collection}-${when}-1`);
      const refundBefore = (await adminGet(stack, 'refunds', outRefundNo))!;
      const failed = await deliverFailing(note, collection, when);
      // Not acknowledged: WeChat delivers it again.
      expect(failed.status).toBe(500);
      // The order (the money) is whole and settled; the refund document is behind it.
      const settled = (await adminGet(stack, 'orders', order.outTradeNo))!;
      expect(settled).toMatchObject({
        status: 'REFUNDED',
        refundedFen: order.payableFen,
        refundReservedFen: order.payableFen,
        refundOwedOfflineFen: 0,
        refundLedger: [expect.objectContaining({ outRefundNo, status: 'SUCCESS' })],
      });
      expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
        status: 'PROCESSING',
        version: refundBefore.version,
      });
      // The next delivery finds the money applied and brings the refund level; nothing is applied twice.
      const again = await deliver(stack, note);
      expect(again.status).toBe(200);
      expect(again.ops).toBeLessThanOrEqual(3);
      expect((await adminGet(stack, 'orders', order.outTradeNo))!).toEqual(settled);
      expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
        status: 'SUCCESS',
        successTimeMs: expect.any(Number),
        orderVersion: settled.version,
        version: refundBefore.version + 1,
      });
      const third = await deliver(stack, note);
      expect(third).toMatchObject({ status: 200, ops: 2 });
      expect((await adminGet(stack, 'refunds', outRefundNo))!.version).toBe(refundBefore.version + 1);
      expect(await wechatRefundedFen(stack, order.outTradeNo)).toBe(settled.refundedFen);
    },
  );

  it('a delivery that died after the order’s write, never delivered again: the follow-up’s query brings the refund level', async () => {
    const { order, outRefundNo, note } = await refundPaidAtWechat('crash-follow-up-1');
    expect((await deliverFailing(note, 'refunds', 'before')).status).toBe(500);
    const settled = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(settled).toMatchObject({ status: 'REFUNDED', refundedFen: order.payableFen });
    // Behind the order, the refund is not final: it stays in the follow-up queue, which asks WeChat.
    expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
      status: 'PROCESSING',
      followUp: { state: 'queued' },
    });
    await stack.advance(2 * MINUTE);
    await runJob(stack, 'reconcile');
    expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
      status: 'SUCCESS',
      orderVersion: settled.version,
      followUp: { state: 'settled' },
    });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toEqual(settled);
  });

  it('deliveries of one refund notification at the same time apply it once', async () => {
    const { order, outRefundNo, note } = await refundPaidAtWechat('concurrent-deliveries-1');
    const orderBefore = (await adminGet(stack, 'orders', order.outTradeNo))!;
    const refundBefore = (await adminGet(stack, 'refunds', outRefundNo))!;
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(stack, note)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: order.payableFen,
      refundReservedFen: order.payableFen,
      version: orderBefore.version + 1,
    });
    expect((await adminGet(stack, 'refunds', outRefundNo))!).toMatchObject({
      status: 'SUCCESS',
      version: refundBefore.version + 1,
    });
  });

  it('a refusal of a refund WeChat holds is asked about, not closed: its state is applied', async () => {
    const order = await paidOrder(stack);
    await stack.sim.control.updateSettings({ refundDelayMs: 30 * MINUTE });
    // The first send reached WeChat and its answer was lost; the resend is refused (as a changed parameter would be).
    await stack.sim.control.addFault({
      kind: 'api.error',
      path: REFUNDS_PATH,
      method: 'POST',
      when: 'after',
      count: 1,
    });
    const first = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      reason: '退一点',
      requestKey: 'refused-resend-1',
    });
    await stack.sim.control.addFault({
      kind: 'api.error',
      path: REFUNDS_PATH,
      method: 'POST',
      status: 400,
      code: 'INVALID_REQUEST',
      count: 1,
    });
    await stack.advance(2 * MINUTE);
    await runJob(stack, 'reconcile');
    const stored = (await adminGet(stack, 'refunds', first.outRefundNo))!;
    expect(stored).toMatchObject({ status: 'PROCESSING', submitted: true, failure: null });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUND_PROCESSING',
      refundReservedFen: 100,
    });
    await stack.sim.control.updateSettings({ refundDelayMs: MINUTE });
  });

  it('a refusal of a refund WeChat does not hold closes it and frees its amount (only "no such refund" proves it)', async () => {
    const order = await paidOrder(stack);
    await stack.sim.control.addFault({
      kind: 'api.error',
      path: REFUNDS_PATH,
      method: 'POST',
      status: 403,
      code: 'TRADE_ERROR',
      count: 1,
    });
    const r = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      reason: '退一点',
      requestKey: 'never-accepted-1',
    });
    expect(r).toMatchObject({ status: 'CLOSED', submitted: false });
    // A repeated tap with the same key answers the closed refund and sends nothing to WeChat.
    const again = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      reason: '退一点',
      requestKey: 'never-accepted-1',
    });
    expect(again).toMatchObject({ outRefundNo: r.outRefundNo, status: 'CLOSED' });
    expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toHaveLength(0);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUND_FAILED',
      refundReservedFen: 0,
    });
  });

  it('WeChat pays a refund that was closed here: applied, counted, and raised for a person', async () => {
    const order = await paidOrder(stack);
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const r = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 300,
      reason: '退一点',
      requestKey: 'closed-here-1',
    });
    // What the old rule left behind: the refund closed here on a refused resend, its amount freed (in the order's
    // refund ledger too, as a close here writes it).
    const db = stack.cloud.db;
    await db
      .collection('refunds')
      .doc(r.outRefundNo)
      .update({ data: { status: 'CLOSED', failure: 'refused by the provider: INVALID_REQUEST' } });
    const ledger = (await adminGet(stack, 'orders', order.outTradeNo))!.refundLedger as { status: string }[];
    expect(ledger).toEqual([expect.objectContaining({ outRefundNo: r.outRefundNo, status: 'PROCESSING' })]);
    await db
      .collection('orders')
      .doc(order.outTradeNo)
      .update({
        data: {
          status: 'REFUND_FAILED',
          refundReservedFen: 0,
          refundLedger: db.command.set(ledger.map((e) => ({ ...e, status: 'CLOSED' }))),
        },
      });
    await stack.sim.control.clearFaults();
    await stack.sim.control.setRefundOutcome(r.outRefundNo, 'SUCCESS', { now: true });
    const settled = await waitFor('the SUCCESS to be applied', async () => {
      const o = (await adminGet(stack, 'orders', order.outTradeNo))!;
      return o.refundedFen === 300 ? o : null;
    });
    expect(settled).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundReservedFen: 300 });
    expect(await wechatRefundedFen(stack, order.outTradeNo)).toBe(300);
    expect((await adminGet(stack, 'refunds', r.outRefundNo))!.status).toBe('SUCCESS');
    const attention = await stack.as(ADMIN).ok('refund', 'listAttention');
    expect(attention).toContainEqual(
      expect.objectContaining({
        id: `refund-after-close:${r.outRefundNo}`,
        kind: 'refund-after-close',
        amountFen: 300,
        wechatState: 'SUCCESS',
        resolvedAtMs: null,
      }),
    );
    // A person looks and closes the record (once).
    expect(
      await stack.as(ADMIN).ok('refund', 'resolveAttention', { id: `refund-after-close:${r.outRefundNo}` }),
    ).toEqual({ resolved: true });
    expect(
      await stack.as(ADMIN).ok('refund', 'resolveAttention', { id: `refund-after-close:${r.outRefundNo}` }),
    ).toEqual({ resolved: false });
  });

  it('a late ABNORMAL from before a retry is checked with WeChat and does not undo the retry', async () => {
    const order = await paidOrder(stack);
    await stack.sim.control.updateSettings({ refundDelayMs: 10 * MINUTE });
    try {
      // The ABNORMAL notification is held for a while; the follow-up's query learns ABNORMAL first.
      await stack.sim.control.addFault({
        kind: 'notify.delay',
        eventType: 'REFUND.ABNORMAL',
        delayMs: 3 * MINUTE,
      });
      const r = await stack.as(ADMIN).ok('refund', 'create', {
        outTradeNo: order.outTradeNo,
        amountFen: order.payableFen,
        reason: '全额退款',
        requestKey: 'late-abnormal-1',
      });
      await stack.sim.control.setRefundOutcome(r.outRefundNo, 'ABNORMAL', { now: true });
      await stack.advance(2 * MINUTE);
      await runJob(stack, 'reconcile');
      expect((await adminGet(stack, 'refunds', r.outRefundNo))!.status).toBe('ABNORMAL');
      const retried = await stack.as(ADMIN).ok('refund', 'retryAbnormal', {
        outRefundNo: r.outRefundNo,
        type: 'USER_BANK_CARD',
        bankType: 'ICBC_DEBIT',
        bankAccount: '6222020200112233445',
        realName: '张三',
      });
      expect(retried.status).toBe('PROCESSING');
      // The held ABNORMAL arrives now, while WeChat is paying the retry.
      await stack.advance(2 * MINUTE);
      await waitFor('the late ABNORMAL to be delivered', async () => {
        const n = await stack.sim.control.notifications({ outTradeNo: order.outTradeNo });
        return n.some((x) => x.eventType === 'REFUND.ABNORMAL' && x.attempts.some((a) => a.status === 200));
      });
      expect((await adminGet(stack, 'refunds', r.outRefundNo))!.status).toBe('PROCESSING');
      expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('REFUND_PROCESSING');
      await stack.advance(10 * MINUTE);
      await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUNDED');
    } finally {
      await stack.sim.control.updateSettings({ refundDelayMs: MINUTE });
    }
  });

  it('money WeChat paid to the merchant’s card is owed offline until staff confirm paying the shopper', async () => {
    const order = await paidOrder(stack);
    const r = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      reason: '全额退款',
      requestKey: 'merchant-card-1',
    });
    await stack.sim.control.setRefundOutcome(r.outRefundNo, 'ABNORMAL', { now: true });
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUND_FAILED');
    await stack
      .as(ADMIN)
      .ok('refund', 'retryAbnormal', { outRefundNo: r.outRefundNo, type: 'MERCHANT_BANK_CARD' });
    await stack.advance((await stack.sim.control.settings()).refundDelayMs);
    const view = await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUNDED');
    // WeChat's side is done and matches ours; the shopper has nothing yet and is told so.
    expect(view.refundOwedOfflineFen).toBe(order.payableFen);
    expect(await wechatRefundedFen(stack, order.outTradeNo)).toBe(order.payableFen);
    const [listed] = await stack.as(ADMIN).ok('refund', 'list', { outTradeNo: order.outTradeNo });
    expect(listed).toMatchObject({
      status: 'SUCCESS',
      owedOffline: true,
      receivedAccount: expect.stringContaining('商户'),
    });
    const id = `refund-owed-offline:${r.outRefundNo}`;
    expect(await stack.as(ADMIN).ok('refund', 'listAttention')).toContainEqual(
      expect.objectContaining({
        id,
        kind: 'refund-owed-offline',
        amountFen: order.payableFen,
        resolvedAtMs: null,
      }),
    );
    // Only staff confirm; then nothing is owed and the record is resolved.
    expect(
      await stack.as(SHOPPER).call('refund', 'confirmOfflinePayout', { outRefundNo: r.outRefundNo }),
    ).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });
    const confirmed = await stack
      .as(ADMIN)
      .ok('refund', 'confirmOfflinePayout', { outRefundNo: r.outRefundNo, note: '已银行转账' });
    expect(confirmed).toMatchObject({ owedOffline: false, offlinePaidAtMs: expect.any(Number) });
    expect(
      (await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo })).refundOwedOfflineFen,
    ).toBe(0);
    const record = (await stack.as(ADMIN).ok('refund', 'listAttention')).find(
      (a: { id: string }) => a.id === id,
    );
    expect(record).toMatchObject({ resolvedBy: ADMIN });
    // A refund to the shopper's own account owes nothing offline.
    expect(
      await stack.as(ADMIN).call('refund', 'confirmOfflinePayout', { outRefundNo: 'RF-none-such' }),
    ).toMatchObject({ ok: false, error: { code: 'REFUND.NOT_FOUND' } });
  });

  it('staff ask WeChat now about a refund whose notification was lost; a shopper may not', async () => {
    const order = await paidOrder(stack);
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const r = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      reason: '全额退款',
      requestKey: 'ask-now-1',
    });
    await stack.sim.control.setRefundOutcome(r.outRefundNo, 'SUCCESS', { now: true });
    expect(await stack.as(SHOPPER).call('refund', 'sync', { outRefundNo: r.outRefundNo })).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
    expect(await stack.as(ADMIN).ok('refund', 'sync', { outRefundNo: r.outRefundNo })).toMatchObject({
      status: 'SUCCESS',
    });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: order.payableFen,
    });
  });

  it('a refund asked of a fully refunded order answers a refund code, not the state machine’s', async () => {
    const order = await paidOrder(stack);
    await refund(stack, order.outTradeNo, order.payableFen, 'full-first-1');
    await stack.sim.control.setRefundOutcome(
      (await stack.sim.control.refunds({ outTradeNo: order.outTradeNo }))[0]!.outRefundNo,
      'SUCCESS',
      { now: true },
    );
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUNDED');
    expect(await refund(stack, order.outTradeNo, 1, 'after-full-1')).toMatchObject({
      ok: false,
      error: { code: 'REFUND.EXCEEDS_REFUNDABLE', details: { refundableFen: 0 } },
    });
  });

  it('a shopper calling any staff action is refused, whatever the fields (every action of the refund function)', async () => {
    const order = await paidOrder(stack);
    const actions = Object.keys(refundActions);
    expect(actions.length).toBeGreaterThanOrEqual(7);
    for (const action of actions) {
      const r = await stack.as(SHOPPER).unchecked('refund', action, {
        outTradeNo: order.outTradeNo,
        outRefundNo: 'RF-any',
        amountFen: 1,
        requestKey: `shopper-${action}-1`,
        id: 'refund-owed-offline:RF-any',
        type: 'MERCHANT_BANK_CARD',
      });
      expect({ action, r }).toMatchObject({ action, r: { ok: false, error: { code: 'AUTH.FORBIDDEN' } } });
    }
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'PAID',
      refundReservedFen: 0,
    });
  });
});
