// Every loop of a timer run asks the run limit before it starts an item, and what it did not start stays due for the
// next run. The jobs run in this process (so the test can hand them a RunLimit) on the local stack's own database and
// WeChat Pay simulator, through the production wiring (buildCore); the state is made through the functions, the
// simulator and — for crashed payment paths — a direct write of what such a crash leaves.
import type { JobsService, JobLoop, RunLimit } from '../../server/application/jobs.service';
import {
  adminCount,
  adminGet,
  placeOrder,
  startTestStack,
  waitFor,
  waitForStatus,
  type TestStack,
} from '../support/stack';
import { inProcessJobs } from '../support/jobs';

const SHOPPER = 'o-run-limit-01';
const TESTER = 'o-dev-tester';
const ADMIN = 'o-dev-admin';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BEIJING = 8 * HOUR;

/** A run limit that lets `allowed[loop]` items of each loop start (none of a loop not named) and records the checks. */
function allowing(allowed: Partial<Record<JobLoop, number>>): RunLimit<JobLoop> & { checks: JobLoop[] } {
  const started: Partial<Record<JobLoop, number>> = {};
  const checks: JobLoop[] = [];
  return {
    checks,
    shouldStop: (loop) => {
      checks.push(loop);
      const n = started[loop] ?? 0;
      if (n >= (allowed[loop] ?? 0)) return true;
      started[loop] = n + 1;
      return false;
    },
  };
}

