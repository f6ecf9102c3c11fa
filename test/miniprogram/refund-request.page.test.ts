/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// Refund requests in the pages against a real local stack (docs/adr/0011): the request page (default amount, yuan to
// fen, a reason, one request however often tapped), the order page's progress, 撤销申请 and 申请退款, 联系客服 carrying
// the order number, and the staff review pages (oldest first; approve → the refund; reject with a reason the shopper
// reads; goods received for a return).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHarness, MP_ROOT, type PageDriver } from './harness';
import { paidOrder, STAFF } from './fulfilment-support';
import { adminCount, adminGet, runJob, useTestStack, waitFor, waitForStatus } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-rr-page-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const calls = (action: string) =>
  h.ctl.requests.filter((r) => (r.data as { action?: string } | undefined)?.action === action);

beforeEach(() => {
  h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
  h.ctl.modalAnswers.length = 0;
  h.ctl.toasts.length = 0;
});
afterEach(() => h.unloadAll());

/**
 * session-from of the 联系客服 component `selector` (null: not rendered). The simulator's native button keeps no
 * attributes, so the component's own template is checked to be WeChat's contact button once (below).
 */
function contactSession(page: PageDriver, selector: string): string | null {
  const c = page.comp.querySelector(selector) as {
    _exparserNode?: { data?: { sessionFrom?: string } };
  } | null;
  return c?._exparserNode?.data?.sessionFrom ?? null;
}

it("联系客服 is WeChat's contact button carrying session-from", () => {
  const wxml = readFileSync(join(MP_ROOT, 'components', 'contact-button', 'index.wxml'), 'utf8');
  expect(wxml).toMatch(/<button[^>]*open-type="contact"/);
  expect(wxml).toContain('session-from="{{sessionFrom}}"');
});

async function openOrder(outTradeNo: string): Promise<PageDriver> {
  const page = await h.load(`/order/detail/index?outTradeNo=${encodeURIComponent(outTradeNo)}`);
  await page.waitFor('order shown', (d) => d.order !== null || d.errorText !== '');
  return page;
}

async function openRequestPage(outTradeNo: string): Promise<PageDriver> {
  const page = await h.load(`/order/refund/index?outTradeNo=${encodeURIComponent(outTradeNo)}`);
  await page.waitFor('options shown', (d) => !d.loading);
  return page;
}

async function asked(openid: string, outTradeNo: string, amountFen: number) {
  return stack.as(openid).ok('order', 'requestRefund', {
    outTradeNo,
    amountFen,
    reasonCode: '质量问题',
    reasonText: '包装破损',
    requestKey: `k-${Date.now()}-${++n}`,
  });
}

describe('the request page', () => {
  it('offers the refundable maximum, refuses a bad amount, and one request is made however often 提交 is tapped', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const order = await stack.as(me).ok('order', 'get', { outTradeNo: o.outTradeNo });
    const page = await openRequestPage(o.outTradeNo);
    expect(page.data.kindText).toBe('仅退款');
    expect(page.data.amountText).toBe((order.payableFen / 100).toFixed(2));
    expect(page.text()).toContain('不想要了');

    await page.fire('#amount', 'change', { value: '99999' });
    expect(page.data.amountProblem).toContain('最多可退');
    await page.fire('#amount', 'change', { value: '1.234' });
    expect(page.data.amountProblem).toContain('正确的金额');
    await page.fire('#amount', 'change', { value: '12.5' });
    expect(page.data.amountProblem).toBe('');

    // No reason yet: nothing is sent.
    await page.tap('#submit >>> .t-button');
    expect(page.data.errorText).toBe('请选择退款原因');
    expect(calls('requestRefund')).toHaveLength(0);

    await page.tap('#reason-3');
    expect(page.data.reason).toBe('质量问题');
    await page.fire('#text', 'change', { value: '  包装破损  ' });
    await Promise.all([page.tap('#submit >>> .t-button'), page.page.submit()]);
    await page.waitFor('went back', () => h.ctl.navigations.some((x) => x.kind === 'navigateBack'));
    expect(await adminCount(stack, 'refund_requests', { outTradeNo: o.outTradeNo })).toBe(1);
    const sent = calls('requestRefund').map((r) => r.data as Record<string, unknown>);
    expect(new Set(sent.map((s) => s.requestKey)).size).toBe(1);
    expect(sent[0]).toMatchObject({ amountFen: 1250, reasonCode: '质量问题', reasonText: '包装破损' });
    expect(h.ctl.toasts).toContain('已提交申请');
    expect(contactSession(page, '#contact')).toBe(`order:${o.outTradeNo}`);
  });

  it('an order that already has an open request says so instead of showing the form', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    await asked(me, o.outTradeNo, 100);
    const page = await openRequestPage(o.outTradeNo);
    await page.waitForText('已有退款申请在处理中');
    expect(page.has('#submit')).toBe(false);
  });
});

