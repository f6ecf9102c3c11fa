/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The staff pages against a real local stack: the 商家后台 entry only for whom the server calls staff, the to-ship
// list oldest paid first with tester orders marked, the ship form (success, and the server's refusal in words), the
// needs-attention tab with a failed shipping upload, and the delivery state on the shopper's order cards.
import { createHarness, type PageDriver } from './harness';
import { paidOrder, STAFF } from './fulfilment-support';
import { runJob, useTestStack, waitFor } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const SHOPPER = 'o-staff-page-shopper';
const TESTER = 'o-dev-tester';

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
  h.ctl.clipboard.length = 0;
});
afterEach(() => h.unloadAll());

const staffActions = () =>
  h.ctl.requests.filter((r) => r.url.endsWith('/fn/staff')).map((r) => (r.data as { action: string }).action);

async function staffHome(tab = ''): Promise<PageDriver> {
  h.actAs(STAFF);
  const page = await h.load(`staff/index${tab ? `?tab=${tab}` : ''}`);
  await page.waitFor('loaded', (d) => d.loaded && !d.loading);
  return page;
}

async function shipPage(outTradeNo: string): Promise<PageDriver> {
  h.actAs(STAFF);
  const page = await h.load(`/staff/ship/index?outTradeNo=${outTradeNo}`);
  await page.waitFor('loaded', (d) => !d.loading);
  return page;
}

describe('the 商家后台 entry', () => {
  it('a shopper never sees it (the server says so), and opening the page directly is refused', async () => {
    h.actAs(SHOPPER);
    const orders = await h.load('pages/orders/index');
    await orders.waitFor('loaded', (d) => d.loaded && !d.loading);
    await orders.waitFor('asked the server', () => staffActions().includes('me'));
    await new Promise((r) => setTimeout(r, 50));
    expect(orders.data.isStaff).toBe(false);
    expect(orders.has('#staff-entry')).toBe(false);
    orders.unload();

    const page = await h.load('staff/index');
    await page.waitForText('你没有商家后台的权限');
    // The lists were never asked for; had they been, the server would have refused.
    expect(staffActions()).not.toContain('listToShip');
    expect(await stack.as(SHOPPER).call('staff', 'listToShip', {})).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
  });

  it('staff see it on 我的订单 and it opens the staff pages', async () => {
    h.actAs(STAFF);
    const orders = await h.load('pages/orders/index');
    await orders.waitFor('entry', (d) => d.isStaff === true);
    await orders.tap('#staff-entry');
    expect(h.ctl.navigations.pop()).toEqual({ kind: 'navigateTo', url: '/staff/index' });
  });
});

