/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// Checkout's delivery step against a real local stack: the address comes from WeChat's address book
// (wx.chooseAddress, answered by the test as only WeChat can), behind the privacy consent; without one an express
// order cannot be submitted and the page says why; the chosen address and the remark reach the server and come back
// on the order page.
import { createHarness, LAST_ADDRESS_KEY, TEST_ADDRESS, type PageDriver } from './harness';
import { useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
let n = 0;
function newShopper(): string {
  const openid = `o-addr-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const checkoutCalls = () =>
  h.ctl.requests
    .filter((r) => (r.data as { action?: string } | undefined)?.action === 'checkout')
    .map((r) => r.data as Record<string, any>);

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.navigations.length = 0;
  h.ctl.addressAnswers.length = 0;
  h.ctl.addressCalls = 0;
  h.ctl.privacyConsentNeeded = false;
  h.ctl.storage.delete(LAST_ADDRESS_KEY);
});
afterEach(() => h.unloadAll());

async function confirmPageWith(skuId = 'sku-coffee-250g'): Promise<PageDriver> {
  const me = newShopper();
  await stack.as(me).ok('shop', 'addToCart', { skuId, quantity: 1 });
  const page = await h.load('order/confirm/index');
  await page.waitFor('quote shown', (d) => !d.loading);
  expect(page.data.errorText).toBe('');
  return page;
}

describe('the address step', () => {
  it('an express order without an address cannot be submitted, and the page says why', async () => {
    const page = await confirmPageWith();
    expect(page.data.deliveryKind).toBe('express');
    expect(page.text()).toContain('选择收货地址');
    expect(page.text()).toContain('请先选择收货地址');
    expect(page.comp.querySelector('#submit').instance.data.disabled).toBe(true);
    // Even a tap that reaches the handler sends nothing.
    await page.page.submit();
    await page.tap('#submit >>> .t-button');
    expect(checkoutCalls()).toHaveLength(0);
  });

  it('closing the picker changes nothing and tells the shopper what is missing', async () => {
    const page = await confirmPageWith();
    h.ctl.addressAnswers.push('fail cancel');
    await page.fire('#address', 'click');
    await page.waitForText('未选择收货地址');
    expect(h.ctl.addressCalls).toBeGreaterThan(0);
    expect(page.data.address).toBeNull();
    expect(page.data.blockReason).toBe('请先选择收货地址');
    expect(checkoutCalls()).toHaveLength(0);
  });

  it('a refused address permission says where to switch it back on', async () => {
    const page = await confirmPageWith();
    h.ctl.addressAnswers.push({ fail: 'chooseAddress:fail auth deny' });
    await page.fire('#address', 'click');
    await page.waitForText('设置中打开「通讯地址」');
    expect(page.has('#open-settings')).toBe(true);
    expect(page.data.blockReason).toBe('请先选择收货地址');
  });

  it('waits for the privacy consent: agreeing opens the address book, refusing explains', async () => {
    const page = await confirmPageWith();
    h.ctl.privacyConsentNeeded = true;
    h.ctl.addressAnswers.push({ ...TEST_ADDRESS });
    await page.fire('#address', 'click');
    await page.waitForText('用户隐私保护指引');
    expect(page.data.address).toBeNull(); // nothing until the shopper answers
    await page.tap('#disagree-privacy');
    await page.waitForText('需要你同意《用户隐私保护指引》');
    expect(page.has('#privacy')).toBe(false);

    h.ctl.privacyConsentNeeded = true;
    await page.fire('#address', 'click');
    await page.waitForText('用户隐私保护指引');
    page.comp.querySelector('#agree-privacy').dispatchEvent('agreeprivacyauthorization');
    await page.waitForText('张三 13800138000');
    expect(page.data.blockReason).toBe('');
  });

  it('sends the chosen address and the remark; the order page shows them; the next checkout remembers the address', async () => {
    const page = await confirmPageWith();
    h.ctl.addressAnswers.push({ ...TEST_ADDRESS });
    await page.fire('#address', 'click');
    await page.waitForText('广东省 广州市 海珠区 新港中路 397 号');
    expect(page.data.blockReason).toBe('');
    await page.fire('#remark', 'change', { value: '请放快递柜' });
    await page.tap('#submit >>> .t-button');
    await page.waitFor('order placed', () => h.ctl.navigations.length > 0);
    const [sent] = checkoutCalls();
    expect(sent!.delivery).toEqual({ kind: 'express', address: TEST_ADDRESS });
    expect(sent!.remark).toBe('请放快递柜');

    const url = h.ctl.navigations[0]!.url.replace('&autopay=1', '');
    const detail = await h.load(url);
    await detail.waitForText('张三 13800138000');
    expect(detail.text()).toContain('广东省 广州市 海珠区 新港中路 397 号');
    expect(detail.text()).toContain('备注：请放快递柜');
    expect(detail.text()).toContain('快递配送');
    detail.unload();
    page.unload();

    // Next checkout on this phone: the address is there without opening the address book.
    const calls = h.ctl.addressCalls;
    const again = await confirmPageWith();
    expect(again.text()).toContain('张三 13800138000');
    expect(again.data.blockReason).toBe('');
    expect(h.ctl.addressCalls).toBe(calls);
  });

  it('到店自提 needs no address: the pickup point is shown, sent as pickup, and on the order page', async () => {
    const page = await confirmPageWith();
    expect(page.data.deliveryKinds.map((k: { value: string }) => k.value)).toEqual(['express', 'pickup']);
    await page.tap('#kind-pickup');
    expect(page.data.blockReason).toBe('');
    expect(page.text()).toContain('营业时间');
    const point = page.data.pickupPoint as { name: string };
    await page.tap('#submit >>> .t-button');
    await page.waitFor('order placed', () => h.ctl.navigations.length > 0);
    expect(checkoutCalls()[0]!.delivery).toEqual({ kind: 'pickup' });
    expect(h.ctl.addressCalls).toBe(0);
    const detail = await h.load(h.ctl.navigations[0]!.url.replace('&autopay=1', ''));
    await detail.waitForText(point.name);
    expect(detail.text()).toContain('到店自提');
  });

  it('an address the server refuses says which part to fix, and nothing is ordered', async () => {
    const page = await confirmPageWith();
    h.ctl.addressAnswers.push({ ...TEST_ADDRESS, telNumber: 'call me' });
    await page.fire('#address', 'click');
    await page.waitForText('call me');
    await page.tap('#submit >>> .t-button');
    await page.waitForText('收货人电话格式不正确');
    expect(h.ctl.navigations).toHaveLength(0);
    expect(page.data.placing).toBe(false);
  });

  it('keeps the remark within 100 characters', async () => {
    const page = await confirmPageWith();
    await page.fire('#remark', 'change', { value: '很'.repeat(130) });
    expect(page.data.remark).toHaveLength(100);
  });
});
