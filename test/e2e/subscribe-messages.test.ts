// Subscription messages through the local stack (docs/adr/0010): the shopper's answer to the prompt reaches "WeChat"
// (the local cloud's subscribeMessage.send keeps its own accepts) and msg.subscribed (our count); paying owes the
// paid message on the order; the closeExpired run sends it with WeChat's rules; the outbox shows what was sent.
import {
  TEST_DELIVERY,
  adminGet,
  placeOrder,
  runJob,
  useTestStack,
  waitForRefund,
  waitForStatus,
} from '../support/stack';
import type { TestStack } from '../support/stack';

const SHOPPER = 'o-msg-shopper';
const LOCAL_PAID = 'local-tmpl-paid';

/** What the local preview does after the payment sheet: ask, tell "WeChat" (the prompt), tell the shop. */
async function answerPrompt(stack: TestStack, openid: string, choice: 'accept' | 'reject') {
  const { tmplIds } = await stack.as(openid).ok('msg', 'templates', {});
  const results = Object.fromEntries(tmplIds.map((id) => [id, choice]));
  const res = await fetch(`${stack.gatewayUrl}/_devcloud/subscribe/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wx-openid': openid },
    body: JSON.stringify({ results }),
  });
  expect(res.status).toBe(200);
  return stack.as(openid).ok('msg', 'subscribed', { results });
}

async function payFor(stack: TestStack, openid: string, sku = 'sku-coffee-250g') {
  const order = await placeOrder(stack, openid, sku, 1);
  await stack.as(openid).ok('pay', 'start', { outTradeNo: order.outTradeNo });
  await stack.sim.control.pay(order.outTradeNo);
  await waitForStatus(stack, openid, order.outTradeNo, 'PAID');
  return order.outTradeNo as string;
}

const outboxFor = async (stack: TestStack, openid: string) =>
  (await stack.messages.outbox(500)).filter((m) => m.touser === openid);

describe('subscription messages on the local stack', () => {
  const stack = useTestStack();

  it('msg.templates offers the configured ids; msg.subscribed counts accepts of configured ids only', async () => {
    const t = await stack.as(SHOPPER).ok('msg', 'templates', {});
    expect(t.tmplIds).toEqual(['local-tmpl-paid', 'local-tmpl-shipped', 'local-tmpl-refund']);
    const r = await stack.as('o-msg-counting').ok('msg', 'subscribed', {
      results: {
        errMsg: 'requestSubscribeMessage:ok',
        'local-tmpl-paid': 'acceptWithAudio',
        'local-tmpl-refund': 'reject',
        'not-ours': 'accept',
      },
    });
    expect(r.counted).toEqual(['local-tmpl-paid']);
    expect(r.counts).toEqual({ 'local-tmpl-paid': 1, 'local-tmpl-shipped': 0, 'local-tmpl-refund': 0 });
    const tooMany = await stack.as('o-msg-counting').call('msg', 'subscribed', {
      results: Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`t${i}`, 'accept'])),
    });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
  });

  it('checkout records the build (envVersion) the order was placed from, and refuses an unknown one', async () => {
    const openid = 'o-msg-build';
    await stack.as(openid).ok('shop', 'addToCart', { skuId: 'sku-coffee-250g', quantity: 1 });
    const quote = await stack.as(openid).ok('order', 'quote', {});
    const lines = quote.lines.map((l: { skuId: string; quantity: number }) => ({
      skuId: l.skuId,
      quantity: l.quantity,
    }));
    const bad = await stack.as(openid).unchecked('order', 'checkout', {
      clientRequestKey: 'build-key-0001',
      lines,
      displayedPayableFen: quote.payableFen,
      delivery: TEST_DELIVERY,
      envVersion: 'beta',
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });
    const placed = await stack.as(openid).ok('order', 'checkout', {
      clientRequestKey: 'build-key-0002',
      lines,
      displayedPayableFen: quote.payableFen,
      delivery: TEST_DELIVERY,
      envVersion: 'trial',
    });
    expect((await adminGet(stack, 'orders', placed.order.outTradeNo))!.placedFrom).toBe('trial');
  });

  it('accept → pay: the paid message is sent once, formatted, to the developer build, and the order keeps paying', async () => {
    const openid = 'o-msg-accept';
    await answerPrompt(stack, openid, 'accept');
    const outTradeNo = await payFor(stack, openid);
    const owed = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(owed.messages.paid.state).toBe('owed');
    expect(owed.messageJob.state).toBe('queued');
    const run = await runJob<Record<string, number>>(stack, 'closeExpired');
    expect(run.messagesSent).toBeGreaterThanOrEqual(1);
    const [sent, ...rest] = await outboxFor(stack, openid);
    expect(rest).toEqual([]);
    expect(sent).toMatchObject({
      state: 'delivered',
      templateId: LOCAL_PAID,
      page: `order/detail/index?outTradeNo=${outTradeNo}`,
      miniprogramState: 'developer',
      lang: 'zh_CN',
    });
    expect(sent!.data.character_string1!.value).toBe(outTradeNo);
    expect(sent!.data.amount3!.value).toMatch(/^¥\d+\.\d\d$/);
    expect(sent!.data.time4!.value).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/);
    expect([...sent!.data.thing2!.value].length).toBeLessThanOrEqual(20);
    const order = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(order.status).toBe('PAID');
    expect(order.messages.paid.state).toBe('sent');
    expect(order.messageJob.state).toBe('settled');
    // Nothing is sent twice.
    await runJob(stack, 'closeExpired');
    expect(await outboxFor(stack, openid)).toHaveLength(1);
  });

  it('shipping owes the shipped message in the same write, sent with the carrier and tracking number', async () => {
    const openid = 'o-msg-shipped';
    await answerPrompt(stack, openid, 'accept');
    const outTradeNo = await payFor(stack, openid);
    await runJob(stack, 'closeExpired'); // the paid message
    await stack.as('o-dev-admin').ok('staff', 'ship', {
      outTradeNo,
      parcels: [{ expressCompany: 'ZTO', trackingNo: 'ZT7766554433' }],
    });
    const owed = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(owed.messages.shipped.state).toBe('owed');
    await runJob(stack, 'closeExpired');
    const shipped = (await outboxFor(stack, openid)).filter((m) => m.templateId === 'local-tmpl-shipped');
    expect(shipped).toHaveLength(1);
    expect(shipped[0]!.data.character_string1!.value).toBe(outTradeNo);
    expect(shipped[0]!.data.thing3!.value).toBe('中通快递');
    expect(shipped[0]!.data.character_string4!.value).toBe('ZT7766554433');
    expect((await adminGet(stack, 'orders', outTradeNo))!.messages.shipped.state).toBe('sent');
  });

  it('a refund that reaches the shopper owes the refund message in the same write, sent with its amount', async () => {
    const openid = 'o-msg-refund';
    await answerPrompt(stack, openid, 'accept');
    const outTradeNo = await payFor(stack, openid);
    await runJob(stack, 'closeExpired'); // the paid message
    const refund = await stack.as('o-dev-admin').ok('refund', 'create', {
      outTradeNo,
      amountFen: 100,
      requestKey: 'msg-refund-1',
    });
    await stack.sim.control.setRefundOutcome(refund.outRefundNo, 'SUCCESS', { now: true });
    await waitForRefund(stack, refund.outRefundNo, 'SUCCESS');
    const owed = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(owed.messages.refund).toMatchObject({ state: 'owed', facts: { amountFen: 100 } });
    await runJob(stack, 'closeExpired');
    const [latest] = await outboxFor(stack, openid);
    expect(latest).toMatchObject({ state: 'delivered', templateId: 'local-tmpl-refund' });
    expect(latest!.data).toMatchObject({
      character_string1: { value: outTradeNo },
      amount2: { value: '¥1.00' },
      phrase3: { value: '退款成功' },
    });
    expect((await adminGet(stack, 'orders', outTradeNo))!.messages).toMatchObject({
      paid: { state: 'sent' },
      refund: { state: 'sent' },
    });
  });

  it('reject → pay: no message, no retry loop, the order is PAID', async () => {
    const openid = 'o-msg-reject';
    await answerPrompt(stack, openid, 'reject');
    const outTradeNo = await payFor(stack, openid);
    await runJob(stack, 'closeExpired');
    const order = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(order.status).toBe('PAID');
    expect(order.messages.paid.state).toBe('skipped-no-accept');
    expect(order.messageJob.state).toBe('settled');
    await stack.advance(60 * 60_000);
    await runJob(stack, 'closeExpired');
    expect(await outboxFor(stack, openid)).toEqual([]);
  });

  it('a used-up quota: two payments, one accept → one message, the second skipped quietly', async () => {
    const openid = 'o-msg-quota';
    await answerPrompt(stack, openid, 'accept');
    const first = await payFor(stack, openid);
    const second = await payFor(stack, openid, 'sku-apples-5kg');
    await runJob(stack, 'closeExpired');
    const states = [
      (await adminGet(stack, 'orders', first))!.messages.paid.state,
      (await adminGet(stack, 'orders', second))!.messages.paid.state,
    ].sort();
    expect(states).toEqual(['sent', 'skipped-no-accept']);
    expect(await outboxFor(stack, openid)).toHaveLength(1);
    expect(await stack.messages.accepts(openid, LOCAL_PAID)).toBe(0);
  });

  it('a client that reports an accept it never gave: WeChat answers 43101, skipped quietly, not retried', async () => {
    const openid = 'o-msg-liar';
    await stack.as(openid).ok('msg', 'subscribed', { results: { [LOCAL_PAID]: 'accept' } });
    const outTradeNo = await payFor(stack, openid);
    const run = await runJob<Record<string, number>>(stack, 'closeExpired');
    expect(run.messagesFailed).toBe(0);
    const order = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(order.messages.paid).toMatchObject({ state: 'skipped' });
    expect(order.messages.paid.error).toMatch(/^43101/);
    expect(order.messageJob.state).toBe('settled');
    const [refused] = await outboxFor(stack, openid);
    expect(refused).toMatchObject({ state: 'refused', errCode: 43101 });
    await stack.advance(60 * 60_000);
    await runJob(stack, 'closeExpired');
    expect(await outboxFor(stack, openid)).toHaveLength(1);
  });

  it('a send WeChat refuses (47003: the template changed in the admin console) fails once, a person is told, no retry', async () => {
    const openid = 'o-msg-47003';
    await answerPrompt(stack, openid, 'accept');
    const outTradeNo = await payFor(stack, openid);
    // The functions were configured (cold start) with the old keys; "WeChat" now has a template without thing5.
    const was = stack.env['SHOP_MSG_TEMPLATE_PAID']!;
    stack.env['SHOP_MSG_TEMPLATE_PAID'] = was.replace(',thing5=note', '');
    try {
      const run = await runJob<Record<string, number>>(stack, 'closeExpired');
      expect(run.messagesFailed).toBe(1);
    } finally {
      stack.env['SHOP_MSG_TEMPLATE_PAID'] = was;
    }
    const order = (await adminGet(stack, 'orders', outTradeNo))!;
    expect(order.status).toBe('PAID');
    expect(order.messages.paid.state).toBe('failed');
    expect(order.messages.paid.error).toMatch(/47003.*thing5/);
    expect(order.messageJob.state).toBe('settled');
    const attention = (await adminGet(stack, 'attention', `message-refused:${outTradeNo}:paid`))!;
    expect(attention.kind).toBe('message-refused');
    await stack.advance(60 * 60_000);
    await runJob(stack, 'closeExpired');
    expect(await outboxFor(stack, openid)).toHaveLength(1);
  });
});
