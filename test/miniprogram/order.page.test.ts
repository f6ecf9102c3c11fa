/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// Checkout and the order page on the cloud build's path (wx.cloud.callFunction → the functions; wx.requestPayment
// answered by the test, as only WeChat can), against a real local stack: WeChat Pay's rule for the payment result.
import { createHarness, LAST_ADDRESS_KEY, TEST_ADDRESS, type PageDriver } from './harness';
import { adminCount, adminGet, placeOrder, useTestStack, waitForStatus } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-ord-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
/** The outTradeNo of the page in front (what WeChat's sheet would be paying). */
function frontOrderNo(): string {
  const pages = (global as any).getCurrentPages() as Array<{ outTradeNo?: string }>;
  return pages[pages.length - 1]?.outTradeNo ?? '';
}
/** The payer pays at the simulator, then the sheet reports `report`. */
function payThen(report: 'ok' | 'fail cancel') {
  return async () => {
    await stack.sim.control.pay(frontOrderNo());
    return report;
  };
}
const actions = (name: string) =>
  h.ctl.requests
    .filter((r) => r.url.endsWith(`/fn/${name}`))
    .map((r) => (r.data as { action: string }).action);

beforeAll(() => {
  h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
  h.ctl.paymentCalls.length = 0;
  h.ctl.paymentAnswers.length = 0;
  // The shopper's address from an earlier checkout (checkout-delivery.page.test.ts picks one).
  h.ctl.storage.set(LAST_ADDRESS_KEY, TEST_ADDRESS);
});
afterEach(() => h.unloadAll());

async function openOrder(outTradeNo: string, autopay = false): Promise<PageDriver> {
  const page = await h.load(
    `/order/detail/index?outTradeNo=${encodeURIComponent(outTradeNo)}${autopay ? '&autopay=1' : ''}`,
  );
  await page.waitFor('order shown', (d) => d.order !== null || d.errorText !== '');
  return page;
}

