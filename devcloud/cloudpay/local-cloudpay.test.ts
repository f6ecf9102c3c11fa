import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../test-support/temp';
import { JsonFileStore } from './json-store';
import type { LocalCloudPay } from './local-cloudpay';
import {
  LocalCloudPayError,
  beijingCompact,
  createLocalCloudPay,
  invokeFunctionFromOutcomes,
  type LocalCloudPayOptions,
} from './local-cloudpay';
import { md5Sign } from './md5-sign';

const IDENTITY = { appid: 'wx1234567890abcdef', mchId: '1800008281', subMchId: '1900000109' };
const KEY = 'k'.repeat(32);
const T0 = Date.UTC(2026, 2, 1, 2, 0, 0); // 2026-03-01 10:00:00 Beijing

let tmp: ReturnType<typeof tempDir>;
let store: JsonFileStore;
let clock: number;
let calls: Array<{ name: string; event: Record<string, unknown> }>;
let answers: unknown[];
let pay: LocalCloudPay;

function build(extra: Partial<LocalCloudPayOptions> = {}): LocalCloudPay {
  return createLocalCloudPay({
    store,
    now: () => clock,
    identity: IDENTITY,
    mchKey: KEY,
    invokeFunction: (name, event) => {
      calls.push({ name, event });
      const next = answers.length > 0 ? answers.shift() : { errcode: 0, errmsg: 'OK' };
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    ...extra,
  });
}

beforeEach(async () => {
  tmp = tempDir('cloudpay-local-');
  store = await JsonFileStore.open(tmp.dir);
  clock = T0;
  calls = [];
  answers = [];
  pay = build();
});

afterEach(async () => {
  await pay.close();
  await store.close();
  tmp.cleanup();
});

function order(no: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    body: '茶叶礼盒',
    outTradeNo: no,
    spbillCreateIp: '127.0.0.1',
    subMchId: IDENTITY.subMchId,
    totalFee: 1234,
    envId: 'dev-1a2b3c',
    functionName: 'payCallback',
    nonceStr: 'n0nce',
    tradeType: 'JSAPI',
    subAppid: IDENTITY.appid,
    subOpenid: 'o_payer_123456',
    ...over,
  };
}

const ref = (no: string) => ({ subMchId: IDENTITY.subMchId, outTradeNo: no, nonceStr: 'abc' });

