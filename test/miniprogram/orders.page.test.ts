/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// 我的订单: tabs by status, pull-down refresh, paging by beforeMs; and the environment banner of develop/trial builds.
import { createHarness, thumbOf } from './harness';
import { adminGet, placeOrder, useTestStack } from '../support/stack';
import { TEST_DELIVERY } from '../../devcloud/test-support/delivery';

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

  it("asks the server for the tab's phase, pages each tab on its own, and opens an order", async () => {
    h.ctl.requests.length = 0;
    const page = await h.load('pages/orders/index');
    await page.waitFor('loaded', (d) => d.loaded && !d.loading);
    await page.tapNth('#tabs >>> .t-tabs__item', 3); // 已关闭, tapped on TDesign's own tab
    await page.waitFor('closed tab', (d) => d.tab === 'closed' && d.loaded && !d.loading);
    // The server filtered: all three cancelled orders on the first page, though the ten newest hold only one.
    expect(page.data.orders.map((o: { label: string }) => o.label)).toEqual(['已取消', '已取消', '已取消']);
    expect(page.text()).toContain('没有更多了');
    expect(listCalls().at(-1)!.data).toEqual({ action: 'listMine', limit: 10, phase: 'closed' });
    await page.fire('#tabs', 'change', { value: 'paid', label: '已支付' });
    await page.waitFor('paid tab', (d) => d.tab === 'paid' && d.orders.length === 2);
    expect(page.data.orders.map((o: { label: string }) => o.label)).toEqual(['已支付', '已支付']);
    await page.fire('#tabs', 'change', { value: 'refund', label: '退款/售后' });
    await page.waitFor('refund tab', (d) => d.tab === 'refund' && d.loaded && !d.loading);
    expect(page.text()).toContain('没有这类订单');
    await page.fire('#tabs', 'change', { value: 'awaiting', label: '待支付' });
    await page.waitFor('awaiting tab', (d) => d.tab === 'awaiting' && d.orders.length > 0 && !d.loading);
    expect(page.data.orders).toHaveLength(7);
    const no = page.data.orders[0].outTradeNo;
    await page.tap(`#order-${no}`);
    expect(h.ctl.navigations.pop()).toEqual({
      kind: 'navigateTo',
      url: `/order/detail/index?outTradeNo=${no}`,
    });
  });

  it('shows refunded orders in 退款/售后 though the 45 newest orders are all paid', async () => {
    const shopper = 'o-orders-refunds';
    const orders = stack.cloud.db.collection('orders');
    const mark = async (status: string) => {
      const o = await placeOrder(stack, shopper, 'sku-tote-natural', 1);
      // The unpaid order's payment is null: the whole object is set (the cloud refuses a field created inside null).
      const payment = stack.cloud.db.command.set({ successTimeMs: o.createdAtMs + 1000 });
      await orders.doc(o.outTradeNo).update({
        data: status === 'REFUNDED' ? { status, refundedFen: o.payableFen, payment } : { status, payment },
      });
      await new Promise((r) => setTimeout(r, 2));
      return o.outTradeNo as string;
    };
    const refunded = [await mark('REFUNDED'), await mark('REFUNDED')].reverse();
    for (let i = 0; i < 45; i++) await mark('PAID');
    h.actAs(shopper);
    try {
      const page = await h.load('pages/orders/index');
      await page.waitFor('loaded', (d) => d.loaded && !d.loading);
      await page.fire('#tabs', 'change', { value: 'refund', label: '退款/售后' });
      await page.waitFor('refund tab', (d) => d.tab === 'refund' && d.loaded && !d.loading, 5000);
      expect(page.data.orders.map((o: { outTradeNo: string }) => o.outTradeNo)).toEqual(refunded);
      expect(page.text()).toContain('已退款');
      expect(page.text()).not.toContain('没有这类订单');
    } finally {
      h.actAs(ME);
    }
  });

  it('再来一单 on a closed card puts the goods back in the cart and opens the cart', async () => {
    const page = await h.load('pages/orders/index');
    await page.fire('#tabs', 'change', { value: 'closed', label: '已关闭' });
    await page.waitFor('closed tab', (d) => d.tab === 'closed' && d.orders.length === 3 && !d.loading);
    // Unpaid cards offer 去支付, never 再来一单; closed and paid ones 再来一单.
    const no = page.data.orders[0].outTradeNo as string;
    expect(page.has(`#pay-${no}`)).toBe(false);
    await stack.as(ME).ok('shop', 'clearCart', {});
    h.ctl.navigations.length = 0;
    await page.tap(`#again-${no}`);
    await page.waitFor('switched to the cart', () => h.ctl.navigations.length > 0);
    // The card's own tap (open the order) did not fire as well.
    expect(h.ctl.navigations).toEqual([{ kind: 'switchTab', url: '/pages/cart/index' }]);
    const cart = await stack.as(ME).ok('shop', 'getCart', {});
    expect(cart.lines.map((l) => [l.skuId, l.quantity, l.selected])).toEqual([['sku-tote-natural', 1, true]]);
    await stack.as(ME).ok('shop', 'clearCart', {});
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

describe('order cards', () => {
  const SHOPPER = 'o-orders-thumbs';
  afterAll(() => h.actAs(ME));

  it("show the first three lines' thumbnails and the count; an order without pictures shows placeholders", async () => {
    for (const [skuId, quantity] of [
      ['sku-coffee-250g', 2],
      ['sku-ginger-tea-box', 1],
      ['sku-longjing-50g', 1],
      ['sku-apples-5kg', 1],
    ] as const) {
      await stack.as(SHOPPER).ok('shop', 'addToCart', { skuId, quantity });
    }
    const many = await stack.as(SHOPPER).ok('order', 'place', {
      clientRequestKey: 'thumbs-many',
      delivery: TEST_DELIVERY,
    });
    const old = await placeOrder(stack, SHOPPER, 'sku-tote-natural', 1);
    const stored = (await adminGet(stack, 'orders', old.outTradeNo))!;
    const oldLines = (stored.lines as Array<Record<string, unknown>>).map(
      ({ imageUrl: _gone, ...rest }) => rest,
    );
    await stack.cloud.db
      .collection('orders')
      .doc(old.outTradeNo)
      .update({ data: { lines: oldLines } });
    const pictures = await Promise.all(
      ['p-coffee', 'p-ginger-tea', 'p-longjing'].map(
        async (id) => (await adminGet(stack, 'products', id))!.imageUrl as string,
      ),
    );

    h.actAs(SHOPPER);
    const page = await h.load('pages/orders/index');
    await page.waitFor('loaded', (d) => d.loaded && !d.loading && d.orders.length === 2);
    const card = `#order-${many.outTradeNo}`;
    expect([0, 1, 2].map((i) => thumbOf(page, `${card} #thumb-${many.outTradeNo}-${i}`))).toEqual(
      pictures.map((src) => ({ src, mode: 'aspectFill', lazyLoad: true })),
    );
    expect(thumbOf(page, `${card} #thumb-${many.outTradeNo}-3`)).toBeNull(); // the fourth line: no fourth picture
    expect(page.comp.querySelector(`${card} .order__count`).dom.textContent).toBe('共 5 件');
    expect(thumbOf(page, `#order-${old.outTradeNo} #thumb-${old.outTradeNo}-0`)).toBe('placeholder');
    expect(page.comp.querySelector(`#order-${old.outTradeNo} .order__count`).dom.textContent).toBe('共 1 件');
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

describe('card countdown', () => {
  // Last in the file: it moves the server's clock past the other orders' deadlines.
  it('counts 去支付 cards down on the server clock, opens the order page to pay, and asks the server at zero', async () => {
    const shopper = 'o-orders-countdown';
    const placed = await placeOrder(stack, shopper, 'sku-tote-natural', 1);
    h.actAs(shopper);
    try {
      // The server's clock runs (deadline − 1.5 s) ahead of the phone's from here on.
      await stack.advance(placed.expiresAtMs - stack.now() - 1500);
      h.ctl.requests.length = 0;
      const page = await h.load('pages/orders/index');
      await page.waitFor('loaded', (d) => d.loaded && !d.loading);
      const no = placed.outTradeNo as string;
      expect(page.data.orders[0].countdownText).toMatch(/^00:0[12]$/); // from serverNowMs, not Date.now()
      expect(page.has(`#again-${no}`)).toBe(false);
      h.ctl.navigations.length = 0;
      await page.tap(`#pay-${no}`);
      expect(h.ctl.navigations).toEqual([
        { kind: 'navigateTo', url: `/order/detail/index?outTradeNo=${no}&autopay=1` },
      ]);
      await page.waitFor('asked the server at zero', () => listCalls().length >= 2, 5000);
      await page.waitFor('no 去支付 once the server says the time is up', (d) => d.loaded && !d.loading);
      expect(page.data.orders[0].outTradeNo).toBe(no);
      expect(page.has(`#pay-${no}`)).toBe(false);
      // Asked once, not in a loop.
      await new Promise((r) => setTimeout(r, 1500));
      expect(listCalls()).toHaveLength(2);
    } finally {
      h.actAs(ME);
    }
  });
});