describe('the order page', () => {
  it('申请退款 when allowed; a waiting request shows 待商家处理 and 撤销申请 withdraws it', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    let page = await openOrder(o.outTradeNo);
    await page.waitFor('refund offered', (d) => d.canRequestRefund === true);
    expect(page.has('#refund-request')).toBe(false);
    await page.tap('#request-refund >>> .t-button');
    expect(h.ctl.navigations.pop()).toMatchObject({
      kind: 'navigateTo',
      url: `/order/refund/index?outTradeNo=${o.outTradeNo}`,
    });
    expect(contactSession(page, '#contact')).toBe(`order:${o.outTradeNo}`);
    page.unload();

    await asked(me, o.outTradeNo, 100);
    page = await openOrder(o.outTradeNo);
    await page.waitForText('待商家处理');
    expect(page.text()).toContain('质量问题：包装破损');
    expect(page.data.canRequestRefund).toBe(false);
    h.ctl.modalAnswers.push(false);
    await page.tap('#withdraw-refund >>> .t-button');
    expect(calls('withdrawRefundRequest')).toHaveLength(0);
    h.ctl.modalAnswers.push(true);
    await page.tap('#withdraw-refund >>> .t-button');
    await page.waitFor('withdrawn', (d) => d.rr?.label === '已撤销');
    expect(page.text()).toContain('退款申请已撤销');
    expect(page.has('#withdraw-refund')).toBe(false);
    expect(page.data.canRequestRefund).toBe(true);
  });

  it('a rejection shows its reason; an approval shows 已同意，退款中 and then 已退款', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const first = await asked(me, o.outTradeNo, 100);
    await stack
      .as(STAFF)
      .ok('staff', 'rejectRefundRequest', { requestId: first.requestId, reason: '已超出保修范围' });
    let page = await openOrder(o.outTradeNo);
    await page.waitForText('已拒绝：已超出保修范围');
    page.unload();

    const order = await stack.as(me).ok('order', 'get', { outTradeNo: o.outTradeNo });
    const second = await asked(me, o.outTradeNo, order.payableFen);
    const approved = await stack
      .as(STAFF)
      .ok('staff', 'approveRefundRequest', { requestId: second.requestId });
    page = await openOrder(o.outTradeNo);
    await page.waitForText('已同意，退款中');
    await stack.sim.control.setRefundOutcome(approved.outRefundNo!, 'SUCCESS', { now: true });
    await waitForStatus(stack, me, o.outTradeNo, 'REFUNDED');
    // The page keeps watching while a refund is under way.
    await page.waitFor('refunded', (d) => d.rr?.label === '已退款', 15_000);
    expect(page.data.order.status).toBe('REFUNDED');
  });

  it('a text that asks the shopper to contact the shop has 联系客服 next to it', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const page = await openOrder(o.outTradeNo);
    page.page.setData({ notice: { tone: 'danger', text: '订单状态异常，请联系客服' } });
    await page.waitFor('contact by the notice', () => page.has('#contact-notice'));
    expect(contactSession(page, '#contact-notice')).toBe(`order:${o.outTradeNo}`);
    page.page.setData({ notice: { tone: 'info', text: '退款申请已撤销' } });
    await page.waitFor('no contact by a plain notice', () => !page.has('#contact-notice'));
  });

  it.each(['pages/orders/index', 'pages/cart/index'])(
    '%s: an error that asks to contact the shop has 联系客服 next to it',
    async (route) => {
      newShopper();
      const page = await h.load(route);
      await page.waitFor('loaded', (d) => d.loading !== true);
      page.page.setData({ errorText: '' });
      await page.waitFor('no error', () => !page.has('#contact-error'));
      page.page.setData({ errorText: '支付信息与订单不符，请联系客服' });
      await page.waitFor('contact by the error', () => page.has('#contact-error'));
    },
  );
});