describe('md5Sign (the v2 rule)', () => {
  it("reproduces WeChat Pay v2's documented example and leaves out sign and empty fields", () => {
    const fields = {
      appid: 'wxd930ea5d5a258f4f',
      mch_id: '10000100',
      device_info: '1000',
      body: 'test',
      nonce_str: 'ibuaiVcKdpRxkhJA',
    };
    expect(md5Sign(fields, '192006250b4c09247ec02edce69f6a2d')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(
      md5Sign(
        { ...fields, sign: 'WHATEVER', attach: '', detail: undefined },
        '192006250b4c09247ec02edce69f6a2d',
      ),
    ).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(md5Sign({ ...fields, body: 'test2' }, '192006250b4c09247ec02edce69f6a2d')).not.toBe(
      '9A0A8659F005D6984697E2CA0A9CF3B7',
    );
  });
});

describe('unifiedOrder', () => {
  it('answers requestPayment parameters whose MD5 paySign covers appId, timeStamp, nonceStr, package and signType', async () => {
    const a = await pay.unifiedOrder(order('T20260301001'));
    expect(a).toMatchObject({
      errCode: 0,
      errMsg: 'cloudPay.unifiedOrder:ok',
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
    });
    expect(a).toMatchObject({
      appid: IDENTITY.appid,
      mchId: IDENTITY.mchId,
      subMchId: IDENTITY.subMchId,
      tradeType: 'JSAPI',
    });
    const p = a.payment as Record<string, string>;
    expect(p.package).toBe(`prepay_id=${a.prepayId as string}`);
    expect(p.timeStamp).toBe(String(T0 / 1000));
    expect(p.signType).toBe('MD5');
    // Recomputed here independently of md5-sign.ts.
    const text = `appId=${p.appId}&nonceStr=${p.nonceStr}&package=${p.package}&signType=MD5&timeStamp=${p.timeStamp}&key=${KEY}`;
    expect(p.paySign).toBe(createHash('md5').update(text).digest('hex').toUpperCase());
  });

  it('answers the same prepay for the same parameters and refuses the number with other parameters', async () => {
    const first = await pay.unifiedOrder(order('T20260301002'));
    const again = await pay.unifiedOrder(
      order('T20260301002', { nonceStr: 'other', spbillCreateIp: '10.0.0.1' }),
    );
    expect(again.prepayId).toBe(first.prepayId);
    const changed = await pay.unifiedOrder(order('T20260301002', { totalFee: 1 }));
    expect(changed).toMatchObject({
      returnCode: 'SUCCESS',
      resultCode: 'FAIL',
      errCode: 'INVALID_REQUEST',
      errCodeDes: '201 商户订单号重复',
    });
    // After the prepay's 2 hours the same order gets a fresh prepay_id.
    clock += 2 * 3600_000;
    const later = await pay.unifiedOrder(order('T20260301002'));
    expect(later.prepayId).not.toBe(first.prepayId);
  });

  it('refuses missing and malformed fields, unbound merchants and calls that are not objects', async () => {
    const { body: _b, ...noBody } = order('T20260301003');
    expect(await pay.unifiedOrder(noBody)).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'LACK_PARAMS',
      errCodeDes: '缺少参数 body',
    });
    expect(await pay.unifiedOrder(order('T20260301003', { totalFee: 12.5 }))).toMatchObject({
      returnCode: 'FAIL',
      returnMsg: '参数格式校验错误: totalFee 格式错误',
    });
    expect(await pay.unifiedOrder(order('T20260301003', { subMchId: '1900000999' }))).toMatchObject({
      returnCode: 'FAIL',
      returnMsg: '受理关系不存在',
    });
    expect(await pay.unifiedOrder(order('T20260301003', { subAppid: 'wx0000000000000000' }))).toMatchObject({
      returnCode: 'FAIL',
      returnMsg: 'sub_mch_id与sub_appid不匹配',
    });
    const { subAppid: _s, ...noSubAppid } = order('T20260301003');
    expect(await pay.unifiedOrder(noSubAppid)).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'INVALID_REQUEST',
    });
    await expect(pay.unifiedOrder('not an object')).rejects.toMatchObject({ errCode: -1 });
    expect(await pay.order('T20260301003')).toBeUndefined();
  });
  it('wants time_expire at least one minute ahead, in whole seconds', async () => {
    clock = T0 + 999;
    const tooSoon = await pay.unifiedOrder(
      order('T20260301004', { timeExpire: beijingCompact(T0 + 59_000) }),
    );
    expect(tooSoon).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'INVALID_REQUEST',
      errCodeDes: 'time_expire 时间过短',
    });
    const ok = await pay.unifiedOrder(order('T20260301004', { timeExpire: beijingCompact(T0 + 60_000) }));
    expect(ok.resultCode).toBe('SUCCESS');
  });
});