describe('to ship', () => {
  it('lists paid orders oldest first, tester orders marked 测试, with the remark', async () => {
    const first = await paidOrder(stack, SHOPPER, undefined, '周末送货');
    const second = await paidOrder(stack, TESTER);
    const page = await staffHome();
    const nos = page.data.orders.map((o: { outTradeNo: string }) => o.outTradeNo);
    expect(nos.indexOf(first.outTradeNo)).toBeGreaterThanOrEqual(0);
    expect(nos.indexOf(first.outTradeNo)).toBeLessThan(nos.indexOf(second.outTradeNo));
    const card = (no: string) => page.comp.querySelector(`#order-${no}`);
    expect(card(second.outTradeNo).dom.textContent).toContain('测试');
    expect(card(first.outTradeNo).dom.textContent).not.toContain('测试');
    expect(card(first.outTradeNo).dom.textContent).toContain('备注：周末送货');
    await page.tap(`#order-${first.outTradeNo}`);
    expect(h.ctl.navigations.pop()).toEqual({
      kind: 'navigateTo',
      url: `/staff/ship/index?outTradeNo=${first.outTradeNo}`,
    });
  });

  it('ships by express from the form; the order leaves the list and the shopper’s card says 已发货', async () => {
    const o = await paidOrder(stack, SHOPPER);
    const page = await shipPage(o.outTradeNo);
    await page.waitForText('快递发货');
    expect(page.text()).toContain('张三 13800138000');
    await page.tap('#copy-address');
    expect(h.ctl.clipboard).toEqual(['张三 13800138000 广东省 广州市 海珠区 新港中路 397 号']);
    const carrier = page.data.companies[0] as { id: string; name: string };
    // Nothing chosen yet: the button says what is missing.
    if (page.data.companies.length > 1) expect(page.data.formProblem).toBe('请选择快递公司');
    await page.tap(`#company-0-${carrier.id}`);
    expect(page.data.formProblem).toBe('请填写快递单号');
    await page.fire('#tracking-0', 'change', { value: ' SF 7788 9900 ' });
    expect(page.data.formProblem).toBe('');
    await page.tap('#ship >>> .t-button');
    await page.waitForText('已发货');
    expect(page.data.order.shipLabel).toBe('已发货');
    expect(page.text()).toContain('SF77889900');
    const sent = h.ctl.requests.find((r) => (r.data as { action?: string }).action === 'ship')!.data;
    expect(sent).toMatchObject({ parcels: [{ expressCompany: carrier.id, trackingNo: 'SF77889900' }] });

    const list = await staffHome();
    expect(list.data.orders.map((c: { outTradeNo: string }) => c.outTradeNo)).not.toContain(o.outTradeNo);
    list.unload();
    h.actAs(SHOPPER);
    const mine = await h.load('pages/orders/index');
    await mine.waitFor('cards', (d) => d.loaded && !d.loading);
    const cardOf = (no: string) => mine.data.orders.find((c: { outTradeNo: string }) => c.outTradeNo === no);
    expect(cardOf(o.outTradeNo).shipLabel).toBe('已发货');
    expect(mine.comp.querySelector(`#order-${o.outTradeNo}`).dom.textContent).toContain('已发货');
  });

  it('splits a shipment into parcels', async () => {
    const o = await paidOrder(stack, SHOPPER);
    const page = await shipPage(o.outTradeNo);
    await page.waitForText('快递发货');
    const carrier = page.data.companies[0] as { id: string };
    await page.tap(`#company-0-${carrier.id}`);
    await page.fire('#tracking-0', 'change', { value: 'P1-0001' });
    await page.tap('#add-parcel');
    expect(page.data.parcels[1].expressCompany).toBe(carrier.id); // the last carrier carries over
    expect(page.data.formProblem).toBe('请填写第 2 个包裹的快递单号');
    await page.fire('#tracking-1', 'change', { value: 'P1-0002' });
    await page.tap('#ship >>> .t-button');
    await page.waitForText('已发货（2 个包裹）');
    expect(page.data.order.parcels.map((p: { trackingNo: string }) => p.trackingNo)).toEqual([
      'P1-0001',
      'P1-0002',
    ]);
  });

  it('changes a shipment once (WeChat allows one change), after saying so', async () => {
    const o = await paidOrder(stack, SHOPPER);
    const page = await shipPage(o.outTradeNo);
    await page.waitForText('快递发货');
    const carrier = page.data.companies[0] as { id: string };
    await page.tap(`#company-0-${carrier.id}`);
    await page.fire('#tracking-0', 'change', { value: 'FIRST-0001' });
    await page.tap('#ship >>> .t-button');
    await page.waitFor('shipped', (d) => d.order.shipLabel === '已发货' && !d.busy);
    expect(page.has('#ship-form')).toBe(false);
    h.ctl.modalAnswers.push(true);
    await page.tap('#change-shipment >>> .t-button');
    await page.waitFor('form open', (d) => d.editing && d.changing);
    expect(h.ctl.modals.at(-1)?.content).toContain('只允许修改一次');
    await page.tap(`#company-0-${carrier.id}`);
    await page.fire('#tracking-0', 'change', { value: 'SECOND-0002' });
    await page.tap('#ship >>> .t-button');
    await page.waitForText('已修改发货信息');
    expect(page.data.order.parcels.map((p: { trackingNo: string }) => p.trackingNo)).toEqual(['SECOND-0002']);
    const sent = h.ctl.requests.filter((r) => (r.data as { action?: string }).action === 'ship').at(-1)!.data;
    expect(sent).toMatchObject({ change: true, parcels: [{ trackingNo: 'SECOND-0002' }] });
  });

  it('a refusal is shown in words and the page shows where the order really is', async () => {
    const o = await paidOrder(stack, SHOPPER);
    const page = await shipPage(o.outTradeNo);
    await page.waitForText('快递发货');
    // Meanwhile the order is refunded in full: shipping is refused by the server.
    const order = await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: o.outTradeNo });
    await stack.as(STAFF).ok('refund', 'create', {
      outTradeNo: o.outTradeNo,
      amountFen: order.payableFen,
      reason: '顾客取消',
      requestKey: `rk-${Date.now()}`,
    });
    const carrier = page.data.companies[0] as { id: string };
    await page.tap(`#company-0-${carrier.id}`);
    await page.fire('#tracking-0', 'change', { value: 'SF000111' });
    await page.tap('#ship >>> .t-button');
    await page.waitFor('refused', (d) => d.errorText !== '' && !d.busy);
    expect(page.data.errorText).toMatch(/退款|不能发货/);
    expect(page.text()).toContain(page.data.errorText);
    await page.waitFor('form closed', (d) => d.editing === false);
    expect(page.data.order.payLabel).not.toBe('已支付');
  });
});