describe('checkout', () => {
  it('a price change between display and tap shows the new total and charges it only after a second tap', async () => {
    const me = newShopper();
    const sku = 'sku-ginger-tea-box';
    const priceFen = (await adminGet(stack, 'skus', sku))!.priceFen as number;
    await stack.as(me).ok('shop', 'addToCart', { skuId: sku, quantity: 2 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('手工红糖姜茶');
    expect(confirm.text()).toMatch(new RegExp(`应付\\s*¥\\s*${((priceFen * 2) / 100).toFixed(2)}`));

    await stack.cloud.db
      .collection('skus')
      .doc(sku)
      .update({ data: { priceFen: priceFen + 100 } });
    try {
      await confirm.tap('#submit >>> .t-button');
      await confirm.waitFor('refused', (d) => d.priceChangedText !== '');
      const was = ((priceFen * 2) / 100).toFixed(2);
      const now = (((priceFen + 100) * 2) / 100).toFixed(2);
      expect(confirm.text()).toContain(`应付金额已由 ¥${was} 变为 ¥${now}，请确认后再次提交`);
      expect(confirm.text()).toMatch(new RegExp(`应付\\s*¥\\s*${now}`));
      expect(confirm.text()).toContain('按新金额提交并支付');
      expect(h.ctl.navigations).toHaveLength(0);
      expect(h.ctl.paymentCalls).toHaveLength(0);
      expect(await adminCount(stack, 'orders', { openid: me })).toBe(0);

      await confirm.tap('#submit >>> .t-button');
      await confirm.waitFor('placed', () => h.ctl.navigations.length > 0);
      const orders = await stack.cloud.db.collection('orders').where({ openid: me }).get();
      expect(orders.data).toEqual([expect.objectContaining({ payableFen: (priceFen + 100) * 2 })]);
    } finally {
      await stack.cloud.db.collection('skus').doc(sku).update({ data: { priceFen } });
    }
  });

  it('shows a tester the tester amount, and that is what checkout charges', async () => {
    h.actAs('o-dev-tester');
    await stack.as('o-dev-tester').ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('云南小粒咖啡豆');
    const payable = confirm.data.payableText as string;
    expect(confirm.has('#tester-note')).toBe(true);
    expect(Number(payable)).toBeLessThan(68);
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.length > 0);
    const outTradeNo = /outTradeNo=(\w+)/.exec(h.ctl.navigations.pop()!.url)![1]!;
    expect((await stack.sim.control.order(outTradeNo)).totalFen).toBe(Math.round(Number(payable) * 100));
  });

  it('shows the lines and total as the server priced them, places one order and pays it', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-coffee-500g', quantity: 2 });
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('云南小粒咖啡豆');
    expect(confirm.text()).toMatch(/合计\s*¥\s*285\.90/); // 2 × 12800 + 2990 fen
    expect(confirm.text()).toContain('500g 袋装 × 2');

    h.ctl.paymentAnswers.push(payThen('ok'));
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.length > 0);
    const nav = h.ctl.navigations.pop()!;
    expect(nav.kind).toBe('redirectTo');
    expect(nav.url).toMatch(/^\/order\/detail\/index\?outTradeNo=O\w+&autopay=1$/);
    confirm.unload();
    const order = await h.load(nav.url);
    await order.waitForText('支付成功', 8000);
    expect(order.text()).toContain('已支付');
    expect(order.text()).toMatch(/实付\s*¥\s*285\.90/);
    // The sheet got exactly what pay.start answered: WeChat's prepay for this order.
    expect(h.ctl.paymentCalls).toHaveLength(1);
    expect(h.ctl.paymentCalls[0]).toMatchObject({
      signType: 'RSA',
      package: expect.stringMatching(/^prepay_id=/),
    });
    expect(await adminCount(stack, 'orders', { openid: me })).toBe(1);
    // One call from the tap to the sheet: checkout answered the parameters, pay.start was never asked.
    expect(actions('order')).toContain('checkout');
    expect(actions('pay')).not.toContain('start');
    expect(order.has('#pay')).toBe(false);
    expect(order.has('#status.status--success')).toBe(true);
  });

  it('makes one order however often the button is tapped, also when an answer is lost', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('帆布托特包');
    // The first checkout is done by the server but its answer never arrives: the retry must not make a second order.
    h.ctl.faults.push({ when: 'after', urlContains: '/fn/order', action: 'checkout', times: 1 });
    const button = confirm.comp.querySelector('#submit >>> .t-button');
    button.dispatchEvent('tap');
    button.dispatchEvent('tap');
    button.dispatchEvent('tap');
    await confirm.waitFor('placed', () => h.ctl.navigations.length > 0);
    await confirm.tap('#submit >>> .t-button');
    const places = h.ctl.requests.filter((r) => (r.data as { action?: string }).action === 'checkout');
    expect(places.length).toBe(2); // the lost one and its retry; later taps were ignored
    expect(new Set(places.map((r) => (r.data as { clientRequestKey: string }).clientRequestKey)).size).toBe(
      1,
    );
    expect(places[0]!.failed).not.toBeNull();
    expect(await adminCount(stack, 'orders', { openid: me })).toBe(1);
    expect(confirm.data.placing).toBe(true); // stays disabled while the order page opens
  });

  it('refused checkout says why and points back to the cart', async () => {
    const me = newShopper();
    await stack.as(me).ok('shop', 'addToCart', { skuId: 'sku-longjing-50g', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('明前龙井绿茶');
    await stack.as(me).ok('shop', 'selectAll', { selected: false });
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitForText('请先选择要结算的商品');
    expect(confirm.text()).toContain('返回购物车调整');
    expect(confirm.data.placing).toBe(false);
  });
});

