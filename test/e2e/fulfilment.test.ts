// Delivery and fulfilment end to end on the local stack (docs/adr/0009): checkout with a delivery, pay, staff ship,
// the reconcile timer uploads to the local 发货信息管理 (read back from its shipping log), the payer confirms receipt
// with WeChat's word; self-pickup and virtual goods; a refused upload retried and shown to staff; an order refunded
// before shipping never uploaded as shipped; every staff action refused to a shopper with nothing changed.
import { TEST_ADDRESS, TEST_DELIVERY, adminGet, runJob, useTestStack, waitForStatus } from '../support/stack';
import type { TestStack } from '../support/stack';

const ADMIN = 'o-dev-admin';
const ZTO = [{ expressCompany: 'ZTO', trackingNo: 'ZT100200300' }];
let seq = 0;

/** Places `skuId` with `delivery`, pays it at the simulator and waits for PAID; answers the order and its payment. */
async function paidOrder(
  stack: TestStack,
  shopper: string,
  skuId: string,
  delivery: object = TEST_DELIVERY,
): Promise<{ outTradeNo: string; transactionId: string }> {
  await stack.as(shopper).ok('shop', 'addToCart', { skuId, quantity: 1 });
  const order = await stack.as(shopper).ok('order', 'place', {
    clientRequestKey: `ful-${Date.now()}-${++seq}`,
    delivery: delivery as never,
  });
  await stack.as(shopper).ok('pay', 'start', { outTradeNo: order.outTradeNo });
  const paid = await stack.sim.control.pay(order.outTradeNo);
  await waitForStatus(stack, shopper, order.outTradeNo, 'PAID');
  return { outTradeNo: order.outTradeNo, transactionId: paid.transactionId ?? '' };
}

/** The local 发货信息管理's upload log entries for a payment, oldest first. */
async function uploadsOf(stack: TestStack, transactionId: string) {
  return (await stack.trade.log(500))
    .filter((e) => e.method === 'uploadShippingInfo' && e.orderKey === transactionId)
    .sort((a, b) => a.seq - b.seq);
}

