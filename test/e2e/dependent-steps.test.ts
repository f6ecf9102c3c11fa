// The shopper's waits in dependent steps (issue #19): on the platform each database round trip is several ms and each
// WeChat Pay call tens of ms, so what an operation costs in time is the chain of steps that wait for one another, not
// their number. The gateway reports each invocation's critical path (x-devcloud-depth: database round trips and
// WeChat Pay calls in a row; concurrent steps count once). No timing is measured: the depths are counts, and a change
// that makes an independent step wait for another (or adds a step) fails here. docs/PERFORMANCE.md derives each
// operation's latency bound from these chains.
import { buildNotification } from '../../simulator/testing';
import type { StepDepth } from '../../devcloud/sdk/steps';
import { TEST_DELIVERY, useTestStack } from '../support/stack';

interface Answer {
  body: any;
  ops: number;
  depth: StepDepth | null;
}

describe('dependent steps per operation', () => {
  // The chains are what the invocation observed (an operation depends on every operation that had finished when it
  // started), so the stack runs with a latency model of its own: without one, a local database write can finish
  // within the microseconds a concurrent WeChat Pay call spends signing its request and look like a step before it.
  // With 40 ms per round trip (a margin a busy CI machine does not stall through) the order of events is the order the
  // cloud would show; the counts stay counts.
  const stack = useTestStack({ latency: { dbMs: 40, payMs: 80, callMs: 0, jitter: 0 } });

  async function ok(name: string, event: object, openid: string): Promise<Answer> {
    const res = await stack.gateway.fnEvent(name, event, openid);
    const body = res.body as any;
    if (!body.ok) throw new Error(`${name} failed: ${JSON.stringify(body.error)}`);
    return { body: body.data, ops: res.dbOps, depth: res.depth };
  }

  const place = (openid: string, key: string) =>
    ok('order', { action: 'place', clientRequestKey: key, delivery: TEST_DELIVERY }, openid);

  let txSeq = 0;
  async function notify(outTradeNo: string, totalFen: number, openid: string, transactionId: string) {
    const id = stack.sim.identity;
    const n = buildNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: {
        appid: id.direct.appid,
        mchid: id.direct.mchid,
        out_trade_no: outTradeNo,
        transaction_id: transactionId,
        trade_type: 'JSAPI',
        trade_state: 'SUCCESS',
        trade_state_desc: '支付成功',
        bank_type: 'OTHERS',
        success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
        payer: { openid },
        amount: { total: totalFen, payer_total: totalFen, currency: 'CNY', payer_currency: 'CNY' },
      },
      apiV3Key: id.direct.apiV3Key,
      signer: {
        privateKeyPem: id.platform.certificate.privateKeyPem,
        serial: id.platform.certificate.serial,
      },
    });
    const first = await stack.gateway.post('/http/payNotify', n.body, n.headers);
    const again = await stack.gateway.post('/http/payNotify', n.body, n.headers);
    return { first, again };
  }

  // First in the file: the order function has not run yet in this stack (a fresh instance).
  it("a fresh instance's first order costs no extra dependent step (its catalog fill runs beside the cart read)", async () => {
    const coldAdd = await ok(
      'shop',
      { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 },
      'o-steps-cold-1',
    );
    const warmAdd = await ok(
      'shop',
      { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 },
      'o-steps-cold-2',
    );
    // A first cart (an insert): read → add; the shop function's catalog fill rides beside the read.
    expect(warmAdd.depth).toEqual({ db: 2, pay: 0 });
    expect(coldAdd.depth).toEqual(warmAdd.depth);
    const cold = await place('o-steps-cold-1', 'steps-cold-1');
    const warm = await place('o-steps-cold-2', 'steps-cold-2');
    expect(warm.depth).toEqual({ db: 4, pay: 0 });
    expect(cold.depth).toEqual(warm.depth);
    // Its extra round trips are the fill itself (products and skus, side by side): the order's own reads cannot
    // carry the catalog (docs/PERFORMANCE.md, "Cold functions").
    expect(warm.ops).toBe(4);
    expect(cold.ops - warm.ops).toBeLessThanOrEqual(2);
  });

  it('checkout, resume, refresh, list and notifications stay within their chains of dependent steps', async () => {
    const shopper = 'o-steps-warm-1';
    // Warm instances, as in steady traffic.
    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    await place(shopper, 'steps-warm-up');

    // Tap 去支付 → payment parameters: cart read → decrement → order insert → (WeChat prepay → prepay save, while
    // the cart write runs beside them).
    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    const cart = await ok('shop', { action: 'getCart' }, shopper);
    const event = {
      action: 'checkout',
      clientRequestKey: 'steps-checkout-1',
      delivery: TEST_DELIVERY,
      lines: [{ skuId: 'sku-coffee-250g', quantity: 1 }],
      displayedPayableFen: cart.body.selectedTotalFen,
    };
    const checkout = await ok('order', event, shopper);
    expect(checkout.body.payment.requestPayment.package).toMatch(/^prepay_id=/);
    expect(checkout.depth).toEqual({ db: 4, pay: 1 });
    expect(checkout.ops).toBe(5);
    // The cart write ran beside the prepay and landed: the lines left the cart, the double tap finds the order.
    expect((await ok('shop', { action: 'getCart' }, shopper)).body.lines).toHaveLength(0);
    const twice = await ok('order', event, shopper);
    expect(twice.body.payment).toEqual(checkout.body.payment);
    expect(twice.depth).toEqual({ db: 2, pay: 0 });

    const outTradeNo = checkout.body.order.outTradeNo as string;
    // Resuming the payment: the stored prepay is reused (one read, WeChat not asked).
    const resume = await ok('pay', { action: 'start', outTradeNo }, shopper);
    expect(resume.body.requestPayment).toEqual(checkout.body.payment.requestPayment);
    expect(resume.depth).toEqual({ db: 1, pay: 0 });
    // pay.start on an order without a prepay: read → WeChat → save.
    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    const placed = await place(shopper, 'steps-fresh-prepay');
    const start = await ok('pay', { action: 'start', outTradeNo: placed.body.outTradeNo }, shopper);
    expect(start.depth).toEqual({ db: 2, pay: 1 });

    const get = await ok('order', { action: 'get', outTradeNo }, shopper);
    expect(get.depth).toEqual({ db: 1, pay: 0 });
    const list = await ok('order', { action: 'listMine', limit: 20 }, shopper);
    expect(list.body.length).toBeGreaterThan(0);
    expect(list.depth).toEqual({ db: 1, pay: 0 });

    const tx = `4200${Date.now()}${String(++txSeq).padStart(6, '0')}`;
    const { first, again } = await notify(outTradeNo, checkout.body.order.payableFen, shopper, tx);
    expect(first.status).toBe(200);
    expect(first.depth).toEqual({ db: 2, pay: 0 });
    expect(again.status).toBe(200);
    expect(again.depth).toEqual({ db: 1, pay: 0 });
    expect((await ok('order', { action: 'get', outTradeNo }, shopper)).body.status).toBe('PAID');
  });
});
