// The money hot paths through the local stack (built bundles, durable local DB that counts round trips, simulator with
// real crypto): database round trips per operation, a flash sale that sells out exactly, multi-SKU compensation,
// repair of stock holds left by a crashed checkout, and one transaction_id never paying two orders.
import { buildNotification, type BuiltNotification } from '../../simulator/testing';
import { TEST_DELIVERY, adminCount, adminGet, useTestStack, waitForStatus, runJob } from '../support/stack';
import { deliver, refundNotification } from '../support/notify';

const MINUTE = 60_000;
const ADMIN = 'o-dev-admin';

interface Answer {
  body: any;
  ops: number;
}

describe('money hot paths', () => {
  const stack = useTestStack();

  /** Calls a function and reads the invocation's database round trips from the gateway's header. */
  async function call(name: string, event: object, openid: string): Promise<Answer> {
    const res = await stack.gateway.fnEvent(name, event, openid);
    return { body: res.body, ops: res.dbOps };
  }

  async function ok(name: string, event: object, openid: string): Promise<Answer> {
    const a = await call(name, event, openid);
    if (!a.body.ok) throw new Error(`${name} failed: ${JSON.stringify(a.body.error)}`);
    return { body: a.body.data, ops: a.ops };
  }

  const notify = (n: BuiltNotification) => deliver(stack, n);

  /** A signed, encrypted TRANSACTION.SUCCESS for `outTradeNo`, as WeChat would send it. */
  function paymentNotification(outTradeNo: string, totalFen: number, transactionId: string, openid: string) {
    const id = stack.sim.identity;
    return buildNotification({
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
  }

  async function setStock(skuId: string, stock: number): Promise<void> {
    await stack.cloud.db.collection('skus').doc(skuId).update({ data: { stock } });
  }

  const fire = (fn: 'closeExpired' | 'reconcile') => runJob<Record<string, unknown>>(stack, fn);

  let txSeq = 0;
  const newTransactionId = () => `4200${Date.now()}${String(++txSeq).padStart(6, '0')}`;

  it('each operation stays within its database round-trip budget', async () => {
    const shopper = 'o-rt-shopper-01';
    // Warm instances, as in steady traffic: the catalog is cached per instance (and checked again atomically).
    await ok('shop', { action: 'listGoods' }, shopper);
    await ok('shop', { action: 'addToCart', skuId: 'sku-tote-natural', quantity: 1 }, shopper);
    await ok(
      'order',
      { action: 'place', clientRequestKey: 'rt-warm-up-1', delivery: TEST_DELIVERY },
      shopper,
    );

    const add = await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    expect(add.ops).toBeLessThanOrEqual(2);
    const place = await ok(
      'order',
      { action: 'place', clientRequestKey: 'rt-one-sku-1', delivery: TEST_DELIVERY },
      shopper,
    );
    expect(place.ops).toBeLessThanOrEqual(4);
    // A double tap answers the first order from the cart's record of it.
    const again = await ok(
      'order',
      { action: 'place', clientRequestKey: 'rt-one-sku-1', delivery: TEST_DELIVERY },
      shopper,
    );
    expect(again.body.outTradeNo).toBe(place.body.outTradeNo);

    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    await ok('shop', { action: 'addToCart', skuId: 'sku-apples-5kg', quantity: 2 }, shopper);
    const two = await ok(
      'order',
      { action: 'place', clientRequestKey: 'rt-two-skus-1', delivery: TEST_DELIVERY },
      shopper,
    );
    expect(two.body.lines).toHaveLength(2);
    expect(two.ops).toBeLessThanOrEqual(5);

    // Checkout in one call: place's round trips plus the prepay's save; a double tap reads the order once more.
    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    const cart = await ok('shop', { action: 'getCart' }, shopper);
    const checkoutEvent = {
      action: 'checkout',
      clientRequestKey: 'rt-checkout-1',
      delivery: TEST_DELIVERY,
      lines: [{ skuId: 'sku-coffee-250g', quantity: 1 }],
      displayedPayableFen: cart.body.selectedTotalFen,
    };
    const checkout = await ok('order', checkoutEvent, shopper);
    expect(checkout.body.payment.requestPayment.package).toMatch(/^prepay_id=/);
    expect(checkout.ops).toBeLessThanOrEqual(5);
    const tappedTwice = await ok('order', checkoutEvent, shopper);
    expect(tappedTwice.body.payment).toEqual(checkout.body.payment);
    expect(tappedTwice.ops).toBeLessThanOrEqual(2);

    const outTradeNo = place.body.outTradeNo as string;
    const get = await ok('order', { action: 'get', outTradeNo }, shopper);
    expect(get.ops).toBeLessThanOrEqual(1);
    const start = await ok('pay', { action: 'start', outTradeNo }, shopper);
    expect(start.body.requestPayment.package).toMatch(/^prepay_id=/);
    expect(start.ops).toBeLessThanOrEqual(2);

    const note = paymentNotification(outTradeNo, place.body.payableFen, newTransactionId(), shopper);
    const applied = await notify(note);
    expect(applied.status).toBeLessThan(300);
    expect(applied.ops).toBeLessThanOrEqual(2);
    const duplicate = await notify(note);
    expect(duplicate.status).toBeLessThan(300);
    expect(duplicate.ops).toBeLessThanOrEqual(1);
    expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({ status: 'PAID', version: 3 });

    // A lost notification recovered by the status page: read the order, ask WeChat, one compare-and-set.
    const lost = two.body.outTradeNo as string;
    await ok('pay', { action: 'start', outTradeNo: lost }, shopper);
    await stack.sim.control.addFault({ kind: 'notify.drop', outTradeNo: lost });
    await stack.sim.control.pay(lost);
    const sync = await ok('pay', { action: 'sync', outTradeNo: lost }, shopper);
    expect(sync.body.status).toBe('PAID');
    expect(sync.ops).toBeLessThanOrEqual(2);
    await stack.sim.control.clearFaults();
  });

  it('a refund notification costs at most 3 round trips, a duplicate at most 2', async () => {
    const shopper = 'o-rt-refund-01';
    await ok('shop', { action: 'addToCart', skuId: 'sku-coffee-250g', quantity: 1 }, shopper);
    const placed = await ok(
      'order',
      { action: 'place', clientRequestKey: 'rt-refund-1', delivery: TEST_DELIVERY },
      shopper,
    );
    const outTradeNo = placed.body.outTradeNo as string;
    const paidFen = placed.body.payableFen as number;
    await ok('pay', { action: 'start', outTradeNo }, shopper);
    await stack.sim.control.pay(outTradeNo);
    await waitForStatus(stack, shopper, outTradeNo, 'PAID');
    // WeChat's own refund notifications are held back: this test delivers them and reads each one's cost.
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    try {
      const part = Math.floor(paidFen / 3);
      const first = await ok(
        'refund',
        { action: 'create', outTradeNo, amountFen: part, reason: '部分退款', requestKey: 'rt-refund-part-1' },
        ADMIN,
      );
      const rest = await ok(
        'refund',
        {
          action: 'create',
          outTradeNo,
          amountFen: paidFen - part,
          reason: '其余退款',
          requestKey: 'rt-refund-rest-1',
        },
        ADMIN,
      );
      await stack.sim.control.setRefundOutcome(first.body.outRefundNo, 'SUCCESS', { now: true });
      const note = await refundNotification(stack, first.body.outRefundNo);
      const before = (await adminGet(stack, 'orders', outTradeNo))!;
      const applied = await notify(note);
      expect(applied.status).toBe(200);
      expect(applied.ops).toBeLessThanOrEqual(3);
      const duplicate = await notify(note);
      expect(duplicate.status).toBe(200);
      expect(duplicate.ops).toBeLessThanOrEqual(2);
      // Applied once: one change of the order, the money and the refund agree.
      expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({
        status: 'REFUND_PROCESSING',
        refundedFen: part,
        refundReservedFen: paidFen,
        version: before.version + 1,
      });
      expect((await adminGet(stack, 'refunds', first.body.outRefundNo))!.status).toBe('SUCCESS');

      // The last refund settles the order: REFUNDED within the same budget.
      await stack.sim.control.setRefundOutcome(rest.body.outRefundNo, 'SUCCESS', { now: true });
      const last = await notify(await refundNotification(stack, rest.body.outRefundNo));
      expect(last.status).toBe(200);
      expect(last.ops).toBeLessThanOrEqual(3);
      expect((await adminGet(stack, 'orders', outTradeNo))!).toMatchObject({
        status: 'REFUNDED',
        refundedFen: paidFen,
        refundReservedFen: paidFen,
      });
      expect((await adminGet(stack, 'refunds', rest.body.outRefundNo))!.status).toBe('SUCCESS');
    } finally {
      await stack.sim.control.clearFaults();
    }
  });

  it('a flash sale sells out exactly: every shopper gets an order or OUT_OF_STOCK, never BUSY, never oversold', async () => {
    const sku = 'sku-coffee-500g';
    const STOCK = 40;
    const SHOPPERS = 120;
    await setStock(sku, STOCK);
    const shoppers = Array.from({ length: SHOPPERS }, (_, i) => `o-flash-${String(i).padStart(4, '0')}`);
    await Promise.all(shoppers.map((s) => ok('shop', { action: 'addToCart', skuId: sku, quantity: 1 }, s)));
    const answers = await Promise.all(
      shoppers.map((s) =>
        call('order', { action: 'place', clientRequestKey: `flash-${s}`, delivery: TEST_DELIVERY }, s),
      ),
    );
    const codes = answers.map((a) => (a.body.ok ? 'OK' : a.body.error.code));
    const tally = codes.reduce<Record<string, number>>((t, c) => ({ ...t, [c]: (t[c] ?? 0) + 1 }), {});
    expect(tally).toEqual({ OK: STOCK, 'ORDER.OUT_OF_STOCK': SHOPPERS - STOCK });
    expect((await adminGet(stack, 'skus', sku))!.stock).toBe(0);
    const sold = (
      await Promise.all(
        answers.filter((a) => a.body.ok).map((a) => adminGet(stack, 'orders', a.body.data.outTradeNo)),
      )
    ).reduce((n, o) => n + (o!.lines as { quantity: number }[]).reduce((q, l) => q + l.quantity, 0), 0);
    expect(sold).toBe(STOCK);
  });

  it("a busy SKU's document keeps only the holds of checkouts in flight: each decrement forgets written orders' holds", async () => {
    const sku = 'sku-longjing-50g';
    const shoppers = Array.from({ length: 5 }, (_, i) => `o-hold-forget-${i}`);
    const placed: string[] = [];
    for (const s of shoppers) {
      await ok('shop', { action: 'addToCart', skuId: sku, quantity: 1 }, s);
      const r = await ok(
        'order',
        { action: 'place', clientRequestKey: `forget-${s}`, delivery: TEST_DELIVERY },
        s,
      );
      // The forgetting rides on the decrement: order.place keeps its round trips.
      expect(r.ops).toBe(4);
      placed.push(r.body.outTradeNo);
    }
    const doc = (await adminGet(stack, 'skus', sku))!;
    // Only the last order's hold is left (no later decrement here has run since it was written); the sweep covers it.
    expect(Object.keys((doc.holds as object | undefined) ?? {})).toEqual([placed[placed.length - 1]]);
    // The orders own their stock: the sweep finds nothing to give back, and settles the last one.
    expect((await fire('closeExpired')).holdsReleased).toBe(0);
    expect(Object.keys(((await adminGet(stack, 'skus', sku))!.holds as object | undefined) ?? {})).toEqual(
      [],
    );
  });

  it('a multi-SKU order that cannot be filled gives back the SKUs it already held', async () => {
    const shopper = 'o-multi-sku-01';
    const plenty = 'sku-apples-5kg';
    const scarce = 'sku-tshirt-white-m';
    const before = (await adminGet(stack, 'skus', plenty))!.stock as number;
    await ok('shop', { action: 'addToCart', skuId: plenty, quantity: 2 }, shopper);
    await ok('shop', { action: 'addToCart', skuId: scarce, quantity: 1 }, shopper);
    // The scarce SKU (held after the plentiful one: SKUs are held in id order) sells out meanwhile.
    await setStock(scarce, 0);
    const r = await call(
      'order',
      { action: 'place', clientRequestKey: 'multi-sku-short-1', delivery: TEST_DELIVERY },
      shopper,
    );
    expect(r.body.ok).toBe(false);
    expect(r.body.error.code).toBe('ORDER.OUT_OF_STOCK');
    const after = (await adminGet(stack, 'skus', plenty))!;
    expect(after.stock).toBe(before);
    const holds = Object.values((after.holds as Record<string, { k: string }> | undefined) ?? {});
    expect(holds.filter((h) => h.k === 'multi-sku-short-1')).toHaveLength(0);
    expect(await adminCount(stack, 'orders', { openid: shopper })).toBe(0);
  });

  it('a decrement whose answer was lost is given back at once (the order is never written)', async () => {
    const shopper = 'o-lost-answer-01';
    const sku = 'sku-tote-natural';
    await ok('shop', { action: 'addToCart', skuId: sku, quantity: 2 }, shopper);
    const before = (await adminGet(stack, 'skus', sku))!.stock as number;
    // Every write to skus lands but its answer is lost (a timeout after the database applied it).
    stack.cloud.setWriteFaults({ rate: 1, when: 'after', collections: ['skus'] });
    let r: Answer;
    try {
      r = await call(
        'order',
        { action: 'place', clientRequestKey: 'lost-answer-1', delivery: TEST_DELIVERY },
        shopper,
      );
    } finally {
      stack.cloud.setWriteFaults(null);
    }
    expect(r.body.ok).toBe(false);
    const after = (await adminGet(stack, 'skus', sku))!;
    expect(after.stock).toBe(before);
    const holds = Object.values((after.holds as Record<string, { k: string }> | undefined) ?? {});
    expect(holds.filter((h) => h.k === 'lost-answer-1')).toHaveLength(0);
    expect(await adminCount(stack, 'orders', { openid: shopper })).toBe(0);
  });

  it('stock held by a checkout that died before writing its order comes back once, after the orphan window', async () => {
    const sku = 'sku-ginger-tea-box';
    const shopper = 'o-crashed-checkout';
    // A placed order: its hold is settled by the sweep, its stock stays sold.
    await ok('shop', { action: 'addToCart', skuId: sku, quantity: 1 }, shopper);
    const placed = await ok(
      'order',
      { action: 'place', clientRequestKey: 'crash-placed-1', delivery: TEST_DELIVERY },
      shopper,
    );
    const base = (await adminGet(stack, 'skus', sku))!.stock as number;
    // What a checkout killed between its decrement and its insert leaves: stock taken, a hold, no order.
    const _ = stack.cloud.db.command;
    await stack.cloud.db
      .collection('skus')
      .doc(sku)
      .update({
        data: {
          stock: _.inc(-3),
          'holds.O20260101000000000Crashed001': _.set({ q: 3, at: stack.now(), o: shopper, k: 'crash-lost' }),
        },
      });
    expect((await fire('closeExpired')).holdsReleased).toBe(0);
    let doc = (await adminGet(stack, 'skus', sku))!;
    expect(doc.stock).toBe(base - 3);
    // The live order's hold is forgotten; the orphan is still inside its window.
    expect(Object.keys(doc.holds as object)).toEqual(['O20260101000000000Crashed001']);
    await stack.advance(11 * MINUTE);
    expect((await fire('closeExpired')).holdsReleased).toBe(1);
    doc = (await adminGet(stack, 'skus', sku))!;
    expect(doc.stock).toBe(base);
    expect(Object.keys(doc.holds as object)).toHaveLength(0);
    expect((await fire('closeExpired')).holdsReleased).toBe(0);
    expect((await adminGet(stack, 'skus', sku))!.stock).toBe(base);
    expect((await adminGet(stack, 'orders', placed.body.outTradeNo))!.status).toBe('AWAITING_PAYMENT');
  });

  it('one transaction_id never pays two orders: a signed notification reusing it is refused with nothing written', async () => {
    const shopper = 'o-tx-reuse-01';
    const orderFor = async (key: string) => {
      await ok('shop', { action: 'addToCart', skuId: 'sku-longjing-50g', quantity: 1 }, shopper);
      const o = await ok(
        'order',
        { action: 'place', clientRequestKey: key, delivery: TEST_DELIVERY },
        shopper,
      );
      await ok('pay', { action: 'start', outTradeNo: o.body.outTradeNo }, shopper);
      return o.body as { outTradeNo: string; payableFen: number };
    };
    const a = await orderFor('tx-reuse-a-1');
    const b = await orderFor('tx-reuse-b-1');
    const tx = newTransactionId();
    expect((await notify(paymentNotification(a.outTradeNo, a.payableFen, tx, shopper))).status).toBe(200);
    await waitForStatus(stack, shopper, a.outTradeNo, 'PAID');
    const before = await adminGet(stack, 'orders', b.outTradeNo);
    const logged = jest.spyOn(console, 'log');
    try {
      const refused = await notify(paymentNotification(b.outTradeNo, b.payableFen, tx, shopper));
      expect(refused.status).toBe(400);
      expect(await adminGet(stack, 'orders', b.outTradeNo)).toEqual(before);
      const lines = logged.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => /"level":"error"/.test(l) && /payment\.transaction_reused/.test(l))).toBe(
        true,
      );
    } finally {
      logged.mockRestore();
    }
    expect((await adminGet(stack, 'metrics', 'payments.transaction_reused'))!.value).toBe(1);
    // The control: B's own transaction pays it.
    expect(
      (await notify(paymentNotification(b.outTradeNo, b.payableFen, newTransactionId(), shopper))).status,
    ).toBe(200);
    expect((await adminGet(stack, 'orders', b.outTradeNo))!.status).toBe('PAID');
  });
});
