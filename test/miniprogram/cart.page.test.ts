/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// Goods detail and cart pages: real WXML + TDesign, real functions over HTTP on a real local stack.
import { createHarness, thumbOf } from './harness';
import { adminGet, useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
/** A fresh shopper per test: carts do not leak between tests. */
function newShopper(): string {
  const openid = `o-cart-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
afterEach(() => h.unloadAll());

const skus = () => stack.cloud.db.collection('skus');

describe('goods detail', () => {
  it('adds the chosen spec and quantity to the cart, bounded by the per-order limit', async () => {
    const me = newShopper();
    const page = await h.load('pages/goods-detail/index?id=p-longjing');
    await page.waitForText('明前龙井绿茶');
    await page.tap('#spec-sku-longjing-gift');
    expect(page.text()).toContain('每单限购 5 件');
    expect(page.text()).toMatch(/¥\s*188\.00/);
    for (let i = 0; i < 6; i++) await page.tap('#qty >>> .t-stepper__plus');
    expect(page.data.quantity).toBe(5); // the stepper stops at maxQuantity
    await page.tap('#add >>> .t-button');
    await page.waitFor('add finished', (d) => !d.adding);
    expect(h.ctl.toasts).toContain('已加入购物车');
    const cart = await stack.as(me).ok('shop', 'getCart');
    expect(cart.lines).toEqual([expect.objectContaining({ skuId: 'sku-longjing-gift', quantity: 5 })]);
  });

  it('shows 每单限购 only where the shop set a limit, and shares the product', async () => {
    newShopper();
    const page = await h.load('pages/goods-detail/index?id=p-coffee');
    await page.waitForText('云南小粒咖啡豆');
    await page.tap('#spec-sku-coffee-250g'); // 120 in stock, no limit set: before, "每单限购 99 件"
    expect(page.data.buyable).toBe(true);
    expect(page.text()).not.toContain('限购');
    expect(page.page.onShareAppMessage()).toEqual(
      expect.objectContaining({ title: '云南小粒咖啡豆', path: '/pages/goods-detail/index?id=p-coffee' }),
    );
  });

  it('after an add whose answer was lost, re-reads the cart and says what it holds before the button works again', async () => {
    const me = newShopper();
    const page = await h.load('pages/goods-detail/index?id=p-coffee');
    await page.waitForText('云南小粒咖啡豆');
    await page.tap('#spec-sku-coffee-250g');
    await page.tap('#qty >>> .t-stepper__plus');
    // The add lands on the server; its answer never comes back (addToCart is not retried: a repeat adds twice).
    h.ctl.faults.push({ when: 'after', urlContains: '/fn/shop', action: 'addToCart', times: 1 });
    const request = h.wx.request;
    const addingWhenReread: boolean[] = [];
    h.wx.request = (o: any) => {
      if (o.data?.action === 'getCart') addingWhenReread.push(page.data.adding);
      return request(o);
    };
    try {
      await page.tap('#add >>> .t-button');
      await page.waitFor('add settled', (d) => !d.adding);
    } finally {
      h.wx.request = request;
    }
    expect(addingWhenReread).toEqual([true]); // the button stays busy until the cart was read again
    expect(page.text()).toContain('已在购物车：250g 袋装 共 2 件');
    expect(page.text()).not.toContain('网络不太顺畅');
    const cart = await stack.as(me).ok('shop', 'getCart');
    expect(cart.lines).toEqual([expect.objectContaining({ skuId: 'sku-coffee-250g', quantity: 2 })]);
  });

  it('after a lost add that did not land, keeps the network words and lets the shopper try again', async () => {
    newShopper();
    const page = await h.load('pages/goods-detail/index?id=p-coffee');
    await page.waitForText('云南小粒咖啡豆');
    await page.tap('#spec-sku-coffee-250g');
    h.ctl.faults.push({ when: 'before', urlContains: '/fn/shop', action: 'addToCart', times: 1 });
    const before = h.ctl.requests.length;
    await page.tap('#add >>> .t-button');
    await page.waitFor('add settled', (d) => !d.adding);
    expect(h.ctl.requests.slice(before).some((r) => (r.data as any)?.action === 'getCart')).toBe(true);
    expect(page.text()).toContain('网络不太顺畅');
    expect(page.text()).not.toContain('已在购物车');
    await page.tap('#add >>> .t-button');
    await page.waitFor('second add', (d) => !d.adding);
    expect(page.text()).not.toContain('网络不太顺畅');
    expect(h.ctl.toasts).toContain('已加入购物车');
  });

  it('cannot buy a sold-out spec', async () => {
    newShopper();
    const page = await h.load('pages/goods-detail/index?id=p-tshirt');
    await page.waitForText('纯棉印花T恤');
    await page.tap('#spec-sku-tshirt-black-l');
    expect(page.text()).toContain('暂时无法购买');
    expect(page.data.buyable).toBe(false);
    const before = h.ctl.requests.length;
    await page.tap('#add >>> .t-button');
    expect(h.ctl.requests.length).toBe(before); // disabled: no call
  });
});

describe('cart', () => {
  it('is empty for a new shopper, with a way back to the shop', async () => {
    newShopper();
    const page = await h.load('pages/cart/index');
    await page.waitForText('购物车还是空的');
    await page.tap('#go-shopping >>> .t-button');
    expect(h.ctl.navigations.pop()).toEqual({ kind: 'switchTab', url: '/pages/goods/index' });
  });

  it('changes quantities within the line limit, selects, totals as the server does, removes', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-apples-10kg', quantity: 1 }); // max 3
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 2 });
    const page = await h.load('pages/cart/index');
    await page.waitForText('新疆阿克苏冰糖心苹果');
    expect(page.text()).toMatch(/¥\s*295\.90/); // 15990 + 2 × 6800 fen

    for (let i = 0; i < 4; i++) {
      await page.tap('#qty-sku-apples-10kg >>> .t-stepper__plus');
      await page.waitFor('change settled', (d) => !d.busy);
    }
    let cart = await stack.as(me).ok('shop', 'getCart');
    expect(cart.lines.find((l) => l.skuId === 'sku-apples-10kg')!.quantity).toBe(3);
    expect(page.text()).toMatch(/¥\s*615\.70/); // 3 × 15990 + 13600

    await page.tap('#qty-sku-apples-10kg >>> .t-stepper__minus');
    await page.waitFor('minus settled', (d) => !d.busy && d.cart.lines[0].quantity === 2);

    // Deselect the coffee: the total is the server's selectedTotalFen.
    await page.tap('#check-sku-coffee-250g >>> .t-checkbox__content');
    await page.waitFor('deselected', (d) => !d.busy && d.cart.lines[1].selected === false);
    expect(page.text()).toMatch(/合计\s*¥\s*319\.80/);
    expect(page.text()).toContain('去结算(2)'); // the server counts selected units
    await page.tap('#check-all >>> .t-checkbox__content');
    await page.waitFor('all selected', (d) => !d.busy && d.cart.allSelected);

    h.ctl.modalAnswers.push(true);
    await page.tap('#remove-sku-coffee-250g');
    await page.waitFor('removed', (d) => d.cart.lines.length === 1);
    cart = await stack.as(me).ok('shop', 'getCart');
    expect(cart.lines.map((l: any) => l.skuId)).toEqual(['sku-apples-10kg']);
    expect(h.ctl.modals.pop()?.title).toBe('删除商品');

    await page.tap('#checkout >>> .t-button');
    expect(h.ctl.navigations.pop()).toEqual({ kind: 'navigateTo', url: '/order/confirm/index' });
  });

  it('shows lines that cannot be bought as they stand, and blocks checkout while one is selected', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-tshirt-white-m', quantity: 2 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-tshirt-white-l', quantity: 3 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-longjing-gift', quantity: 4 });
    // The shopper saw these prices when adding (the goods detail page remembers them).
    h.ctl.storage.set('cart.seenPrices', { 'sku-ginger-tea-box': 2990 });
    try {
      await skus()
        .doc('sku-tshirt-white-m')
        .update({ data: { stock: 0 } });
      await skus()
        .doc('sku-tote-natural')
        .update({ data: { onSale: false } });
      await skus()
        .doc('sku-ginger-tea-box')
        .update({ data: { priceFen: 3290 } });
      await skus()
        .doc('sku-tshirt-white-l')
        .update({ data: { stock: 2 } });
      await skus()
        .doc('sku-longjing-gift')
        .update({ data: { maxPerOrder: 2 } });
      const page = await h.load('pages/cart/index');
      await page.waitForText('纯棉印花T恤');
      expect(page.has('#line-sku-tshirt-white-m.line--soldout')).toBe(true);
      expect(page.has('#line-sku-tote-natural.line--offsale')).toBe(true);
      expect(page.has('#line-sku-ginger-tea-box.line--price')).toBe(true);
      expect(page.has('#line-sku-tshirt-white-l.line--lowstock')).toBe(true);
      expect(page.has('#line-sku-longjing-gift.line--overlimit')).toBe(true);
      expect(page.text()).toContain('已售罄');
      expect(page.text()).toContain('已下架');
      expect(page.text()).toContain('价格有变动：加入时 ¥29.90，现价 ¥32.90');
      expect(page.text()).toContain('库存不足，仅剩 2 件');
      expect(page.text()).toContain('超出限购，最多可买 2 件');
      expect(page.data.cart.blockedText).not.toBe('');
      const before = h.ctl.navigations.length;
      await page.tap('#checkout >>> .t-button');
      expect(h.ctl.navigations.length).toBe(before);
    } finally {
      await skus()
        .doc('sku-tshirt-white-m')
        .update({ data: { stock: 25 } });
      await skus()
        .doc('sku-tote-natural')
        .update({ data: { onSale: true } });
      await skus()
        .doc('sku-ginger-tea-box')
        .update({ data: { priceFen: 2990 } });
      await skus()
        .doc('sku-tshirt-white-l')
        .update({ data: { stock: 18 } });
      await skus()
        .doc('sku-longjing-gift')
        .update({ data: { maxPerOrder: 5 } });
    }
  });

  it('groups sold-out and off-sale lines as 失效商品: not selectable, not checked out, cleared with 清空', async () => {
    const me = newShopper(); // SKUs the test above leaves alone: a cart change may see a catalog a few seconds old
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 1 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-apples-5kg', quantity: 1 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-longjing-50g', quantity: 2 });
    try {
      await skus()
        .doc('sku-apples-5kg')
        .update({ data: { onSale: false } });
      await skus()
        .doc('sku-longjing-50g')
        .update({ data: { stock: 0 } });
      const page = await h.load('pages/cart/index');
      await page.waitForText('失效商品 2 件');
      await page.waitFor(
        'invalid lines unselected',
        (d) => !d.busy && d.cart.invalid.every((l: any) => !l.selected),
      );
      // Before: both lines sat among the others with a checkbox and blocked checkout while selected.
      expect(page.has('#invalid #line-sku-apples-5kg.line--offsale')).toBe(true);
      expect(page.has('#invalid #line-sku-longjing-50g.line--soldout')).toBe(true);
      expect(page.has('#check-sku-apples-5kg')).toBe(false);
      expect(page.has('#check-sku-longjing-50g')).toBe(false);
      expect(page.data.cart.lines.map((l: any) => l.skuId)).toEqual(['sku-coffee-250g']);
      // The server holds them unselected too: checkout takes only the coffee.
      let cart = await stack.as(me).ok('shop', 'getCart');
      expect(cart.lines.filter((l) => l.selected).map((l) => l.skuId)).toEqual(['sku-coffee-250g']);
      expect(page.data.cart.blockedText).toBe('');
      await page.tap('#checkout >>> .t-button');
      expect(h.ctl.navigations.pop()).toEqual({ kind: 'navigateTo', url: '/order/confirm/index' });

      h.ctl.modalAnswers.push(true);
      await page.tap('#clear-invalid');
      await page.waitFor('cleared', (d) => !d.busy && d.cart.invalid.length === 0);
      expect(h.ctl.modals.pop()?.title).toBe('清空失效商品');
      expect(page.text()).not.toContain('失效商品');
      cart = await stack.as(me).ok('shop', 'getCart');
      expect(cart.lines.map((l) => l.skuId)).toEqual(['sku-coffee-250g']);
    } finally {
      await skus()
        .doc('sku-apples-5kg')
        .update({ data: { onSale: true } });
      await skus()
        .doc('sku-longjing-50g')
        .update({ data: { stock: 80 } });
    }
  });

  it("shows each line's picture as a thumbnail, and a placeholder for a product without one", async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-coffee-500g', quantity: 1 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    const products = stack.cloud.db.collection('products');
    const ginger = (await adminGet(stack, 'products', 'p-ginger-tea'))!;
    const coffee = (await adminGet(stack, 'products', 'p-coffee'))!;
    await products.doc('p-ginger-tea').update({ data: { imageUrl: stack.cloud.db.command.remove() } });
    try {
      const page = await h.load('pages/cart/index');
      await page.waitForText('云南小粒咖啡豆');
      expect(thumbOf(page, '#thumb-sku-coffee-500g')).toEqual({
        src: coffee.imageUrl,
        mode: 'aspectFill',
        lazyLoad: true,
      });
      expect(coffee.imageUrl).toMatch(/\/static\/goods\/p-coffee\.svg$/);
      expect(page.data.cart.lines.map((l: any) => l.skuId)).toContain('sku-ginger-tea-box');
      expect(thumbOf(page, '#thumb-sku-ginger-tea-box')).toBe('placeholder');
    } finally {
      await products.doc('p-ginger-tea').update({ data: { imageUrl: ginger.imageUrl } });
    }
  });

  it('retries a read that lost its answer and shows the cart', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-coffee-500g', quantity: 1 });
    h.ctl.faults.push({ when: 'before', urlContains: '/fn/shop', action: 'getCart', times: 2 });
    const page = await h.load('pages/cart/index');
    await page.waitForText('云南小粒咖啡豆');
    const getCarts = h.ctl.requests.filter((r) => (r.data as any)?.action === 'getCart').slice(-3);
    expect(getCarts.map((r) => r.failed === null)).toEqual([false, false, true]);
  });

  it('after retries run out, says so in Chinese and offers a retry', async () => {
    newShopper();
    h.ctl.faults.push({ when: 'before', urlContains: '/fn/shop', action: 'getCart', times: 4 });
    const page = await h.load('pages/cart/index');
    await page.waitForText('网络不太顺畅，请检查网络后重试');
    await page.tap('#retry >>> .t-button');
    await page.waitForText('购物车还是空的');
  });
});