describe('fulfilment on the local stack (direct merchant)', () => {
  const stack = useTestStack();

  it('checkout refuses an incomplete address (naming the field) and a kind a line does not allow, writing nothing', async () => {
    const shopper = 'o-ful-check-01';
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    const quote = await stack.as(shopper).ok('order', 'quote', {});
    expect(quote.deliveryKinds).toEqual(['express']);
    expect(quote.pickupPoint).toMatchObject({ name: '小店自提点' });
    const bad = await stack.as(shopper).call('order', 'place', {
      clientRequestKey: 'ful-bad-address',
      delivery: { kind: 'express', address: { ...TEST_ADDRESS, telNumber: '12' } },
    });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'ORDER.DELIVERY_INVALID', details: { field: 'delivery.address.telNumber' } },
    });
    const pickup = await stack.as(shopper).call('order', 'place', {
      clientRequestKey: 'ful-pickup-refused',
      delivery: { kind: 'pickup' },
    });
    expect(pickup).toMatchObject({
      ok: false,
      error: { code: 'ORDER.DELIVERY_NOT_ALLOWED', details: { productId: 'p-ginger-tea' } },
    });
    expect(await stack.as(shopper).ok('order', 'listMine', {})).toEqual([]);
  });

  it("staff's to-ship list reads past orders refunded before shipping: a page is short only at the end", async () => {
    const shopper = 'o-ful-list-01';
    const o = await paidOrder(stack, shopper, 'sku-coffee-250g');
    const doc = (await adminGet(stack, 'orders', o.outTradeNo))!;
    const paidAt = (doc['payment'] as { successTimeMs: number }).successTimeMs;
    // 150 older orders refunded in full before they shipped: they read CANCELLED but are stored AWAITING_SHIPMENT,
    // more than one batch of the stored list, all paid before the order still to ship.
    for (let i = 0; i < 150; i++) {
      const { _id: _ignored, ...rest } = doc;
      await stack.cloud.db.collection('orders').add({
        data: {
          ...rest,
          _id: `${o.outTradeNo.slice(0, -4)}R${String(i).padStart(3, '0')}`,
          openid: 'o-ful-list-refunded',
          clientRequestKey: `ful-list-refunded-${i}`,
          paymentKey: `ful-list-refunded-${i}`,
          status: 'REFUNDED',
          payment: {
            ...(doc['payment'] as object),
            successTimeMs: paidAt - 60_000 - i,
            transactionId: `42${i}`,
          },
        },
      });
    }
    const page = await stack.as(ADMIN).ok('staff', 'listToShip', { limit: 5 });
    expect(page.map((v) => v.order.outTradeNo)).toContain(o.outTradeNo);
    expect(page.every((v) => v.order.fulfilment.state === 'AWAITING_SHIPMENT')).toBe(true);
  });

  it('pay → staff.ship → the timer uploads it (transaction id, express, payer) → the payer confirms receipt → completed', async () => {
    const shopper = 'o-ful-express-01';
    const o = await paidOrder(stack, shopper, 'sku-coffee-250g');
    const listed = await stack.as(ADMIN).ok('staff', 'listToShip', {});
    expect(listed.map((v) => v.order.outTradeNo)).toContain(o.outTradeNo);
    const shipped = await stack.as(ADMIN).ok('staff', 'ship', { outTradeNo: o.outTradeNo, parcels: ZTO });
    expect(shipped).toMatchObject({
      openid: shopper,
      transactionId: o.transactionId,
      order: { fulfilment: { state: 'SHIPPED', parcels: [{ expressName: '中通快递' }] } },
      shippingUpload: { state: 'queued' },
    });
    expect(
      await stack.as(shopper).call('order', 'confirmReceipt', { outTradeNo: o.outTradeNo }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FULFIL.NOT_CONFIRMED' },
    });
    await runJob(stack, 'reconcile');
    const [upload] = await uploadsOf(stack, o.transactionId);
    expect(upload).toMatchObject({ outcome: 'ok', logisticsType: 1, payer: shopper });
    expect(upload?.body).toMatchObject({
      order_key: { order_number_type: 2, transaction_id: o.transactionId },
      delivery_mode: 1,
      shipping_list: [{ tracking_no: 'ZT100200300', express_company: 'ZTO' }],
    });
    expect(
      (await stack.as(ADMIN).ok('staff', 'getOrder', { outTradeNo: o.outTradeNo })).shippingUpload,
    ).toMatchObject({
      state: 'uploaded',
      uploads: 1,
    });
    const view = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(view.fulfilment).toMatchObject({
      canConfirmReceipt: true,
      confirmReceiptExtraData: { transaction_id: o.transactionId },
    });
    // WeChat's confirm view, played by the local 发货信息管理: its settlement push reaches tradeEvents, which asks
    // get_order and records the receipt; the page's own confirmReceipt then answers the same.
    const confirmed = await stack.trade.confirmReceipt(
      { transaction_id: o.transactionId },
      { openid: shopper },
    );
    expect(confirmed.pushed).toBe('success');
    const pushedView = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(pushedView.fulfilment).toMatchObject({ state: 'RECEIVED', canConfirmReceipt: false });
    const received = await stack.as(shopper).ok('order', 'confirmReceipt', { outTradeNo: o.outTradeNo });
    expect(received.fulfilment).toEqual(pushedView.fulfilment);
    // SHOP_AUTO_COMPLETE_DAYS after the goods left, the completion job completes the order.
    expect(received.fulfilment.completeAtMs).not.toBeNull();
    await runJob(stack, 'reconcile');
    expect((await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo })).fulfilment.state).toBe(
      'RECEIVED',
    );
    await stack.advance(received.fulfilment.completeAtMs! - stack.now() + 60_000);
    await runJob(stack, 'reconcile');
    const done = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(done.fulfilment).toMatchObject({ state: 'COMPLETED', canConfirmReceipt: false });
    expect(done.fulfilment.completedAtMs).not.toBeNull();
  });

  it('self-pickup: ready (logistics_type 4), then picked up', async () => {
    const shopper = 'o-ful-pickup-01';
    const o = await paidOrder(stack, shopper, 'sku-longjing-50g', { kind: 'pickup' });
    const order = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(order.delivery).toMatchObject({ kind: 'pickup', pickupPoint: { name: '小店自提点' } });
    await stack.as(ADMIN).ok('staff', 'readyForPickup', { outTradeNo: o.outTradeNo });
    await runJob(stack, 'reconcile');
    expect(await uploadsOf(stack, o.transactionId)).toEqual([
      expect.objectContaining({ outcome: 'ok', logisticsType: 4, payer: shopper }),
    ]);
    const picked = await stack.as(ADMIN).ok('staff', 'markPickedUp', { outTradeNo: o.outTradeNo });
    expect(picked.order.fulfilment.state).toBe('PICKED_UP');
  });

  it('virtual goods are delivered at payment and uploaded as logistics_type 3', async () => {
    const shopper = 'o-ful-virtual-01';
    const o = await paidOrder(stack, shopper, 'sku-test-1fen', { kind: 'virtual' });
    const order = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(order.fulfilment.state).toBe('DELIVERED');
    await runJob(stack, 'reconcile');
    expect(await uploadsOf(stack, o.transactionId)).toEqual([
      expect.objectContaining({ outcome: 'ok', logisticsType: 3, payer: shopper }),
    ]);
  });

  it('an upload WeChat refuses is retried, then shown to staff; upload again succeeds and resolves it', async () => {
    const shopper = 'o-ful-refused-01';
    const o = await paidOrder(stack, shopper, 'sku-coffee-250g');
    await stack.as(ADMIN).ok('staff', 'ship', { outTradeNo: o.outTradeNo, parcels: ZTO });
    // Not found yet (retried), then a refusal no retry helps (given up at once: a person is told).
    stack.trade.injectFault({ method: 'uploadShippingInfo', errcode: 10060001 });
    await runJob(stack, 'reconcile');
    let staffView = await stack.as(ADMIN).ok('staff', 'getOrder', { outTradeNo: o.outTradeNo });
    expect(staffView.shippingUpload).toMatchObject({
      state: 'queued',
      lastError: expect.stringMatching(/^10060001/),
    });
    await stack.advance(61_000);
    stack.trade.injectFault({ method: 'uploadShippingInfo', errcode: 10060004 });
    await runJob(stack, 'reconcile');
    staffView = await stack.as(ADMIN).ok('staff', 'getOrder', { outTradeNo: o.outTradeNo });
    expect(staffView.shippingUpload).toMatchObject({ state: 'failed', uploads: 0 });
    const attention = await stack.as(ADMIN).ok('refund', 'listAttention', {});
    expect(attention.find((a) => a.outTradeNo === o.outTradeNo)).toMatchObject({
      id: `shipping-upload-failed:${o.outTradeNo}`,
      kind: 'shipping-upload-failed',
      wechatState: '10060004',
      resolvedAtMs: null,
    });
    await stack.as(ADMIN).ok('staff', 'retryUpload', { outTradeNo: o.outTradeNo });
    await runJob(stack, 'reconcile');
    expect((await uploadsOf(stack, o.transactionId)).map((e) => e.outcome)).toEqual([
      expect.stringMatching(/^10060001/),
      expect.stringMatching(/^10060004/),
      'ok',
    ]);
    const after = await stack.as(ADMIN).ok('refund', 'listAttention', {});
    expect(after.find((a) => a.outTradeNo === o.outTradeNo)?.resolvedBy).toBe('system:shipping-upload');
  });

  it('an order refunded in full before shipping is never shipped nor uploaded', async () => {
    const shopper = 'o-ful-refunded-01';
    const o = await paidOrder(stack, shopper, 'sku-coffee-250g');
    const order = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: o.outTradeNo,
      amountFen: order.payableFen,
      requestKey: `full-refund-${o.outTradeNo}`,
    });
    expect(
      await stack.as(ADMIN).call('staff', 'ship', { outTradeNo: o.outTradeNo, parcels: ZTO }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FULFIL.REFUND_PENDING' },
    });
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'SUCCESS', { now: true });
    await waitForStatus(stack, shopper, o.outTradeNo, 'REFUNDED');
    expect(
      await stack.as(ADMIN).call('staff', 'ship', { outTradeNo: o.outTradeNo, parcels: ZTO }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FULFIL.NOT_SHIPPABLE' },
    });
    expect((await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo })).fulfilment.state).toBe(
      'CANCELLED',
    );
    await runJob(stack, 'reconcile');
    expect(await uploadsOf(stack, o.transactionId)).toEqual([]);
  });

  describe('staff actions are for staff only', () => {
    const shopper = 'o-ful-nosy-01';
    let target: { outTradeNo: string; transactionId: string };
    beforeAll(async () => {
      target = await paidOrder(stack, 'o-ful-victim-01', 'sku-coffee-250g');
    });

    it('me answers anyone and says who is staff', async () => {
      expect(await stack.as(shopper).ok('staff', 'me', {})).toMatchObject({
        isStaff: false,
        expressCompanies: expect.arrayContaining([{ id: 'SF', name: '顺丰速运' }]),
        pickupPoint: { name: '小店自提点' },
      });
      expect((await stack.as(ADMIN).ok('staff', 'me', {})).isStaff).toBe(true);
    });

    it.each([
      ['listToShip', {}],
      ['getOrder', {}],
      ['ship', { parcels: ZTO }],
      ['readyForPickup', {}],
      ['markPickedUp', {}],
      ['retryUpload', {}],
    ] as const)('%s: a shopper gets AUTH.FORBIDDEN and nothing changes', async (action, fields) => {
      const before = await adminGet(stack, 'orders', target.outTradeNo);
      const r = await stack
        .as(shopper)
        .call('staff', action as never, { outTradeNo: target.outTradeNo, ...fields });
      expect(r).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });
      expect(await adminGet(stack, 'orders', target.outTradeNo)).toEqual(before);
    });
  });
});