describe('paying (WeChat Pay rule: the sheet is a hint, the server is the truth)', () => {
  it('cancel at the sheet: still awaiting, asks the server once, then pays again with the same outTradeNo', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    h.ctl.paymentAnswers.push('fail cancel');
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('你已取消支付');
    expect(page.text()).toContain('待支付');
    expect(page.has('#pay')).toBe(true);
    expect(page.text()).toContain('继续支付');
    expect(actions('pay')).toEqual(['start', 'sync']);
    // 取消订单 comes back once WeChat has been asked again (a payment may have been on its way).
    await page.waitFor('取消订单 offered', () => page.has('#cancel'), 4000);
    expect(actions('pay')).toEqual(['start', 'sync', 'sync']);

    h.ctl.paymentAnswers.push(payThen('ok'));
    await page.tap('#pay >>> .t-button');
    await page.waitForText('支付成功', 8000);
    expect(actions('pay').slice(0, 4)).toEqual(['start', 'sync', 'sync', 'start']);
    const starts = h.ctl.requests.filter((r) => (r.data as { action?: string }).action === 'start');
    expect(starts.map((r) => (r.data as { outTradeNo: string }).outTradeNo)).toEqual([
      placed.outTradeNo,
      placed.outTradeNo,
    ]);
    // Same order, same parameters → WeChat's same prepay.
    expect(h.ctl.paymentCalls[1]!.package).toBe(h.ctl.paymentCalls[0]!.package);
    expect(await adminCount(stack, 'orders', { openid: me })).toBe(1);
    expect(actions('order')).not.toContain('checkout');
  });

  it('a shopper who paid but left the sheet by cancel is told it is paid (the server was asked once)', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-ginger-tea-box', 1);
    h.ctl.paymentAnswers.push(payThen('fail cancel'));
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('支付成功', 8000);
    expect(page.text()).toContain('已支付');
    expect(page.text()).not.toContain('你已取消支付');
  });

  it('the sheet hides the page while it is open: the result is still shown when it arrives', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    h.ctl.paymentAnswers.push(async () => {
      const pages = (global as any).getCurrentPages();
      pages[pages.length - 1].onHide(); // WeChat's payment sheet covers the page
      await stack.sim.control.pay(placed.outTradeNo);
      return 'ok';
    });
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('支付成功', 8000);
    expect(page.data.paying).toBe(false);
    await page.show();
    expect(page.text()).toContain('已支付');
  });

  it('a result that could not reach the server: the countdown goes on and the page keeps watching', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    const lost = { when: 'before' as const, times: 1000 };
    h.ctl.paymentAnswers.push(async () => {
      const front = (global as any).getCurrentPages().at(-1);
      front.onHide(); // the sheet covers the page: its timers stop
      // The phone loses the network while the sheet is open: nothing after it reaches the server.
      h.ctl.faults.push({ ...lost, urlContains: '/fn/pay', action: 'sync' });
      h.ctl.faults.push({ ...lost, urlContains: '/fn/order', action: 'get' });
      front.onShow(); // the sheet closes (the payment flow, still running, asks the server itself)
      return 'fail cancel';
    });
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitFor('attempt over', (d) => d.attempted === true && d.paying === false, 8000);
    expect(page.data.order.status).toBe('AWAITING_PAYMENT');
    // The countdown moves on (ticks every 50 ms in page tests; its text has a 1 s resolution).
    const shown = page.data.countdownText as string;
    await page.waitFor('countdown moves', (d) => d.countdownText !== shown, 3000);
    // The network comes back and the money had arrived: the page, still watching, shows it without a tap.
    await stack.sim.control.pay(placed.outTradeNo);
    h.ctl.faults.length = 0;
    await page.waitForText('已支付', 8000);
  });

  it('payment failure: says so, the order stays payable, the server was asked', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    h.ctl.paymentAnswers.push({ fail: 'requestPayment:fail 银行卡余额不足' });
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('支付未成功');
    expect(page.text()).toContain('银行卡余额不足');
    expect(page.text()).toContain('待支付');
    expect(page.has('#pay')).toBe(true);
    expect(actions('pay')).toEqual(['start', 'sync']);
  });

  it('"success" while the server has no payment: polls, then says to check later and not to pay again', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    h.ctl.paymentAnswers.push('ok'); // the sheet says ok, no money moved (yet)
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('请稍后在「我的订单」中查看订单状态，不要重复发起支付', 8000);
    expect(page.text()).not.toContain('订单管理页');
    expect(page.text()).not.toContain('已支付');
    expect(page.text()).toContain('待支付');
    expect(page.has('#pay')).toBe(false); // no second payment offered
    expect(actions('pay').filter((a) => a === 'sync').length).toBeGreaterThan(1); // polled with backoff
    // The money arrives later: the page, still watching, shows it.
    await stack.sim.control.pay(placed.outTradeNo);
    await page.waitForText('已支付', 8000);
  });

  it('shows a status change while the page is open (paid elsewhere → PAID, no tap)', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    await stack.as(me).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    const page = await openOrder(placed.outTradeNo);
    await page.waitForText('待支付');
    await stack.sim.control.pay(placed.outTradeNo);
    await waitForStatus(stack, me, placed.outTradeNo, 'PAID');
    await page.waitForText('已支付', 8000);
    expect(page.has('#status.status--success')).toBe(true);
    // Polls patch only what changed: no poll resent the order lines.
    expect(page.largestSetData().bytes).toBeLessThan(3000);
  });

  it('counts down on the server clock, and at zero asks the server instead of closing the order itself', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    // The server's clock runs 30 minutes − 1.5 s ahead of the phone's from here on.
    await stack.advance(placed.expiresAtMs - stack.now() - 1500);
    const page = await openOrder(placed.outTradeNo);
    expect(page.data.countdownText).toMatch(/^00:0[12]$/); // from serverNowMs, not Date.now()
    const getsBefore = actions('order').filter((a) => a === 'get').length;
    // (the page says 支付时间已到，正在向服务器确认… while it asks; the answer replaces that within milliseconds)
    await page.waitForText('已过支付截止时间，订单即将由系统关闭', 4000);
    expect(page.page.askedAtZero).toBe(true);
    expect(actions('order').filter((a) => a === 'get').length).toBeGreaterThan(getsBefore);
    expect(page.text()).toContain('待支付'); // not flipped to closed by the phone
    expect(page.has('#pay')).toBe(false);
    await stack.cloud.fireTimer('closeExpired', 'everyMinute');
    await page.waitForText('超时关闭', 8000);
    expect(page.has('#status.status--closed')).toBe(true);
  });

  it('cancels only after the shopper confirms', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    const page = await openOrder(placed.outTradeNo);
    await page.waitForText('待支付');
    h.ctl.modalAnswers.push(false);
    await page.tap('#cancel >>> .t-button');
    await page.waitFor('modal answered', () => h.ctl.modals.length > 0);
    expect(actions('order')).not.toContain('cancel');
    h.ctl.modalAnswers.push(true);
    await page.tap('#cancel >>> .t-button');
    await page.waitForText('已取消');
    expect(h.ctl.modals.pop()).toMatchObject({ title: '取消订单' });
    expect(page.has('#pay')).toBe(false);
    expect((await stack.as(me).ok('order', 'get', { outTradeNo: placed.outTradeNo })).status).toBe(
      'CLOSED_BY_USER',
    );
  });

  it("refuses another shopper's order without revealing it", async () => {
    const owner = newShopper();
    const placed = await placeOrder(stack, owner, 'sku-tote-natural', 1);
    newShopper();
    const page = await openOrder(placed.outTradeNo);
    await page.waitForText('订单不存在，或不属于当前微信账号');
    expect(page.data.order).toBeNull();
    expect(page.text()).not.toContain('帆布托特包');
  });

  it('retries pay.start and pay.sync whose answers were lost, without a second prepay or order', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    h.ctl.faults.push({ when: 'after', urlContains: '/fn/pay', action: 'start', times: 1 });
    h.ctl.faults.push({ when: 'before', urlContains: '/fn/pay', action: 'sync', times: 2 });
    h.ctl.paymentAnswers.push(payThen('ok'));
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('支付成功', 8000);
    const starts = h.ctl.requests.filter((r) => (r.data as { action?: string }).action === 'start');
    expect(starts.map((r) => r.failed !== null)).toEqual([true, false]);
    expect(h.ctl.paymentCalls).toHaveLength(1);
    expect(await adminCount(stack, 'orders', { openid: me })).toBe(1);
  });
});

