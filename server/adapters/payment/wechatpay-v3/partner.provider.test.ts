// Partner (service provider) mode: the endpoints wechatpay-node-v3 lacks, through the same signed transport.
import { constants, privateDecrypt, verify } from 'node:crypto';
import { ProviderError } from '../../../application/ports/payment-provider.errors';
import type { Fen } from '../../../domain/money';
import { parseWechatPayV3Config } from './config';
import { createWechatPayV3Provider } from './index';
import { requestPaymentMessage } from './request-payment';
import {
  TEST_IDS,
  authorizationVerifies,
  createTestIdentity,
  parseAuthorization,
  platformSigners,
  startFakeWechatPay,
  testEnv,
} from './wechatpay-v3.testkit';
import type { FakeAnswer, FakeWechatPay, RecordedRequest, TestIdentity } from './wechatpay-v3.testkit';

const NOW = Date.parse('2026-11-23T02:34:56Z');
const fen = (n: number) => n as Fen;
let id: TestIdentity;
let fake: FakeWechatPay;
let answer: (req: RecordedRequest) => FakeAnswer;
let providers: Array<{ close(): void }> = [];

beforeAll(async () => {
  id = createTestIdentity(NOW);
  fake = await startFakeWechatPay(
    (req) => answer(req),
    platformSigners(id).cert,
    () => NOW,
  );
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});
afterEach(() => {
  providers.forEach((p) => p.close());
  providers = [];
});

function provider(subAppid: boolean) {
  const env = testEnv(id, { mode: 'partner', platformKeys: 'certificate', subAppid, baseUrl: fake.baseUrl });
  const p = createWechatPayV3Provider(parseWechatPayV3Config(env), {
    nowMs: () => NOW,
    randomBytes: (n) => Buffer.alloc(n, 0x33),
  });
  providers.push(p);
  return p;
}

const json = (v: unknown) => JSON.stringify(v);
const bodyOf = (i: number): Record<string, unknown> =>
  JSON.parse(fake.requests[i]?.rawBody.toString('utf8') ?? 'null');

const input = {
  outTradeNo: 'ORDER_20261123_0002',
  description: '安心小店-乌龙茶',
  payableFen: fen(2500),
  payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  expiresAtMs: NOW + 15 * 60 * 1000,
};

function partnerTransaction(overrides: Record<string, unknown> = {}) {
  return {
    sp_appid: TEST_IDS.spAppid,
    sp_mchid: TEST_IDS.spMchid,
    sub_appid: TEST_IDS.subAppid,
    sub_mchid: TEST_IDS.subMchid,
    out_trade_no: 'ORDER_20261123_0002',
    transaction_id: '4200001234202611230000000002',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    success_time: '2026-11-23T10:40:00+08:00',
    payer: { sp_openid: 'sp-openid', sub_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 2500, payer_total: 2500, currency: 'CNY' },
    ...overrides,
  };
}

