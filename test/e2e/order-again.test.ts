// 我的订单's tabs and 再来一单 through the local stack: order.listMine filters by phase in the database and pages each
// phase on its own; order.again puts a closed or paid order's lines back in its owner's cart at today's prices and
// availability, refuses an order still awaiting payment (pay it instead) and answers NOT_FOUND to anyone else.
import { adminGet, placeOrder, useTestStack } from '../support/stack';
import { TEST_DELIVERY } from '../../devcloud/test-support/delivery';

const stack = useTestStack();

async function setSku(skuId: string, patch: Record<string, unknown>): Promise<void> {
  await stack.cloud.db.collection('skus').doc(skuId).update({ data: patch });
}

/** Places one order for `lines`, in that order (the cart holds only them, selected). */
async function orderOf(openid: string, lines: Array<[string, number]>): Promise<any> {
  await stack.as(openid).ok('shop', 'clearCart', {});
  for (const [skuId, quantity] of lines) {
    await stack.as(openid).ok('shop', 'addToCart', { skuId, quantity });
  }
  return stack.as(openid).ok('order', 'place', {
    clientRequestKey: `again-${openid}-${Date.now()}`,
    delivery: TEST_DELIVERY,
  });
}

async function pay(openid: string, outTradeNo: string): Promise<void> {
  await stack.as(openid).ok('pay', 'start', { outTradeNo });
  await stack.sim.control.pay(outTradeNo);
  await stack.as(openid).ok('pay', 'sync', { outTradeNo });
}

describe('order.listMine by phase', () => {
  const ME = 'o-list-phase-01';

  it("answers only the phase's orders, newest first, paged by beforeMs; an unknown phase is refused", async () => {
    const closed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await placeOrder(stack, ME, 'sku-tote-natural', 1);
      await stack.as(ME).ok('order', 'cancel', { outTradeNo: o.outTradeNo });
      closed.unshift(o.outTradeNo);
      await new Promise((r) => setTimeout(r, 3));
    }
    const paid = await placeOrder(stack, ME, 'sku-tote-natural', 1);
    await pay(ME, paid.outTradeNo);
    const awaiting: string[] = [];
    for (let i = 0; i < 4; i++) {
      awaiting.unshift((await placeOrder(stack, ME, 'sku-tote-natural', 1)).outTradeNo);
      await new Promise((r) => setTimeout(r, 3));
    }

    // The 5 newest are not closed: the first page of the closed tab still holds closed orders only.
    const first = await stack.as(ME).ok('order', 'listMine', { phase: 'closed', limit: 2 });
    expect(first.map((o) => o.outTradeNo)).toEqual(closed.slice(0, 2));
    expect(first.every((o) => o.phase === 'closed' && o.canBuyAgain && !o.canPay)).toBe(true);
    const next = await stack.as(ME).ok('order', 'listMine', {
      phase: 'closed',
      limit: 2,
      beforeMs: first[1]!.createdAtMs,
    });
    expect(next.map((o) => o.outTradeNo)).toEqual(closed.slice(2));

    const paidTab = await stack.as(ME).ok('order', 'listMine', { phase: 'paid' });
    expect(paidTab.map((o) => [o.outTradeNo, o.phase, o.canBuyAgain])).toEqual([
      [paid.outTradeNo, 'paid', true],
    ]);
    const pending = await stack.as(ME).ok('order', 'listMine', { phase: 'awaiting', limit: 1 });
    expect(pending.map((o) => [o.outTradeNo, o.canPay, o.canBuyAgain])).toEqual([[awaiting[0], true, false]]);
    expect(await stack.as(ME).ok('order', 'listMine', { phase: 'refund' })).toEqual([]);
    expect(await stack.as(ME).ok('order', 'listMine', { limit: 50 })).toHaveLength(8);

    const bogus = await stack.as(ME).call('order', 'listMine', { phase: 'shipped' } as never);
    expect(bogus).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
  });
});

