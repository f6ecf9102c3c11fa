// The timers end to end, on virtual time: closeExpired and reconcile run as built bundles on the local cloud while the
// simulator's clock (and with it the functions' business clock) is advanced.
import { adminGet, placeOrder, useTestStack, waitFor, waitForStatus, runJob } from '../support/stack';

const SHOPPER = 'o-grace-0007';
const ADMIN = 'o-dev-admin';
const MINUTE = 60_000;

describe('timers on virtual time', () => {
  const stack = useTestStack();

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, unknown>>(stack, fn);

  it('closeExpired closes an unpaid order past expiry at WeChat first, then here, and returns its stock', async () => {
    const sku = 'sku-coffee-500g';
    const before = (await adminGet(stack, 'skus', sku))!.stock as number;
    const order = await placeOrder(stack, SHOPPER, sku, 2);
    const noPrepay = await placeOrder(stack, SHOPPER, sku, 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(await fire('closeExpired')).toMatchObject({ closed: 0 });
    await stack.advance(31 * MINUTE);
    const run = await fire('closeExpired');
    expect(run).toMatchObject({ closed: 2, errors: 0 });
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'CLOSED_BY_TIMEOUT');
    await waitForStatus(stack, SHOPPER, noPrepay.outTradeNo, 'CLOSED_BY_TIMEOUT');
    expect((await stack.sim.control.order(order.outTradeNo)).tradeState).toBe('CLOSED');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.providerClose).toBe('closed');
    expect((await adminGet(stack, 'skus', sku))!.stock).toBe(before);
    // A second run finds nothing more to do (stock is returned exactly once).
    expect(await fire('closeExpired')).toMatchObject({ closed: 0 });
    expect((await adminGet(stack, 'skus', sku))!.stock).toBe(before);
  });

  it('closeExpired applies a payment WeChat has (notification lost) instead of closing the order', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await stack.advance(31 * MINUTE);
    expect(await fire('closeExpired')).toMatchObject({ paidInstead: 1, closed: 0 });
    expect((await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'PAID',
    );
  });

  it('reconcile recovers a payment whose notifications were all lost', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await stack.advance(3 * MINUTE);
    const run = await fire('reconcile');
    expect(run.paymentsRecovered).toBeGreaterThanOrEqual(1);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'PAID',
      payment: { source: 'query' },
    });
  });

  it('reconcile settles a refund whose notification was lost', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 6800,
      requestKey: 'lost-refund-note',
    });
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'SUCCESS', { now: true });
    await stack.advance(2 * MINUTE);
    expect((await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'REFUND_PROCESSING',
    );
    await fire('reconcile');
    expect((await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'REFUNDED',
    );
  });

  it("reconcile checks yesterday's trade bill (SHA1-checked) and reports what is missing here", async () => {
    const kept = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    const lost = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    for (const o of [kept, lost]) {
      await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: o.outTradeNo });
      await stack.sim.control.pay(o.outTradeNo);
      await waitForStatus(stack, SHOPPER, o.outTradeNo, 'PAID');
    }
    // Our record of one payment disappears (a restore from an old backup, say): the bill still has it.
    await stack.cloud.db.collection('orders').doc(lost.outTradeNo).remove();
    // To 10:30 Beijing time of the next day, when yesterday's bill exists.
    const beijing = new Date(stack.now() + 8 * 3600_000);
    const nextDay1030 =
      Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth(), beijing.getUTCDate() + 1, 10, 30) -
      8 * 3600_000;
    await stack.advance(nextDay1030 - stack.now());
    const run = await fire('reconcile');
    expect(run.billReportId).toMatch(/^trade-\d{4}-\d{2}-\d{2}$/);
    const report = await waitFor('the stored report', () =>
      adminGet(stack, 'reconcile_reports', String(run.billReportId)),
    );
    const discrepancies = report.discrepancies as { kind: string; outTradeNo: string }[];
    expect(discrepancies).toContainEqual(
      expect.objectContaining({ kind: 'MISSING_HERE', outTradeNo: lost.outTradeNo }),
    );
    expect(discrepancies.map((d) => d.outTradeNo)).not.toContain(kept.outTradeNo);
    // Once a day: a second run does not download the bill again.
    expect((await fire('reconcile')).billReportId).toBeNull();
  });
});

