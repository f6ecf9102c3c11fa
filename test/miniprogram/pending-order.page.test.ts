/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// "你有一笔待支付订单" on the home (goods) and cart pages: the shopper's newest order that can still be paid, with its
// amount and the time left on the server's clock; a tap opens it. Asked on every show; a failed call hides it and
// never blocks the page.
import { createHarness } from './harness';
import { placeOrder, useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-pending-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const BANNER = '#pending >>> #pending-order';
const listCalls = () =>
  h.ctl.requests.filter((r) => (r.data as { action?: string } | undefined)?.action === 'listMine');

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
});
afterEach(() => h.unloadAll());

describe('the pending-order banner', () => {
  it('on the cart: names the amount and counts down; a tap opens the order', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-ginger-tea-box', 2);
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });
    const page = await h.load('pages/cart/index');
    await page.waitForText('你有一笔待支付订单');
    expect(page.text()).toContain(`应付 ¥${(placed.payableFen / 100).toFixed(2)}`);
    expect(page.text()).toMatch(/剩余 \d\d:\d\d/);
    // The cart itself is shown as always.
    await page.waitForText('帆布托特包');
    expect(listCalls().map((r) => r.data)).toEqual([{ action: 'listMine', limit: 1, phase: 'awaiting' }]);
    await page.tap(BANNER);
    expect(h.ctl.navigations).toEqual([
      { kind: 'navigateTo', url: `/order/detail/index?outTradeNo=${placed.outTradeNo}` },
    ]);
  });

  it('on the home page too, and gone on the next show once the order is not payable', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    const page = await h.load('pages/goods/index');
    await page.waitForText('你有一笔待支付订单');
    expect(page.has(BANNER)).toBe(true);
    await stack.as(me).ok('order', 'cancel', { outTradeNo: placed.outTradeNo });
    await page.show();
    await page.waitFor('banner gone', () => !page.has(BANNER));
    expect(page.text()).toContain('云南小粒咖啡豆');
  });

  it('shows nothing for a shopper with no payable order', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    await stack.as(me).ok('order', 'cancel', { outTradeNo: placed.outTradeNo });
    const page = await h.load('pages/cart/index');
    await page.waitFor('cart loaded', (d) => d.loaded);
    await page.waitFor('asked', () => listCalls().length > 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(page.has(BANNER)).toBe(false);
    expect(page.text()).not.toContain('待支付订单');
  });

  it('a failed call never blocks the page: the cart shows, the banner does not', async () => {
    const me = newShopper();
    await placeOrder(stack, me, 'sku-tote-natural', 1);
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    h.ctl.faults.push({ when: 'before', action: 'listMine', times: 10 });
    try {
      const page = await h.load('pages/cart/index');
      await page.waitForText('手工红糖姜茶');
      expect(page.data.errorText).toBe('');
      expect(page.has(BANNER)).toBe(false);
    } finally {
      h.ctl.faults.length = 0;
    }
  });
});
