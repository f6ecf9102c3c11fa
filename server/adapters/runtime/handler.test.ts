import { DomainError } from '../../domain/errors';
import { WechatPayConfigError } from '../payment/wechatpay-v3/config';
import { createCallableMain, RuntimeErrorCodes } from './handler';
import { createLogger } from './logger';
import { fromCloudHttpEvent } from './http-event';

function setup(openid: string | undefined, boot: () => { n: number } = () => ({ n: 1 })) {
  const lines: string[] = [];
  let seq = 0;
  const main = createCallableMain({
    name: 'demo',
    cloud: { getWXContext: () => (openid ? { OPENID: openid, APPID: 'wxapp' } : {}) },
    boot,
    log: createLogger({}, (l) => lines.push(l)),
    newRequestId: () => `req-${++seq}`,
    anonymousActions: ['ping'],
    actions: {
      whoami: async (_input, inv, deps) => ({ openid: inv.openid, n: deps.n }),
      refuse: async () => {
        throw new DomainError('ORDER.NOT_PAYABLE', 'order is closed', { status: 'CLOSED_BY_USER' });
      },
      refuseOddDetails: async () => {
        throw new DomainError('X.ODD', 'odd details', {
          n: 1,
          err: new Error('db password=hunter2'),
          when: new Date(0),
          nan: Number.NaN,
          nested: { list: [1, 'a', { deep: { deeper: { deepest: 1 } } }] },
          long: 'x'.repeat(1000),
        });
      },
      refuseNoDetails: async () => {
        throw new DomainError('X.PLAIN', 'plain');
      },
      crash: async () => {
        throw new Error('db password=hunter2 exploded');
      },
      ping: async () => 'pong',
    },
  });
  return { main, lines };
}

describe('createCallableMain', () => {
  it('answers data in the ok envelope with identity from the platform context, not the event', async () => {
    const { main } = setup('o-alice');
    await expect(main({ action: 'whoami', openid: 'o-mallory' })).resolves.toEqual({
      ok: true,
      data: { openid: 'o-alice', n: 1 },
    });
  });

  it('refuses unknown actions and non-object events with stable codes', async () => {
    const { main } = setup('o-alice');
    const r1 = await main({ action: 'toString' });
    expect(r1).toMatchObject({ ok: false, error: { code: RuntimeErrorCodes.UNKNOWN_ACTION } });
    const r2 = await main('whoami');
    expect(r2).toMatchObject({ ok: false, error: { code: RuntimeErrorCodes.INVALID } });
  });

  it('refuses callers without OPENID except for anonymous actions', async () => {
    const { main } = setup(undefined);
    expect(await main({ action: 'whoami' })).toMatchObject({
      ok: false,
      error: { code: 'AUTH.NO_IDENTITY' },
    });
    expect(await main({ action: 'ping' })).toEqual({ ok: true, data: 'pong' });
  });

  it('passes domain codes through and hides internal error details from the client', async () => {
    const { main, lines } = setup('o-alice');
    expect(await main({ action: 'refuse' })).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_PAYABLE' },
    });
    const crashed = await main({ action: 'crash' });
    expect(crashed).toMatchObject({ ok: false, error: { code: 'INTERNAL', retryable: true } });
    expect(JSON.stringify(crashed)).not.toContain('hunter2');
    expect(lines.some((l) => l.includes('"action.failed"'))).toBe(true);
  });

  it("carries a domain error's details to the client, as plain bounded JSON only", async () => {
    const { main } = setup('o-alice');
    expect(await main({ action: 'refuse' })).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_PAYABLE', details: { status: 'CLOSED_BY_USER' } },
    });
    const odd = await main({ action: 'refuseOddDetails' });
    if (odd.ok) throw new Error('expected a refusal');
    const details = odd.error.details!;
    expect(details.n).toBe(1);
    expect(details).not.toHaveProperty('err');
    expect(details).not.toHaveProperty('when');
    expect(details).not.toHaveProperty('nan');
    expect((details.long as string).length).toBe(200);
    expect(JSON.stringify(odd)).not.toContain('hunter2');
    expect(details.nested).toEqual({ list: [1, 'a'] });
    const plain = await main({ action: 'refuseNoDetails' });
    expect(plain.ok === false && 'details' in plain.error).toBe(false);
  });

  it('tells the client only that the configuration is wrong; the log names the setting and the problem', async () => {
    const { main, lines } = setup('o-alice', () => {
      throw new WechatPayConfigError('WECHATPAY_APIV3_KEY', 'must be exactly 32 bytes (got 31)');
    });
    const r = await main({ action: 'whoami' });
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG.INVALID', retryable: false } });
    const shown = JSON.stringify(r);
    expect(shown).not.toMatch(/WECHATPAY|APIV3|bytes|31/);
    // Every call answers the same (the boot failure is remembered), and each is logged with the details.
    expect(await main({ action: 'whoami' })).toMatchObject({ ok: false, error: { code: 'CONFIG.INVALID' } });
    const logged = lines.filter((l) => l.includes('"boot.failed"')).map((l) => JSON.parse(l));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({
      level: 'error',
      setting: 'WECHATPAY_APIV3_KEY',
      problem: 'WECHATPAY_APIV3_KEY must be exactly 32 bytes (got 31)',
    });
  });
});

describe('logger', () => {
  it('redacts secret-looking fields at any depth', () => {
    const lines: string[] = [];
    createLogger({}, (l) => lines.push(l)).info('x', {
      cfg: { apiV3Key: 'k'.repeat(32), privateKeyPem: 'PEM' },
      ok: 1,
    });
    expect(lines[0]).not.toContain('kkkk');
    expect(lines[0]).not.toContain('PEM"');
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'x', ok: 1, cfg: { apiV3Key: '[redacted]' } });
  });
});

describe('fromCloudHttpEvent', () => {
  it('keeps the raw body bytes exactly and lower-cases header names', () => {
    const raw = '{"id":"n1", "a":  1}';
    const req = fromCloudHttpEvent({
      httpMethod: 'post',
      path: '/pay',
      headers: { 'Wechatpay-Serial': 'S1' },
      body: Buffer.from(raw).toString('base64'),
      isBase64Encoded: true,
    });
    expect(req.rawBody.toString('utf8')).toBe(raw);
    expect(req.headers['wechatpay-serial']).toBe('S1');
    expect(req.method).toBe('POST');
  });
});

describe('log context', () => {
  it('stamps the function and request id on lines written deep inside an action', async () => {
    const lines: string[] = [];
    const log = createLogger({}, (l) => lines.push(l));
    const main = createCallableMain({
      name: 'ctx',
      cloud: { getWXContext: () => ({ OPENID: 'o-alice' }) },
      boot: () => ({ log }),
      log,
      newRequestId: () => 'req-42',
      actions: {
        work: async (_i, _inv, deps) => {
          await new Promise((r) => setTimeout(r, 1));
          deps.log.info('deep.step', { outTradeNo: 'O1' });
          return null;
        },
      },
    });
    await main({ action: 'work' });
    log.info('outside');
    const deep = JSON.parse(lines.find((l) => l.includes('deep.step'))!);
    expect(deep).toMatchObject({ fn: 'ctx', requestId: 'req-42', outTradeNo: 'O1' });
    expect(JSON.parse(lines.find((l) => l.includes('"outside"'))!).requestId).toBeUndefined();
  });
});
