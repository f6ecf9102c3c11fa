/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The order page never offers 取消订单 while a payment result is unconfirmed (issue 15, item 1): after the sheet's ok
// until the server knows, for a while after the sheet's cancel, and after the server refused a cancel because WeChat
// could not rule a payment out. Real pages, real TDesign, a real local stack.
import { createHarness, type PageDriver } from './harness';
import { placeOrder, useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-hold-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const syncs = () =>
  h.ctl.requests.filter((r) => r.url.endsWith('/fn/pay') && (r.data as { action: string }).action === 'sync')
    .length;

beforeAll(() => {
  h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.paymentAnswers.length = 0;
});
afterEach(() => h.unloadAll());

async function openOrder(outTradeNo: string, autopay = false): Promise<PageDriver> {
  const page = await h.load(
    `/order/detail/index?outTradeNo=${encodeURIComponent(outTradeNo)}${autopay ? '&autopay=1' : ''}`,
  );
  await page.waitFor('order shown', (d) => d.order !== null || d.errorText !== '');
  return page;
}

describe('取消订单 while a payment result is unconfirmed', () => {
  it('after the sheet said ok and the server still sees no payment: hidden, and the paid order is kept', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-tote-natural', 1);
    h.ctl.paymentAnswers.push('ok'); // the money is on its way, WeChat has not reported it yet
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('不要重复发起支付', 8000);
    expect(page.text()).toContain('待支付');
    expect(page.has('#cancel')).toBe(false);
    expect(page.text()).not.toContain('取消订单');
    // Still hidden while the page keeps watching.
    await page.waitFor('a watch look', () => syncs() > 0 && h.ctl.requests.length > 0);
    await new Promise((r) => setTimeout(r, 400));
    expect(page.has('#cancel')).toBe(false);
    await stack.sim.control.pay(placed.outTradeNo);
    await page.waitForText('已支付', 8000);
    expect(await stack.sim.control.refunds({ outTradeNo: placed.outTradeNo })).toEqual([]);
  });

  it('after the sheet said cancel: hidden until WeChat has been asked again, then offered', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    h.ctl.paymentAnswers.push('fail cancel');
    const page = await openOrder(placed.outTradeNo, true);
    await page.waitForText('你已取消支付');
    expect(page.has('#pay')).toBe(true);
    expect(page.has('#cancel')).toBe(false);
    const asked = syncs();
    await page.waitFor('取消订单 offered', () => page.has('#cancel'), 4000);
    expect(syncs()).toBeGreaterThan(asked);
    expect(page.text()).toContain('待支付');
  });

  it('a cancel the server refuses as unconfirmed: its words are shown, the order stays, 取消订单 hidden for a while', async () => {
    const me = newShopper();
    const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
    await stack.as(me).ok('pay', 'start', { outTradeNo: placed.outTradeNo });
    const page = await openOrder(placed.outTradeNo);
    await page.waitForText('待支付');
    // WeChat cannot be asked about this order.
    const fault = await stack.sim.control.addFault({
      kind: 'api.error',
      outTradeNo: placed.outTradeNo,
      path: `/v3/pay/transactions/out-trade-no/${placed.outTradeNo}`,
      method: 'GET',
      status: 500,
      code: 'SYSTEM_ERROR',
    });
    h.ctl.modalAnswers.push(true);
    await page.tap('#cancel >>> .t-button');
    await page.waitForText('支付结果确认中');
    expect(page.text()).toContain('待支付');
    expect(page.has('#cancel')).toBe(false);
    expect((await stack.as(me).ok('order', 'get', { outTradeNo: placed.outTradeNo })).status).toBe(
      'AWAITING_PAYMENT',
    );
    await stack.sim.control.removeFault(fault.id);
    await page.waitFor('取消订单 offered again', () => page.has('#cancel'), 4000);
  });
});
