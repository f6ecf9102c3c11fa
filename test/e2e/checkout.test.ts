// order.checkout through the local stack (built bundles, local DB, simulator with real crypto): the shopper is charged
// the total the confirm page showed, or nothing — a price change between display and tap refuses without writing,
// and only a second tap at the new total places and opens the payment.
import { TEST_DELIVERY, adminCount, adminGet, useTestStack } from '../support/stack';

const SKU = 'sku-coffee-250g';
const TESTER = 'o-dev-tester';

describe('order.checkout', () => {
  const stack = useTestStack();

  async function setPrice(priceFen: number): Promise<void> {
    await stack.cloud.db.collection('skus').doc(SKU).update({ data: { priceFen } });
  }

  /** The cart's selected lines and total, as the confirm page shows them. */
  async function shown(openid: string) {
    const cart = await stack.as(openid).ok('shop', 'getCart', {});
    const lines = cart.lines.filter((l) => l.selected).map((l) => ({ skuId: l.skuId, quantity: l.quantity }));
    return { lines, payableFen: cart.selectedTotalFen };
  }

  it('a price change between display and tap is refused with nothing written; the second tap pays the new total', async () => {
    const shopper = 'o-checkout-price-01';
    const original = (await adminGet(stack, 'skus', SKU))!;
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: SKU, quantity: 2 });
    const seen = await shown(shopper);
    expect(seen.payableFen).toBe(original.priceFen * 2);

    const raised = (original.priceFen as number) + 500;
    await setPrice(raised);
    try {
      const ordersBefore = await adminCount(stack, 'orders', { openid: shopper });
      const refused = await stack.as(shopper).call('order', 'checkout', {
        clientRequestKey: 'checkout-price-01',
        delivery: TEST_DELIVERY,
        lines: seen.lines,
        displayedPayableFen: seen.payableFen,
      });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.error.code).toBe('ORDER.PRICE_CHANGED');
      expect('details' in refused.error && refused.error.details).toEqual({
        totalFen: raised * 2,
        payableFen: raised * 2,
        isTestOrder: false,
        lines: [
          expect.objectContaining({
            skuId: SKU,
            quantity: 2,
            unitPriceFen: raised,
            lineTotalFen: raised * 2,
          }),
        ],
        // Coffee may be sent or picked up; the local stack has a pickup point.
        deliveryKinds: ['express', 'pickup'],
        pickupPoint: expect.objectContaining({ name: '小店自提点' }),
      });
      // Nothing written: no order, stock as it was, no hold, the lines still in the cart, nothing at WeChat.
      expect(await adminCount(stack, 'orders', { openid: shopper })).toBe(ordersBefore);
      const sku = (await adminGet(stack, 'skus', SKU))!;
      expect(sku.stock).toBe(original.stock);
      expect(sku.holds ?? []).toEqual([]);
      expect((await shown(shopper)).lines).toEqual(seen.lines);

      // The second tap sends the total the page now shows (same key: the refusal used nothing of it).
      const second = await stack.as(shopper).ok('order', 'checkout', {
        clientRequestKey: 'checkout-price-01',
        delivery: TEST_DELIVERY,
        lines: seen.lines,
        displayedPayableFen: raised * 2,
      });
      expect(second.order).toMatchObject({ payableFen: raised * 2, status: 'AWAITING_PAYMENT' });
      expect(second.payment.outTradeNo).toBe(second.order.outTradeNo);
      expect(second.payment.requestPayment.package).toMatch(/^prepay_id=/);
      expect((await stack.sim.control.order(second.order.outTradeNo)).totalFen).toBe(raised * 2);
      expect((await adminGet(stack, 'skus', SKU))!.stock).toBe(original.stock - 2);
    } finally {
      await setPrice(original.priceFen as number);
    }
  });

  it('lines other than the cart selection are refused: the page must show what will be ordered', async () => {
    const shopper = 'o-checkout-lines-01';
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: SKU, quantity: 1 });
    const seen = await shown(shopper);
    // Another tab added one more after this page was shown: same SKU, a different quantity and total.
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: SKU, quantity: 1 });
    const refused = await stack.as(shopper).call('order', 'checkout', {
      clientRequestKey: 'checkout-lines-01',
      delivery: TEST_DELIVERY,
      lines: seen.lines,
      displayedPayableFen: seen.payableFen * 2,
    });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('ORDER.PRICE_CHANGED');
    expect(await adminCount(stack, 'orders', { openid: shopper })).toBe(0);
  });

  it('one call answers the order and its payment; a double tap answers the same order and prepay', async () => {
    const shopper = 'o-checkout-twice-01';
    await stack.as(shopper).ok('shop', 'addToCart', { skuId: SKU, quantity: 1 });
    const seen = await shown(shopper);
    const request = {
      clientRequestKey: 'checkout-twice-01',
      delivery: TEST_DELIVERY,
      lines: seen.lines,
      displayedPayableFen: seen.payableFen,
    };
    const [a, b] = await Promise.all([
      stack.as(shopper).ok('order', 'checkout', request),
      stack.as(shopper).ok('order', 'checkout', request),
    ]);
    const again = await stack.as(shopper).ok('order', 'checkout', request);
    expect(b.order.outTradeNo).toBe(a.order.outTradeNo);
    expect(again.order.outTradeNo).toBe(a.order.outTradeNo);
    expect(again.payment.requestPayment).toEqual(
      (await adminGet(stack, 'orders', a.order.outTradeNo))!.prepay.requestPayment,
    );
    expect(await adminCount(stack, 'orders', { openid: shopper })).toBe(1);

    await stack.sim.control.pay(a.order.outTradeNo);
    const paid = await stack.as(shopper).ok('pay', 'sync', { outTradeNo: a.order.outTradeNo });
    expect(paid).toMatchObject({ status: 'PAID', payableFen: seen.payableFen });
  });

  it('quote shows what checkout charges: the tester amount for a tester, and that total checks out at once', async () => {
    await stack.as(TESTER).ok('shop', 'addToCart', { skuId: SKU, quantity: 1 });
    const cart = await shown(TESTER);
    const quote = await stack.as(TESTER).ok('order', 'quote', {});
    expect(quote).toMatchObject({ isTestOrder: true, totalFen: cart.payableFen });
    expect(quote.payableFen).toBeLessThan(cart.payableFen);
    const placed = await stack.as(TESTER).ok('order', 'checkout', {
      clientRequestKey: 'checkout-tester-quote-01',
      delivery: TEST_DELIVERY,
      lines: quote.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity })),
      displayedPayableFen: quote.payableFen,
    });
    expect(placed.order).toMatchObject({ isTestOrder: true, payableFen: quote.payableFen });
    expect((await stack.sim.control.order(placed.order.outTradeNo)).totalFen).toBe(quote.payableFen);
  });

  it("a tester's page showing the goods' total is refused with the tester amount", async () => {
    await stack.as(TESTER).ok('shop', 'addToCart', { skuId: SKU, quantity: 1 });
    const seen = await shown(TESTER);
    const refused = await stack.as(TESTER).call('order', 'checkout', {
      clientRequestKey: 'checkout-tester-01',
      delivery: TEST_DELIVERY,
      lines: seen.lines,
      displayedPayableFen: seen.payableFen,
    });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('ORDER.PRICE_CHANGED');
    const testerFen =
      !refused.ok && 'details' in refused.error ? (refused.error.details?.payableFen as number) : 0;
    expect(testerFen).toBeLessThan(seen.payableFen);
    const placed = await stack.as(TESTER).ok('order', 'checkout', {
      clientRequestKey: 'checkout-tester-01',
      delivery: TEST_DELIVERY,
      lines: seen.lines,
      displayedPayableFen: testerFen,
    });
    expect(placed.order).toMatchObject({ isTestOrder: true, payableFen: testerFen });
  });
});
