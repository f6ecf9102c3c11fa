/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// End to end through the PAGES in local-preview mode: every call is a real wx.request over HTTP to the local
// gateway (functions) and, from the simulated cashier, to the WeChat Pay simulator, whose signed, encrypted
// notification reaches the real payNotify. Nothing between the page and the stack is faked.
import { createHarness, LAST_ADDRESS_KEY, TEST_ADDRESS, type PageDriver } from './harness';
import {
  adminGet,
  deliveredNotification,
  placeOrder,
  useTestStack,
  waitFor,
  waitForStatus,
} from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();

beforeAll(() => {
  h.configure({
    transport: 'local',
    gatewayUrl: stack.gatewayUrl,
    simulatorUrl: stack.simulatorUrl,
    openid: 'o-dev-shopper',
  });
});
beforeEach(() => {
  h.ctl.navigations.length = 0;
  // The shopper's address from an earlier checkout (checkout-delivery.page.test.ts picks one).
  h.ctl.storage.set(LAST_ADDRESS_KEY, TEST_ADDRESS);
});
afterEach(() => h.unloadAll());

/** Waits for the cashier popup of the order page and taps one of its buttons. */
async function cashier(page: PageDriver, button: 'pay' | 'cancel' | 'fail' | 'later'): Promise<void> {
  // Open = the popup is visible and waiting (jsdom never ends the closing transition, so old content lingers).
  await page.waitFor(
    'cashier open',
    () => page.comp.querySelector('#cashier')?.instance.data.visible === true,
  );
  await page.tap(`#cashier >>> #cashier-${button} >>> .t-button`);
}

const simActions = async (outTradeNo: string) =>
  (await stack.sim.control.order(outTradeNo)).payerActions.map((a: { action: string }) => a.action);