describe('pay and the payment callback', () => {
  it('pays, reports the payment in queries (Beijing time_end) and calls the callback function with the v2 event', async () => {
    await pay.unifiedOrder(order('T20260301010', { attach: 'a1' }));
    const before = await pay.queryOrder(ref('T20260301010'));
    expect(before).toMatchObject({
      resultCode: 'SUCCESS',
      tradeState: 'NOTPAY',
      outTradeNo: 'T20260301010',
      attach: 'a1',
    });
    expect(before.totalFee).toBeUndefined();
    expect(before.transactionId).toBeUndefined();

    clock = Date.UTC(2026, 2, 1, 16, 30, 5); // 2026-03-02 00:30:05 in Beijing: the date differs from UTC's
    const paid = await pay.pay('T20260301010');
    expect(paid.timeEnd).toBe('20260302003005');
    expect(paid.callback).toEqual({ attempts: 1, acknowledged: true, gaveUp: false, lastError: null });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe('payCallback');
    expect(calls[0]?.event).toMatchObject({
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      appid: IDENTITY.appid,
      mchId: IDENTITY.mchId,
      subMchId: IDENTITY.subMchId,
      outTradeNo: 'T20260301010',
      transactionId: paid.transactionId,
      totalFee: 1234,
      timeEnd: '20260302003005',
      subOpenid: 'o_payer_123456',
    });
    const q = await pay.queryOrder(ref('T20260301010'));
    expect(q).toMatchObject({
      tradeState: 'SUCCESS',
      totalFee: 1234,
      cashFee: 1234,
      transactionId: paid.transactionId,
      timeEnd: '20260302003005',
    });
    const byTx = await pay.queryOrder({
      subMchId: IDENTITY.subMchId,
      transactionId: paid.transactionId,
      nonceStr: 'x',
    });
    expect(byTx.outTradeNo).toBe('T20260301010');
    await expect(pay.pay('T20260301010')).rejects.toMatchObject({ code: 'NOT_PAYABLE' });
    expect(await pay.queryOrder(ref('T20260309999'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'ORDERNOTEXIST',
    });
  });

  it('retries the callback on the (scaled) schedule until it answers errcode 0', async () => {
    await pay.close();
    pay = build({ retryScheduleMs: [1000, 1000, 1000], timeScale: 0.001 });
    answers = [{ errcode: 1, errmsg: 'busy' }, new Error('function crashed'), { errcode: 0, errmsg: 'OK' }];
    await pay.unifiedOrder(order('T20260301020'));
    const paid = await pay.pay('T20260301020');
    expect(paid.callback).toMatchObject({ attempts: 1, acknowledged: false });
    await pay.idle();
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.event.transactionId))).toEqual(new Set([paid.transactionId]));
    expect((await pay.order('T20260301020'))?.callback).toEqual({
      attempts: 3,
      acknowledged: true,
      gaveUp: false,
      lastError: null,
    });
  });

  it('gives up after the last scheduled attempt', async () => {
    await pay.close();
    pay = build({ retryScheduleMs: [1000, 2000], timeScale: 0.001 });
    answers = [{ errcode: 1 }, undefined, 'nonsense'];
    await pay.unifiedOrder(order('T20260301021'));
    await pay.pay('T20260301021');
    await pay.idle();
    expect(calls).toHaveLength(3);
    expect((await pay.order('T20260301021'))?.callback).toMatchObject({
      attempts: 3,
      acknowledged: false,
      gaveUp: true,
    });
  });

  it('stops retrying on close(), and resumes unacknowledged callbacks when reopened on the same store', async () => {
    await pay.close();
    pay = build({ retryScheduleMs: [3_600_000] });
    answers = [{ errcode: 1 }];
    await pay.unifiedOrder(order('T20260301022'));
    await pay.pay('T20260301022');
    await pay.close();
    await pay.idle();
    expect(calls).toHaveLength(1);
    await expect(pay.queryOrder(ref('T20260301022'))).rejects.toMatchObject({ errCode: -1 });

    await store.close();
    store = await JsonFileStore.open(tmp.dir);
    pay = build({ retryScheduleMs: [3_600_000] });
    expect((await pay.order('T20260301022'))?.state).toBe('SUCCESS');
    expect(await pay.resumeDeliveries()).toBe(1);
    await pay.idle();
    expect(calls).toHaveLength(2);
    expect((await pay.order('T20260301022'))?.callback).toMatchObject({ attempts: 2, acknowledged: true });
  });

  it('checks wx.requestPayment parameters: a tampered paySign does not pay', async () => {
    const a = await pay.unifiedOrder(order('T20260301023'));
    const p = a.payment as {
      timeStamp: string;
      nonceStr: string;
      package: string;
      signType: string;
      paySign: string;
    };
    await expect(
      pay.requestPayment({ ...p, timeStamp: String(Number(p.timeStamp) + 1) }),
    ).rejects.toMatchObject({ code: 'SIGN_ERROR' });
    expect((await pay.order('T20260301023'))?.state).toBe('NOTPAY');
    expect((await pay.requestPayment(p)).outTradeNo).toBe('T20260301023');
  });
});