describe('words and ways out of the order page', () => {
  it('an unpaid order says 应付, never 实付', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    const page = await openOrder(placed.outTradeNo);
    expect(page.text()).toContain('待支付');
    expect(page.text()).toMatch(/应付\s*¥\s*\d+\.\d\d/);
    expect(page.text()).not.toContain('实付');
  });

  it('an order closed without payment names no amount as paid or owed', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    await stack.as(me).ok('order', 'cancel', { outTradeNo: placed.outTradeNo });
    const page = await openOrder(placed.outTradeNo);
    expect(page.text()).toContain('已取消');
    expect(page.text()).not.toContain('实付');
    expect(page.text()).not.toContain('应付');
  });

  it('a payment refused for the shop’s setup says to contact the shop and offers no 继续支付', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    h.ctl.paymentAnswers.push({ fail: 'requestPayment:fail no permission' });
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('联系商家');
    expect(page.text()).toContain('商家的微信支付暂时无法收款');
    expect(page.text()).not.toContain('no permission');
    expect(page.text()).not.toContain('继续支付');
    expect(page.has('#pay')).toBe(false);
    expect(page.text()).toContain('待支付');
  });

  it('a paid order says 实付 and leads home, to my orders, and copies its number', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    await stack.as(me).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    await stack.sim.control.pay(placed.outTradeNo);
    await waitForStatus(stack, me, placed.outTradeNo, 'PAID');
    const page = await openOrder(placed.outTradeNo);
    expect(page.text()).toContain('已支付');
    expect(page.text()).toMatch(/实付\s*¥\s*\d+\.\d\d/);
    expect(page.text()).not.toContain('应付');

    h.ctl.clipboard.length = 0;
    await page.tap('#copy-no');
    expect(h.ctl.clipboard).toEqual([placed.outTradeNo]);
    await page.tap('#to-home >>> .t-button');
    await page.tap('#to-orders-tab >>> .t-button');
    expect(h.ctl.navigations).toEqual([
      { kind: 'switchTab', url: '/pages/goods/index' },
      { kind: 'switchTab', url: '/pages/orders/index' },
    ]);
  });
});