describe('a refund WeChat keeps PROCESSING for days', () => {
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const stack = useTestStack();

  const fire = () => runJob<Record<string, unknown>>(stack, 'reconcile');
  const refundCalls = async (outRefundNo: string) =>
    (await stack.sim.control.events({ kind: 'api', pathContains: outRefundNo, limit: 5000 })).length;

  it('is still asked after the follow-up gives up (a person is told), and is applied when WeChat settles it on day 4', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    // A refund to a bank card WeChat keeps PROCESSING for weeks, and every refund notification is lost.
    const settings = await stack.sim.control.settings();
    await stack.sim.control.updateSettings({ refundDelayMs: 30 * DAY });
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: order.payableFen,
      requestKey: 'slow-bank-card',
    });
    await stack.sim.control.updateSettings({ refundDelayMs: settings.refundDelayMs });
    const no = refund.outRefundNo;
    const recordId = `refund-unsettled:${no}`;
    const started = stack.now();

    // The follow-up backs off to every 6 h; after the 20th without an outcome (~3 days) a person is told.
    let runs = 0;
    for (;;) {
      const { followUp } = (await adminGet(stack, 'refunds', no))!;
      if (followUp.gaveUpAtMs !== null) break;
      expect(await adminGet(stack, 'attention', recordId)).toBeNull();
      await stack.advance(Math.max(0, followUp.nextAttemptAtMs - stack.now()) + 1000);
      await fire();
      if (++runs > 25) throw new Error('the refund follow-up never gave up');
    }
    expect(runs).toBe(20);
    expect(stack.now() - started).toBeGreaterThan(2.5 * DAY);
    const gaveUp = (await adminGet(stack, 'refunds', no))!;
    expect(gaveUp).toMatchObject({ status: 'PROCESSING', followUp: { state: 'queued', attempts: 20 } });
    expect(gaveUp.followUp.nextAttemptAtMs - gaveUp.followUp.gaveUpAtMs).toBe(6 * HOUR);
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      kind: 'refund-unsettled',
      outTradeNo: order.outTradeNo,
      outRefundNo: no,
      amountFen: order.payableFen,
      wechatState: 'PROCESSING',
      deliveries: 1,
      resolvedAtMs: null,
    });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('REFUND_PROCESSING');

    // Still asked every 6 h (one query each time) into day 4; one record, counting the runs that found it unsettled.
    for (let i = 0; i < 2; i++) {
      const { followUp } = (await adminGet(stack, 'refunds', no))!;
      await stack.advance(Math.max(0, followUp.nextAttemptAtMs - stack.now()) + 1000);
      const before = await refundCalls(no);
      await fire();
      expect(await refundCalls(no)).toBe(before + 1);
    }
    expect(stack.now() - started).toBeGreaterThan(3 * DAY);
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      deliveries: 3,
      resolvedAtMs: null,
    });

    // WeChat pays the refund out on day 4; its notification is lost too. The next follow-up applies it.
    await stack.sim.control.setRefundOutcome(no, 'SUCCESS', { now: true });
    const { followUp } = (await adminGet(stack, 'refunds', no))!;
    await stack.advance(Math.max(0, followUp.nextAttemptAtMs - stack.now()) + 1000);
    await fire();
    expect((await adminGet(stack, 'refunds', no))!).toMatchObject({
      status: 'SUCCESS',
      followUp: { state: 'settled', nextAttemptAtMs: null },
    });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: order.payableFen,
    });
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      resolvedAtMs: expect.any(Number),
      resolvedBy: 'system:refund-follow-up',
    });
    // Final: nobody asks WeChat about it any more.
    const quiet = await refundCalls(no);
    await stack.advance(7 * HOUR);
    await fire();
    expect(await refundCalls(no)).toBe(quiet);
  });
});
