// payCallback asks WeChat at most once per order per 10 s through a `throttles` document per order; those documents
// are dead 10 s later. The reconcile timer removes the ones over an hour old, so the collection does not grow with
// every order ever paid — and a later callback for a swept order is still handled.
import { adminCount, adminGet, placeOrder, runJob, useTestStack, waitForStatus } from '../support/stack';

const SHOPPER = 'o-ivan-0009';

describe('throttles are swept by the reconcile timer', () => {
  const stack = useTestStack({ env: { PAY_PROVIDER: 'cloudpay' } });

  it('a paid order leaves one throttle document; an hour later reconcile removes it; a new callback still works', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    const start = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.cloudPay.requestPayment(start.requestPayment);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const key = `paycallback:${order.outTradeNo}`;
    expect(await adminGet(stack, 'throttles', key)).not.toBeNull();

    // Within the hour: kept.
    await stack.advance(30 * 60_000);
    await runJob(stack, 'reconcile');
    expect(await adminGet(stack, 'throttles', key)).not.toBeNull();

    await stack.advance(31 * 60_000);
    await runJob(stack, 'reconcile');
    expect(await adminCount(stack, 'throttles')).toBe(0);

    // WeChat calls back again later: asked once more, acknowledged, the throttle document is back.
    const queries = stack.cloudPay.calls().queryOrder;
    const event = { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: order.outTradeNo };
    const again = await stack.cloud.invoke('payCallback', event, { source: 'wx_paycallback' });
    expect(again.ok && again.result).toMatchObject({ errcode: 0 });
    expect(stack.cloudPay.calls().queryOrder).toBe(queries + 1);
    expect(await adminGet(stack, 'throttles', key)).not.toBeNull();
  });
});
