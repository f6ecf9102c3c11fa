/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// 我的订单: tabs by status, pull-down refresh, paging by beforeMs; and the environment banner of develop/trial builds.
import { createHarness } from './harness';
import { placeOrder, useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const ME = 'o-orders-list';

beforeAll(async () => {
  h.configure({
    transport: 'local',
    gatewayUrl: stack.gatewayUrl,
    simulatorUrl: stack.simulatorUrl,
    openid: ME,
  });
  // 12 orders: 3 cancelled, 2 paid, the rest awaiting payment.
  for (let i = 0; i < 12; i++) {
    const o = await placeOrder(stack, ME, 'sku-tote-natural', 1);
    if (i < 3) await stack.as(ME).ok('order', 'cancel', { outTradeNo: o.outTradeNo });
    if (i >= 3 && i < 5) {
      await stack.as(ME).ok('pay', 'start', { outTradeNo: o.outTradeNo });
      await stack.sim.control.pay(o.outTradeNo);
      await stack.as(ME).ok('pay', 'sync', { outTradeNo: o.outTradeNo });
    }
    await new Promise((r) => setTimeout(r, 3)); // distinct createdAtMs for paging
  }
});
afterEach(() => h.unloadAll());

const listCalls = () =>
  h.ctl.requests.filter((r) => (r.data as { action?: string } | undefined)?.action === 'listMine');

describe('my orders', () => {
  it('names the amount 应付 on unpaid cards, 实付 on paid ones, and nothing on orders closed unpaid', async () => {
    const page = await h.load('pages/orders/index');
    await page.waitFor('first page', (d) => d.loaded && !d.loading);
    page.page.onReachBottom();
    await page.waitFor('all cards', (d) => d.orders.length === 12 && !d.loading);
    const words = page.data.orders.map(
      (o: { label: string; amountLabel: string }) => `${o.label}:${o.amountLabel}`,
    );
    expect(new Set(words)).toEqual(new Set(['待支付:应付', '已支付:实付', '已取消:']));
    // Where the goods are, on the cards of paid orders only (staff.page.test.ts ships one: 已发货).
    const ship = page.data.orders.map(
      (o: { label: string; shipLabel: string }) => `${o.label}:${o.shipLabel}`,
    );
    expect(new Set(ship)).toEqual(new Set(['待支付:', '已支付:待发货', '已取消:']));
    const text = page.text();
    expect(text.match(/实付/g)).toHaveLength(2);
    expect(text.match(/待发货/g)).toHaveLength(2);
    expect(text.match(/应付/g)).toHaveLength(7);
  });

  it('pages with beforeMs as the shopper scrolls, newest first', async () => {
    h.ctl.requests.length = 0;
    const page = await h.load('pages/orders/index');
    await page.waitFor('first page', (d) => d.loaded && !d.loading);
    expect(page.data.orders).toHaveLength(10);
    expect(page.text()).toContain('上拉加载更多');
    page.page.onReachBottom();
    await page.waitFor('second page', (d) => d.orders.length === 12 && !d.loading);
    expect(page.text()).toContain('没有更多了');
    const [first, second] = listCalls();
    expect((first!.data as { beforeMs?: number }).beforeMs).toBeUndefined();
    const tenth = page.page.all[9];
    expect((second!.data as { beforeMs?: number }).beforeMs).toBe(tenth.createdAtMs);
    // Appending sent only the new cards (path keys), not the list again.
    expect(page.largestSetData().bytes).toBeLessThan(4000);
  });

  it('filters by status tab and opens an order', async () => {
    const page = await h.load('pages/orders/index');
    await page.waitFor('loaded', (d) => d.loaded && !d.loading);
    await page.tapNth('#tabs >>> .t-tabs__item', 3); // 已关闭, tapped on TDesign's own tab
    await page.waitFor('closed tab', (d) => d.tab === 'closed');
    // The first page (10 newest) holds one of the three cancelled orders; scrolling fetches the rest.
    expect(page.data.orders.map((o: { label: string }) => o.label)).toEqual(['已取消']);
    page.page.onReachBottom();
    await page.waitFor('more closed', (d) => !d.loading && d.orders.length === 3);
    expect(page.data.orders.map((o: { label: string }) => o.label)).toEqual(['已取消', '已取消', '已取消']);
    await page.fire('#tabs', 'change', { value: 'paid', label: '已支付' });
    await page.waitFor('paid tab', (d) => d.tab === 'paid' && d.orders.length === 2);
    expect(page.data.orders.map((o: { label: string }) => o.label)).toEqual(['已支付', '已支付']);
    await page.fire('#tabs', 'change', { value: 'refund', label: '退款/售后' });
    await page.waitFor('refund tab', (d) => d.tab === 'refund' && d.loaded && !d.loading);
    expect(page.text()).toContain('没有这类订单');
    await page.fire('#tabs', 'change', { value: 'awaiting', label: '待支付' });
    await page.waitFor('awaiting tab', (d) => d.tab === 'awaiting' && d.orders.length > 0);
    const no = page.data.orders[0].outTradeNo;
    await page.tap(`#order-${no}`);
    expect(h.ctl.navigations.pop()).toEqual({
      kind: 'navigateTo',
      url: `/order/detail/index?outTradeNo=${no}`,
    });
  });

  it('pull-down refresh shows a new order and stops the spinner', async () => {
    const page = await h.load('pages/orders/index');
    await page.waitFor('loaded', (d) => d.loaded && !d.loading);
    const placed = await placeOrder(stack, ME, 'sku-ginger-tea-box', 1);
    expect(page.text()).not.toContain('手工红糖姜茶');
    const stops = h.ctl.pullDownStops;
    await page.page.onPullDownRefresh();
    await page.waitForText('手工红糖姜茶');
    expect(page.data.orders[0].outTradeNo).toBe(placed.outTradeNo);
    expect(h.ctl.pullDownStops).toBe(stops + 1);
  });
});

describe('environment banner', () => {
  afterAll(() => {
    h.configure({
      transport: 'local',
      gatewayUrl: stack.gatewayUrl,
      simulatorUrl: stack.simulatorUrl,
      openid: ME,
    });
    h.ctl.envVersion = 'develop';
  });

  it('trial builds say so and that money is real; release builds show nothing; cloud builds hide the dev panel', async () => {
    h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl });
    h.ctl.envVersion = 'trial';
    let page = await h.load('pages/goods/index');
    await page.waitForText('体验版 · 支付为真实扣款');
    page.unload();
    h.ctl.envVersion = 'release';
    page = await h.load('pages/goods/index');
    await page.waitForText('云南小粒咖啡豆');
    expect(page.has('.env-banner')).toBe(false);
    page.unload();
    const orders = await h.load('pages/orders/index');
    await orders.waitFor('loaded', (d) => d.loaded && !d.loading);
    expect(orders.text()).not.toContain('开发者面板');
    // A cloud build never calls the local gateway with a dev identity: its calls carry WeChat's identity.
    expect(h.ctl.requests.at(-1)!.header['x-wx-openid']).toBe(ME);
  });
});
