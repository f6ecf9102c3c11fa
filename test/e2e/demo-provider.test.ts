// The demo provider ("模拟支付") for a cloud environment without a merchant account: simulated payments through the
// same apply path, marked simulated, and refused outright when the configuration says production.
import { placeOrder, useTestStack, type Outcome } from '../support/stack';
import { TEST_DELIVERY } from '../support/stack';

const SHOPPER = 'o-ivan-00009';

describe('demo provider', () => {
  const stack = useTestStack({
    env: { PAY_PROVIDER: 'demo', APP_ENV: 'development', SHOP_TESTER_AUTO_REFUND: 'true' },
  });

  it('pays a simulated order through the apply path and marks it simulated', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    expect(order.simulated).toBe(true);
    const start = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(start).toMatchObject({ simulated: true, requestPayment: { paySign: 'DEMO-NOT-SIGNED' } });
    const paid = await stack.as(SHOPPER).ok('pay', 'demoPay', { outTradeNo: order.outTradeNo });
    expect(paid).toMatchObject({ status: 'PAID', simulated: true });
    // Another shopper cannot "pay" it for them, and nothing reached the real simulator.
    expect(
      await stack.as('o-other-00001').call('pay', 'demoPay', { outTradeNo: order.outTradeNo }),
    ).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_FOUND' },
    });
    expect(await stack.sim.control.orders()).toHaveLength(0);
  });

  it('refunds a tester order automatically once paid when SHOP_TESTER_AUTO_REFUND is on', async () => {
    const order = await placeOrder(stack, 'o-dev-tester', 'sku-coffee-500g', 1);
    expect(order).toMatchObject({ payableFen: 1, totalFen: 12800, isTestOrder: true });
    await stack.as('o-dev-tester').ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const after = await stack.as('o-dev-tester').ok('pay', 'demoPay', { outTradeNo: order.outTradeNo });
    // The demo provider settles refunds at once, so the 1 fen is back in the same call.
    expect(after).toMatchObject({ status: 'REFUNDED', refundedFen: 1 });
  });
});

describe('demo provider in production', () => {
  const stack = useTestStack({ env: { PAY_PROVIDER: 'demo', APP_ENV: 'production' } });

  it('is refused at cold start: the client gets a generic answer, the log names the setting', async () => {
    await stack.as(SHOPPER).ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 1 });
    const logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    let r: Outcome;
    let logged: string[];
    try {
      r = await stack
        .as(SHOPPER)
        .call('order', 'place', { clientRequestKey: 'demo-in-production', delivery: TEST_DELIVERY });
    } finally {
      logged = logSpy.mock.calls.map((c) => String(c[0]));
      logSpy.mockRestore();
    }
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG.INVALID', retryable: false } });
    expect(JSON.stringify(r)).not.toMatch(/PAY_PROVIDER|APP_ENV|demo/);
    const bootLines = logged
      .filter((l) => l.includes('"boot.failed"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bootLines[0]).toMatchObject({ level: 'error', setting: 'PAY_PROVIDER', fn: 'order' });
  });
});
