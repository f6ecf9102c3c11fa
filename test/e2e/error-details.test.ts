// Refusals carry the machine-readable `details` docs/API.md promises, through the gateway and the built bundles.
import {
  adminGet,
  callFn,
  okFn,
  placeOrder,
  startTestStack,
  waitForStatus,
  type TestStack,
} from '../support/stack';

const SHOPPER = 'o-details-shopper';
const ADMIN = 'o-dev-admin';

describe('error answers carry their documented details', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('ORDER.OUT_OF_STOCK names the SKU and how many are left', async () => {
    await okFn(stack, 'shop', { action: 'addToCart', skuId: 'sku-longjing-50g', quantity: 3 }, SHOPPER);
    // Someone else bought most of it after the cart was filled.
    await stack.cloud.db
      .collection('skus')
      .doc('sku-longjing-50g')
      .update({ data: { stock: 2 } });
    const r = await callFn(stack, 'order', { action: 'place', clientRequestKey: 'details-oos-1' }, SHOPPER);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'ORDER.OUT_OF_STOCK', details: { skuId: 'sku-longjing-50g', available: 2 } },
    });
    await okFn(stack, 'shop', { action: 'clearCart' }, SHOPPER);
  });

  it('ORDER.NOT_PAYABLE names the order status', async () => {
    const order = await placeOrder(stack, SHOPPER);
    await okFn(stack, 'order', { action: 'cancel', outTradeNo: order.outTradeNo }, SHOPPER);
    const r = await callFn(stack, 'pay', { action: 'start', outTradeNo: order.outTradeNo }, SHOPPER);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_PAYABLE', details: { status: 'CLOSED_BY_USER' } },
    });
  });

  it('REFUND.EXCEEDS_REFUNDABLE names the requested and the refundable amount', async () => {
    const order = await placeOrder(stack, SHOPPER);
    await okFn(stack, 'pay', { action: 'start', outTradeNo: order.outTradeNo }, SHOPPER);
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const paidFen = (await adminGet(stack, 'orders', order.outTradeNo))!.payableFen as number;
    const r = await callFn(
      stack,
      'refund',
      {
        action: 'create',
        outTradeNo: order.outTradeNo,
        amountFen: paidFen + 1,
        requestKey: 'details-over-1',
      },
      ADMIN,
    );
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
    await okFn(stack, 'pay', { action: 'start', outTradeNo: order.outTradeNo }, SHOPPER);
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const refund = await okFn(
      stack,
      'refund',
      { action: 'create', outTradeNo: order.outTradeNo, amountFen: 1, requestKey: 'details-notallowed-1' },
      ADMIN,
    );
    const r = await callFn(
      stack,
      'refund',
      { action: 'retryAbnormal', outRefundNo: refund.outRefundNo, type: 'MERCHANT_BANK_CARD' },
      ADMIN,
    );
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
    const r = await callFn(stack, 'order', { action: 'get' }, SHOPPER);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'REQUEST.INVALID', details: { field: 'outTradeNo' } },
    });
  });
});
