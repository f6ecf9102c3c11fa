// The daily trade bill against our records, end to end on virtual time: refunds are compared by the day WeChat
// accepted them, in any status (the bill's refund status is a snapshot of that day), all of a day's refunds are read,
// and a provider without bills says so once a day instead of failing every run.
import {
  adminGet,
  placeOrder,
  startTestStack,
  useTestStack,
  waitFor,
  waitForRefund,
  waitForStatus,
  type TestStack,
} from '../support/stack';

const SHOPPER = 'o-ivan-00009';
const ADMIN = 'o-dev-admin';
const HOUR = 3_600_000;
const BEIJING = 8 * HOUR;

type Report = {
  discrepancies: { kind: string; subject: string; outRefundNo?: string }[];
  matchedRefunds: number;
  localRefunds: number;
};

/** Epoch ms of `hour` o'clock Beijing time, `days` after the Beijing day of `nowMs`. */
function beijingAt(nowMs: number, days: number, hour: number): number {
  const local = new Date(nowMs + BEIJING);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hour) - BEIJING;
}

async function fireReconcile(stack: TestStack): Promise<Record<string, unknown>> {
  const outcome = await stack.cloud.fireTimer('reconcile', 'every5Minutes');
  if (!outcome.ok) throw new Error(`reconcile failed: ${JSON.stringify(outcome)}`);
  return outcome.result as Record<string, unknown>;
}

async function report(stack: TestStack, id: unknown): Promise<Report> {
  return (await waitFor(`report ${String(id)}`, () =>
    adminGet(stack, 'reconcile_reports', String(id)),
  )) as unknown as Report;
}

async function paidOrder(
  stack: TestStack,
  sku = 'sku-coffee-250g',
): Promise<{ outTradeNo: string; payableFen: number }> {
  const order = await placeOrder(stack, SHOPPER, sku, 1);
  await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
  await stack.sim.control.pay(order.outTradeNo);
  await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
  return order;
}

describe('trade bill reconciliation of refunds', () => {
  let stack: TestStack;
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('a refund accepted on day D and settled on D+1 is neither missing here on D nor missing there on D+1', async () => {
    await stack.advance(beijingAt(stack.now(), 1, 23) + 50 * 60_000 - stack.now()); // 23:50 on day D
    const order = await paidOrder(stack);
    const settings = await stack.sim.control.settings();
    await stack.sim.control.updateSettings({ refundDelayMs: 30 * 60_000 }); // settles at 00:20 on D+1
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 1000,
      requestKey: 'late-evening-refund',
    });
    await stack.sim.control.updateSettings({ refundDelayMs: settings.refundDelayMs });
    await stack.advance(HOUR);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PARTIALLY_REFUNDED');
    const stored = await waitForRefund(stack, refund.outRefundNo, 'SUCCESS');
    expect(stored.status).toBe('SUCCESS');
    // WeChat's create_time: day D, although it succeeded on D+1.
    expect(stored.acceptedAtMs).toBeLessThan(beijingAt(stack.now(), 0, 0));

    await stack.advance(beijingAt(stack.now(), 0, 10) + 30 * 60_000 - stack.now()); // D+1 10:30: bill D exists
    const dayD = await report(stack, (await fireReconcile(stack)).billReportId);
    expect(dayD.discrepancies).toEqual([]);
    expect(dayD.matchedRefunds).toBe(1);

    await stack.advance(beijingAt(stack.now(), 1, 10) + 30 * 60_000 - stack.now()); // D+2 10:30: bill D+1
    const run = await fireReconcile(stack);
    expect(run.errors).toBe(0);
    const dayD1 = await adminGet(stack, 'reconcile_reports', String(run.billReportId));
    // D+1 had no trades at all: the (empty) report has nothing missing there either.
    expect((dayD1 as unknown as Report).discrepancies).toEqual([]);
  });

  it('every refund of a day is compared, not the first 100', async () => {
    await stack.advance(beijingAt(stack.now(), 1, 9) - stack.now());
    const orders = [await paidOrder(stack), await paidOrder(stack), await paidOrder(stack)];
    const numbers: string[] = [];
    for (const [i, order] of orders.entries()) {
      for (let k = 0; k < 35; k++) {
        const r = await stack.as(ADMIN).ok('refund', 'create', {
          outTradeNo: order.outTradeNo,
          amountFen: 100,
          requestKey: `many-${i}-${k}-refunds`,
        });
        numbers.push(r.outRefundNo);
      }
    }
    await stack.advance(HOUR);
    await waitFor(
      'every refund to succeed',
      async () => {
        for (const no of numbers)
          if ((await adminGet(stack, 'refunds', no))?.status !== 'SUCCESS') return false;
        return true;
      },
      30_000,
    );
    await stack.advance(beijingAt(stack.now(), 1, 10) + 30 * 60_000 - stack.now());
    const day = await report(stack, (await fireReconcile(stack)).billReportId);
    expect(day.discrepancies).toEqual([]);
    expect(day.localRefunds).toBe(105);
    expect(day.matchedRefunds).toBe(105);
  });
});

describe('reconciliation without bills (cloudPay)', () => {
  const stack = useTestStack({ env: { PAY_PROVIDER: 'cloudpay' } });

  it('says once a day in the report that there is no bill, and runs without errors', async () => {
    await stack.advance(beijingAt(stack.now(), 1, 10) + 30 * 60_000 - stack.now());
    const run = await fireReconcile(stack);
    expect(run).toMatchObject({
      errors: 0,
      billDiscrepancies: null,
      billReportId: expect.stringMatching(/^trade-/),
    });
    expect(await adminGet(stack, 'reconcile_reports', String(run.billReportId))).toMatchObject({
      billAvailable: false,
      note: expect.stringContaining('no trade bill'),
    });
    const again = await fireReconcile(stack);
    expect(again).toMatchObject({ errors: 0, billReportId: null });
  });
});
