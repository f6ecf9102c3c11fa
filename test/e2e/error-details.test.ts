// Refusals carry the machine-readable `details` docs/API.md promises, through the gateway and the built bundles.
import { adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';
import { TEST_DELIVERY } from '../support/stack';

const SHOPPER = 'o-details-shopper';
const ADMIN = 'o-dev-admin';

describe('error answers carry their documented details', () => {
  const stack = useTestStack();

  it('ORDER.OUT_OF_STOCK names the SKU and how many are left', async () => {
    await stack.as(SHOPPER).ok('shop', 'addToCart', { skuId: 'sku-longjing-50g', quantity: 3 });
    // Someone else bought most of it after the cart was filled.
    await stack.cloud.db
      .collection('skus')
      .doc('sku-longjing-50g')
      .update({ data: { stock: 2 } });
    const r = await stack
      .as(SHOPPER)
      .call('order', 'place', { clientRequestKey: 'details-oos-1', delivery: TEST_DELIVERY });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'ORDER.OUT_OF_STOCK', details: { skuId: 'sku-longjing-50g', available: 2 } },
    });
    await stack.as(SHOPPER).ok('shop', 'clearCart');
  });

  it('ORDER.NOT_PAYABLE names the order status', async () => {
    const order = await placeOrder(stack, SHOPPER);
    await stack.as(SHOPPER).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    const r = await stack.as(SHOPPER).call('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_PAYABLE', details: { status: 'CLOSED_BY_USER' } },
    });
  });

  it('REFUND.EXCEEDS_REFUNDABLE names the requested and the refundable amount', async () => {
    const order = await placeOrder(stack, SHOPPER);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const paidFen = (await adminGet(stack, 'orders', order.outTradeNo))!.payableFen as number;
    const r = await stack.as(ADMIN).call('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: paidFen + 1,
      requestKey: 'details-over-1',
    });
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'REFUND.EXCEEDS_REFUNDABLE',
        details: { requestedFen: paidFen + 1, refundableFen: paidFen },
      },
    });
  });

  it('REFUND.NOT_ALLOWED (retrying a refund that is not ABNORMAL) names the refund status', async () => {
    const order = await placeOrder(stack, SHOPPER);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 1,
      requestKey: 'details-notallowed-1',
    });
    const r = await stack
      .as(ADMIN)
      .call('refund', 'retryAbnormal', { outRefundNo: refund.outRefundNo, type: 'MERCHANT_BANK_CARD' });
    expect(r).toMatchObject({
      ok: false,
      // PROCESSING when created; SUCCESS if the simulator has settled it meanwhile: never ABNORMAL.
      error: {
        code: 'REFUND.NOT_ALLOWED',
        details: { status: expect.stringMatching(/^(PROCESSING|SUCCESS)$/) },
      },
    });
  });

  it('REQUEST.INVALID names the field', async () => {
    const r = await stack.as(SHOPPER).call('order', 'get');
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'REQUEST.INVALID', details: { field: 'outTradeNo' } },
    });
  });
});