describe('fulfilment in partner mode', () => {
  const stack = useTestStack({ mode: 'partner' });

  it("uploads the sub-merchant's payment for its payer, confirms receipt, and completes", async () => {
    const shopper = 'o-ful-partner-01';
    const o = await paidOrder(stack, shopper, 'sku-coffee-250g');
    await stack.as(ADMIN).ok('staff', 'ship', {
      outTradeNo: o.outTradeNo,
      parcels: [{ expressCompany: 'SF', trackingNo: 'SF100200300' }],
    });
    await runJob(stack, 'reconcile');
    const [upload] = await uploadsOf(stack, o.transactionId);
    expect(upload).toMatchObject({ outcome: 'ok', logisticsType: 1, payer: shopper });
    expect(upload?.body).toMatchObject({
      order_key: { order_number_type: 2, transaction_id: o.transactionId },
      shipping_list: [{ express_company: 'SF', contact: { receiver_contact: '*******8000' } }],
    });
    await stack.trade.confirmReceipt({ transaction_id: o.transactionId }, { openid: shopper });
    const received = await stack.as(shopper).ok('order', 'confirmReceipt', { outTradeNo: o.outTradeNo });
    expect(received.fulfilment.state).toBe('RECEIVED');
    await stack.advance(received.fulfilment.completeAtMs! - stack.now() + 60_000);
    await runJob(stack, 'reconcile');
    const done = await stack.as(shopper).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(done.fulfilment.state).toBe('COMPLETED');
  });
});
