// The control API over HTTP (SimControl): the payer's actions and their rules, refund outcomes, API faults,
// event log filters, settings and clear errors.
import { request } from 'node:http';
import { SimControl, SimControlError } from './control-client';
import { startFixture, type SimFixture } from './test-support/fixture';
import { rawRequest, type RawAnswer } from './test-support/raw-client';

let fx: SimFixture;
let ctl: SimControl;
let n = 0;

beforeAll(async () => {
  fx = await startFixture({ timeScale: 1e-9 });
  ctl = new SimControl(fx.sim.url);
});
afterAll(async () => {
  await fx?.dispose();
});
afterEach(async () => {
  await ctl.clearFaults();
});

const no = (p = 'K'): string => `${p}${Date.now().toString(36)}${(n += 1)}`;

function createBody(outTradeNo: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: fx.identity.direct.appid,
    mchid: fx.identity.direct.mchid,
    description: '控制接口',
    out_trade_no: outTradeNo,
    // Port 9 (discard) refuses at once: callbacks never leave the machine.
    notify_url: 'http://127.0.0.1:9/notify',
    amount: { total: 100 },
    payer: { openid: 'o_ctl' },
    ...over,
  };
}

const create = (
  outTradeNo: string,
  over: Record<string, unknown> = {},
  timeoutMs?: number,
): Promise<RawAnswer> =>
  rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/pay/transactions/jsapi',
    body: createBody(outTradeNo, over),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });

async function controlError(p: Promise<unknown>): Promise<SimControlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SimControlError) return e;
    throw e;
  }
  throw new Error('expected a SimControlError');
}

describe('identity and basics', () => {
  it('answers health and the public identity without secrets', async () => {
    expect(await ctl.health()).toMatchObject({ ok: true, nowMs: expect.any(Number) });
    const pub = await ctl.identity();
    const text = JSON.stringify(pub);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(fx.identity.direct.apiV3Key);
    expect(pub.direct.mchid).toBe(fx.identity.direct.mchid);
    const full = await ctl.identityWithSecrets();
    expect(full.direct.apiV3Key).toBe(fx.identity.direct.apiV3Key);
  });

  it.each<[string, () => Promise<unknown>, number, string]>([
    ['an unknown order', () => ctl.order('NOSUCHORDER'), 404, 'SIM.ORDER_NOT_FOUND'],
    ['an unknown refund', () => ctl.refund('NOSUCHREFUND'), 404, 'SIM.REFUND_NOT_FOUND'],
    ['an unknown notification', () => ctl.notification('nope'), 404, 'SIM.NOTIFICATION_NOT_FOUND'],
    ['a negative advance', () => ctl.advance(-1), 400, 'SIM.BAD_REQUEST'],
    ['an unknown fault kind', () => ctl.addFault({ kind: 'notify.explode' } as never), 400, 'SIM.BAD_FAULT'],
    ['notify.delay without delayMs', () => ctl.addFault({ kind: 'notify.delay' }), 400, 'SIM.BAD_FAULT'],
    ['an unknown key mode', () => ctl.setKeyMode('direct', 'rsa' as never), 400, 'SIM.BAD_REQUEST'],
    ['an unknown setting', () => ctl.updateSettings({ speed: 1 } as never), 400, 'SIM.BAD_REQUEST'],
    ['removing an unknown fault', () => ctl.removeFault('nope'), 404, 'SIM.FAULT_NOT_FOUND'],
  ])('refuses %s with a clear error', async (_name, call, status, code) => {
    const e = await controlError(call());
    expect({ status: e.status, code: e.code }).toEqual({ status, code });
    expect(e.message.length).toBeGreaterThan(5);
  });

  it('answers 404/405/400 for unknown routes, wrong methods and bad JSON', async () => {
    expect(await rawControl('GET', '/sim/nothing')).toMatchObject({ status: 404 });
    expect(await rawControl('DELETE', '/sim/clock')).toMatchObject({ status: 405 });
    expect(await rawControl('POST', '/sim/clock/advance', '{"ms":')).toMatchObject({ status: 400 });
  });
});

