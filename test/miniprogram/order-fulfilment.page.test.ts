/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The order page's delivery states against a real local stack: awaiting shipment with the address and remark,
// shipped with the carrier and tracking number, confirm receipt through WeChat's view (cloud build: its result comes
// back through the real app.ts App.onShow; local preview: the loopback route) — and the page believes only the
// server, which asks WeChat — and an order refunded before shipping.
import { createHarness, type PageDriver } from './harness';
import { EXPRESS, paidOrder, payerConfirms, shipByStaff, STAFF, uploaded } from './fulfilment-support';
import { useTestStack, waitForStatus } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-ful-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const confirmCalls = () =>
  h.ctl.requests.filter((r) => (r.data as { action?: string } | undefined)?.action === 'confirmReceipt');

beforeEach(() => {
  h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
  h.ctl.requests.length = 0;
  h.ctl.businessViewAnswers.length = 0;
  h.ctl.businessViewCalls.length = 0;
  h.ctl.clipboard.length = 0;
});
afterEach(() => h.unloadAll());

async function openOrder(outTradeNo: string): Promise<PageDriver> {
  const page = await h.load(`/order/detail/index?outTradeNo=${encodeURIComponent(outTradeNo)}`);
  await page.waitFor('order shown', (d) => d.order !== null || d.errorText !== '');
  return page;
}

describe('the order page on its way to the shopper', () => {
  it('a paid order awaits shipment: 待发货, the address and the remark, nothing to confirm', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me, EXPRESS, '请放快递柜');
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('待发货');
    expect(page.data.ful.label).toBe('待发货');
    expect(page.text()).toContain('张三 13800138000');
    expect(page.text()).toContain('广东省 广州市 海珠区 新港中路 397 号');
    expect(page.text()).toContain('备注：请放快递柜');
    expect(page.has('#confirm-receipt')).toBe(false);
  });

  it('shipped: the carrier and the tracking number (复制 copies it)', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const { trackingNo, carrier } = await shipByStaff(stack, o.outTradeNo);
    const page = await openOrder(o.outTradeNo);
    await page.waitForText(trackingNo);
    expect(page.data.order.headLabel).toBe('已发货');
    expect(page.text()).toContain(carrier.name);
    await page.tap('#copy-tracking-0');
    expect(h.ctl.clipboard).toEqual([trackingNo]);
    expect(page.has('#confirm-receipt')).toBe(true);
  });

  it('确认收货 opens WeChat’s view; after the payer confirmed there, the server says 已收货', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    await shipByStaff(stack, o.outTradeNo);
    await uploaded(stack, o.outTradeNo); // WeChat knows the shipment: the payer can confirm there
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('确认收货');
    h.ctl.businessViewAnswers.push(async (extraData) => {
      // The payer's tap in WeChat's view: WeChat records the confirmation.
      expect(await payerConfirms(stack, extraData, me)).toBe(200);
      return 'success';
    });
    await page.tap('#confirm-receipt >>> .t-button');
    await page.waitForText('已确认收货');
    expect(h.ctl.businessViewCalls).toEqual([
      { businessType: 'weappOrderConfirm', extraData: { transaction_id: o.transactionId } },
    ]);
    expect(page.data.ful.label).toBe('已收货');
    expect(page.has('#confirm-receipt')).toBe(false);
    const stored = await stack.as(me).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(stored.fulfilment.state).toBe('RECEIVED');
  });

  it('the view’s "success" alone is not enough: WeChat has no confirmation, so the order stays 已发货', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    await shipByStaff(stack, o.outTradeNo);
    await uploaded(stack, o.outTradeNo); // WeChat knows the shipment: the payer can confirm there
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('确认收货');
    h.ctl.businessViewAnswers.push('success');
    await page.tap('#confirm-receipt >>> .t-button');
    await page.waitFor('answered', (d) => !d.receiving && d.notice !== null);
    expect(confirmCalls()).toHaveLength(1);
    expect(page.data.notice.text).toContain('微信尚未记录');
    expect(page.data.ful.label).toBe('已发货');
    expect(page.has('#confirm-receipt')).toBe(true);
  });

  it('cancelled in the view: the server is not asked and the order can still be confirmed', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    await shipByStaff(stack, o.outTradeNo);
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('确认收货');
    h.ctl.businessViewAnswers.push('cancel');
    await page.tap('#confirm-receipt >>> .t-button');
    await page.waitForText('你已取消确认收货');
    expect(confirmCalls()).toHaveLength(0);
    expect(page.data.ful.label).toBe('已发货');
    expect(page.has('#confirm-receipt')).toBe(true);
  });

  it('back from the view without a result: the page stops waiting and asks the server', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    await shipByStaff(stack, o.outTradeNo);
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('确认收货');
    // WeChat's view never reports (the shopper left it another way).
    h.ctl.businessViewAnswers.push(() => new Promise(() => undefined));
    await page.tap('#confirm-receipt >>> .t-button');
    await page.waitFor('view open', (d) => d.receiving === true);
    await page.show();
    await page.waitFor('answered', (d) => !d.receiving && d.notice !== null);
    expect(confirmCalls()).toHaveLength(1);
    expect(page.data.notice.text).toBe('确认收货未完成，请稍后重试');
    expect(page.data.ful.label).toBe('已发货');
  });

  it('local preview: a modal stands in for WeChat’s view and the local 发货信息管理 records the confirmation', async () => {
    const me = newShopper();
    h.configure({
      transport: 'local',
      gatewayUrl: stack.gatewayUrl,
      simulatorUrl: stack.simulatorUrl,
      openid: me,
    });
    const o = await paidOrder(stack, me);
    await shipByStaff(stack, o.outTradeNo);
    await uploaded(stack, o.outTradeNo); // WeChat knows the shipment: the payer can confirm there
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('确认收货');
    h.ctl.modalAnswers.push(true);
    await page.tap('#confirm-receipt >>> .t-button');
    await page.waitForText('已确认收货');
    expect(h.ctl.modals.at(-1)?.title).toContain('确认收货');
    expect(h.ctl.businessViewCalls).toHaveLength(0);
    expect(page.data.ful.label).toBe('已收货');
  });

  it('refunded in full before shipping: 未发货（已退款）, nothing to confirm', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const order = await stack.as(me).ok('order', 'get', { outTradeNo: o.outTradeNo });
    await stack.as(STAFF).ok('refund', 'create', {
      outTradeNo: o.outTradeNo,
      amountFen: order.payableFen,
      reason: '缺货，发货前全额退款',
      requestKey: `rk-${Date.now()}`,
    });
    await stack.advance((await stack.sim.control.settings()).refundDelayMs);
    await waitForStatus(stack, me, o.outTradeNo, 'REFUNDED', 15_000);
    const page = await openOrder(o.outTradeNo);
    await page.waitForText('未发货（已退款）');
    expect(page.has('#confirm-receipt')).toBe(false);
  });
});