describe('partner createJsapiPayment', () => {
  it('with sub_appid: pays as sub_openid and signs requestPayment for the sub-merchant app', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx-partner-1' }) });
    const r = await provider(true).createJsapiPayment(input);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v3/pay/partner/transactions/jsapi');
    expect(authorizationVerifies(req, id.merchant.publicKey)).toBe(true);
    // The service provider signs: its merchant id and certificate serial are in the header.
    expect(parseAuthorization(String(req.headers.authorization))).toMatchObject({
      mchid: TEST_IDS.spMchid,
      serial_no: id.merchantSerial,
    });
    expect(req.headers['wechatpay-serial']).toBe(id.platformCert.serial);
    expect(bodyOf(0)).toEqual({
      sp_appid: TEST_IDS.spAppid,
      sp_mchid: TEST_IDS.spMchid,
      sub_appid: TEST_IDS.subAppid,
      sub_mchid: TEST_IDS.subMchid,
      description: '安心小店-乌龙茶',
      out_trade_no: 'ORDER_20261123_0002',
      time_expire: '2026-11-23T10:49:56+08:00',
      notify_url: TEST_IDS.notifyUrl,
      amount: { total: 2500, currency: 'CNY' },
      payer: { sub_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });
    const rp = r.requestPayment;
    const signed = (appid: string) =>
      verify(
        'sha256',
        Buffer.from(requestPaymentMessage(appid, rp.timeStamp, rp.nonceStr, rp.package)),
        id.merchant.publicKey,
        Buffer.from(rp.paySign, 'base64'),
      );
    expect(signed(TEST_IDS.subAppid)).toBe(true);
    expect(signed(TEST_IDS.spAppid)).toBe(false);
  });

  it('without sub_appid: pays as sp_openid and signs for the service provider app', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx-partner-2' }) });
    const r = await provider(false).createJsapiPayment(input);
    const body = bodyOf(0);
    expect(body['payer']).toEqual({ sp_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(body).not.toHaveProperty('sub_appid');
    const rp = r.requestPayment;
    const message = requestPaymentMessage(TEST_IDS.spAppid, rp.timeStamp, rp.nonceStr, rp.package);
    expect(
      verify('sha256', Buffer.from(message), id.merchant.publicKey, Buffer.from(rp.paySign, 'base64')),
    ).toBe(true);
  });

  it('native and H5 go to the partner endpoints with the scene info', async () => {
    answer = (req) => ({
      status: 200,
      body: json(
        req.path.endsWith('/native')
          ? { code_url: 'weixin://wxpay/bizpayurl?pr=abc' }
          : { h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=x' },
      ),
    });
    const p = provider(true);
    const base = {
      outTradeNo: input.outTradeNo,
      description: input.description,
      payableFen: input.payableFen,
      expiresAtMs: input.expiresAtMs,
    };
    await expect(p.createNativePayment(base)).resolves.toEqual({
      codeUrl: 'weixin://wxpay/bizpayurl?pr=abc',
    });
    await expect(p.createH5Payment({ ...base, payerClientIp: '203.0.113.7' })).resolves.toMatchObject({
      h5Url: expect.stringContaining('checkmweb'),
    });
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v3/pay/partner/transactions/native',
      '/v3/pay/partner/transactions/h5',
    ]);
    expect(bodyOf(1)['scene_info']).toEqual({ payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } });
    await expect(p.createH5Payment({ ...base, payerClientIp: '203.0.113.700' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('partner query, close, refund, bills', () => {
  it('queries with sp_mchid and sub_mchid and normalises the partner shape', async () => {
    answer = () => ({ status: 200, body: json(partnerTransaction()) });
    const r = await provider(true).queryPayment('ORDER_20261123_0002');
    expect(fake.requests[0]?.path).toBe(
      `/v3/pay/partner/transactions/out-trade-no/ORDER_20261123_0002?sp_mchid=${TEST_IDS.spMchid}&sub_mchid=${TEST_IDS.subMchid}`,
    );
    expect(authorizationVerifies(fake.requests[0]!, id.merchant.publicKey)).toBe(true);
    expect(r.kind === 'found' && r.transaction).toMatchObject({
      appid: TEST_IDS.spAppid,
      mchid: TEST_IDS.spMchid,
      subMchid: TEST_IDS.subMchid,
      subAppid: TEST_IDS.subAppid,
      payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      chargedFen: 2500,
    });
  });

  it('refuses a signed answer about another sub-merchant', async () => {
    answer = () => ({ status: 200, body: json(partnerTransaction({ sub_mchid: '1900009999' })) });
    const e = await provider(true)
      .queryPayment('ORDER_20261123_0002')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).code).toBe('BAD_RESPONSE');
    expect((e as ProviderError).message).toMatch(/sub_mchid/);
  });

  it('closes with sp_mchid and sub_mchid', async () => {
    answer = () => ({ status: 204 });
    await expect(provider(true).closePayment('ORDER_20261123_0002')).resolves.toEqual({ outcome: 'closed' });
    expect(fake.requests[0]?.path).toBe(
      '/v3/pay/partner/transactions/out-trade-no/ORDER_20261123_0002/close',
    );
    expect(bodyOf(0)).toEqual({ sp_mchid: TEST_IDS.spMchid, sub_mchid: TEST_IDS.subMchid });
  });

  it('refunds and queries refunds for the sub-merchant', async () => {
    const refund = {
      refund_id: '50000000382019052709732678860',
      out_refund_no: 'RF_20261123_0002',
      out_trade_no: 'ORDER_20261123_0002',
      status: 'PROCESSING',
      amount: { total: 2500, refund: 2500, currency: 'CNY' },
    };
    answer = () => ({ status: 200, body: json(refund) });
    const p = provider(true);
    await p.createRefund({
      outTradeNo: 'ORDER_20261123_0002',
      outRefundNo: 'RF_20261123_0002',
      refundFen: fen(2500),
      paidFen: fen(2500),
    });
    expect(bodyOf(0)).toMatchObject({
      sub_mchid: TEST_IDS.subMchid,
      out_refund_no: 'RF_20261123_0002',
      amount: { refund: 2500, total: 2500, currency: 'CNY' },
    });
    await expect(p.queryRefund('RF_20261123_0002')).resolves.toMatchObject({
      kind: 'found',
      refund: { status: 'PROCESSING', refundFen: 2500 },
    });
    expect(fake.requests[1]?.path).toBe(
      `/v3/refund/domestic/refunds/RF_20261123_0002?sub_mchid=${TEST_IDS.subMchid}`,
    );
  });

  it('retries an ABNORMAL refund for the sub-merchant with the card fields encrypted to the platform key', async () => {
    answer = () => ({
      status: 200,
      body: json({
        refund_id: '50000000382019052709732678860',
        out_refund_no: 'RF_20261123_0002',
        out_trade_no: 'ORDER_20261123_0002',
        status: 'PROCESSING',
        amount: { total: 2500, refund: 2500, currency: 'CNY' },
      }),
    });
    const p = provider(true);
    await expect(
      p.applyAbnormalRefund({
        refundId: '50000000382019052709732678860',
        outRefundNo: 'RF_20261123_0002',
        type: 'USER_BANK_CARD',
        bankType: 'ICBC_DEBIT',
        bankAccount: '6222020200112233445',
        realName: '张三',
      }),
    ).resolves.toMatchObject({ status: 'PROCESSING', outRefundNo: 'RF_20261123_0002' });
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v3/refund/domestic/refunds/50000000382019052709732678860/apply-abnormal-refund');
    const body = bodyOf(0) as Record<string, string>;
    expect(body).toMatchObject({
      sub_mchid: TEST_IDS.subMchid,
      type: 'USER_BANK_CARD',
      bank_type: 'ICBC_DEBIT',
    });
    expect(req.rawBody.toString('utf8')).not.toContain('6222020200112233445');
    const decrypt = (b64: string) =>
      privateDecrypt(
        { key: id.platformCert.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(b64, 'base64'),
      ).toString('utf8');
    expect(decrypt(body.bank_account!)).toBe('6222020200112233445');
    expect(decrypt(body.real_name!)).toBe('张三');
    // Card fields with MERCHANT_BANK_CARD, or a card number that is not one, are refused before sending.
    for (const bad of [
      { type: 'MERCHANT_BANK_CARD' as const, bankAccount: '6222020200112233445' },
      { type: 'USER_BANK_CARD' as const, bankType: 'ICBC_DEBIT', bankAccount: '12ab', realName: '张三' },
    ]) {
      await expect(
        p.applyAbnormalRefund({ refundId: '5000', outRefundNo: 'RF_20261123_0002', ...bad }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(fake.requests).toHaveLength(1);
  });

  it('applies for the sub-merchant trade bill', async () => {
    answer = () => ({ status: 500, body: json({ code: 'SYSTEM_ERROR', message: 'later' }) });
    await expect(provider(true).downloadTradeBill('2026-11-22', 'REFUND')).rejects.toMatchObject({
      code: 'SYSTEM_ERROR',
      retryability: 'retry',
    });
    expect(fake.requests[0]?.path).toBe(
      `/v3/bill/tradebill?bill_date=2026-11-22&sub_mchid=${TEST_IDS.subMchid}&bill_type=REFUND`,
    );
    expect(authorizationVerifies(fake.requests[0]!, id.merchant.publicKey)).toBe(true);
  });
});