describe('the shop in local preview, end to end', () => {
  it('goods → detail → cart → checkout → simulated cashier pays → notification → order page shows PAID', async () => {
    const goods = await h.load('pages/goods/index');
    await goods.waitForText('明前龙井绿茶');
    await goods.tap('#goods-p-longjing');
    const detail = await h.follow();
    await detail.waitForText('50g 罐装');
    await detail.tap('#spec-sku-longjing-50g');
    await detail.tap('#qty >>> .t-stepper__plus');
    await detail.tap('#add >>> .t-button');
    await detail.waitFor('added', (d) => !d.adding);
    expect(h.ctl.toasts).toContain('已加入购物车');

    const cart = await h.load('pages/cart/index');
    await cart.waitForText('明前龙井绿茶');
    expect(cart.text()).toMatch(/合计\s*¥\s*198\.00/);
    await cart.tap('#checkout >>> .t-button');
    const confirm = await h.follow();
    await confirm.waitForText('明前龙井绿茶');
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.at(-1)?.kind === 'redirectTo');
    const order = await h.follow();
    await cashier(order, 'pay');
    await order.waitForText('支付成功', 10000);
    expect(order.text()).toContain('已支付');

    const outTradeNo: string = order.data.order.outTradeNo;
    // The money moved at the simulator, and its notification was accepted by payNotify.
    expect(await simActions(outTradeNo)).toEqual(['pay']);
    const note = await deliveredNotification(stack, outTradeNo);
    expect(note.attempts[0]).toMatchObject({ status: 200, ok: true });
    expect((await adminGet(stack, 'orders', outTradeNo))!.status).toBe('PAID');
    // Every call went over HTTP: functions to the gateway, the payer to the simulator.
    expect(h.ctl.requests.some((r) => r.url.startsWith(`${stack.simulatorUrl}/sim/orders/`))).toBe(true);
    expect(
      h.ctl.requests.every((r) => r.url.startsWith(stack.gatewayUrl) || r.url.startsWith(stack.simulatorUrl)),
    ).toBe(true);
  });

  it('cashier 取消 then 支付失败 leave the order payable; 继续支付 pays the same order', async () => {
    await stack.as('o-dev-shopper').ok('shop', 'addToCart', { skuId: 'sku-tote-natural', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('帆布托特包');
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.at(-1)?.kind === 'redirectTo');
    const order = await h.follow();
    const outTradeNo: string = await (async () => {
      await order.waitFor('order', (d) => d.order !== null);
      return order.data.order.outTradeNo;
    })();

    await cashier(order, 'cancel');
    await order.waitForText('你已取消支付');
    expect(order.text()).toContain('待支付');
    // 取消订单 is held back a moment after a cancel result (the money may still land), then offered once WeChat was
    // asked again (order-cancel-hold.page.test.ts checks the hold itself).
    await order.waitFor('取消订单 offered again', () => order.has('#cancel'));

    await order.tap('#pay >>> .t-button');
    await cashier(order, 'fail');
    await order.waitForText('支付未成功');
    expect(order.text()).toContain('模拟支付失败');
    expect(order.text()).toContain('待支付');

    await order.tap('#pay >>> .t-button');
    await cashier(order, 'pay');
    await order.waitForText('支付成功', 10000);
    expect(await simActions(outTradeNo)).toEqual(['cancel', 'fail', 'pay']);
    await deliveredNotification(stack, outTradeNo);
    const orders = await stack.as('o-dev-shopper').ok('order', 'listMine', { limit: 50 });
    expect(orders.filter((o: { outTradeNo: string }) => o.outTradeNo === outTradeNo)).toHaveLength(1);
  });

  it('cashier 稍后支付: the page reports cancel, the payer pays later, the page shows PAID by itself', async () => {
    await stack.as('o-dev-shopper').ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('手工红糖姜茶');
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.at(-1)?.kind === 'redirectTo');
    const order = await h.follow();
    await cashier(order, 'later');
    await order.waitForText('你已取消支付');
    await order.waitForText('已支付', 10000);
    const outTradeNo: string = order.data.order.outTradeNo;
    expect(await simActions(outTradeNo)).toEqual(['payLate']);
    const note = await deliveredNotification(stack, outTradeNo);
    expect(note.attempts[0]).toMatchObject({ status: 200 });
  });

  it('a developer switches shopper on 我的订单: the other shopper sees none of these orders and cannot open one', async () => {
    const mine = await stack.as('o-dev-shopper').ok('order', 'listMine', { limit: 5 });
    expect(mine.length).toBeGreaterThan(0);
    const list = await h.load('pages/orders/index');
    await list.waitFor('orders shown', (d) => d.orders.length > 0);
    expect(list.text()).toContain('开发者面板');
    await list.tap('#as-o-dev-shopper-2');
    await list.waitFor('switched', (d) => d.loaded && !d.loading);
    expect(list.data.orders).toHaveLength(0);
    expect(list.text()).toContain('还没有订单');
    expect(list.text()).toContain('小心（顾客 B）');
    const other = await h.load(`/order/detail/index?outTradeNo=${mine[0]!.outTradeNo}`);
    await other.waitForText('订单不存在，或不属于当前微信账号');
    // The gateway saw the second identity on those calls.
    expect(h.ctl.requests.at(-1)!.header['x-wx-openid']).toBe('o-dev-shopper-2');
    await list.tap('#as-o-dev-shopper');
    await list.waitFor('back', (d) => d.orders.length > 0);
  });

  it('the tester identity gets a tester order: 测试订单 badge with the amount charged', async () => {
    h.actAs('o-dev-tester');
    await stack.as('o-dev-tester').ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 1 });
    const confirm = await h.load('order/confirm/index');
    await confirm.waitForText('云南小粒咖啡豆');
    await confirm.tap('#submit >>> .t-button');
    await confirm.waitFor('placed', () => h.ctl.navigations.at(-1)?.kind === 'redirectTo');
    const order = await h.follow();
    await order.waitFor(
      'cashier open',
      () => order.comp.querySelector('#cashier')?.instance.data.visible === true,
    );
    const placed = await waitFor('order view', async () => order.data.order);
    // Not paid yet: the amount it will charge is 应付, never 实付.
    expect(placed.testBadge).toMatch(/^测试订单 · 应付 ¥0\.\d\d$/);
    expect(order.text()).toContain('应付（测试金额）');
    expect(order.text()).toContain('¥68.00'); // the goods' value is still shown
    // The cashier shows what WeChat would charge: the tester amount.
    expect(order.text()).toContain(`¥${placed.payableText}`);
    await cashier(order, 'pay');
    await order.waitForText('支付成功', 10000);
    h.actAs('o-dev-shopper');
  });

  it('after payment: a staff refund shows 退款中 then 部分退款, as the server reports it', async () => {
    const me = 'o-dev-shopper';
    const placed = await placeOrder(stack, me, 'sku-coffee-500g', 1);
    await stack.as(me).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    await stack.sim.control.pay(placed.outTradeNo);
    await waitForStatus(stack, me, placed.outTradeNo, 'PAID');
    const page = await h.load(`/order/detail/index?outTradeNo=${placed.outTradeNo}`);
    await page.waitForText('已支付');
    const refund = await stack.as('o-dev-admin').ok('refund', 'create', {
      outTradeNo: placed.outTradeNo,
      amountFen: 1000,
      requestKey: `rk-${placed.outTradeNo}`,
    });
    await page.show(); // the shopper comes back to the page
    await page.waitForText('退款中');
    expect(page.has('#status.status--refund')).toBe(true);
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'SUCCESS', { now: true });
    await page.waitForText('部分退款', 10000); // seen by the page's own polling
    expect(page.text()).toContain('已退回 ¥10.00');
  });

  it('paid after the shopper cancelled: the page follows the automatic refund the server starts', async () => {
    const me = 'o-dev-shopper';
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    await stack.as(me).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    const page = await h.load(`/order/detail/index?outTradeNo=${placed.outTradeNo}`);
    await page.waitForText('待支付');
    h.ctl.modalAnswers.push(true);
    await page.tap('#cancel >>> .t-button');
    await page.waitForText('已取消');
    // The money arrives after the close (the close/pay race): the server keeps it as PAID_AFTER_CLOSE and starts the
    // automatic refund at once, so the shopper sees 正在自动退款 or, a moment later, 退款中 — never 已支付 or 已取消.
    await stack.sim.control.payLate(placed.outTradeNo);
    await deliveredNotification(stack, placed.outTradeNo);
    await page.show(); // the shopper comes back to the page
    await page.waitFor('refund shown', (d) =>
      ['PAID_AFTER_CLOSE', 'REFUND_PROCESSING'].includes(d.order.status),
    );
    const expected = page.data.order.status === 'PAID_AFTER_CLOSE' ? '正在自动退款' : '退款中';
    expect(page.text()).toContain(expected);
    expect(page.has('#status.status--refund')).toBe(true);
    await stack.sim.control.setRefundOutcome(
      (await stack.sim.control.refunds({ outTradeNo: placed.outTradeNo }))[0]!.outRefundNo,
      'SUCCESS',
      {
        now: true,
      },
    );
    await page.waitForText('已退款', 10000);
    expect(page.text()).toContain('款项已全部原路退回');
  });
});
