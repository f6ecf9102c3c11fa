/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The goods list page, rendered from its real WXML with real TDesign components, against a real local stack.
import { createHarness } from './harness';
import { useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const skus = () => stack.cloud.db.collection('skus');

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
afterEach(() => h.unloadAll());

describe('goods list', () => {
  it('shows the catalog with prices from fen and stock hints, and opens a product', async () => {
    const page = await h.load('pages/goods/index');
    await page.waitForText('云南小粒咖啡豆');
    expect(page.text()).toMatch(/¥\s*68\.00\s*起/); // 6800 fen; two specs at different prices
    expect(page.text()).toMatch(/¥\s*29\.90/); // 2990 fen, one spec: no 起
    expect(page.text()).toContain('有货');
    await page.tap('#goods-p-coffee');
    expect(h.ctl.navigations.pop()).toEqual({
      kind: 'navigateTo',
      url: '/pages/goods-detail/index?id=p-coffee',
    });
  });

  it('opens one product page for a double tap, and opens again once the first opening is done', async () => {
    const page = await h.load('pages/goods/index');
    await page.waitForText('云南小粒咖啡豆');
    const before = h.ctl.navigations.length;
    // All three taps land before WeChat has pushed the first page.
    await Promise.all([
      page.tap('#goods-p-coffee'),
      page.tap('#goods-p-coffee'),
      page.tap('#goods-p-longjing'),
    ]);
    expect(h.ctl.navigations.slice(before)).toEqual([
      { kind: 'navigateTo', url: '/pages/goods-detail/index?id=p-coffee' },
    ]);
    await page.tap('#goods-p-longjing'); // the first opening completed: the shopper came back and taps again
    expect(h.ctl.navigations.slice(before)).toHaveLength(2);
  });

  it('renders the catalog in small chunks, without what the shop took off sale', async () => {
    const page = await h.load('pages/goods/index');
    await page.waitFor('first chunk', (d) => d.goods.length > 0);
    expect(page.data.goods).toHaveLength(6);
    expect(page.text()).not.toContain(page.page.catalog[6].title);
    page.page.onReachBottom();
    await page.waitFor('second chunk', (d) => d.goods.length === 7);
    // p-bamboo-cutlery is off sale: not offered at all (before: listed with 已售罄 and 已下架).
    expect(page.page.catalog.map((g: any) => g.productId)).not.toContain('p-bamboo-cutlery');
    expect(page.has('#goods-p-bamboo-cutlery')).toBe(false);
    expect(page.text()).not.toContain('已下架');
    expect(page.data.hasMore).toBe(false);
    // The second chunk went as path keys, not the whole list again.
    expect(page.largestSetData().bytes).toBeLessThan(2500);
  });

  it('keeps a sold-out product listed as 已售罄, and drops an off-sale one', async () => {
    try {
      await skus()
        .doc('sku-tote-natural')
        .update({ data: { stock: 0 } });
      await skus()
        .doc('sku-ginger-tea-box')
        .update({ data: { onSale: false } });
      const page = await h.load('pages/goods/index');
      await page.waitFor('catalog', (d) => d.goods.length > 0);
      const ids = page.page.catalog.map((g: any) => g.productId);
      expect(ids).toContain('p-tote');
      expect(ids).not.toContain('p-ginger-tea');
      page.page.onReachBottom();
      await page.waitFor('all shown', (d) => !d.hasMore);
      expect(page.has('#goods-p-tote.goods-card--soldout')).toBe(true);
      expect(page.text()).toContain('已售罄');
    } finally {
      await skus()
        .doc('sku-tote-natural')
        .update({ data: { stock: 70 } });
      await skus()
        .doc('sku-ginger-tea-box')
        .update({ data: { onSale: true } });
    }
  });

  it('shares the shop', async () => {
    const page = await h.load('pages/goods/index');
    // The page's first load must settle before the test ends: its answer would land after the page is torn down.
    await page.waitFor('catalog', (d) => d.goods.length > 0);
    expect(page.page.onShareAppMessage()).toEqual({ title: '安心小店', path: '/pages/goods/index' });
  });
});