describe('the payer', () => {
  it('pays once; a second pay is refused', async () => {
    const o = no();
    await create(o);
    const paid = await ctl.pay(o, { bankType: 'CMB_CREDIT' });
    expect(paid).toMatchObject({ tradeState: 'SUCCESS', bankType: 'CMB_CREDIT', payerTotalFen: 100 });
    expect(paid.transactionId).toMatch(/^4200\d{24}$/);
    expect((await controlError(ctl.pay(o))).code).toBe('SIM.ALREADY_PAID');
  });

  it('cancel and fail leave the order NOTPAY and are recorded', async () => {
    const o = no();
    await create(o);
    await ctl.cancel(o);
    const failed = await ctl.fail(o);
    expect(failed.tradeState).toBe('NOTPAY');
    expect(failed.payerActions.map((a) => [a.action, a.detail])).toEqual([
      ['cancel', 'requestPayment:fail cancel'],
      ['fail', 'NOT_ENOUGH'],
    ]);
  });

  it('refuses to pay a closed order, but payLate takes the money anyway (the close/pay race)', async () => {
    const o = no();
    await create(o);
    await ctl.advance(5 * 60_000);
    const closed = await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'direct',
      method: 'POST',
      path: `/v3/pay/transactions/out-trade-no/${o}/close`,
      body: { mchid: fx.identity.direct.mchid },
    });
    expect(closed.status).toBe(204);
    expect((await controlError(ctl.pay(o))).code).toBe('SIM.ORDER_CLOSED');
    const late = await ctl.payLate(o);
    expect(late).toMatchObject({ tradeState: 'SUCCESS', paidLate: true });
    expect((await ctl.notifications({ outTradeNo: o }))[0]?.eventType).toBe('TRANSACTION.SUCCESS');
  });

  it('refuses to pay after time_expire; payLate still works', async () => {
    const o = no();
    await create(o, { time_expire: '2001-01-01T00:00:00+08:00' });
    await ctl.advance(60_000);
    expect((await controlError(ctl.pay(o))).code).toBe('SIM.ORDER_EXPIRED');
    // Expiry does not close the order.
    expect((await ctl.order(o)).tradeState).toBe('NOTPAY');
    expect((await ctl.payLate(o)).paidLate).toBe(true);
  });

  it('refuses a prepay_id older than 2 hours until the merchant creates the order again', async () => {
    const o = no();
    await create(o);
    await ctl.advance(2 * 3600e3);
    expect((await controlError(ctl.pay(o))).code).toBe('SIM.PREPAY_EXPIRED');
    expect((await create(o)).status).toBe(200);
    expect((await ctl.pay(o)).tradeState).toBe('SUCCESS');
  });

  it('needs mchid/subMchid when two merchants use the same out_trade_no', async () => {
    const o = no();
    await create(o);
    const p = fx.identity.partner;
    const partner = await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'partner',
      method: 'POST',
      path: '/v3/pay/partner/transactions/jsapi',
      body: {
        sp_appid: p.spAppid,
        sp_mchid: p.spMchid,
        sub_mchid: p.subMchid,
        description: 'x',
        out_trade_no: o,
        notify_url: 'http://127.0.0.1:9/n',
        amount: { total: 1 },
        payer: { sp_openid: 'o' },
      },
    });
    expect(partner.status).toBe(200);
    expect((await controlError(ctl.order(o))).code).toBe('SIM.ORDER_AMBIGUOUS');
    expect((await ctl.order(o, { subMchid: p.subMchid })).mode).toBe('partner');
    expect((await ctl.pay(o, { mchid: fx.identity.direct.mchid })).mode).toBe('direct');
  });
});

describe('refund outcomes', () => {
  const refund = (outTradeNo: string, outRefundNo: string, refundFen: number) =>
    rawRequest(fx.sim.url, fx.identity, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/refund/domestic/refunds',
      body: {
        out_trade_no: outTradeNo,
        out_refund_no: outRefundNo,
        amount: { refund: refundFen, total: 100, currency: 'CNY' },
      },
    });

  it('a CLOSED refund frees its amount; a final refund cannot change outcome', async () => {
    const o = no();
    await create(o);
    await ctl.pay(o);
    expect((await refund(o, `${o}a`, 100)).status).toBe(200);
    expect((await refund(o, `${o}b`, 1)).json).toMatchObject({ code: 'NOT_ENOUGH' });
    expect((await ctl.setRefundOutcome(`${o}a`, 'CLOSED', { now: true })).status).toBe('CLOSED');
    expect((await controlError(ctl.setRefundOutcome(`${o}a`, 'SUCCESS'))).code).toBe('SIM.REFUND_FINAL');
    expect((await refund(o, `${o}b`, 100)).json).toMatchObject({ status: 'PROCESSING' });
  });

  it('refuses to refund an unpaid order and a mismatched total', async () => {
    const o = no();
    await create(o);
    expect((await refund(o, `${o}x`, 1)).json).toMatchObject({ code: 'INVALID_REQUEST' });
    await ctl.pay(o);
    const wrongTotal = await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/refund/domestic/refunds',
      body: { out_trade_no: o, out_refund_no: `${o}y`, amount: { refund: 1, total: 99, currency: 'CNY' } },
    });
    expect(wrongTotal.json).toMatchObject({ code: 'PARAM_ERROR' });
  });

  it('reuses out_refund_no only with the same parameters', async () => {
    const o = no();
    await create(o);
    await ctl.pay(o);
    const first = await refund(o, `${o}r`, 10);
    expect((await refund(o, `${o}r`, 10)).json).toEqual(first.json);
    expect((await refund(o, `${o}r`, 11)).json).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('follows the refund delay and default outcome from the settings', async () => {
    await ctl.updateSettings({ refundDelayMs: 10_000, defaultRefundOutcome: 'ABNORMAL' });
    const o = no();
    await create(o);
    await ctl.pay(o);
    await refund(o, `${o}d`, 50);
    await ctl.advance(9_999);
    expect((await ctl.refund(`${o}d`)).status).toBe('PROCESSING');
    await ctl.advance(1);
    expect((await ctl.refund(`${o}d`)).status).toBe('ABNORMAL');
    await ctl.updateSettings({ refundDelayMs: 60_000, defaultRefundOutcome: 'SUCCESS' });
  });
});

