import { join } from 'node:path';
import { tempDir } from '../test-support/temp';
import { createWxServerSdk } from '../sdk/index';
import type { Engine } from '../db/engine';
import {
  LocalSubscribeMessages,
  appJsonPages,
  templatesFromSettings,
  wechatFieldProblem,
} from './subscribe-message';

const TEMPLATES = templatesFromSettings([
  't-paid|character_string1=orderNo,thing2=goods,amount3=paidAmount,time4=paidTime',
  undefined,
  'malformed',
]);
const SEND = 'subscribeMessage.send';

describe('the local subscribeMessage.send', () => {
  let t: ReturnType<typeof tempDir>;
  let msgs: LocalSubscribeMessages;
  const open = () =>
    LocalSubscribeMessages.open({
      dir: t.dir,
      pages: appJsonPages(join(__dirname, '..', '..', 'miniprogram', 'app.json')),
      templates: () => TEMPLATES,
      now: () => 1_000,
    });
  beforeEach(async () => {
    t = tempDir('devcloud-msg-');
    msgs = await open();
  });
  afterEach(async () => {
    await msgs.close();
    t.cleanup();
  });

  const good = {
    touser: 'o-shopper-1',
    templateId: 't-paid',
    page: 'order/detail/index?outTradeNo=T1',
    data: {
      character_string1: { value: 'T1' },
      thing2: { value: '咖啡豆 250g' },
      amount3: { value: '¥68.00' },
      time4: { value: '2026年11月30日 15:01' },
    },
    miniprogramState: 'developer',
    lang: 'zh_CN',
  };
  const send = (input: unknown, allowed = new Set([SEND])) =>
    msgs.sdkFacade('closeExpired', allowed).send(input);
  const errCodeOf = async (p: Promise<unknown>) =>
    p.then(
      () => 0,
      (e: { errCode: number; errMsg: string }) => e,
    );

  it('reads the pages of app.json, subpackages included', () => {
    const pages = appJsonPages(join(__dirname, '..', '..', 'miniprogram', 'app.json'));
    expect(pages.has('pages/goods/index')).toBe(true);
    expect(pages.has('order/detail/index')).toBe(true);
    expect(pages.has('detail/index')).toBe(false);
    expect([...TEMPLATES.keys()]).toEqual(['t-paid']);
  });

  it('43101 without an accept; one accept = one send; a reject counts nothing', async () => {
    expect(await errCodeOf(send(good))).toMatchObject({ errCode: 43101 });
    await msgs.prompt('o-shopper-1', { 't-paid': 'reject', 'not-known': 'accept' });
    expect(await errCodeOf(send(good))).toMatchObject({ errCode: 43101 });
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    await msgs.prompt('o-shopper-1', { 't-paid': 'acceptWithAudio' });
    await expect(send(good)).resolves.toMatchObject({ errCode: 0 });
    await expect(send(good)).resolves.toMatchObject({ errCode: 0 });
    expect(await errCodeOf(send(good))).toMatchObject({ errCode: 43101 });
    const outbox = await msgs.outbox();
    expect(outbox.map((m) => [m.state, m.errCode])).toEqual([
      ['refused', 43101],
      ['delivered', 0],
      ['delivered', 0],
      ['refused', 43101],
      ['refused', 43101],
    ]);
  });

  it('47003 names the invalid field; 41030 an unknown page; 40037 an unknown template; 40003 a bad openid; and uses no accept', async () => {
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    const bad = (data: Record<string, { value: string }>) => ({ ...good, data: { ...good.data, ...data } });
    const e1 = await errCodeOf(send(bad({ thing2: { value: '商'.repeat(21) } })));
    expect(e1).toMatchObject({ errCode: 47003 });
    expect((e1 as { errMsg: string }).errMsg).toMatch(/data\.thing2/);
    expect(await errCodeOf(send(bad({ character_string1: { value: 'T 1' } })))).toMatchObject({
      errCode: 47003,
    });
    expect(await errCodeOf(send(bad({ thing9: { value: 'x' } })))).toMatchObject({ errCode: 47003 });
    expect(await errCodeOf(send({ ...good, miniprogramState: 'beta' }))).toMatchObject({ errCode: 47003 });
    expect(await errCodeOf(send({ ...good, page: 'order/nowhere/index' }))).toMatchObject({ errCode: 41030 });
    expect(await errCodeOf(send({ ...good, templateId: 't-other' }))).toMatchObject({ errCode: 40037 });
    expect(await errCodeOf(send({ ...good, touser: 'x' }))).toMatchObject({ errCode: 40003 });
    expect(await msgs.accepts('o-shopper-1', 't-paid')).toBe(1);
    await expect(send(good)).resolves.toMatchObject({ errCode: 0 });
  });

  it('refuses a function without the permission in its config.json', async () => {
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    expect(await errCodeOf(send(good, new Set()))).toMatchObject({ errCode: -604101 });
    expect(await msgs.accepts('o-shopper-1', 't-paid')).toBe(1);
  });

  it('keeps accepts and the outbox across a restart', async () => {
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    await send(good);
    await msgs.close();
    msgs = await open();
    expect(await msgs.accepts('o-shopper-1', 't-paid')).toBe(1);
    await send(good);
    expect((await msgs.outbox()).map((m) => m.seq)).toEqual([2, 1]);
  });

  it('is reached as cloud.openapi.subscribeMessage; other openapi groups reject "not built"', async () => {
    await msgs.prompt('o-shopper-1', { 't-paid': 'accept' });
    const sdk = createWxServerSdk({
      engine: {} as Engine,
      envId: 'e',
      functionName: 'closeExpired',
      openapi: { subscribeMessage: msgs.sdkFacade('closeExpired', new Set([SEND])) },
    });
    const openapi = sdk.openapi as {
      subscribeMessage: { send(x: unknown): Promise<unknown> };
      wxa: { getShippingInfo(x: unknown): Promise<unknown> };
    };
    await expect(openapi.subscribeMessage.send(good)).resolves.toMatchObject({ errCode: 0 });
    await expect(openapi.wxa.getShippingInfo({})).rejects.toThrow(/not built/);
  });
});

describe('WeChat field rules (written apart from the server formatter)', () => {
  it.each([
    ['thing', '商'.repeat(20), true],
    ['thing', '商'.repeat(21), false],
    ['number', '1'.repeat(32), true],
    ['number', '1'.repeat(33), false],
    ['letter', 'abc', true],
    ['letter', 'ab1', false],
    ['symbol', '%%%%%', true],
    ['symbol', '%%%%%%', false],
    ['character_string', 'A-1_b', true],
    ['character_string', 'A 1', false],
    ['amount', '¥12.34', true],
    ['amount', '12.34元', true],
    ['amount', '12.34', false],
    ['amount', '¥12345678901', false],
    ['phrase', '退款成功', true],
    ['phrase', '退款已经成功', false],
    ['name', '张三', true],
    ['name', 'Li Lei', true],
    ['name', '张'.repeat(11), false],
    ['time', '2026年11月30日 15:01', true],
    ['time', '2026-11-30 15:01', false],
    ['date', '2026年11月30日', true],
    ['phone_number', '+86-10-1234', true],
    ['car_number', '粤B12345', true],
    ['car_number', '粤B1234567', false],
    ['colour', 'red', false],
  ])('%s %p → %p', (type, value, ok) => {
    expect(wechatFieldProblem(type, value) === null).toBe(ok);
  });
});