describe('closeOrder', () => {
  it('refuses inside the 5-minute guard, closes after it, then refuses to close again or to pay', async () => {
    await pay.unifiedOrder(order('T20260301030'));
    expect(await pay.closeOrder(ref('T20260301030'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'SYSTEMERROR',
    });
    clock += 5 * 60_000;
    expect(await pay.closeOrder(ref('T20260301030'))).toMatchObject({
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
    });
    expect(await pay.queryOrder(ref('T20260301030'))).toMatchObject({ tradeState: 'CLOSED' });
    expect(await pay.closeOrder(ref('T20260301030'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'ORDERCLOSED',
    });
    await expect(pay.pay('T20260301030')).rejects.toBeInstanceOf(LocalCloudPayError);
    expect(await pay.unifiedOrder(order('T20260301030'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'ORDERCLOSED',
    });
  });

  it('answers ORDERPAID for a paid order and ORDERNOTEXIST for an unknown one', async () => {
    await pay.unifiedOrder(order('T20260301031'));
    await pay.pay('T20260301031');
    clock += 10 * 60_000;
    expect(await pay.closeOrder(ref('T20260301031'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'ORDERPAID',
    });
    expect(await pay.closeOrder(ref('T20260301039'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'ORDERNOTEXIST',
    });
  });
});

describe('refund and queryRefund', () => {
  const refund = (over: Record<string, unknown> = {}) => ({
    subMchId: IDENTITY.subMchId,
    nonceStr: 'r',
    outTradeNo: 'T20260301040',
    outRefundNo: 'R20260301040a',
    totalFee: 1234,
    refundFee: 234,
    envId: 'dev-1a2b3c',
    functionName: 'payCallback',
    ...over,
  });
  const query = (outRefundNo: string) =>
    pay.queryRefund({ subMchId: IDENTITY.subMchId, nonceStr: 'q', outRefundNo });

  it('accepts a refund as PROCESSING, is idempotent per outRefundNo and settles it later', async () => {
    await pay.close();
    pay = build({ refundSettleAfterMs: 60_000 });
    await pay.unifiedOrder(order('T20260301040'));
    expect(await pay.refund(refund())).toMatchObject({ resultCode: 'FAIL', errCode: 'ERROR' });
    const paid = await pay.pay('T20260301040');
    const accepted = await pay.refund(refund());
    expect(accepted).toMatchObject({
      resultCode: 'SUCCESS',
      outRefundNo: 'R20260301040a',
      refundFee: 234,
      totalFee: 1234,
      transactionId: paid.transactionId,
    });
    expect((await pay.refund(refund())).refundId).toBe(accepted.refundId);
    expect(await pay.refund(refund({ refundFee: 235 }))).toMatchObject({ errCode: 'REFUND_FEE_MISMATCH' });
    expect(await pay.refund(refund({ outRefundNo: 'R20260301040b', refundFee: 1001 }))).toMatchObject({
      errCode: 'ERROR',
    });
    expect(await pay.refund(refund({ outRefundNo: 'R20260301040b', totalFee: 1 }))).toMatchObject({
      errCode: 'PARAM_ERROR',
    });
    expect(await pay.queryOrder(ref('T20260301040'))).toMatchObject({ tradeState: 'REFUND', totalFee: 1234 });

    expect(await query('R20260301040a')).toMatchObject({
      resultCode: 'SUCCESS',
      outTradeNo: 'T20260301040',
      refundCount: 1,
      outRefundNoList: ['R20260301040a'],
      refundIdList: [accepted.refundId],
      refundFeeList: [234],
      refundStatusList: ['PROCESSING'],
      refundSuccessTimeList: [''],
    });
    clock += 60_000;
    expect(await query('R20260301040a')).toMatchObject({
      refundStatusList: ['SUCCESS'],
      refundSuccessTimeList: ['2026-03-01 10:01:00'],
    });
    expect(await query('R20260301049')).toMatchObject({ resultCode: 'FAIL', errCode: 'REFUNDNOTEXIST' });
  });

  it('settles by control call, and can lose an answer after the refund took effect', async () => {
    await pay.close();
    pay = build({ refundSettleAfterMs: Infinity });
    await pay.unifiedOrder(order('T20260301040'));
    await pay.pay('T20260301040');
    pay.injectFault('refund', { kind: 'lose-answer' });
    await expect(pay.refund(refund())).rejects.toMatchObject({ errCode: -501001 });
    clock += 24 * 3600_000;
    expect(await query('R20260301040a')).toMatchObject({ refundStatusList: ['PROCESSING'] });
    await pay.settleRefund('R20260301040a', 'CHANGE');
    expect(await query('R20260301040a')).toMatchObject({ refundStatusList: ['CHANGE'] });
    await expect(pay.settleRefund('R20260301040a')).rejects.toMatchObject({ code: 'REFUND_SETTLED' });
    pay.injectFault('queryRefund', { kind: 'empty-refund-lists' });
    expect(await query('R20260301040a')).toMatchObject({
      resultCode: 'SUCCESS',
      refundCount: 1,
      outRefundNoList: [],
      refundStatusList: [],
    });
  });
});

describe('faults and the store', () => {
  it('injected faults hit the next call only', async () => {
    pay.injectFault('queryOrder', { kind: 'system-error' });
    pay.injectFault('queryOrder', { kind: 'return-fail', returnMsg: '签名失败' });
    pay.injectFault('queryOrder', { kind: 'throw', errCode: -604101, errMsg: 'no permission' });
    await pay.unifiedOrder(order('T20260301050'));
    expect(await pay.queryOrder(ref('T20260301050'))).toMatchObject({
      resultCode: 'FAIL',
      errCode: 'SYSTEMERROR',
    });
    expect(await pay.queryOrder(ref('T20260301050'))).toMatchObject({
      returnCode: 'FAIL',
      returnMsg: '签名失败',
      errCode: 0,
    });
    await expect(pay.queryOrder(ref('T20260301050'))).rejects.toMatchObject({ errCode: -604101 });
    expect(await pay.queryOrder(ref('T20260301050'))).toMatchObject({
      resultCode: 'SUCCESS',
      tradeState: 'NOTPAY',
    });
  });

  it('writes the store file atomically (no temp files left) and refuses a file that is not a store', async () => {
    await pay.unifiedOrder(order('T20260301060'));
    await store.close();
    expect(readdirSync(tmp.dir)).toEqual(['cloudpay.json']);
    const reopened = await JsonFileStore.open(tmp.dir);
    expect(await reopened.get('order/T20260301060')).toMatchObject({
      outTradeNo: 'T20260301060',
      state: 'NOTPAY',
      totalFee: 1234,
    });
    await reopened.close();
    writeFileSync(`${tmp.dir}/broken.json`, '{"version": 1, "entries": ');
    await expect(JsonFileStore.open(tmp.dir, 'broken.json')).rejects.toThrow(
      /broken\.json is not valid JSON/,
    );
    writeFileSync(`${tmp.dir}/other.json`, '[1, 2]');
    await expect(JsonFileStore.open(tmp.dir, 'other.json')).rejects.toThrow(/not a local cloudPay store/);
    store = await JsonFileStore.open(tmp.dir);
  });
});

describe('wiring into the local cloud', () => {
  it('gives functions the five cloudPay methods only, and turns failed invocations into failed deliveries', async () => {
    const facade = pay.sdkFacade();
    expect(Object.keys(facade).sort()).toEqual([
      'closeOrder',
      'queryOrder',
      'queryRefund',
      'refund',
      'unifiedOrder',
    ]);
    expect((await facade.unifiedOrder(order('T20260301070'))).resultCode).toBe('SUCCESS');
    expect((facade as unknown as Record<string, unknown>).pay).toBeUndefined();

    await pay.close();
    const outcomes = [
      { ok: false as const, failure: { code: 'FUNCTION_TIMEOUT', message: 'took longer than 3 s' } },
      { ok: true as const, result: { errcode: 0, errmsg: 'OK' } },
    ];
    pay = build({
      retryScheduleMs: [1000],
      timeScale: 0.001,
      invokeFunction: invokeFunctionFromOutcomes(() => Promise.resolve(outcomes.shift() ?? outcomes[0]!)),
    });
    const paid = await pay.pay('T20260301070');
    expect(paid.callback.lastError).toBe(
      'invocation failed: function payCallback failed: FUNCTION_TIMEOUT took longer than 3 s',
    );
    await pay.idle();
    expect((await pay.order('T20260301070'))?.callback).toMatchObject({ attempts: 2, acknowledged: true });
  });
});