describe('order.again', () => {
  it("copies a closed order's lines back at today's price and stock, selected; the cart's other lines unselected", async () => {
    const ME = 'o-again-closed-01';
    const order = await orderOf(ME, [
      ['sku-coffee-250g', 2],
      ['sku-apples-10kg', 3],
    ]);
    await stack.as(ME).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    expect(await stack.as(ME).ok('shop', 'getCart', {})).toMatchObject({ lines: [] });
    await stack.as(ME).ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });

    const coffee = (await adminGet(stack, 'skus', 'sku-coffee-250g'))!;
    const apples = (await adminGet(stack, 'skus', 'sku-apples-10kg'))!;
    await setSku('sku-coffee-250g', { priceFen: coffee.priceFen + 100 });
    await setSku('sku-apples-10kg', { stock: 1 });
    try {
      const cart = await stack.as(ME).ok('order', 'again', { outTradeNo: order.outTradeNo });
      const shown = (c: typeof cart) =>
        c.lines.map((l) => [l.skuId, l.quantity, l.selected, l.unitPriceFen, l.problem]);
      expect(shown(cart)).toEqual([
        ['sku-tote-natural', 1, false, 3900, null],
        ['sku-coffee-250g', 2, true, coffee.priceFen + 100, null],
        ['sku-apples-10kg', 1, true, apples.priceFen, null],
      ]);
      expect(cart.selectedTotalFen).toBe((coffee.priceFen + 100) * 2 + apples.priceFen);
      // What the cart stores (the next getCart reads it back).
      expect(shown(await stack.as(ME).ok('shop', 'getCart', {}))).toEqual(shown(cart));
      // The quote charges today's price for what was asked again, not the tote.
      const quote = await stack.as(ME).ok('order', 'quote', {});
      expect(quote.totalFen).toBe(cart.selectedTotalFen);
    } finally {
      await setSku('sku-coffee-250g', { priceFen: coffee.priceFen });
      await setSku('sku-apples-10kg', { stock: apples.stock });
    }
  });

  it('a SKU that cannot be bought now comes back as a 失效 line, unselected', async () => {
    const ME = 'o-again-offsale-01';
    const order = await orderOf(ME, [
      ['sku-tshirt-white-m', 1],
      ['sku-longjing-50g', 1],
    ]);
    await pay(ME, order.outTradeNo);
    await setSku('sku-tshirt-white-m', { onSale: false });
    try {
      const cart = await stack.as(ME).ok('order', 'again', { outTradeNo: order.outTradeNo });
      expect(cart.lines.map((l) => [l.skuId, l.selected, l.problem])).toEqual([
        ['sku-tshirt-white-m', false, 'OFF_SALE'],
        ['sku-longjing-50g', true, null],
      ]);
    } finally {
      await setSku('sku-tshirt-white-m', { onSale: true });
    }
  });

  it('refuses an order still awaiting payment (nothing changed) and answers NOT_FOUND to another shopper', async () => {
    const ME = 'o-again-awaiting-01';
    const order = await orderOf(ME, [['sku-coffee-500g', 1]]);
    expect(order).toMatchObject({ canPay: true, canBuyAgain: false });
    await stack.as(ME).ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });
    const refused = await stack.as(ME).call('order', 'again', { outTradeNo: order.outTradeNo });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ORDER.STILL_PAYABLE' } });
    const cart = await stack.as(ME).ok('shop', 'getCart', {});
    expect(cart.lines.map((l) => [l.skuId, l.selected])).toEqual([['sku-tote-natural', true]]);

    await stack.as(ME).ok('order', 'cancel', { outTradeNo: order.outTradeNo });
    const stranger = await stack
      .as('o-again-stranger-01')
      .call('order', 'again', { outTradeNo: order.outTradeNo });
    expect(stranger).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_FOUND' } });
    expect((await stack.as('o-again-stranger-01').ok('shop', 'getCart', {})).lines).toEqual([]);
  });
});
