/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The goods list page, rendered from its real WXML with real TDesign components, against a real local stack.
import { createHarness } from './harness';
import { useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();

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

  it('renders the catalog in small chunks and marks goods that cannot be bought', async () => {
    const page = await h.load('pages/goods/index');
    await page.waitFor('first chunk', (d) => d.goods.length > 0);
    expect(page.data.goods).toHaveLength(6);
    expect(page.text()).not.toContain(page.page.catalog[7].title);
    page.page.onReachBottom();
    await page.waitFor('second chunk', (d) => d.goods.length === 8);
    // Off sale: the card says so and is greyed out.
    expect(page.has('#goods-p-bamboo-cutlery.goods-card--soldout')).toBe(true);
    expect(page.text()).toContain('已下架');
    expect(page.data.hasMore).toBe(false);
    // The second chunk went as two path keys, not the whole list again.
    expect(page.largestSetData().bytes).toBeLessThan(2500);
  });
});