describe('needs attention', () => {
  it('a failed shipping upload is listed; 重新上传 queues it again; 标记已处理 closes the record', async () => {
    const o = await paidOrder(stack, SHOPPER);
    // Uploads other tests queued go first: the fault below is for this order's upload.
    await runJob(stack, 'reconcile');
    // WeChat refuses the upload for good (10060004: the payment refuses shipping).
    const fault = await fetch(`${stack.gatewayUrl}/_devcloud/trade/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errcode: 10060004, count: 1 }),
    });
    expect(fault.status).toBe(200);
    const carrier = (await stack.as(STAFF).ok('staff', 'me', {})).expressCompanies[0]!;
    await stack.as(STAFF).ok('staff', 'ship', {
      outTradeNo: o.outTradeNo,
      parcels: [{ expressCompany: carrier.id, trackingNo: 'SF-FAIL-1' }],
    });
    await waitFor('the upload to fail', async () => {
      await runJob(stack, 'reconcile');
      const v = await stack.as(STAFF).ok('staff', 'getOrder', { outTradeNo: o.outTradeNo });
      return v.shippingUpload.state === 'failed';
    });

    const page = await staffHome('attention');
    const rec = page.data.attention.find((a: { outTradeNo: string }) => a.outTradeNo === o.outTradeNo);
    expect(rec).toMatchObject({ kindText: '发货信息上传微信失败', canRetryUpload: true });
    await page.tap(`#retry-upload-${rec.id} >>> .t-button`);
    await page.waitForText('已重新排队上传');
    const v = await stack.as(STAFF).ok('staff', 'getOrder', { outTradeNo: o.outTradeNo });
    expect(v.shippingUpload.state).toBe('queued');

    h.ctl.modalAnswers.push(true);
    await page.tap(`#resolve-${rec.id} >>> .t-button`);
    await page.waitForText('已标记为已处理');
    expect(page.data.attention.map((a: { id: string }) => a.id)).not.toContain(rec.id);
  });
});

describe('pickup', () => {
  it('备货完成可自提, then 顾客已自提; the shopper’s order says 待自提 then 已自提', async () => {
    // The local stack has a pickup point (SHOP_PICKUP_POINT, devcloud/stack/function-env.ts).
    expect((await stack.as(STAFF).ok('staff', 'me', {})).pickupPoint).not.toBeNull();
    const o = await paidOrder(stack, SHOPPER, { kind: 'pickup' });
    const page = await shipPage(o.outTradeNo);
    await page.waitForText('备货完成，可自提');
    await page.tap('#ready >>> .t-button');
    await page.waitForText('顾客可到店自提');
    expect(page.data.order.shipLabel).toBe('待自提');
    h.ctl.modalAnswers.push(true);
    await page.tap('#picked-up >>> .t-button');
    await page.waitForText('已标记顾客自提');
    expect(page.data.order.shipLabel).toBe('已自提');
    const seen = await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: o.outTradeNo });
    expect(seen.fulfilment.state).toBe('PICKED_UP');
  });
});
