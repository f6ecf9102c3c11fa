// The close queue and cancel end to end, on virtual time: every due order settles, failures back off instead of
// starving the queue, a cancel asks WeChat before closing, and job runs go quiet once nothing is due (counted as
// WeChat API calls in the simulator's event log).
import { adminGet, placeOrder, useTestStack, waitFor, runJob } from '../support/stack';

const SHOPPER = 'o-close-queue-01';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the close queue and cancel', () => {
  const stack = useTestStack();

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, number>>(stack, fn);

  async function lastSeq(): Promise<number> {
    const events = await stack.sim.control.events({ limit: 1 });
    return events.reduce((max, e) => Math.max(max, e.seq), 0);
  }

  /** WeChat Pay API calls the simulator received after event `afterSeq`. */
  async function apiCallsAfter(afterSeq: number) {
    return stack.sim.control.events({ kind: 'api', afterSeq, limit: 5000 });
  }

  /** Runs both jobs until a run of each makes no WeChat call; then checks three more rounds stay silent. */
  async function expectJobsGoQuiet(): Promise<void> {
    for (let round = 0; ; round++) {
      const before = await lastSeq();
      await fire('closeExpired');
      await fire('reconcile');
      if ((await apiCallsAfter(before)).length === 0) break;
      if (round > 10) throw new Error('the jobs kept calling WeChat with nothing due');
    }
    const before = await lastSeq();
    for (let i = 0; i < 3; i++) {
      await fire('closeExpired');
      await fire('reconcile');
    }
    expect(await apiCallsAfter(before)).toEqual([]);
  }

  async function startedOrder(sku = 'sku-longjing-50g') {
    const order = await placeOrder(stack, SHOPPER, sku, 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    return order as { outTradeNo: string };
  }

  it('settles the pending WeChat close of an order cancelled inside the guard and then paid; runs go quiet', async () => {
    const order = await startedOrder();
    const cancelled = await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(cancelled.status).toBe('CLOSED_BY_USER');
    const stored = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(stored.providerClose).toBe('pending');
    expect(stored.closeJob.nextAttemptAtMs).toBe(stored.prepay.createdAtMs + 5 * MINUTE);
    // The shopper's payment still lands (WeChat was not allowed to close yet): the money goes back.
    await stack.sim.control.pay(order.outTradeNo);
    await waitFor('the late payment to be applied', async () => {
      const o = await adminGet(stack, 'orders', order.outTradeNo);
      return o && o.status !== 'CLOSED_BY_USER' ? o : null;
    });
    await stack.advance(6 * MINUTE);
    const before = await lastSeq();
    expect(await fire('closeExpired')).toMatchObject({ settled: 1, errors: 0 });
    // Paid: the close is moot, and settling it asks WeChat nothing.
    expect((await apiCallsAfter(before)).filter((e) => e.outTradeNo === order.outTradeNo)).toEqual([]);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      providerClose: 'not-needed',
      closeJob: { state: 'settled', nextAttemptAtMs: null, gaveUpAtMs: null },
    });
    await expectJobsGoQuiet();
  });

  it('closes an expired order whose WeChat close answers 404 ORDER_NOT_EXIST (nothing to close is not a failure)', async () => {
    const order = await startedOrder();
    await stack.advance(31 * MINUTE);
    await stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo: order.outTradeNo,
      path: '/close',
      status: 404,
      code: 'ORDER_NOT_EXIST',
    });
    expect(await fire('closeExpired')).toMatchObject({ closed: 1, errors: 0 });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'closed',
      stockReleased: true,
      closeJob: { nextAttemptAtMs: null },
    });
    await expectJobsGoQuiet();
  });

  it('backs off a failing WeChat close (the order still closes here), tells a person, still asks hourly, and never blocks others', async () => {
    const failing = await startedOrder();
    const healthy = await startedOrder();
    await stack.advance(31 * MINUTE);
    await stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo: failing.outTradeNo,
      path: '/close',
      status: 500,
      code: 'SYSTEM_ERROR',
    });
    expect(await fire('closeExpired')).toMatchObject({ closed: 2, errors: 1 });
    const first = (await adminGet(stack, 'orders', failing.outTradeNo))!;
    expect(first).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'pending',
      stockReleased: true,
      closeJob: { attempts: 1, lastError: expect.stringContaining('SYSTEM_ERROR') },
    });
    expect(first.closeJob.nextAttemptAtMs).toBeGreaterThan(stack.now());
    expect((await adminGet(stack, 'orders', healthy.outTradeNo))!.providerClose).toBe('closed');
    // Not due yet: the next minute's run leaves it alone.
    const before = await lastSeq();
    expect(await fire('closeExpired')).toMatchObject({ errors: 0 });
    expect(await apiCallsAfter(before)).toEqual([]);
    // Each retry waits longer; after the 12th failure a person is told (the order is marked, an attention record).
    let runs = 0;
    for (;;) {
      const o = (await adminGet(stack, 'orders', failing.outTradeNo))!;
      if (o.closeJob.gaveUpAtMs !== null) break;
      await stack.advance(Math.max(0, o.closeJob.nextAttemptAtMs - stack.now()) + 1000);
      const run = await fire('closeExpired');
      expect(run.errors).toBe(1);
      if (++runs > 20) throw new Error('the close job never gave up');
    }
    const gaveUp = (await adminGet(stack, 'orders', failing.outTradeNo))!;
    expect(gaveUp.closeJob).toMatchObject({ gaveUpAtMs: expect.any(Number) });
    expect(gaveUp.closeJob.attempts).toBe(12);
    expect(gaveUp.providerClose).toBe('pending');
    const recordId = `close-unconfirmed:${failing.outTradeNo}`;
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      kind: 'close-unconfirmed',
      outTradeNo: failing.outTradeNo,
      amountFen: gaveUp.payableFen,
      resolvedAtMs: null,
    });
    // WeChat has not confirmed the close: it is still asked, every hour (and only then: runs in between are quiet).
    expect(gaveUp.closeJob.state).toBe('queued');
    expect(gaveUp.closeJob.nextAttemptAtMs - gaveUp.closeJob.gaveUpAtMs).toBe(HOUR);
    await expectJobsGoQuiet();
    await stack.advance(HOUR + 1000);
    const asked = await lastSeq();
    expect(await fire('closeExpired')).toMatchObject({ errors: 1, gaveUp: 0 });
    expect((await apiCallsAfter(asked)).map((e) => e.path)).toEqual([
      expect.stringContaining(`/out-trade-no/${failing.outTradeNo}/close`),
    ]);
    // WeChat answers again: the close is confirmed, the order leaves the queue and the record is resolved.
    await stack.sim.control.clearFaults();
    await stack.advance(HOUR + 1000);
    expect(await fire('closeExpired')).toMatchObject({ providerClosed: 1, errors: 0 });
    expect((await adminGet(stack, 'orders', failing.outTradeNo))!).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'closed',
      closeJob: { state: 'settled', nextAttemptAtMs: null },
    });
    expect((await stack.sim.control.order(failing.outTradeNo)).tradeState).toBe('CLOSED');
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      resolvedAtMs: expect.any(Number),
      resolvedBy: 'system:close-job',
    });
    await expectJobsGoQuiet();
  });

  const stockOf = async (sku: string) => (await adminGet(stack, 'skus', sku))!.stock as number;

  /** Advances to the order's next close attempt and fires closeExpired; answers the order afterwards. */
  async function closeAttempt(outTradeNo: string): Promise<Record<string, any>> {
    const o = (await adminGet(stack, 'orders', outTradeNo))!;
    await stack.advance(Math.max(0, o.closeJob.nextAttemptAtMs - stack.now()) + 1000);
    await fire('closeExpired');
    return (await adminGet(stack, 'orders', outTradeNo))!;
  }

  /** Close attempts until `done` holds (at most `maxRuns`), checking `each` after every one; answers the count. */
  async function closeAttemptsUntil(
    outTradeNo: string,
    done: (order: Record<string, any>) => boolean,
    each: (order: Record<string, any>) => Promise<void> | void = () => undefined,
    maxRuns = 30,
  ): Promise<number> {
    let o = (await adminGet(stack, 'orders', outTradeNo))!;
    for (let runs = 0; ; runs++) {
      if (done(o)) return runs;
      if (runs >= maxRuns) throw new Error(`order ${outTradeNo} still ${o.status} after ${runs} close runs`);
      o = await closeAttempt(outTradeNo);
      await each(o);
    }
  }

  it('closes an expired order WeChat cannot be asked about 15 min past expiry (stock back once), and still asks WeChat', async () => {
    const sku = 'sku-longjing-50g';
    const before = await stockOf(sku);
    const order = await startedOrder(sku);
    expect(await stockOf(sku)).toBe(before - 1);
    // Every call about this order fails at WeChat (query and close), for hours.
    const fault = await stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo: order.outTradeNo,
      path: `/v3/pay/transactions/out-trade-no/${order.outTradeNo}`,
      status: 500,
      code: 'SYSTEM_ERROR',
    });
    const { expiresAtMs } = (await adminGet(stack, 'orders', order.outTradeNo))!;
    await stack.advance(expiresAtMs - stack.now());
    // Inside the grace the close backs off and the order keeps its stock (a late notification may still come).
    const runs = await closeAttemptsUntil(
      order.outTradeNo,
      (o) => o.status !== 'AWAITING_PAYMENT',
      (o) => {
        if (o.status === 'AWAITING_PAYMENT') expect(stack.now()).toBeLessThan(expiresAtMs + 16 * MINUTE);
      },
    );
    expect(runs).toBe(5);
    const closed = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(closed).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'pending',
      stockReleased: true,
      closeJob: { state: 'queued', attempts: 5, lastError: expect.stringContaining('SYSTEM_ERROR') },
    });
    expect(closed.closedAtMs - expiresAtMs).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(await stockOf(sku)).toBe(before);
    // Hours of errors: a person is told after the 12th, WeChat is still asked (hourly), the stock stays returned once.
    const recordId = `close-unconfirmed:${order.outTradeNo}`;
    await closeAttemptsUntil(
      order.outTradeNo,
      (o) => o.closeJob.gaveUpAtMs !== null,
      async (o) => {
        expect(o.status).toBe('CLOSED_BY_TIMEOUT');
        expect(await stockOf(sku)).toBe(before);
      },
    );
    const gaveUp = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(gaveUp.closeJob).toMatchObject({ state: 'queued', attempts: 12 });
    expect(gaveUp.closeJob.nextAttemptAtMs - gaveUp.closeJob.gaveUpAtMs).toBe(HOUR);
    expect(stack.now() - expiresAtMs).toBeGreaterThan(5 * HOUR);
    expect((await adminGet(stack, 'attention', recordId))!).toMatchObject({
      kind: 'close-unconfirmed',
      outTradeNo: order.outTradeNo,
      resolvedAtMs: null,
    });
    const asked = await lastSeq();
    expect((await closeAttempt(order.outTradeNo)).closeJob).toMatchObject({ state: 'queued', attempts: 13 });
    expect((await apiCallsAfter(asked)).filter((e) => e.outTradeNo === order.outTradeNo)).toHaveLength(1);
    // WeChat answers again: the close is confirmed there, the record resolved, the stock untouched.
    await stack.sim.control.removeFault(fault.id);
    expect((await closeAttempt(order.outTradeNo)).closeJob.state).toBe('settled');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'closed',
    });
    expect((await stack.sim.control.order(order.outTradeNo)).tradeState).toBe('CLOSED');
    expect((await adminGet(stack, 'attention', recordId))!.resolvedBy).toBe('system:close-job');
    expect(await stockOf(sku)).toBe(before);
    await expectJobsGoQuiet();
  });

  it('a payment made just before expiry, unnoticed while WeChat cannot be asked, is found by the queued close and refunded', async () => {
    const sku = 'sku-longjing-50g';
    const before = await stockOf(sku);
    const order = await startedOrder(sku);
    // Every notification about it is lost, and WeChat's query answers errors for hours (closing still works).
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    const queryFault = await stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo: order.outTradeNo,
      method: 'GET',
      path: `/v3/pay/transactions/out-trade-no/${order.outTradeNo}`,
      status: 500,
      code: 'SYSTEM_ERROR',
    });
    const { expiresAtMs } = (await adminGet(stack, 'orders', order.outTradeNo))!;
    await stack.advance(expiresAtMs - 30_000 - stack.now());
    await stack.sim.control.pay(order.outTradeNo);
    await stack.advance(30_000);
    // Past the grace the order is closed here without an answer (its stock back) …
    await closeAttemptsUntil(order.outTradeNo, (o) => o.status !== 'AWAITING_PAYMENT');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'pending',
      stockReleased: true,
      payment: null,
    });
    expect(await stockOf(sku)).toBe(before);
    // … and the queued close keeps at it: WeChat refuses to close a paid order, the query still fails.
    await closeAttempt(order.outTradeNo);
    expect(await closeAttempt(order.outTradeNo)).toMatchObject({
      status: 'CLOSED_BY_TIMEOUT',
      providerClose: 'pending',
      closeJob: { state: 'queued', lastError: expect.stringContaining('SYSTEM_ERROR') },
    });
    // The query answers again: the payment is applied to the closed order and its money goes back.
    await stack.sim.control.removeFault(queryFault.id);
    expect((await closeAttempt(order.outTradeNo)).closeJob.state).toBe('settled');
    const found = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(found).toMatchObject({
      providerClose: 'not-needed',
      payment: { source: 'query', paidFen: found.payableFen },
    });
    expect(['PAID_AFTER_CLOSE', 'REFUND_PROCESSING']).toContain(found.status);
    const { data: refunds } = await stack.cloud.db
      .collection('refunds')
      .where({ outTradeNo: order.outTradeNo })
      .get();
    expect(refunds).toEqual([
      expect.objectContaining({ requestedBy: 'system:auto-refund', amountFen: found.payableFen }),
    ]);
    // WeChat pays the refund (its notification lost too): the follow-up applies it.
    await stack.advance(3 * MINUTE);
    await fire('reconcile');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'REFUNDED',
      refundedFen: found.payableFen,
    });
    // A refund does not restock: the stock came back once, at the close.
    expect(await stockOf(sku)).toBe(before);
    await expectJobsGoQuiet();
  });

  it('answers ORDER.ALREADY_PAID to a cancel inside the guard when WeChat already has the money, and applies it', async () => {
    const order = await startedOrder();
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    const answer = await stack.as(SHOPPER).call('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ORDER.ALREADY_PAID' } });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      status: 'PAID',
      payment: { source: 'query' },
      stockReleased: false,
    });
  });

  it('counts the 5-minute close guard from the prepay: a cancel 6 min after placing, 2 min after pay.start, is deferred', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.advance(4 * MINUTE);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.advance(2 * MINUTE);
    const cancelled = await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(cancelled.status).toBe('CLOSED_BY_USER');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.providerClose).toBe('pending');
    // Not before the guard has passed at WeChat …
    expect(await fire('closeExpired')).toMatchObject({ providerClosed: 0, errors: 0 });
    expect((await stack.sim.control.order(order.outTradeNo)).tradeState).toBe('NOTPAY');
    // … and right after it.
    await stack.advance(3 * MINUTE + 1000);
    expect(await fire('closeExpired')).toMatchObject({ providerClosed: 1, errors: 0 });
    expect((await stack.sim.control.order(order.outTradeNo)).tradeState).toBe('CLOSED');
    await expectJobsGoQuiet();
  });

  it('goes quiet after mixed traffic: paid, refunded, cancelled, expired and never-started orders', async () => {
    const paid = await startedOrder('sku-coffee-250g');
    await stack.sim.control.pay(paid.outTradeNo);
    const lost = await startedOrder();
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: lost.outTradeNo });
    await stack.sim.control.pay(lost.outTradeNo);
    const cancelled = await startedOrder();
    await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: cancelled.outTradeNo });
    await startedOrder();
    await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await waitFor('the paid order', async () => (await adminGet(stack, 'orders', paid.outTradeNo))?.payment);
    await stack
      .as('o-dev-admin')
      .ok('refund', 'create', { outTradeNo: paid.outTradeNo, amountFen: 100, requestKey: 'quiet-partial' });
    await stack.advance(3 * MINUTE);
    await fire('reconcile');
    expect((await adminGet(stack, 'orders', lost.outTradeNo))!.status).toBe('PAID');
    await stack.advance(2 * HOUR);
    await expectJobsGoQuiet();
    for (const o of [paid, lost, cancelled]) {
      const stored = (await adminGet(stack, 'orders', o.outTradeNo))!;
      expect(stored.closeJob.gaveUpAtMs).toBeNull();
    }
  });
});
