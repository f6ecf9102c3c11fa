// Tester orders under SHOP_TESTER_AUTO_REFUND through the local stack: a paid, auto-refunded tester order gives its
// stock back exactly once, and an auto-refund that failed before it was recorded is found and retried by reconcile.
import {
  adminCount,
  adminGet,
  okFn,
  placeOrder,
  startTestStack,
  waitFor,
  type TestStack,
  runJob,
} from '../support/stack';

const TESTER = 'o-dev-tester';
const MINUTE = 60_000;

describe('tester orders with automatic refunds', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { SHOP_TESTER_AUTO_REFUND: 'true' } });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const stockOf = async (sku: string) => (await adminGet(stack, 'skus', sku))!.stock as number;

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, unknown>>(stack, fn);

  it('a paid and auto-refunded tester order gives its stock back exactly once', async () => {
    const sku = 'sku-apples-10kg';
    const before = await stockOf(sku);
    const order = await placeOrder(stack, TESTER, sku, 2);
    expect(order).toMatchObject({ isTestOrder: true, payableFen: 1 });
    expect(await stockOf(sku)).toBe(before - 2);
    await okFn(stack, 'pay', { action: 'start', outTradeNo: order.outTradeNo }, TESTER);
    await stack.sim.control.pay(order.outTradeNo);
    const refunding = await waitFor('the automatic tester refund', async () => {
      const o = await adminGet(stack, 'orders', order.outTradeNo);
      return o && o.status !== 'AWAITING_PAYMENT' && o.status !== 'PAID' ? o : null;
    });
    expect(refunding.stockReleased).toBe(true);
    expect(await stockOf(sku)).toBe(before);
    // Later runs of every job (refund settles, sweeps) never return it a second time.
    await stack.advance(10 * MINUTE);
    await fire('reconcile');
    await fire('closeExpired');
    await fire('reconcile');
    expect(await stockOf(sku)).toBe(before);
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(1);
  });

  it('an auto-refund that failed before it was recorded is found and retried by reconcile', async () => {
    const sku = 'sku-apples-5kg';
    const before = await stockOf(sku);
    const order = await placeOrder(stack, TESTER, sku, 1);
    await okFn(stack, 'pay', { action: 'start', outTradeNo: order.outTradeNo }, TESTER);
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    const [tx] = await waitFor('the payment at WeChat', async () => {
      const o = await stack.sim.control.order(order.outTradeNo);
      return o.tradeState === 'SUCCESS' ? [o] : null;
    });
    // What a payNotify that died right after its payment compare-and-set leaves: PAID, no refund, stock still held.
    const stored = (await adminGet(stack, 'orders', order.outTradeNo))!;
    const now = stack.now();
    await stack.cloud.db
      .collection('orders')
      .doc(order.outTradeNo)
      .update({
        data: {
          status: 'PAID',
          version: (stored.version as number) + 1,
          paymentKey: `tx:${tx.transactionId as string}`,
          payment: stack.cloud.db.command.set({
            transactionId: tx.transactionId,
            paidFen: 1,
            successTimeMs: now,
            source: 'notification',
            appliedAtMs: now,
          }),
        },
      });
    await stack.sim.control.clearFaults();
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(0);
    const run = await fire('reconcile');
    expect(run.errors).toBe(0);
    const refund = await waitFor('the retried tester refund', async () => {
      const { data } = await stack.cloud.db
        .collection('refunds')
        .where({ outTradeNo: order.outTradeNo })
        .get();
      return data[0] ?? null;
    });
    expect(refund).toMatchObject({ requestedBy: 'system:tester-refund', amountFen: 1 });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.stockReleased).toBe(true);
    expect(await stockOf(sku)).toBe(before);
    await fire('reconcile');
    expect(await adminCount(stack, 'refunds', { outTradeNo: order.outTradeNo })).toBe(1);
    expect(await stockOf(sku)).toBe(before);
  });
});
