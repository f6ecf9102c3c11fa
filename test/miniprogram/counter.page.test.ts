/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The staff counter (收银台, docs/adr/0012) against a real local stack: refused to a shopper; staff pick goods, the QR
// code drawn on the page is the payUrl's (cell by cell, against qrcode-generator itself), the amount is the server's;
// paying in the simulator shows 已收款 by polling alone; 取消 after a confirm closes the order and gives the stock back;
// a lost createNative answer retried with the same key is one order.
import qrcode from 'qrcode-generator';
import { createHarness, type PageDriver } from './harness';
import { STAFF } from './fulfilment-support';
import { adminCount, adminGet, useTestStack, waitFor } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const SHOPPER = 'o-counter-page-shopper';
const COFFEE = 'sku-coffee-250g';
const TEA = 'sku-longjing-50g';

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
  h.ctl.modals.length = 0;
  h.ctl.modalAnswers.length = 0;
  h.ctl.faults.length = 0;
});
afterEach(() => h.unloadAll());

const channelCalls = (action: string) =>
  h.ctl.requests.filter(
    (r) => r.url.endsWith('/fn/channelPay') && (r.data as { action: string }).action === action,
  );

async function counter(): Promise<PageDriver> {
  h.actAs(STAFF);
  const page = await h.load('staff/counter/index');
  await page.waitFor('goods', (d) => d.loaded && d.items.length >= 2);
  return page;
}

/** Sets quantities with the TDesign steppers, as staff tapping + would. */
async function pick(page: PageDriver, quantities: Record<string, number>): Promise<void> {
  for (const [skuId, q] of Object.entries(quantities))
    await page.fire(`#qty-${skuId}`, 'change', { value: q });
}

async function stockOf(skuId: string): Promise<number> {
  return (await adminGet(stack, 'skus', skuId))!.stock as number;
}

/** The drawn QR code as rows of 0/1, read from the rendered cells (the page's classes carry its prefix). */
function drawnMatrix(page: PageDriver): number[][] {
  type Node = { className: string; children: ArrayLike<Node> };
  const rows = (page.comp.querySelectorAll('.qr__row') as Array<{ dom: Node }>).map((r) => r.dom);
  return rows.map((row) =>
    Array.from(row.children).map((c) => (/(^|\s|--)qr__cell--dark(\s|$)/.test(c.className) ? 1 : 0)),
  );
}

/** qrcode-generator's own matrix for the text, at any level the page might pick: compared by equality below. */
function libraryMatrix(text: string): number[][] {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (qr.isDark(r, c) ? 1 : 0)));
}

describe('who may use it', () => {
  it('a shopper sees the refusal; the server refuses them too', async () => {
    h.actAs(SHOPPER);
    const page = await h.load('staff/counter/index');
    await page.waitForText('你没有收银台的权限');
    expect(page.has('#create')).toBe(false);
    expect(channelCalls('createNative')).toHaveLength(0);
    expect(
      await stack.as(SHOPPER).call('channelPay', 'createNative', {
        clientRequestKey: 'counter-shopper-0001',
        lines: [{ skuId: COFFEE, quantity: 1 }],
      }),
    ).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });
  });

  it('staff reach it from 商家后台', async () => {
    h.actAs(STAFF);
    const home = await h.load('staff/index');
    await home.waitFor('staff', (d) => d.isStaff === true);
    await home.tap('#to-counter');
    expect(h.ctl.navigations.pop()).toEqual({ kind: 'navigateTo', url: '/staff/counter/index' });
  });
});