describe('the run limit in every loop', () => {
  let stack: TestStack;
  let jobs: JobsService;
  beforeEach(async () => {
    stack = await startTestStack({ env: { SHOP_TESTER_AUTO_REFUND: 'true' } });
    // The functions' wiring, on the stack's business clock, quiet; 发货信息管理 is the stack's.
    jobs = inProcessJobs(stack);
  });
  afterEach(async () => {
    await stack.stop();
  });

  const order = async (no: string) => (await adminGet(stack, 'orders', no))!;
  const refund = async (no: string) => (await adminGet(stack, 'refunds', no))!;
  const refundsOf = (no: string) => adminCount(stack, 'refunds', { outTradeNo: no });
  const isDue = (job: { state: string; nextAttemptAtMs: number | null }) =>
    job.state === 'queued' && job.nextAttemptAtMs !== null && job.nextAttemptAtMs <= stack.now();

  async function startedOrder(openid = SHOPPER): Promise<string> {
    const placed = await placeOrder(stack, openid, 'sku-longjing-50g', 1);
    await stack.as(openid).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    return placed.outTradeNo as string;
  }

  async function paidOrder(): Promise<{ outTradeNo: string; payableFen: number }> {
    const no = await startedOrder();
    await stack.sim.control.pay(no);
    const paid = await waitForStatus(stack, SHOPPER, no, 'PAID');
    return { outTradeNo: no, payableFen: paid.payableFen };
  }

  /** A refund WeChat accepted whose notifications are all lost (the order stays refunding here). */
  async function unnotifiedRefund(key: string): Promise<string> {
    const paid = await paidOrder();
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const r = await stack
      .as(ADMIN)
      .ok('refund', 'create', { outTradeNo: paid.outTradeNo, amountFen: paid.payableFen, requestKey: key });
    return r.outRefundNo;
  }

  /** What a payment path that died right after its payment compare-and-set leaves: paid, no refund recorded. */
  async function paidButCrashed(no: string, status: 'PAID' | 'PAID_AFTER_CLOSE'): Promise<void> {
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: no });
    await stack.sim.control.pay(no);
    const tx = await waitFor('the payment at WeChat', async () => {
      const o = await stack.sim.control.order(no);
      return o.tradeState === 'SUCCESS' ? o : null;
    });
    const stored = await order(no);
    const now = stack.now();
    await stack.cloud.db
      .collection('orders')
      .doc(no)
      .update({
        data: {
          status,
          version: (stored.version as number) + 1,
          paymentKey: `tx:${tx.transactionId as string}`,
          payment: stack.cloud.db.command.set({
            transactionId: tx.transactionId,
            paidFen: stored.payableFen,
            successTimeMs: now,
            source: 'notification',
            appliedAtMs: now,
          }),
        },
      });
  }

  it('close: takes what the limit allows, leaves the rest due', async () => {
    const first = await startedOrder();
    const second = await startedOrder();
    await stack.advance(31 * MINUTE);
    const limit = allowing({ close: 1 });
    expect(await jobs.closeExpired(limit)).toMatchObject({ closed: 1, unreached: 1 });
    expect(limit.checks.filter((l) => l === 'close')).toHaveLength(2);
    expect((await order(first)).status).toBe('CLOSED_BY_TIMEOUT');
    const left = await order(second);
    expect(left.status).toBe('AWAITING_PAYMENT');
    expect(isDue(left.closeJob)).toBe(true);
    expect(await jobs.closeExpired()).toMatchObject({ closed: 1, unreached: 0 });
  });

  it('sync: takes what the limit allows, leaves the rest due', async () => {
    const first = await startedOrder();
    const second = await startedOrder();
    await stack.advance(3 * MINUTE);
    const syncJobs = async () => [(await order(first)).syncJob, (await order(second)).syncJob];
    expect((await syncJobs()).every(isDue)).toBe(true);
    expect(await jobs.reconcile(allowing({ sync: 1 }))).toMatchObject({ synced: 1, unreached: 1 });
    expect((await syncJobs()).map(isDue)).toEqual([false, true]);
    expect(await jobs.reconcile(allowing({ sync: 5 }))).toMatchObject({ synced: 1, unreached: 0 });
  });

  it('shipping upload and completion: take what the limit allows, leave the rest due', async () => {
    const shipped: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { outTradeNo } = await paidOrder();
      await stack.as(ADMIN).ok('staff', 'ship', {
        outTradeNo,
        parcels: [{ expressCompany: 'ZTO', trackingNo: `ZT00000${i}` }],
      });
      shipped.push(outTradeNo);
    }
    const uploads = async () =>
      Promise.all(shipped.map(async (no) => (await order(no)).shippingUpload.state));
    const limit = allowing({ 'shipping-upload': 1 });
    expect(await jobs.reconcile(limit)).toMatchObject({ shippingUploaded: 1 });
    expect(limit.checks.filter((l) => l === 'shipping-upload')).toHaveLength(2);
    expect(await uploads()).toEqual(['uploaded', 'queued']);
    expect(await jobs.reconcile(allowing({ 'shipping-upload': 5 }))).toMatchObject({ shippingUploaded: 1 });
    expect(await uploads()).toEqual(['uploaded', 'uploaded']);

    await stack.advance(10 * DAY + MINUTE);
    const states = async () => Promise.all(shipped.map(async (no) => (await order(no)).fulfilment.state));
    expect(await jobs.reconcile(allowing({ complete: 1 }))).toMatchObject({ completed: 1 });
    expect(await states()).toEqual(['COMPLETED', 'SHIPPED']);
    expect(isDue((await order(shipped[1]!)).completeJob)).toBe(true);
    expect(await jobs.reconcile(allowing({ complete: 5 }))).toMatchObject({ completed: 1 });
    expect(await states()).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('refund follow-up: takes what the limit allows, leaves the rest due', async () => {
    const settings = await stack.sim.control.settings();
    await stack.sim.control.updateSettings({ refundDelayMs: DAY });
    const first = await unnotifiedRefund('limit-refund-1');
    const second = await unnotifiedRefund('limit-refund-2');
    await stack.sim.control.updateSettings({ refundDelayMs: settings.refundDelayMs });
    await stack.advance(2 * MINUTE);
    expect(await jobs.reconcile(allowing({ 'refund-follow-up': 1 }))).toMatchObject({
      refundsFollowedUp: 1,
      unreached: 1,
    });
    expect((await refund(first)).followUp).toMatchObject({ attempts: 1 });
    const left = (await refund(second)).followUp;
    expect(left).toMatchObject({ attempts: 0 });
    expect(isDue(left)).toBe(true);
    expect(await jobs.reconcile(allowing({ 'refund-follow-up': 5 }))).toMatchObject({
      refundsFollowedUp: 1,
      unreached: 0,
    });
  });

  it('tester auto-refund: takes what the limit allows, leaves the rest for the next run', async () => {
    const first = await startedOrder(TESTER);
    const second = await startedOrder(TESTER);
    await paidButCrashed(first, 'PAID');
    await paidButCrashed(second, 'PAID');
    expect(await jobs.reconcile(allowing({ 'tester-refund': 1 }))).toMatchObject({
      autoRefundsStarted: 1,
      unreached: 1,
    });
    const counts = async () => [await refundsOf(first), await refundsOf(second)];
    expect((await counts()).sort()).toEqual([0, 1]);
    expect(await jobs.reconcile(allowing({ 'tester-refund': 5 }))).toMatchObject({
      autoRefundsStarted: 1,
      unreached: 0,
    });
    expect(await counts()).toEqual([1, 1]);
  });

  it('paid after close: takes what the limit allows, leaves the rest for the next run', async () => {
    const first = await startedOrder();
    const second = await startedOrder();
    for (const no of [first, second]) {
      await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: no });
      await paidButCrashed(no, 'PAID_AFTER_CLOSE');
    }
    expect(await jobs.reconcile(allowing({ 'paid-after-close': 1 }))).toMatchObject({
      autoRefundsStarted: 1,
      unreached: 1,
    });
    const counts = async () => [await refundsOf(first), await refundsOf(second)];
    expect((await counts()).sort()).toEqual([0, 1]);
    expect(await jobs.reconcile(allowing({ 'paid-after-close': 5 }))).toMatchObject({
      autoRefundsStarted: 1,
      unreached: 0,
    });
    expect(await counts()).toEqual([1, 1]);
  });

  it('bill refund rows: asks what the limit allows, stores no report until every row is asked', async () => {
    // Two refunds WeChat paid on day D whose notifications were lost (the follow-up is not allowed to run here).
    const first = await unnotifiedRefund('limit-bill-1');
    const second = await unnotifiedRefund('limit-bill-2');
    await stack.advance(5 * MINUTE);
    for (const no of [first, second]) expect((await stack.sim.control.refund(no)).status).toBe('SUCCESS');
    const local = new Date(stack.now() + BEIJING);
    const next1030 =
      Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1, 10, 30) - BEIJING;
    await stack.advance(next1030 - stack.now());

    const run = await jobs.reconcile(allowing({ bill: 1, 'bill-refund-row': 1 }));
    // Left: one bill row, and the two refunds' follow-ups (not allowed to run here).
    expect(run).toMatchObject({ billReportId: null, unreached: 1 + 2 });
    const statuses = async () => [(await refund(first)).status, (await refund(second)).status];
    expect((await statuses()).sort()).toEqual(['PROCESSING', 'SUCCESS']);
    expect(await adminCount(stack, 'reconcile_reports')).toBe(0);

    const done = await jobs.reconcile(allowing({ bill: 1, 'bill-refund-row': 5 }));
    expect(done).toMatchObject({ billReportId: expect.stringMatching(/^trade-/), billDiscrepancies: 0 });
    expect(await statuses()).toEqual(['SUCCESS', 'SUCCESS']);
  });
});
