// The legacy cloudPay path end to end: the same order/pay functions configured with PAY_PROVIDER=cloudpay, the local
// stand-in for cloudPay's private channel, and the payCallback function — which any client can call, so it must not
// believe its event.
import { adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';

const SHOPPER = 'o-heidi-0008';

describe('cloudPay provider and its callback', () => {
  const stack = useTestStack({ env: { PAY_PROVIDER: 'cloudpay' } });

  it('pays with MD5-signed requestPayment parameters and applies the callback after re-querying', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    const start = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(start.requestPayment).toMatchObject({
      signType: 'MD5',
      package: expect.stringMatching(/^prepay_id=/),
    });
    // What wx.requestPayment would do: the stand-in checks the MD5 paySign, pays, and invokes payCallback.
    await stack.cloudPay.requestPayment(start.requestPayment);
    const paid = await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    expect(paid.payableFen).toBe(6800);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.payment).toMatchObject({
      source: 'cloudpay-callback',
      paidFen: 6800,
    });
  });

  it("a shopper's call of payCallback is refused before WeChat is asked: nothing changes", async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const before = await adminGet(stack, 'orders', order.outTradeNo);
    const queriesBefore = stack.cloudPay.calls().queryOrder;
    const forgedEvent = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: order.outTradeNo,
      transactionId: '4200000000202611230000000001',
      totalFee: 9900,
      subMchId: '1900000109',
    };
    // The mini program's callFunction (SOURCE wx_client, the shopper's OPENID) and HTTP access (wx_http).
    for (let i = 0; i < 5; i++) {
      expect(await stack.gateway.callEvent('payCallback', forgedEvent, SHOPPER)).toMatchObject({
        errcode: 1,
      });
    }
    await fetch(`${stack.gatewayUrl}/http/payCallback`, {
      method: 'POST',
      body: JSON.stringify(forgedEvent),
    });
    expect(stack.cloudPay.calls().queryOrder).toBe(queriesBefore);
    const after = await adminGet(stack, 'orders', order.outTradeNo);
    expect(after).toEqual(before);
    expect(after!.status).toBe('AWAITING_PAYMENT');
  });

  it('invoked as the platform invokes it, payCallback asks WeChat at most once per order per 10 s', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const queriesBefore = stack.cloudPay.calls().queryOrder;
    const event = { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: order.outTradeNo };
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const o = await stack.cloud.invoke('payCallback', event, { source: 'wx_paycallback' });
      answers.push(o.ok ? o.result : o.failure);
    }
    // The first asks WeChat (NOTPAY: nothing to apply, acknowledged); the rest are told to call again later.
    expect(answers[0]).toMatchObject({ errcode: 0 });
    expect(answers.slice(1)).toEqual(Array(4).fill(expect.objectContaining({ errcode: 1 })));
    expect(stack.cloudPay.calls().queryOrder).toBe(queriesBefore + 1);
    await stack.advance(11_000);
    await stack.cloud.invoke('payCallback', event, { source: 'wx_paycallback' });
    expect(stack.cloudPay.calls().queryOrder).toBe(queriesBefore + 2);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('AWAITING_PAYMENT');
  });

  it('payCallback refunds money that arrived for a cancelled order in the same invocation (its config.json grants cloudPay.refund)', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    // Inside the 5-minute close guard: closed here, not yet at WeChat, so the shopper's payment still lands.
    await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    const refundsBefore = stack.cloudPay.calls().refund;
    await stack.cloudPay.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'REFUND_PROCESSING');
    expect(stack.cloudPay.calls().refund).toBe(refundsBefore + 1);
    const refunds = await stack.cloud.db.collection('refunds').where({ outTradeNo: order.outTradeNo }).get();
    expect(refunds.data).toEqual([
      expect.objectContaining({ status: 'PROCESSING', submitted: true, requestedBy: 'system:auto-refund' }),
    ]);
  });

  it('a function calls only the cloudPay APIs its config.json grants (as the platform enforces)', async () => {
    const shopFacade = stack.cloudPay.sdkFacade(new Set(['cloudPay.queryOrder']));
    await expect(shopFacade.refund({})).rejects.toMatchObject({ errCode: -604101 });
  });

  it('cancel closes the cloudPay order; the shopper can no longer pay it there', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.advance(6 * 60_000);
    const cancelled = await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(cancelled.status).toBe('CLOSED_BY_USER');
    expect((await stack.cloudPay.order(order.outTradeNo))?.state).toBe('CLOSED');
    await expect(stack.cloudPay.pay(order.outTradeNo)).rejects.toThrow(/CLOSED/);
  });
});
