/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The local preview's simulated subscription prompt (docs/adr/0010): after the simulated cashier pays, the cashier
// shows the prompt; 允许 tells the local cloud (as WeChat learns it from its popup) and the shop (msg.subscribed), and
// the closeExpired run delivers the paid message; 拒绝 sends nothing and the order is PAID all the same.
import { createHarness, type PageDriver } from './harness';
import { placeOrder, runJob, useTestStack, waitFor } from '../support/stack';

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();

beforeAll(() => {
  h.configure({ transport: 'local', gatewayUrl: stack.gatewayUrl, simulatorUrl: stack.simulatorUrl });
});
afterEach(() => h.unloadAll());

async function payAndAnswer(
  openid: string,
  answer: 'accept' | 'reject',
): Promise<{ page: PageDriver; no: string }> {
  h.actAs(openid);
  const placed = await placeOrder(stack, openid, 'sku-coffee-250g', 1);
  const no = placed.outTradeNo as string;
  const page = await h.load(`/order/detail/index?outTradeNo=${no}&autopay=1`);
  await page.waitFor(
    'cashier open',
    () => page.comp.querySelector('#cashier')?.instance.data.visible === true,
  );
  await page.tap('#cashier >>> #cashier-pay >>> .t-button');
  await page.waitFor(
    'prompt open',
    () => page.comp.querySelector('#cashier')?.instance.data.subscribeVisible === true,
  );
  expect(page.comp.querySelector('#cashier')?.instance.data.subscribeCount).toBe(3);
  await page.tap(`#cashier >>> #subscribe-${answer} >>> .t-button`);
  await page.waitFor('paid', (d) => d.order?.status === 'PAID', 10000);
  return { page, no };
}

describe('the simulated subscription prompt (local preview)', () => {
  it('允许 → the paid message is delivered by the next run', async () => {
    const me = 'o-sub-local-accept';
    const { no } = await payAndAnswer(me, 'accept');
    await waitFor(
      'the accept at the local cloud',
      async () => (await stack.messages.accepts(me, 'local-tmpl-paid')) === 1,
    );
    await waitFor('the accept counted by the shop', async () => {
      const r = await stack.as(me).ok('msg', 'subscribed', { results: {} });
      return r.counts['local-tmpl-paid'] === 1;
    });
    await runJob(stack, 'closeExpired');
    const [sent] = (await stack.messages.outbox()).filter((m) => m.touser === me);
    expect(sent).toMatchObject({ state: 'delivered', page: `order/detail/index?outTradeNo=${no}` });
  });

  it('拒绝 → nothing sent, the order is PAID', async () => {
    const me = 'o-sub-local-reject';
    const { no } = await payAndAnswer(me, 'reject');
    await runJob(stack, 'closeExpired');
    expect((await stack.messages.outbox()).filter((m) => m.touser === me)).toEqual([]);
    expect((await stack.as(me).ok('order', 'get', { outTradeNo: no })).status).toBe('PAID');
  });
});
