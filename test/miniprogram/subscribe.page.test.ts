/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The subscription prompt after paying (docs/adr/0010): asked inside wx.requestPayment's callback with the shop's
// template ids, its result counted by msg.subscribed, and nothing of it can hold up or fail the payment. Against a
// real local stack, on the cloud build's path (wx.requestPayment and wx.requestSubscribeMessage answered by the test).
import { createHarness, type PageDriver } from './harness';
import { placeOrder, runJob, useTestStack } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const IDS = ['local-tmpl-paid', 'local-tmpl-shipped', 'local-tmpl-refund'];
let n = 0;
function newShopper(): string {
  const openid = `o-sub-${++n}-${Date.now().toString(36)}`;
  h.actAs(openid);
  return openid;
}
const msgActions = () =>
  h.ctl.requests
    .filter((r) => r.url.endsWith('/fn/msg'))
    .map((r) => ({
      ...(r.data as { action: string; results?: Record<string, string> }),
      answered: r.statusCode !== null,
    }));

beforeAll(() => {
  h.configure({ transport: 'cloud', gatewayUrl: stack.gatewayUrl });
});
beforeEach(() => {
  h.ctl.requests.length = 0;
  h.ctl.paymentAnswers.length = 0;
  h.ctl.subscribeAnswers.length = 0;
  h.ctl.subscribeCalls.length = 0;
});
afterEach(() => h.unloadAll());

async function payOnPage(
  me: string,
  answer: 'ok' | 'fail cancel',
): Promise<{ page: PageDriver; no: string }> {
  const placed = await placeOrder(stack, me, 'sku-coffee-250g', 1);
  const no = placed.outTradeNo as string;
  h.ctl.paymentAnswers.push(async () => {
    if (answer === 'ok') await stack.sim.control.pay(no);
    return answer;
  });
  const page = await h.load(`/order/detail/index?outTradeNo=${no}&autopay=1`);
  return { page, no };
}

const countsOf = async (me: string) => (await stack.as(me).ok('msg', 'subscribed', { results: {} })).counts;

describe('the subscription prompt after paying', () => {
  it('accept: asked inside the payment callback with the configured ids, counted, and the paid message goes out', async () => {
    const me = newShopper();
    h.ctl.subscribeAnswers.push('accept');
    const { page, no } = await payOnPage(me, 'ok');
    await page.waitForText('支付成功', 8000);
    await page.waitFor('reported', () => msgActions().some((a) => a.action === 'subscribed' && a.answered));
    expect(h.ctl.subscribeCalls).toEqual([{ tmplIds: IDS, inPaymentCallback: true }]);
    const reported = msgActions().find((a) => a.action === 'subscribed')!;
    expect(reported.results).toEqual(Object.fromEntries(IDS.map((id) => [id, 'accept'])));
    expect(await countsOf(me)).toEqual(Object.fromEntries(IDS.map((id) => [id, 1])));
    await runJob(stack, 'closeExpired');
    const sent = (await stack.messages.outbox()).filter((m) => m.touser === me);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ state: 'delivered', templateId: 'local-tmpl-paid' });
    expect(sent[0]!.data.character_string1).toEqual({ value: no });
    expect((await stack.as(me).ok('order', 'get', { outTradeNo: no })).status).toBe('PAID');
  });

  it('reject, or a popup that fails: the order page still shows the payment, nothing counted', async () => {
    const me = newShopper();
    h.ctl.subscribeAnswers.push('reject');
    const first = await payOnPage(me, 'ok');
    await first.page.waitForText('支付成功', 8000);
    first.page.unload();
    h.ctl.subscribeAnswers.push({
      fail: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture',
    });
    const second = await payOnPage(me, 'ok');
    await second.page.waitForText('支付成功', 8000);
    expect(h.ctl.subscribeCalls).toHaveLength(2);
    expect(await countsOf(me)).toEqual(Object.fromEntries(IDS.map((id) => [id, 0])));
  });

  it('a cancelled sheet asks for nothing', async () => {
    const me = newShopper();
    const { page } = await payOnPage(me, 'fail cancel');
    await page.waitForText('你已取消支付');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.ctl.subscribeCalls).toEqual([]);
  });
});