describe('the staff review pages', () => {
  async function staffPage(path: string): Promise<PageDriver> {
    h.actAs(STAFF);
    const page = await h.load(path);
    await page.waitFor('loaded', (d) => d.loading === false && (d.loaded === undefined || d.loaded === true));
    return page;
  }

  it('the staff home links to the requests; they are listed oldest first and a shopper is refused', async () => {
    const me = newShopper();
    const a = await paidOrder(stack, me);
    const b = await paidOrder(stack, me);
    const ra = await asked(me, a.outTradeNo, 100);
    const rb = await asked(me, b.outTradeNo, 200);

    const home = await staffPage('staff/index');
    await home.waitFor('staff', (d) => d.isStaff === true);
    await home.tap('#to-refunds');
    expect(h.ctl.navigations.pop()).toEqual({ kind: 'navigateTo', url: '/staff/refunds/index' });
    home.unload();

    const list = await staffPage('/staff/refunds/index');
    const ids = list.data.requests.map((r: { requestId: string }) => r.requestId);
    expect(ids.indexOf(ra.requestId)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(ra.requestId)).toBeLessThan(ids.indexOf(rb.requestId));
    expect(list.text()).toContain('质量问题：包装破损');
    await list.tap(`#rr-${ra.requestId}`);
    expect(h.ctl.navigations.pop()).toEqual({
      kind: 'navigateTo',
      url: `/staff/refund/index?requestId=${ra.requestId}`,
    });
    list.unload();

    h.actAs(me);
    const refused = await h.load('/staff/refunds/index');
    await refused.waitForText('你没有进行此操作的权限');
    expect(refused.has('#retry')).toBe(false);
  });

  it('approve: the order, its payment and refunds are shown; 同意退款 makes the refund', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const req = await asked(me, o.outTradeNo, 300);
    const page = await staffPage(`/staff/refund/index?requestId=${req.requestId}`);
    expect(page.text()).toContain('仅退款 · ¥3.00');
    expect(page.text()).toContain(o.transactionId);
    expect(page.text()).toContain('暂无退款');
    expect(page.data.review.shipLabel).toBe('待发货');
    h.ctl.modalAnswers.push(true);
    await page.tap('#approve >>> .t-button');
    await page.waitForText('已同意，退款已发起');
    await page.waitForText('（本申请）');
    expect(page.has('#approve')).toBe(false);
    const stored = (await adminGet(stack, 'refund_requests', req.requestId))!;
    expect(stored.state).toBe('APPROVED');
    expect((await adminGet(stack, 'refunds', stored.outRefundNo))!.amountFen).toBe(300);
  });

  it('reject needs a reason, which the request then carries', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const req = await asked(me, o.outTradeNo, 300);
    const page = await staffPage(`/staff/refund/index?requestId=${req.requestId}`);
    await page.tap('#reject >>> .t-button');
    await page.tap('#confirm-reject >>> .t-button');
    expect(page.data.errorText).toContain('请填写拒绝原因');
    expect(calls('rejectRefundRequest')).toHaveLength(0);
    await page.fire('#reject-reason', 'change', { value: '商品已使用' });
    await page.tap('#confirm-reject >>> .t-button');
    await page.waitForText('已拒绝：商品已使用');
    expect((await adminGet(stack, 'refund_requests', req.requestId))!).toMatchObject({
      state: 'REJECTED',
      rejectReason: '商品已使用',
    });
  });

  it('a return after shipping: 同意退货, then 已收到退货，退款 makes the refund', async () => {
    const me = newShopper();
    const o = await paidOrder(stack, me);
    const me2 = await stack.as(STAFF).ok('staff', 'me', {});
    await stack.as(STAFF).ok('staff', 'ship', {
      outTradeNo: o.outTradeNo,
      parcels: [{ expressCompany: me2.expressCompanies[0]!.id, trackingNo: 'SF20261207001' }],
    });
    const req = await asked(me, o.outTradeNo, 500);
    const page = await staffPage(`/staff/refund/index?requestId=${req.requestId}`);
    expect(page.text()).toContain('退货退款');
    h.ctl.modalAnswers.push(true);
    await page.tap('#approve >>> .t-button');
    await page.waitForText('待寄回');
    expect(await adminCount(stack, 'refunds', { outTradeNo: o.outTradeNo })).toBe(0);
    h.ctl.modalAnswers.push(true);
    await page.tap('#received >>> .t-button');
    await page.waitForText('已确认收货，退款已发起');
    await page.waitFor('shown again', (d) => d.review?.canReceive === false && d.busy === false);
    expect(page.data.review.refunds).toHaveLength(1);
    await waitFor(
      'the refund',
      async () => (await adminCount(stack, 'refunds', { outTradeNo: o.outTradeNo })) === 1,
    );
  });
});

