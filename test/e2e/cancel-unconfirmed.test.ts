// A shopper's cancel while WeChat cannot rule a payment out (docs/API.md, `cancel`): inside the 5-minute close guard
// only WeChat's query can tell whether money is on its way, so a cancel WeChat cannot be asked about is refused and the
// order the shopper paid for is kept, never closed and refunded.
import { adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';

const SHOPPER = 'o-cancel-unconf-1';
const SKU = 'sku-longjing-50g';

describe('cancel while the payment is unconfirmed', () => {
  const stack = useTestStack();

  const stockOf = async (sku: string) => (await adminGet(stack, 'skus', sku))!.stock as number;

  async function startedOrder(): Promise<{ outTradeNo: string }> {
    const order = (await placeOrder(stack, SHOPPER, SKU, 1)) as { outTradeNo: string };
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    return order;
  }

  /** WeChat's query about this order fails (its close, a POST, is untouched). */
  const queryFails = (outTradeNo: string) =>
    stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo,
      path: `/v3/pay/transactions/out-trade-no/${outTradeNo}`,
      method: 'GET',
      status: 500,
      code: 'SYSTEM_ERROR',
    });

  it('paid, notification late, WeChat cannot be asked: the cancel is refused and the shopper keeps the order, no refund', async () => {
    const order = await startedOrder();
    const held = await stockOf(SKU);
    // The shopper paid; WeChat's notification has not arrived and its query fails.
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    const fault = await queryFails(order.outTradeNo);

    const answer = await stack.as(SHOPPER).call('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ORDER.PAYMENT_UNCONFIRMED' } });
    // Nothing written: still awaiting payment, stock still held, no WeChat close queued.
    const stored = (await adminGet(stack, 'orders', order.outTradeNo))!;
    expect(stored).toMatchObject({ status: 'AWAITING_PAYMENT', stockReleased: false });
    expect(stored.closedAtMs ?? null).toBeNull();
    expect(await stockOf(SKU)).toBe(held);

    // WeChat answers again: the payment is applied, never turned into PAID_AFTER_CLOSE and refunded.
    await stack.sim.control.removeFault(fault.id);
    const synced = await stack.as(SHOPPER).ok('pay', 'sync', { outTradeNo: order.outTradeNo });
    expect(synced.status).toBe('PAID');
    expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toEqual([]);
    const again = await stack.as(SHOPPER).call('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(again).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_CANCELLABLE' } });
  });

  it('not paid, WeChat cannot be asked: refused; once WeChat answers NOTPAY the cancel goes ahead as before', async () => {
    const order = await startedOrder();
    const held = await stockOf(SKU);
    const fault = await queryFails(order.outTradeNo);
    const answer = await stack.as(SHOPPER).call('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ORDER.PAYMENT_UNCONFIRMED' } });
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('AWAITING_PAYMENT');

    await stack.sim.control.removeFault(fault.id);
    const cancelled = await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(cancelled.status).toBe('CLOSED_BY_USER');
    expect(await stockOf(SKU)).toBe(held + 1);
  });

  it('a payment WeChat reports right away is applied, not cancelled (paid-then-cancel keeps the order)', async () => {
    const order = await startedOrder();
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    const answer = await stack.as(SHOPPER).call('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ORDER.ALREADY_PAID' } });
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    expect(await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).toEqual([]);
  });
});
