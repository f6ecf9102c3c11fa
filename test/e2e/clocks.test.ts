// One business clock end to end: the functions run on the simulator's virtual clock, whoever moves it and however far
// it is ahead of the wall clock.
import { placeOrder, useTestStack } from '../support/stack';

const SHOPPER = 'o-clocks-0001';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('one business clock', () => {
  const stack = useTestStack();

  it('the next function call after POST /sim/clock/advance (HTTP control API) sees the new time', async () => {
    // Three rounds: a clock that is only refreshed in the background could be lucky once, not three times.
    for (let round = 0; round < 3; round++) {
      const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
      expect(order.canPay).toBe(true);
      const res = await fetch(`${stack.simulatorUrl}/sim/clock/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ms: 31 * MINUTE }),
      });
      expect(res.status).toBe(200);
      const seen = await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: order.outTradeNo });
      expect(seen.canPay).toBe(false);
    }
  });

  it('pay.start reuses the prepay with the virtual clock more than 2 h ahead of the wall clock', async () => {
    await stack.advance(3 * HOUR);
    const order = await placeOrder(stack, SHOPPER, 'sku-longjing-50g', 1);
    const first = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.advance(MINUTE);
    const second = await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(second.requestPayment).toEqual(first.requestPayment);
    const creates = await stack.sim.control.events({
      kind: 'api',
      outTradeNo: order.outTradeNo,
      pathContains: '/jsapi',
    });
    expect(creates).toHaveLength(1);
  });
});
