import { createTimerMain } from './entrypoints';
import type { WxContext } from './handler';
import { refuseUnlessHttpApi, refuseUnlessPayCallback, refuseUnlessTimer } from './invocation-guard';
import { createLogger } from './logger';

const TIMER_EVENT = { Type: 'Timer', TriggerName: 'everyMinute', Time: '2026-11-30T10:00:00Z', Message: '' };

function timer(ctx: WxContext) {
  const lines: string[] = [];
  let runs = 0;
  const main = createTimerMain({
    name: 'closeExpired',
    log: createLogger({}, (l) => lines.push(l)),
    cloud: { getWXContext: () => ctx },
    run: () => {
      runs++;
      return Promise.resolve({ closed: 0 });
    },
  });
  return { main, lines, runs: () => runs };
}

describe('timer-only functions', () => {
  it.each<[string, WxContext]>([
    ['a shopper (wx_client + OPENID)', { SOURCE: 'wx_client', OPENID: 'o-shopper', APPID: 'wxapp' }],
    ['a shopper down a function chain', { SOURCE: 'wx_client,scf', OPENID: 'o-shopper' }],
    ['a client call without an OPENID', { SOURCE: 'wx_client' }],
    ['HTTP access', { SOURCE: 'wx_http' }],
    ['the pay callback', { SOURCE: 'wx_paycallback' }],
    ['a user identity without any SOURCE', { OPENID: 'o-shopper' }],
    ['a UNIONID alone', { SOURCE: 'wx_trigger', UNIONID: 'u-1' }],
  ])('refuse %s without running the job, even with the timer event', async (_name, ctx) => {
    const t = timer(ctx);
    expect(await t.main(TIMER_EVENT)).toMatchObject({ ok: false, error: { code: 'AUTH.TRIGGER_ONLY' } });
    expect(t.runs()).toBe(0);
    expect(t.lines.map((l) => JSON.parse(l) as { event: string })).toEqual([
      expect.objectContaining({ event: 'timer.refused', level: 'warn', fn: 'closeExpired' }),
    ]);
  });

  it.each<[string, WxContext]>([
    ['the timer trigger', { SOURCE: 'wx_trigger', APPID: 'wxapp' }],
    ['a runtime that reports no SOURCE and no identity', {}],
  ])('run from %s', async (_name, ctx) => {
    const t = timer(ctx);
    expect(await t.main(TIMER_EVENT)).toEqual({ closed: 0 });
    expect(t.runs()).toBe(1);
  });

  it('decide from the context, not the event', () => {
    expect(refuseUnlessTimer({ SOURCE: 'wx_trigger' })).toBeUndefined();
    expect(refuseUnlessTimer({ SOURCE: 'wx_trigger', OPENID: 'o-x' })?.userIdentity).toBe(true);
  });
});

describe('the cloudPay callback', () => {
  it('runs only when the platform reports the WeChat Pay callback', () => {
    expect(refuseUnlessPayCallback({ SOURCE: 'wx_paycallback' })).toBeUndefined();
    for (const ctx of [
      {},
      { SOURCE: 'wx_client', OPENID: 'o-shopper' },
      { SOURCE: 'wx_client' },
      { SOURCE: 'wx_http' },
      { SOURCE: 'wx_trigger' },
      { SOURCE: 'wx_client,scf' },
      { SOURCE: 'wx_paycallback,scf' },
    ]) {
      expect(refuseUnlessPayCallback(ctx)).toMatchObject({ reason: expect.any(String) });
    }
  });
});

describe('operator actions through the WeChat HTTP API (the deploy’s data migrations)', () => {
  const event = { migration: 'order-payment-keys' };
  it('run only from tcb/invokecloudfunction: SOURCE wx_http and no user identity', () => {
    expect(refuseUnlessHttpApi({ SOURCE: 'wx_http', APPID: 'wxapp' }, event)).toBeUndefined();
  });
  it.each<[string, WxContext]>([
    ['a shopper (wx_client + OPENID)', { SOURCE: 'wx_client', OPENID: 'o-shopper' }],
    ['a client call without an OPENID', { SOURCE: 'wx_client' }],
    ['wx_http with an OPENID', { SOURCE: 'wx_http', OPENID: 'o-shopper' }],
    ['a UNIONID alone', { SOURCE: 'wx_http', UNIONID: 'u-1' }],
    ['a shopper down a function chain', { SOURCE: 'wx_client,scf' }],
    ['an HTTP API call down a chain', { SOURCE: 'wx_http,scf' }],
    ['the timer trigger', { SOURCE: 'wx_trigger' }],
    ['the pay callback', { SOURCE: 'wx_paycallback' }],
    ['a runtime that reports no SOURCE', {}],
  ])('refuse %s', (_name, ctx) => {
    expect(refuseUnlessHttpApi(ctx, event)).toMatchObject({ reason: expect.any(String) });
  });
  it('refuse the HTTP access service’s request object even with SOURCE wx_http', () => {
    expect(
      refuseUnlessHttpApi(
        { SOURCE: 'wx_http' },
        {
          path: '/reconcile',
          httpMethod: 'POST',
          headers: {},
          body: JSON.stringify(event),
          isBase64Encoded: false,
        },
      ),
    ).toMatchObject({ reason: 'the event is an HTTP access request' });
  });
});
