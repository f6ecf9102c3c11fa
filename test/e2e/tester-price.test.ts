// The tester amount is a server setting (SHOP_TESTER_PRICE_FEN), applied by the order function's pricing and
// charged at WeChat: the local stack's tester (o-dev-tester) pays it, everyone else the real price.
import { adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';

const TESTER = 'o-dev-tester';
const SHOPPER = 'o-price-shopper';

describe('SHOP_TESTER_PRICE_FEN', () => {
  const stack = useTestStack({ env: { SHOP_TESTER_PRICE_FEN: '37' } });

  it('a tester order is charged the configured amount at WeChat; a shopper pays the real price', async () => {
    const test = await placeOrder(stack, TESTER, 'sku-coffee-250g', 2);
    expect(test).toMatchObject({ totalFen: 13600, payableFen: 37, isTestOrder: true });
    await stack.as(TESTER).ok('pay', 'start', { outTradeNo: test.outTradeNo });
    expect((await stack.sim.control.order(test.outTradeNo)).totalFen).toBe(37);
    await stack.sim.control.pay(test.outTradeNo);
    await waitForStatus(stack, TESTER, test.outTradeNo, 'PAID');
    expect((await adminGet(stack, 'orders', test.outTradeNo))!.payment).toMatchObject({ paidFen: 37 });

    const real = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 2);
    expect(real).toMatchObject({ totalFen: 13600, payableFen: 13600, isTestOrder: false });
  });
});
