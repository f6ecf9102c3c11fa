// The cloudPay provider against devcloud's local cloudPay (real store files in a temp dir, real MD5 signatures).
import { JsonFileStore } from '../../../../devcloud/cloudpay/json-store';
import { createLocalCloudPay, type LocalCloudPay } from '../../../../devcloud/cloudpay/local-cloudpay';
import { tempDir } from '../../../../devcloud/test-support/temp';
import { NotificationRejectedError, ProviderError } from '../../../application/ports/payment-provider.errors';
import type { CreateJsapiPaymentInput } from '../../../application/ports/payment-provider.port';
import type { Fen } from '../../../domain/money';
import type { CloudPayApi } from './cloudpay.api';
import { merchantIdentity, type CloudPayConfig } from './cloudpay.config';
import { CloudPayProvider } from './cloudpay.provider';
import { formatBeijingCompact, parseBeijingCompact, parseBeijingSpaced } from './cloudpay.wire';
import { cloudPayApiFrom } from './index';

const IDENTITY = { appid: 'wx1234567890abcdef', mchId: '1800008281', subMchId: '1900000109' };
const CONFIG: CloudPayConfig = {
  appid: IDENTITY.appid,
  subMchId: IDENTITY.subMchId,
  envId: 'dev-1a2b3c',
  callbackFunctionName: 'payCallback',
  spbillCreateIp: '127.0.0.1',
};
// 2026-03-01 23:50:00 in Beijing (15:50 UTC): a payment ten minutes later is on another Beijing date.
const T0 = Date.UTC(2026, 2, 1, 15, 50, 0);

let tmp: ReturnType<typeof tempDir>;
let store: JsonFileStore;
let local: LocalCloudPay;
let clock: number;
let sent: string[];
let provider: CloudPayProvider;
let nonces = 0;

function counting(api: CloudPayApi): CloudPayApi {
  const wrap =
    <P, R>(name: string, f: (p: P) => Promise<R>) =>
    (p: P) => {
      sent.push(name);
      return f(p);
    };
  return {
    unifiedOrder: wrap('unifiedOrder', (p) => api.unifiedOrder(p)),
    queryOrder: wrap('queryOrder', (p) => api.queryOrder(p)),
    closeOrder: wrap('closeOrder', (p) => api.closeOrder(p)),
    refund: wrap('refund', (p) => api.refund(p)),
    queryRefund: wrap('queryRefund', (p) => api.queryRefund(p)),
  };
}

function providerFor(api: CloudPayApi, config: CloudPayConfig = CONFIG): CloudPayProvider {
  return new CloudPayProvider(counting(api), config, { nowMs: () => clock, nonce: () => `n${++nonces}` });
}

beforeEach(async () => {
  tmp = tempDir('cloudpay-provider-');
  store = await JsonFileStore.open(tmp.dir);
  clock = T0;
  sent = [];
  local = createLocalCloudPay({
    store,
    now: () => clock,
    identity: IDENTITY,
    mchKey: 'test-v2-key-0123456789abcdef0123',
    invokeFunction: () => Promise.resolve({ errcode: 0, errmsg: 'OK' }),
    refundSettleAfterMs: Infinity,
  });
  provider = providerFor(cloudPayApiFrom(local));
});

afterEach(async () => {
  await local.close();
  await store.close();
  tmp.cleanup();
});