describe('a sale', () => {
  it('2 items → the QR code of the server’s payUrl with the server’s amount; paid in the simulator → 已收款 without a tap', async () => {
    const page = await counter();
    const items = page.data.items as Array<{ skuId: string; max: number }>;
    const a = items.find((i) => i.skuId === COFFEE);
    const b = items.find((i) => i.skuId === TEA);
    const stockA = await stockOf(a!.skuId);
    await pick(page, { [a!.skuId]: 2, [b!.skuId]: 1 });
    expect(page.data.count).toBe(3);
    expect(page.text()).toContain('共 3 件');
    await page.tap('#create >>> .t-button');
    await page.waitForText('等待顾客扫码支付');

    const sent = channelCalls('createNative')[0]!.data as { clientRequestKey: string; lines: unknown };
    expect(sent.lines).toEqual([
      { skuId: a!.skuId, quantity: 2 },
      { skuId: b!.skuId, quantity: 1 },
    ]);
    // The server's answer for the same key (a repeat answers the same order): its amount and its payUrl.
    const server = await stack.as(STAFF).ok('channelPay', 'createNative', {
      clientRequestKey: sent.clientRequestKey,
      lines: [
        { skuId: a!.skuId, quantity: 2 },
        { skuId: b!.skuId, quantity: 1 },
      ],
    });
    const no: string = server.order.outTradeNo;
    expect(page.data.sale.outTradeNo).toBe(no);
    const yuan = (server.order.payableFen / 100).toFixed(2);
    expect(page.comp.querySelector('.amount').dom.textContent).toContain(`¥${yuan}`);
    expect(page.text()).toContain(no);
    expect(page.text()).toMatch(/剩余 \d\d:\d\d 后收款码失效/);
    expect(await stockOf(a!.skuId)).toBe(stockA - 2);

    // The drawn grid is the library's QR code of the server's payUrl, module for module.
    const drawn = drawnMatrix(page);
    const expected = libraryMatrix(server.payUrl as string);
    expect(drawn.length).toBeGreaterThanOrEqual(21);
    expect(drawn).toEqual(expected);

    // The customer pays: the page sees it by itself (polling getNative).
    const polledBefore = channelCalls('getNative').length;
    await stack.sim.control.pay(no);
    await page.waitForText('已收款');
    expect(channelCalls('getNative').length).toBeGreaterThan(polledBefore);
    expect(page.has('#qr')).toBe(false);
    expect(page.comp.querySelector('#paid').dom.textContent).toContain(`¥${yuan}`);
    expect(page.text()).toMatch(/收款时间 \d{4}-\d\d-\d\d \d\d:\d\d/);
    const stored = await adminGet(stack, 'orders', no);
    expect(stored).toMatchObject({ status: 'PAID', channel: 'native' });

    // 下一单: an empty basket and a new key.
    await page.tap('#next >>> .t-button');
    await page.waitFor('a fresh basket', (d) => d.phase === 'pick' && d.loaded && d.items.length > 0);
    expect(page.data.count).toBe(0);
    await pick(page, { [a!.skuId]: 1 });
    await page.tap('#create >>> .t-button');
    await page.waitForText('等待顾客扫码支付');
    const keys = channelCalls('createNative').map(
      (r) => (r.data as { clientRequestKey: string }).clientRequestKey,
    );
    expect(new Set(keys).size).toBe(2);
    expect(page.data.sale.outTradeNo).not.toBe(no);
  });

  it('polling stops while the page is hidden and resumes on show', async () => {
    const page = await counter();
    await pick(page, { [COFFEE]: 1 });
    await page.tap('#create >>> .t-button');
    await page.waitForText('等待顾客扫码支付');
    const no: string = page.data.sale.outTradeNo;
    page.hide();
    await new Promise((r) => setTimeout(r, 50));
    const asked = channelCalls('getNative').length;
    await stack.sim.control.pay(no);
    await waitFor(
      'the order to be paid',
      async () => (await adminGet(stack, 'orders', no))?.status === 'PAID',
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(channelCalls('getNative').length).toBe(asked);
    expect(page.text()).toContain('等待顾客扫码支付');
    await page.show();
    await page.waitForText('已收款');
  });

  it('取消 asks first, then closes the order and gives the stock back', async () => {
    const page = await counter();
    const before = await stockOf(COFFEE);
    await pick(page, { [COFFEE]: 2 });
    await page.tap('#create >>> .t-button');
    await page.waitForText('等待顾客扫码支付');
    const no: string = page.data.sale.outTradeNo;
    expect(await stockOf(COFFEE)).toBe(before - 2);

    h.ctl.modalAnswers.push(false);
    await page.tap('#cancel >>> .t-button');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.ctl.modals).toHaveLength(1);
    expect(channelCalls('cancelNative')).toHaveLength(0);
    expect(page.text()).toContain('等待顾客扫码支付');

    h.ctl.modalAnswers.push(true);
    await page.tap('#cancel >>> .t-button');
    await page.waitForText('已关闭');
    expect(page.text()).toContain('已取消收款，商品库存已退回');
    expect(await adminGet(stack, 'orders', no)).toMatchObject({ status: 'CLOSED_BY_USER' });
    expect(await stockOf(COFFEE)).toBe(before);
  });

  it('a lost createNative answer: the error in words, and 生成收款码 again with the same key is one order', async () => {
    const page = await counter();
    await pick(page, { [COFFEE]: 1 });
    const ordersBefore = await adminCount(stack, 'orders', { openid: `native:${STAFF}` });
    // Every try reaches the server and its answer is lost (the page's own retries included).
    h.ctl.faults.push({ when: 'after', urlContains: '/fn/channelPay', action: 'createNative', times: 4 });
    await page.tap('#create >>> .t-button');
    await page.waitForText('网络不太顺畅');
    expect(page.data.phase).toBe('pick');
    await page.tap('#create >>> .t-button');
    await page.waitForText('等待顾客扫码支付');
    const sent = channelCalls('createNative');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent.map((r) => (r.data as { clientRequestKey: string }).clientRequestKey)).size).toBe(1);
    expect(await adminCount(stack, 'orders', { openid: `native:${STAFF}` })).toBe(ordersBefore + 1);
  });

  it('a refusal of the server in plain words (more than the stock)', async () => {
    const page = await counter();
    const item = (page.data.items as Array<{ skuId: string; max: number }>).find((i) => i.skuId === COFFEE)!;
    await pick(page, { [COFFEE]: item.max });
    // Someone else buys the last ones before staff tap.
    const stock = await stockOf(COFFEE);
    await stack.cloud.db
      .collection('skus')
      .doc(COFFEE)
      .update({ data: { stock: 0 } });
    try {
      await page.tap('#create >>> .t-button');
      await page.waitFor('an answer', (d) => !d.busy && d.errorText);
      expect(page.data.errorText).toBe('订单中有商品库存不足，请返回购物车调整');
      expect(page.data.phase).toBe('pick');
    } finally {
      await stack.cloud.db.collection('skus').doc(COFFEE).update({ data: { stock } });
    }
  });
});
