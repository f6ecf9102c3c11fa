// Forged, tampered and mismatched payment notifications, client-chosen prices and client-side database writes are
// all refused with nothing written. Every negative case sits beside a positive control built the same way, so the
// refusals are shown to come from the check under test, not from a broken fixture.
import {
  buildBrokenNotification,
  buildNotification,
  BROKEN_KINDS,
  type BuiltNotification,
} from '../../simulator/testing';
import { adminCount, adminGet, placeOrder, useTestStack, TEST_DELIVERY } from '../support/stack';

const SHOPPER = 'o-carol-0003';

describe('payment security', () => {
  const stack = useTestStack();

  /** An unpaid order with a prepay, ready to receive a notification. */
  async function unpaidOrder(): Promise<{ outTradeNo: string; payableFen: number }> {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    return order;
  }

  /** The transaction resource WeChat encrypts into TRANSACTION.SUCCESS. */
  function transaction(outTradeNo: string, totalFen: number, over: Record<string, unknown> = {}) {
    const id = stack.sim.identity;
    return {
      appid: id.direct.appid,
      mchid: id.direct.mchid,
      out_trade_no: outTradeNo,
      transaction_id: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
      payer: { openid: SHOPPER },
      amount: { total: totalFen, payer_total: totalFen, currency: 'CNY', payer_currency: 'CNY' },
      ...over,
    };
  }

  function spec(resource: Record<string, unknown>) {
    const id = stack.sim.identity;
    return {
      eventType: 'TRANSACTION.SUCCESS',
      resource,
      apiV3Key: id.direct.apiV3Key,
      signer: {
        privateKeyPem: id.platform.certificate.privateKeyPem,
        serial: id.platform.certificate.serial,
      },
    };
  }

  async function post(n: BuiltNotification): Promise<number> {
    const res = await fetch(`${stack.gatewayUrl}/http/payNotify`, {
      method: 'POST',
      headers: n.headers,
      body: n.body,
    });
    await res.text();
    return res.status;
  }

  async function snapshot(outTradeNo: string) {
    const order = await adminGet(stack, 'orders', outTradeNo);
    return {
      status: order!.status,
      version: order!.version,
      // A refused notification must not even leave a "needs attention" record.
      attention: await adminCount(stack, 'attention'),
    };
  }

  it('a correctly built notification is accepted (the control for every refusal below)', async () => {
    const order = await unpaidOrder();
    expect(await post(buildNotification(spec(transaction(order.outTradeNo, order.payableFen))))).toBe(200);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('PAID');
  });

  it.each(BROKEN_KINDS)('a notification with %s is refused and nothing is written', async (kind) => {
    const order = await unpaidOrder();
    const before = await snapshot(order.outTradeNo);
    const status = await post(
      buildBrokenNotification(kind, spec(transaction(order.outTradeNo, order.payableFen))),
    );
    expect(status).toBeGreaterThanOrEqual(400);
    expect(await snapshot(order.outTradeNo)).toEqual(before);
  });

  it.each([
    ['a wrong amount', (no: string, fen: number) => transaction(no, fen + 1)],
    ['a wrong appid', (no: string, fen: number) => transaction(no, fen, { appid: 'wx1111111111111111' })],
    ['a wrong mchid', (no: string, fen: number) => transaction(no, fen, { mchid: '1999999999' })],
  ])('an authentic notification with %s is refused (4xx) and nothing is written', async (_what, make) => {
    const order = await unpaidOrder();
    const before = await snapshot(order.outTradeNo);
    const status = await post(buildNotification(spec(make(order.outTradeNo, order.payableFen))));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await snapshot(order.outTradeNo)).toEqual(before);
  });

  it('an authentic notification for an order we do not have is refused; no order appears', async () => {
    expect(await post(buildNotification(spec(transaction('O20260101000000000NoSuchOrd1', 100))))).toBe(400);
    expect(await adminGet(stack, 'orders', 'O20260101000000000NoSuchOrd1')).toBeNull();
  });

  it('a GET or an empty body on the notify URL changes nothing', async () => {
    const counts = async () => ({
      orders: await adminCount(stack, 'orders'),
      attention: await adminCount(stack, 'attention'),
    });
    const before = await counts();
    expect((await fetch(`${stack.gatewayUrl}/http/payNotify`)).status).toBe(405);
    const empty = await fetch(`${stack.gatewayUrl}/http/payNotify`, { method: 'POST', body: '' });
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(await counts()).toEqual(before);
  });

  it('a client-chosen price is ignored: the order is priced from the catalog', async () => {
    // The contract has no price fields: the attack goes outside it, as a tampered client would.
    const forged = async (fn: string, action: string, fields: Record<string, unknown>) => {
      const r = await stack.as(SHOPPER).unchecked(fn, action, fields);
      if (!r.ok) throw new Error(`${fn}.${action}: ${r.error.code}`);
      return r.data;
    };
    await forged('shop', 'addToCart', { skuId: 'sku-coffee-500g', quantity: 1, priceFen: 1 });
    const order = await forged('order', 'place', {
      clientRequestKey: 'price-attack-1',
      delivery: TEST_DELIVERY,
      totalFen: 1,
      payableFen: 1,
      lines: [{ skuId: 'sku-coffee-500g', quantity: 1, unitPriceFen: 1 }],
    });
    expect(order).toMatchObject({ totalFen: 12800, payableFen: 12800, isTestOrder: false });
    const start = await forged('pay', 'start', { outTradeNo: order.outTradeNo, totalFen: 1 });
    expect(start.payableFen).toBe(12800);
    expect((await stack.sim.control.order(order.outTradeNo)).totalFen).toBe(12800);
  });

  it('an identity in the event is ignored: only the platform context says who calls', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    const r = await stack
      .as('o-mallory-9')
      .unchecked('order', 'get', { outTradeNo: order.outTradeNo, openid: SHOPPER });
    expect(r).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_FOUND' } });
  });

  it("the mini program cannot write an order's status through the client database", async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    const res = await fetch(`${stack.gatewayUrl}/_devcloud/client-db`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-openid': SHOPPER },
      body: JSON.stringify({
        collection: 'orders',
        op: 'doc.update',
        id: order.outTradeNo,
        data: { status: 'PAID' },
      }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errCode: number }).errCode).toBe(-502003);
    const read = await fetch(`${stack.gatewayUrl}/_devcloud/client-db`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-openid': SHOPPER },
      body: JSON.stringify({ collection: 'orders', op: 'get', where: { openid: SHOPPER } }),
    });
    expect(read.status).toBe(403);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('AWAITING_PAYMENT');
  });
});