const input = (outTradeNo: string, over: Partial<CreateJsapiPaymentInput> = {}): CreateJsapiPaymentInput => ({
  outTradeNo,
  description: '茶叶礼盒 x2',
  payableFen: 1234 as Fen,
  payerOpenid: 'o_payer_123456',
  expiresAtMs: T0 + 30 * 60_000,
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('the payment flow against the local cloudPay', () => {
  it('create → pay → query SUCCESS → refund → query refund', async () => {
    const created = await provider.createJsapiPayment(input('T20260302001'));
    expect(created.requestPayment.signType).toBe('MD5');
    expect(created.requestPayment.package).toBe(`prepay_id=${created.prepayId}`);
    expect(created.prepayExpiresAtMs).toBe(T0 + 30 * 60_000);
    expect((await local.order('T20260302001'))?.totalFee).toBe(1234);

    clock = T0 + 10 * 60_000;
    // The stand-in's wx.requestPayment checks the MD5 paySign the provider passed on.
    const paid = await local.requestPayment(created.requestPayment);
    const q = await provider.queryPayment('T20260302001');
    expect(q).toEqual({
      kind: 'found',
      transaction: {
        outTradeNo: 'T20260302001',
        state: 'SUCCESS',
        transactionId: paid.transactionId,
        chargedFen: 1234,
        payerTotalFen: 1234,
        successTimeMs: T0 + 10 * 60_000,
        appid: IDENTITY.appid,
        mchid: IDENTITY.subMchId,
        subMchid: IDENTITY.subMchId,
        subAppid: IDENTITY.appid,
        payerOpenid: 'o_payer_123456',
        tradeType: 'JSAPI',
      },
    });
    expect(paid.timeEnd).toBe('20260302000000');
    if (q.kind !== 'found') throw new Error('unreachable');
    // The identity the payment core checks matches what the provider reports for a genuine payment.
    const who = merchantIdentity(CONFIG);
    expect([q.transaction.appid, q.transaction.mchid, q.transaction.subMchid]).toEqual([
      who.appid,
      who.mchid,
      who.subMchid,
    ]);

    const refund = await provider.createRefund({
      outTradeNo: 'T20260302001',
      outRefundNo: 'R20260302001',
      refundFen: 234 as Fen,
      paidFen: 1234 as Fen,
      reason: '缺货',
    });
    expect(refund).toMatchObject({
      status: 'PROCESSING',
      refundFen: 234,
      paidFen: 1234,
      transactionId: paid.transactionId,
    });
    expect(refund.refundId).toMatch(/^50\d+$/);
    expect(await provider.queryRefund('R20260302001')).toMatchObject({
      kind: 'found',
      refund: { status: 'PROCESSING', refundId: refund.refundId },
    });
    clock = T0 + 20 * 60_000;
    await local.settleRefund('R20260302001');
    expect(await provider.queryRefund('R20260302001')).toEqual({
      kind: 'found',
      refund: {
        outTradeNo: 'T20260302001',
        outRefundNo: 'R20260302001',
        refundId: refund.refundId,
        transactionId: paid.transactionId,
        status: 'SUCCESS',
        refundFen: 234,
        paidFen: 1234,
        successTimeMs: T0 + 20 * 60_000,
      },
    });
    expect(await provider.queryPayment('T20260302001')).toMatchObject({
      kind: 'found',
      transaction: { state: 'REFUND', chargedFen: 1234 },
    });
    expect(await provider.queryRefund('R20260302999')).toEqual({
      kind: 'not-found',
      outRefundNo: 'R20260302999',
    });
  });

  it('re-creating with the same fields reuses the prepay; other fields are refused for good', async () => {
    const first = await provider.createJsapiPayment(input('T20260302002'));
    const again = await provider.createJsapiPayment(input('T20260302002'));
    expect(again.prepayId).toBe(first.prepayId);
    const e = await rejection(provider.createJsapiPayment(input('T20260302002', { payableFen: 1 as Fen })));
    expect([e.code, e.retryability]).toEqual(['INVALID_REQUEST', 'fatal']);
  });

  it('reports an unpaid order as NOTPAY and an unknown one as not-found', async () => {
    await provider.createJsapiPayment(input('T20260302003'));
    expect(await provider.queryPayment('T20260302003')).toMatchObject({
      kind: 'found',
      transaction: { state: 'NOTPAY', chargedFen: 0 },
    });
    const q = await provider.queryPayment('T20260302003');
    if (q.kind !== 'found') throw new Error('expected the order to be found');
    expect(q.transaction.transactionId).toBeUndefined();
    expect(q.transaction.successTimeMs).toBeUndefined();
    expect(await provider.queryPayment('T20260302999')).toEqual({
      kind: 'not-found',
      outTradeNo: 'T20260302999',
    });
  });
});

describe('closing', () => {
  it('close unpaid → CLOSED (too soon is "retry"), closing again is still closed', async () => {
    await provider.createJsapiPayment(input('T20260302010'));
    const soon = await rejection(provider.closePayment('T20260302010'));
    expect([soon.code, soon.retryability]).toEqual(['SYSTEMERROR', 'retry']);
    clock += 5 * 60_000;
    expect(await provider.closePayment('T20260302010')).toEqual({ outcome: 'closed' });
    expect(await provider.queryPayment('T20260302010')).toMatchObject({ transaction: { state: 'CLOSED' } });
    expect(await provider.closePayment('T20260302010')).toEqual({ outcome: 'closed' });
    expect(await provider.closePayment('T20260302019')).toEqual({ outcome: 'closed' });
  });

  it('close paid → already-paid, and the order stays paid', async () => {
    await provider.createJsapiPayment(input('T20260302011'));
    await local.pay('T20260302011');
    clock += 6 * 60_000;
    expect(await provider.closePayment('T20260302011')).toEqual({ outcome: 'already-paid' });
    expect(await provider.queryPayment('T20260302011')).toMatchObject({ transaction: { state: 'SUCCESS' } });
  });
});

describe('failures and their retryability', () => {
  it('a thrown SDK call is indeterminate on create and refund, retry on query and close', async () => {
    local.injectFault('unifiedOrder', { kind: 'throw', errCode: -501001, errMsg: 'network down' });
    const create = await rejection(provider.createJsapiPayment(input('T20260302020')));
    expect([create.code, create.retryability]).toEqual(['NETWORK', 'indeterminate']);
    expect(create.message).toContain('network down');

    // The answer lost after the order was made: repeating the same create is what "indeterminate" asks for.
    local.injectFault('unifiedOrder', { kind: 'lose-answer' });
    expect((await rejection(provider.createJsapiPayment(input('T20260302020')))).retryability).toBe(
      'indeterminate',
    );
    const prepay = (await local.order('T20260302020'))?.prepayId;
    expect((await provider.createJsapiPayment(input('T20260302020'))).prepayId).toBe(prepay);

    local.injectFault('queryOrder', { kind: 'throw' });
    expect((await rejection(provider.queryPayment('T20260302020'))).retryability).toBe('retry');
    local.injectFault('closeOrder', { kind: 'throw' });
    expect((await rejection(provider.closePayment('T20260302020'))).retryability).toBe('retry');

    await local.pay('T20260302020');
    local.injectFault('refund', { kind: 'throw' });
    const refund = await rejection(
      provider.createRefund({
        outTradeNo: 'T20260302020',
        outRefundNo: 'R1',
        refundFen: 1 as Fen,
        paidFen: 1234 as Fen,
      }),
    );
    expect([refund.code, refund.retryability]).toEqual(['NETWORK', 'indeterminate']);
  });

  it('SYSTEMERROR is retry; returnCode FAIL and business refusals are fatal', async () => {
    local.injectFault('queryOrder', { kind: 'system-error' });
    const sys = await rejection(provider.queryPayment('T20260302021'));
    expect([sys.code, sys.retryability]).toEqual(['SYSTEMERROR', 'retry']);
    local.injectFault('queryOrder', { kind: 'return-fail', returnMsg: '签名失败' });
    const sign = await rejection(provider.queryPayment('T20260302021'));
    expect([sign.code, sign.retryability]).toEqual(['RETURN_FAIL', 'fatal']);
    expect(sign.message).toContain('签名失败');

    await provider.createJsapiPayment(input('T20260302021'));
    const unpaid = await rejection(
      provider.createRefund({
        outTradeNo: 'T20260302021',
        outRefundNo: 'R2',
        refundFen: 1 as Fen,
        paidFen: 1234 as Fen,
      }),
    );
    expect([unpaid.code, unpaid.retryability]).toEqual(['ERROR', 'fatal']);
  });

  it('a merchant number not bound to the environment fails with a hint ("受理关系不存在")', async () => {
    const unbound = providerFor(cloudPayApiFrom(local), { ...CONFIG, subMchId: '1900000999' });
    const e = await rejection(unbound.createJsapiPayment(input('T20260302022')));
    expect([e.code, e.retryability]).toEqual(['SUB_MCH_NOT_BOUND', 'fatal']);
    expect(e.message).toMatch(/受理关系不存在.*not bound/);
  });

  it('queryRefund with empty lists (seen in production) is a retryable BAD_RESPONSE', async () => {
    await provider.createJsapiPayment(input('T20260302023'));
    await local.pay('T20260302023');
    await provider.createRefund({
      outTradeNo: 'T20260302023',
      outRefundNo: 'R3',
      refundFen: 5 as Fen,
      paidFen: 1234 as Fen,
    });
    local.injectFault('queryRefund', { kind: 'empty-refund-lists' });
    const e = await rejection(provider.queryRefund('R3'));
    expect([e.code, e.retryability]).toEqual(['BAD_RESPONSE', 'retry']);
    expect(await provider.queryRefund('R3')).toMatchObject({
      kind: 'found',
      refund: { status: 'PROCESSING' },
    });
  });

  it('an answer about another order, or a paid one without its fields, is refused', async () => {
    await provider.createJsapiPayment(input('T20260302024'));
    await local.pay('T20260302024');
    const tampered = (over: Record<string, unknown>): CloudPayApi => ({
      ...cloudPayApiFrom(local),
      queryOrder: async (p) => ({ ...(await local.queryOrder(p)), ...over }),
    });
    for (const over of [
      { outTradeNo: 'T20260302999' },
      { timeEnd: '20260230120000' },
      { transactionId: '' },
      { totalFee: 12.5 },
      { tradeState: 'PAID' },
    ]) {
      const e = await rejection(providerFor(tampered(over)).queryPayment('T20260302024'));
      expect([e.code, e.retryability]).toEqual(['BAD_RESPONSE', 'retry']);
    }
    // Without subMchId the identity check of the payment core cannot pass: mchid stays empty.
    const q = await providerFor(tampered({ subMchId: undefined })).queryPayment('T20260302024');
    expect(q.kind === 'found' && [q.transaction.mchid, q.transaction.subMchid]).toEqual(['', undefined]);
  });
});

describe('input validation and what cloudPay cannot do', () => {
  it('refuses bad input before anything is sent', async () => {
    const bad: Array<() => Promise<unknown>> = [
      () => provider.createJsapiPayment(input('short')),
      () => provider.createJsapiPayment(input('T20260302030', { description: 'x'.repeat(128) })),
      () => provider.createJsapiPayment(input('T20260302030', { payableFen: 0 as Fen })),
      () => provider.createJsapiPayment(input('T20260302030', { payableFen: 1.5 as Fen })),
      () => provider.createJsapiPayment(input('T20260302030', { expiresAtMs: T0 })),
      () => provider.createJsapiPayment(input('T20260302030', { attach: 'a'.repeat(128) })),
      () => provider.createJsapiPayment(input('T20260302030', { payerOpenid: 'bad openid' })),
      () => provider.queryPayment('has space 1'),
      () => provider.closePayment(''),
      () =>
        provider.createRefund({
          outTradeNo: 'T20260302030',
          outRefundNo: 'R',
          refundFen: 2 as Fen,
          paidFen: 1 as Fen,
        }),
      () =>
        provider.createRefund({
          outTradeNo: 'T20260302030',
          outRefundNo: 'R',
          refundFen: 1 as Fen,
          paidFen: 1 as Fen,
          reason: 'r'.repeat(81),
        }),
      () => provider.queryRefund('bad#no'),
    ];
    for (const call of bad) {
      const e = await rejection(call());
      expect([e.code, e.retryability]).toEqual(['INVALID_ARGUMENT', 'fatal']);
    }
    expect(sent).toEqual([]);
  });

  it('has no Native/H5 payments, no bills, no abnormal-refund retry and no HTTP notifications', async () => {
    const base = {
      outTradeNo: 'T20260302031',
      description: 'd',
      payableFen: 1 as Fen,
      expiresAtMs: T0 + 60 * 60_000,
    };
    for (const call of [
      () => provider.createNativePayment(base),
      () => provider.createH5Payment({ ...base, payerClientIp: '1.2.3.4' }),
      () => provider.downloadTradeBill(),
      () => provider.downloadFundFlowBill(),
      () => provider.applyAbnormalRefund(),
    ]) {
      expect((await rejection(call())).code).toBe('UNSUPPORTED');
    }
    await expect(provider.verifyNotification()).rejects.toBeInstanceOf(NotificationRejectedError);
    expect(sent).toEqual([]);
  });

  it('cloudPayApiFrom refuses an SDK without cloudPay methods', () => {
    expect(() => cloudPayApiFrom(undefined)).toThrow(/wx-server-sdk 2\.0\.2/);
    expect(() => cloudPayApiFrom({ unifiedOrder: () => undefined })).toThrow(
      /cloudPay\.queryOrder is not a function/,
    );
  });
});

describe('Beijing time', () => {
  it('formats and parses v2 timestamps as UTC+8 and refuses dates that do not exist', () => {
    expect(formatBeijingCompact(Date.UTC(2026, 1, 28, 16, 0, 1))).toBe('20260301000001');
    expect(parseBeijingCompact('20260301000001')).toBe(Date.UTC(2026, 1, 28, 16, 0, 1));
    expect(parseBeijingSpaced('2026-03-01 00:00:01')).toBe(Date.UTC(2026, 1, 28, 16, 0, 1));
    for (const t of ['20260230120000', '20261301000000', '2026030100000', '20260301240000', 20260301000001]) {
      expect(parseBeijingCompact(t)).toBeUndefined();
    }
    expect(parseBeijingSpaced('2026-03-01T00:00:01')).toBeUndefined();
  });
});
