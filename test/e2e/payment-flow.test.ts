// End to end through the gateway (built bundles on the local cloud) and the WeChat Pay simulator (real crypto).
import { createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import type { CloudDb } from '../../server/adapters/db/cloud-db';
import { readCounters } from '../../server/adapters/db/counters';
import {
  adminCount,
  adminGet,
  deliveredNotification,
  placeOrder,
  useTestStack,
  waitFor,
  waitForStatus,
} from '../support/stack';
import { TEST_DELIVERY } from '../support/stack';

const ALICE = 'o-alice-0001';
const BOB = 'o-bob-00002';
const ADMIN = 'o-dev-admin';

describe('payment flow (direct merchant, platform certificate)', () => {
  const stack = useTestStack();

  it('cart → order → pay → shopper pays → notification → order paid, with a paySign that verifies', async () => {
    await stack.as(ALICE).ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 2 });
    const order = await stack
      .as(ALICE)
      .ok('order', 'place', { clientRequestKey: 'alice-checkout-1', delivery: TEST_DELIVERY });
    expect(order).toMatchObject({
      status: 'AWAITING_PAYMENT',
      totalFen: 13600,
      payableFen: 13600,
      canPay: true,
    });
    // The ordered lines left the cart.
    expect((await stack.as(ALICE).ok('shop', 'getCart')).lines).toHaveLength(0);
    // Stock was reserved with the order.
    expect((await adminGet(stack, 'skus', 'sku-coffee-250g'))!.stock).toBe(118);

    const start = await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const rp = start.requestPayment;
    expect(rp.package).toMatch(/^prepay_id=wx/);
    expect(rp.signType).toBe('RSA');
    const merchantKey = new X509Certificate(stack.sim.identity.direct.merchantCertificatePem).publicKey;
    const message = `${stack.sim.identity.direct.appid}\n${rp.timeStamp}\n${rp.nonceStr}\n${rp.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(merchantKey, rp.paySign, 'base64')).toBe(true);
    // The same key does not verify another message: the check above can fail.
    expect(
      createVerify('RSA-SHA256')
        .update(message + 'x')
        .verify(merchantKey, rp.paySign, 'base64'),
    ).toBe(false);

    // A second start while the prepay is fresh reuses it (no second provider order).
    const again = await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(again.requestPayment.package).toBe(rp.package);

    await stack.sim.control.pay(order.outTradeNo);
    const paid = await waitForStatus(stack, ALICE, order.outTradeNo, 'PAID');
    expect(paid.paidAtMs).toEqual(expect.any(Number));
    const stored = await adminGet(stack, 'orders', order.outTradeNo);
    expect(stored!.payment).toMatchObject({ source: 'notification', paidFen: 13600 });
    const note = await deliveredNotification(stack, order.outTradeNo);
    expect(note).toMatchObject({ status: 'delivered', eventType: 'TRANSACTION.SUCCESS' });
    expect(note.attempts[0]).toMatchObject({ status: 200, ok: true });
  });

  it('a double tap on "place order" makes one order', async () => {
    await stack.as(BOB).ok('shop', 'addToCart', { skuId: 'sku-longjing-50g', quantity: 1 });
    const key = 'bob-double-tap-1';
    const [a, b] = await Promise.all([
      stack.as(BOB).call('order', 'place', { clientRequestKey: key, delivery: TEST_DELIVERY }),
      stack.as(BOB).call('order', 'place', { clientRequestKey: key, delivery: TEST_DELIVERY }),
    ]);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.data.outTradeNo).toBe(b.data.outTradeNo);
    expect(await adminCount(stack, 'orders', { openid: BOB, clientRequestKey: key })).toBe(1);
  });

  it('concurrent double taps for the last items in stock still answer the one order', async () => {
    const sku = 'sku-longjing-gift';
    const stock = (await adminGet(stack, 'skus', sku))!.stock as number;
    const shopper = 'o-frank-0006';
    // Exactly the remaining stock (within the SKU's per-order cap of 5), so a second reservation would fail.
    const quantity = Math.min(stock, 5);
    await stack.cloud.db
      .collection('skus')
      .doc(sku)
      .update({ data: { stock: quantity } });
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: sku, quantity });
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        stack
          .as(shopper)
          .call('order', 'place', { clientRequestKey: 'frank-last-items', delivery: TEST_DELIVERY }),
      ),
    );
    const numbers = results.map((r) => (r.ok ? r.data.outTradeNo : r.error.code));
    expect(new Set(numbers).size).toBe(1);
    expect(numbers[0]).toMatch(/^O\d/);
    expect((await adminGet(stack, 'skus', sku))!.stock).toBe(0);
    await stack.cloud.db.collection('skus').doc(sku).update({ data: { stock } });
  });

  it('many shoppers racing for the last items never oversell', async () => {
    const sku = 'sku-coffee-500g';
    const stock = (await adminGet(stack, 'skus', sku))!.stock as number;
    await stack.cloud.db
      .collection('skus')
      .doc(sku)
      .update({ data: { stock: 3 } });
    const shoppers = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `o-racer-0000${i}`);
    for (const s of shoppers) await stack.as(s).ok('shop', 'addToCart', { skuId: sku, quantity: 1 });
    const results = await Promise.all(
      shoppers.map((s) =>
        stack.as(s).call('order', 'place', { clientRequestKey: `race-${s}`, delivery: TEST_DELIVERY }),
      ),
    );
    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    const left = (await adminGet(stack, 'skus', sku))!.stock as number;
    // Conservation: every item is either in exactly one order or still in stock; never below zero.
    expect(left).toBeGreaterThanOrEqual(0);
    expect(won.length + left).toBe(3);
    expect(won.length).toBeGreaterThanOrEqual(1);
    // Losers hear why, never an internal error: sold out, or (under heavy contention) "busy, retry".
    for (const r of lost) expect(['ORDER.OUT_OF_STOCK', 'ORDER.BUSY']).toContain(r.ok ? '' : r.error.code);
    await stack.cloud.db.collection('skus').doc(sku).update({ data: { stock } });
  });

  it('cancel before paying closes the order and returns the stock exactly once', async () => {
    const before = (await adminGet(stack, 'skus', 'sku-longjing-gift'))!.stock as number;
    const order = await placeOrder(stack, ALICE, 'sku-longjing-gift', 2);
    expect((await adminGet(stack, 'skus', 'sku-longjing-gift'))!.stock).toBe(before - 2);
    await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const [c1, c2] = await Promise.all([
      stack.as(ALICE).ok('order', 'cancel', { outTradeNo: order.outTradeNo }),
      stack.as(ALICE).ok('order', 'cancel', { outTradeNo: order.outTradeNo }),
    ]);
    expect(c1.status).toBe('CLOSED_BY_USER');
    expect(c2.status).toBe('CLOSED_BY_USER');
    expect((await adminGet(stack, 'skus', 'sku-longjing-gift'))!.stock).toBe(before);
    // Within WeChat's 5-minute guard the provider-side close is left for the close job.
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.providerClose).toBe('pending');
    const pay = await stack.as(ALICE).call('pay', 'start', { outTradeNo: order.outTradeNo });
    expect(pay).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_PAYABLE' } });
  });

  it('a payment that lands after cancel becomes PAID_AFTER_CLOSE and is refunded in full automatically', async () => {
    const order = await placeOrder(stack, ALICE, 'sku-coffee-500g', 1);
    await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.as(ALICE).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    // The shopper's cashier was still open: WeChat takes the money anyway.
    await stack.sim.control.payLate(order.outTradeNo);
    await waitForStatus(stack, ALICE, order.outTradeNo, 'REFUND_PROCESSING');
    const refunds = await stack.sim.control.refunds({ outTradeNo: order.outTradeNo });
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ refundFen: 12800, totalFen: 12800 });
    await stack.sim.control.setRefundOutcome(refunds[0]!.outRefundNo, 'SUCCESS', { now: true });
    const done = await waitForStatus(stack, ALICE, order.outTradeNo, 'REFUNDED');
    expect(done.refundedFen).toBe(12800);
  });

  it('partial then full refund by staff, final only when WeChat reports it; never more than paid', async () => {
    const order = await placeOrder(stack, ALICE, 'sku-coffee-250g', 3);
    await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, ALICE, order.outTradeNo, 'PAID');

    const forbidden = await stack.as(ALICE).call('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 100,
      requestKey: 'refund-shopper-1',
    });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });

    const part = await stack
      .as(ADMIN)
      .ok('refund', 'create', { outTradeNo: order.outTradeNo, amountFen: 5000, requestKey: 'refund-part-1' });
    expect(part).toMatchObject({ status: 'PROCESSING', amountFen: 5000 });
    // Same request key: the same refund, not a second one.
    const repeat = await stack
      .as(ADMIN)
      .ok('refund', 'create', { outTradeNo: order.outTradeNo, amountFen: 5000, requestKey: 'refund-part-1' });
    expect(repeat.outRefundNo).toBe(part.outRefundNo);
    // More than what is left refundable is refused while the first is still processing.
    const over = await stack.as(ADMIN).call('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 15401,
      requestKey: 'refund-over-1',
    });
    expect(over).toMatchObject({ ok: false, error: { code: 'REFUND.EXCEEDS_REFUNDABLE' } });
    expect((await stack.as(ALICE).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'REFUND_PROCESSING',
    );

    await stack.sim.control.setRefundOutcome(part.outRefundNo, 'SUCCESS', { now: true });
    const partial = await waitForStatus(stack, ALICE, order.outTradeNo, 'PARTIALLY_REFUNDED');
    expect(partial.refundedFen).toBe(5000);

    const rest = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: order.outTradeNo,
      amountFen: 15400,
      requestKey: 'refund-rest-1',
    });
    await stack.sim.control.setRefundOutcome(rest.outRefundNo, 'SUCCESS', { now: true });
    const full = await waitForStatus(stack, ALICE, order.outTradeNo, 'REFUNDED');
    expect(full.refundedFen).toBe(20400);
    const more = await stack
      .as(ADMIN)
      .call('refund', 'create', { outTradeNo: order.outTradeNo, amountFen: 1, requestKey: 'refund-more-1' });
    expect(more.ok).toBe(false);
  });

  it('concurrent refund requests can never total more than was paid', async () => {
    const order = await placeOrder(stack, BOB, 'sku-coffee-250g', 1);
    await stack.as(BOB).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, BOB, order.outTradeNo, 'PAID');
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        stack.as(ADMIN).call('refund', 'create', {
          outTradeNo: order.outTradeNo,
          amountFen: 3000,
          requestKey: `race-${i}-abcdef`,
        }),
      ),
    );
    const accepted = results.filter((r) => r.ok);
    // 6800 paid: at most two refunds of 3000 fit.
    expect(accepted.length).toBe(2);
    const reserved = (await adminGet(stack, 'orders', order.outTradeNo))!.refundReservedFen;
    expect(reserved).toBe(6000);
    expect(
      (await stack.sim.control.refunds({ outTradeNo: order.outTradeNo })).reduce(
        (s, r) => s + r.refundFen,
        0,
      ),
    ).toBe(6000);
  });

  it('a lost notification is recovered by pay.sync (the status page) from a signed query answer', async () => {
    const order = await placeOrder(stack, ALICE, 'sku-longjing-50g', 1);
    await stack.as(ALICE).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitFor(
      'the dropped delivery',
      async () => (await stack.sim.control.notifications({ outTradeNo: order.outTradeNo }))[0],
    );
    expect((await stack.as(ALICE).ok('order', 'get', { outTradeNo: order.outTradeNo })).status).toBe(
      'AWAITING_PAYMENT',
    );
    const synced = await stack.as(ALICE).ok('pay', 'sync', { outTradeNo: order.outTradeNo });
    expect(synced.status).toBe('PAID');
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.payment.source).toBe('query');
    await stack.sim.control.clearFaults();
  });

  it('duplicate and concurrent deliveries of one notification are applied once', async () => {
    const order = await placeOrder(stack, BOB, 'sku-longjing-50g', 1);
    await stack.as(BOB).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    await stack.sim.control.addFault({ kind: 'notify.duplicate', outTradeNo: order.outTradeNo });
    await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, BOB, order.outTradeNo, 'PAID');
    const [note] = await stack.sim.control.notifications({ outTradeNo: order.outTradeNo });
    // Five more deliveries of the same notification at once.
    await Promise.all([1, 2, 3, 4, 5].map(() => stack.sim.control.replay(note!.id)));
    const delivered = await waitFor('all deliveries answered', async () => {
      const [n] = await stack.sim.control.notifications({ outTradeNo: order.outTradeNo });
      return n && n.attempts.length >= 7 ? n : null;
    });
    // Every delivery was acknowledged: a duplicate is answered 200 from the order itself.
    expect(delivered.attempts.every((a) => a.status === 200)).toBe(true);
    const stored = await adminGet(stack, 'orders', order.outTradeNo);
    // One transition only: created (1) → prepay saved (2) → paid (3).
    expect(stored!.version).toBe(3);
    const counters = (await readCounters(stack.cloud.db as unknown as CloudDb))['payments.succeeded'];
    expect(counters).toBe(await adminCount(stack, 'orders', { payment: stack.cloud.db.command.neq(null) }));
    await stack.sim.control.clearFaults();
  });

  it("one shopper cannot read, pay or cancel another shopper's order", async () => {
    const order = await placeOrder(stack, ALICE, 'sku-longjing-50g', 1);
    for (const [fn, action] of [
      ['order', 'get'],
      ['pay', 'start'],
      ['pay', 'sync'],
      ['order', 'cancel'],
    ] as const) {
      const r = await stack.as(BOB).unchecked(fn, action, { outTradeNo: order.outTradeNo });
      expect(r).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_FOUND' } });
    }
    expect((await stack.as(BOB).ok('order', 'listMine')).map((o: any) => o.outTradeNo)).not.toContain(
      order.outTradeNo,
    );
    expect((await adminGet(stack, 'orders', order.outTradeNo))!.status).toBe('AWAITING_PAYMENT');
  });

  it('a tester pays 1 fen while the order keeps its real total; nobody else gets that price', async () => {
    const tester = await placeOrder(stack, 'o-dev-tester', 'sku-coffee-500g', 1);
    expect(tester).toMatchObject({ totalFen: 12800, payableFen: 1, isTestOrder: true });
    const start = await stack.as('o-dev-tester').ok('pay', 'start', { outTradeNo: tester.outTradeNo });
    expect(start.payableFen).toBe(1);
    expect((await stack.sim.control.order(tester.outTradeNo)).totalFen).toBe(1);
    const normal = await placeOrder(stack, BOB, 'sku-coffee-500g', 1);
    expect(normal).toMatchObject({ payableFen: 12800, isTestOrder: false });
  });

  it('the public key is the only thing needed once WeChat verifies with PUB_KEY_ID (key mode switch)', async () => {
    await stack.sim.control.setKeyMode('direct', 'publicKey');
    try {
      const order = await placeOrder(stack, BOB, 'sku-longjing-50g', 1);
      await stack.as(BOB).ok('pay', 'start', { outTradeNo: order.outTradeNo });
      await stack.sim.control.pay(order.outTradeNo);
      await waitForStatus(stack, BOB, order.outTradeNo, 'PAID');
      const note = await deliveredNotification(stack, order.outTradeNo);
      expect(note.attempts[0]!.signedWith).toMatch(/^PUB_KEY_ID_/);
    } finally {
      await stack.sim.control.setKeyMode('direct', 'certificate');
    }
  });
});

void createPublicKey;
