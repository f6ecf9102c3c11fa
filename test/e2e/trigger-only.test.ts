// Timer-only functions through the gateway, invoked the way the platform invokes each kind: a shopper's callFunction
// (SOURCE wx_client + OPENID), HTTP access (wx_http), and the timer trigger (wx_trigger, no OPENID, the Timer event).
import { adminGet, placeOrder, useTestStack } from '../support/stack';

const SHOPPER = 'o-trigger-shopper';
const MINUTE = 60_000;

describe('closeExpired and reconcile run only from their timer triggers', () => {
  const stack = useTestStack();

  /** The simulator's API requests since `afterSeq` (every signed call the shop made to "WeChat"). */
  async function apiCallsSince(afterSeq: number) {
    return stack.sim.control.events({ kind: 'api', afterSeq });
  }
  async function lastSeq(): Promise<number> {
    const all = await stack.sim.control.events({});
    return all.reduce((m, e) => Math.max(m, e.seq), 0);
  }

  it('refuses a shopper (or any non-timer caller) with zero WeChat calls; the timer still runs the job', async () => {
    // Work both jobs would do: an unpaid order with a prepay, past its expiry (closeExpired queries and closes it;
    // reconcile queries it as a possibly lost notification).
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.advance(31 * MINUTE);
    const seq = await lastSeq();
    // A client can send the timer's event shape word for word: the event proves nothing.
    const timerLike = {
      Type: 'Timer',
      TriggerName: 'everyMinute',
      Time: new Date().toISOString(),
      Message: '',
    };

    for (const fn of ['closeExpired', 'reconcile']) {
      expect(await stack.gateway.callEvent(fn, timerLike, SHOPPER)).toMatchObject({
        ok: false,
        error: { code: 'AUTH.TRIGGER_ONLY' },
      });
      // A mini program call without an identity header is still a client call (SOURCE wx_client).
      const anonymous = await fetch(`${stack.gatewayUrl}/fn/${fn}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(timerLike),
      });
      expect(await anonymous.json()).toMatchObject({ ok: false, error: { code: 'AUTH.TRIGGER_ONLY' } });
      // HTTP access (SOURCE wx_http) is not the timer either.
      await fetch(`${stack.gatewayUrl}/http/${fn}`, { method: 'POST', body: JSON.stringify(timerLike) });
    }
    expect(await apiCallsSince(seq)).toEqual([]);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('AWAITING_PAYMENT');

    // The platform's timer (SOURCE wx_trigger, no OPENID) runs the job.
    const run = await stack.cloud.fireTimer('closeExpired', 'everyMinute');
    expect(run).toMatchObject({ ok: true, result: { closed: 1 } });
    expect((await apiCallsSince(seq)).length).toBeGreaterThan(0);
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('CLOSED_BY_TIMEOUT');
    expect(await stack.cloud.fireTimer('reconcile', 'every5Minutes')).toMatchObject({ ok: true });
  });
});