describe('the whole after-sale journey through the pages', () => {
  it('the shopper asks on the request page, staff approve on the review page, WeChat refunds: the order page shows 已退款 and the refund message goes out (the shopper accepted it)', async () => {
    const me = newShopper();
    // After an earlier payment the shopper allowed the shop's messages (the prompt WeChat shows, and msg.subscribed).
    const { tmplIds } = await stack.as(me).ok('msg', 'templates', {});
    const results = Object.fromEntries(tmplIds.map((id) => [id, 'accept']));
    await fetch(`${stack.gatewayUrl}/_devcloud/subscribe/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-openid': me },
      body: JSON.stringify({ results }),
    });
    await stack.as(me).ok('msg', 'subscribed', { results });
    const o = await paidOrder(stack, me);
    const order = await stack.as(me).ok('order', 'get', { outTradeNo: o.outTradeNo });

    const request = await openRequestPage(o.outTradeNo);
    await request.tap('#reason-0');
    await request.tap('#submit >>> .t-button');
    await request.waitFor('went back', () => h.ctl.navigations.some((x) => x.kind === 'navigateBack'));
    request.unload();
    const [stored] = (
      await stack.cloud.db.collection('refund_requests').where({ outTradeNo: o.outTradeNo }).get()
    ).data as Array<{ _id: string; amountFen: number }>;
    expect(stored!.amountFen).toBe(order.payableFen);

    h.actAs(STAFF);
    const review = await h.load(`/staff/refund/index?requestId=${stored!._id}`);
    await review.waitFor('loaded', (d) => d.loading === false);
    h.ctl.modalAnswers.push(true);
    await review.tap('#approve >>> .t-button');
    await review.waitForText('已同意，退款已发起');
    review.unload();
    const approved = (await adminGet(stack, 'refund_requests', stored!._id))!;
    await stack.sim.control.setRefundOutcome(approved.outRefundNo as string, 'SUCCESS', { now: true });
    await waitForStatus(stack, me, o.outTradeNo, 'REFUNDED');

    h.actAs(me);
    const page = await openOrder(o.outTradeNo);
    await page.waitFor('refunded', (d) => d.rr?.label === '已退款', 15_000);
    expect(page.text()).toContain('已退款');
    await runJob(stack, 'closeExpired');
    const sent = (await stack.messages.outbox()).filter(
      (m) => m.touser === me && m.templateId === 'local-tmpl-refund',
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data.character_string1!.value).toBe(o.outTradeNo);
  });
});
