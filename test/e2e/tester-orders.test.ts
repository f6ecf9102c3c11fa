// Tester orders under SHOP_TESTER_AUTO_REFUND through the local stack: a paid, auto-refunded tester order gives its
// stock back exactly once, and an auto-refund that failed before it was recorded is found and retried by reconcile.
import { WECHAT_CALLS_PER_ITEM } from '../../server/application/jobs.service';
import { adminCount, adminGet, placeOrder, useTestStack, waitFor, runJob } from '../support/stack';

const TESTER = 'o-dev-tester';
const MINUTE = 60_000;

describe('tester orders with automatic refunds', () => {
  const stack = useTestStack({ env: { SHOP_TESTER_AUTO_REFUND: 'true' } });

  const stockOf = async (sku: string) => (await adminGet(stack, 'skus', sku))!.stock as number;

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, unknown>>(stack, fn);

  it('a paid and auto-refunded tester order gives its stock back exactly once', async () => {
    const sku = 'sku-apples-10kg';
    const before = await stockOf(sku);
    const order = await placeOrder(stack, TESTER, sku, 2);
    expect(order).toMatchObject({ isTestOrder: true, payableFen: 1 });
    expect(await stockOf(sku)).toBe(before - 2);
    await stack.as(TESTER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
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
    await stack.as(TESTER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
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
  it('one close item of a tester order under auto-refund makes up to 4 WeChat calls, and the run budget counts them', async () => {
    const order = await placeOrder(stack, TESTER, 'sku-apples-10kg', 1);
    await stack.as(TESTER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    const { expiresAtMs } = (await adminGet(stack, 'orders', order.outTradeNo))!;
    await stack.advance(expiresAtMs - stack.now() + 1000);
    // The close/pay race: WeChat's answer to the close job's query (NOTPAY) is held back 2 s, and meanwhile the
    // payer's money lands. The close is then refused (paid), the order queried again, and the payment applied —
    // which, for a tester order under auto-refund, requests its refund.
    const hold = await stack.sim.control.addFault({
      kind: 'api.timeout',
      when: 'after',
      hangMs: 2000,
      outTradeNo: order.outTradeNo,
      method: 'GET',
      count: 1,
    });
    const [last] = await stack.sim.control.events({ limit: 1 });
    const run = fire('closeExpired');
    await waitFor('the held query', async () =>
      (await stack.sim.control.faults()).every((f) => f.id !== hold.id),
    );
    await stack.sim.control.payLate(order.outTradeNo);
    expect(await run).toMatchObject({ paidInstead: 1, errors: 0 });
    const calls = (
      await stack.sim.control.events({ kind: 'api', afterSeq: last?.seq ?? 0, limit: 100 })
    ).filter((e) => e.outTradeNo === order.outTradeNo);
    expect(calls.map((e) => `${e.method} ${e.status}`)).toEqual([
      'GET 200',
      'POST 403',
      'GET 200',
      'POST 200',
    ]);
    expect(calls[3]!.path).toContain('/v3/refund/domestic/refunds');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!).toMatchObject({
      payment: { source: 'query' },
      stockReleased: true,
    });
    // A close run starts an item only while this many calls still fit before the function's timeout.
    expect(WECHAT_CALLS_PER_ITEM.close).toBeGreaterThanOrEqual(calls.length);
  });
});
