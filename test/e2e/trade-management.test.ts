// 发货信息管理 on the local stack: a paid order's payment is known to the local trade management (from the simulator),
// shipping recorded for it, the payer's confirm-receipt through the loopback route that the mini program's local
// transport calls, and the trade_manage_order_settlement push reaching the real `tradeEvents` bundle — which no
// client may invoke.
import { LOCAL_CLOUDPAY_SUB_MCH_ID } from '../../devcloud/stack/stack';
import { placeOrder, useTestStack, waitForStatus } from '../support/stack';

const SHOPPER = 'o-ivan-0009';

describe('local trade management on the stack', () => {
  const stack = useTestStack();

  async function paidOrder(): Promise<{ outTradeNo: string; transactionId: string; mchid: string }> {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const paid = await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    return { outTradeNo: order.outTradeNo, transactionId: paid.transactionId ?? '', mchid: paid.mchid };
  }

  async function route(path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${stack.gatewayUrl}/_devcloud/trade/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  it('ships a paid order, the payer confirms receipt, tradeEvents receives and acknowledges the settlement push', async () => {
    const o = await paidOrder();
    const key = { order_number_type: 1, mchid: o.mchid, out_trade_no: o.outTradeNo };
    const ship = await stack.trade.uploadShippingInfo({
      order_key: key,
      logistics_type: 1,
      delivery_mode: 1,
      shipping_list: [{ tracking_no: 'YT9000', express_company: 'YTO', item_desc: '挂耳咖啡 ×1' }],
      upload_time: '2026-12-06T12:00:00+08:00',
      payer: { openid: SHOPPER },
    });
    expect(ship.errcode).toBe(0);
    const confirmed = await route('confirm-receipt', { transaction_id: o.transactionId, openid: SHOPPER });
    expect(confirmed).toMatchObject({ status: 200, body: { orderState: 3, pushed: 'success' } });
    const log = (await route('log?limit=5')).body.log;
    expect(log[0]).toMatchObject({
      method: 'push:trade_manage_order_settlement',
      orderKey: o.transactionId,
      outcome: 'ok',
      answer: 'success',
    });
    const order = await stack.trade.getOrder({ transaction_id: o.transactionId });
    expect(order.order).toMatchObject({ order_state: 3, openid: SHOPPER, merchant_trade_no: o.outTradeNo });
  });

  it('refuses tradeEvents from a client and an invalid push; the reminder push is acknowledged', async () => {
    const forged = { MsgType: 'event', Event: 'trade_manage_order_settlement', transaction_id: '42000' };
    expect(await stack.gateway.callEvent('tradeEvents', forged, SHOPPER)).toMatchObject({ errcode: 1 });
    const http = await fetch(`${stack.gatewayUrl}/http/tradeEvents`, {
      method: 'POST',
      body: JSON.stringify(forged),
    });
    expect(await http.text()).toContain('refused');
    const invalid = await stack.cloud.invoke(
      'tradeEvents',
      { ...forged, transaction_id: '', pay_time: 'yesterday' },
      { source: 'wx_unknown' },
    );
    expect(invalid).toMatchObject({ ok: true, result: { errcode: 2 } });
    const o = await paidOrder();
    expect(await route('remind-shipping', { transaction_id: o.transactionId })).toMatchObject({
      status: 200,
      body: { pushed: 'success' },
    });
  });
});

describe('local trade management with the cloudPay provider', () => {
  const stack = useTestStack({ env: { PAY_PROVIDER: 'cloudpay' } });

  it("knows cloudPay's payments too: the shop's sub-merchant + out_trade_no, the payer, one change", async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    const start = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.cloudPay.requestPayment(start.requestPayment);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const tx = (await stack.cloudPay.order(order.outTradeNo))!.transactionId!;
    const body = (openid: string, second: number) => ({
      order_key: { order_number_type: 1, mchid: LOCAL_CLOUDPAY_SUB_MCH_ID, out_trade_no: order.outTradeNo },
      logistics_type: 4,
      delivery_mode: 1,
      shipping_list: [{ item_desc: '龙井 50g ×1（门店自提）' }],
      upload_time: `2026-12-06T12:00:0${second}+08:00`,
      payer: { openid },
    });
    expect((await stack.trade.uploadShippingInfo(body('o-someone', 1))).errcode).toBe(10060031);
    expect((await stack.trade.uploadShippingInfo(body(SHOPPER, 2))).errcode).toBe(0);
    const got = await stack.trade.getOrder({ transaction_id: tx });
    expect(got.order).toMatchObject({
      order_state: 2,
      openid: SHOPPER,
      merchant_trade_no: order.outTradeNo,
      sub_merchant_id: LOCAL_CLOUDPAY_SUB_MCH_ID,
    });
    expect((await stack.trade.uploadShippingInfo(body(SHOPPER, 3))).errcode).toBe(0);
    expect((await stack.trade.uploadShippingInfo(body(SHOPPER, 4))).errcode).toBe(10060003);
  });
});