describe('API faults', () => {
  it('api.error before processing: 500 SYSTEM_ERROR and nothing created; the retry succeeds', async () => {
    const o = no();
    await ctl.addFault({ kind: 'api.error', path: '/v3/pay/transactions/jsapi', count: 1 });
    const a = await create(o);
    expect(a.status).toBe(500);
    expect(a.json).toMatchObject({ code: 'SYSTEM_ERROR' });
    expect((await controlError(ctl.order(o))).status).toBe(404);
    expect((await create(o)).status).toBe(200);
  });

  it('api.error after processing: the order exists and the retry with the same parameters gets the same prepay_id', async () => {
    const o = no();
    await ctl.addFault({ kind: 'api.error', outTradeNo: o, when: 'after', count: 1 });
    expect((await create(o)).status).toBe(500);
    const order = await ctl.order(o);
    expect((await create(o)).json).toEqual({ prepay_id: order.prepayId });
  });

  it('api.timeout: the client gives up, the order exists, a retry gets the same prepay_id', async () => {
    const o = no();
    await ctl.addFault({ kind: 'api.timeout', outTradeNo: o, hangMs: 2_000, count: 1 });
    await expect(create(o, {}, 300)).rejects.toThrow(/timeout/);
    const order = await ctl.order(o);
    expect((await create(o)).json).toEqual({ prepay_id: order.prepayId });
  });

  it('scopes API faults by path and method', async () => {
    const o = no();
    await ctl.addFault({ kind: 'api.error', path: '/v3/refund/', status: 503, code: 'SYSTEM_ERROR' });
    expect((await create(o)).status).toBe(200);
    await ctl.pay(o);
    const r = await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/refund/domestic/refunds',
      body: { out_trade_no: o, out_refund_no: `${o}f`, amount: { refund: 1, total: 100, currency: 'CNY' } },
    });
    expect(r.status).toBe(503);
  });
});

describe('event log', () => {
  it('filters by kind, order, status, path, sequence and limit', async () => {
    const o = no();
    const start = (await ctl.events({ limit: 1 }))[0]?.seq ?? 0;
    await create(o);
    await create(o, { amount: { total: 5 } }); // 403 OUT_TRADE_NO_USED
    await ctl.pay(o);
    await ctl.advance(0); // the first delivery (refused by port 9) is logged too
    const mine = await ctl.events({ outTradeNo: o, afterSeq: start });
    expect(mine.map((e) => e.kind)).toEqual(['api', 'api', 'payer', 'notify', 'notify']);
    expect(mine[4]?.summary).toMatch(/delivery #0/);
    const api = await ctl.events({ kind: 'api', outTradeNo: o });
    expect(api.map((e) => e.status)).toEqual([200, 403]);
    expect(api[1]).toMatchObject({
      code: 'OUT_TRADE_NO_USED',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
    });
    expect(api[0]?.requestExcerpt).toContain(o);
    expect(api[0]?.responseExcerpt).toContain('prepay_id');
    expect((await ctl.events({ minStatus: 400, afterSeq: start })).every((e) => (e.status ?? 0) >= 400)).toBe(
      true,
    );
    expect((await ctl.events({ pathContains: '/jsapi', afterSeq: start })).length).toBe(2);
    const last = await ctl.events({ afterSeq: start, limit: 2 });
    expect(last).toHaveLength(2);
    expect(last[1]!.seq).toBeGreaterThan(last[0]!.seq);
  });

  it('never logs secrets', async () => {
    const all = JSON.stringify(await ctl.events({ limit: 5000 }));
    expect(all).not.toContain(fx.identity.direct.apiV3Key);
    expect(all).not.toContain('PRIVATE KEY');
  });
});

describe('settings and clock', () => {
  it('changes the time scale without moving time', async () => {
    const before = await ctl.clock();
    const after = await ctl.setTimeScale(2);
    expect(after.timeScale).toBe(2);
    expect(after.nowMs).toBeGreaterThanOrEqual(before.nowMs);
    await ctl.setTimeScale(1e-9);
  });

  it('rejects an invalid setting value', async () => {
    expect((await controlError(ctl.updateSettings({ switchingPublicKeyShare: 2 }))).status).toBe(400);
  });
});

function rawControl(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, fx.sim.url), { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        }),
      );
    });
    req.on('error', reject);
    req.end(body ?? '');
  });
}
