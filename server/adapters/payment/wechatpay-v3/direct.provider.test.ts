// The direct-mode provider against a local WeChat Pay stand-in that checks our signatures and signs its answers
// with real keys. Each test sets what the stand-in answers.
import crypto, { KeyObject, createHash, verify } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { NotificationRejectedError, ProviderError } from '../../../application/ports/payment-provider.errors';
import type { Fen } from '../../../domain/money';
import { parseWechatPayV3Config } from './config';
import { createWechatPayV3Provider } from './index';
import { requestPaymentMessage } from './request-payment';
import {
  TEST_IDS,
  authorizationVerifies,
  buildTestNotification,
  createTestIdentity,
  platformSigners,
  startFakeWechatPay,
  testEnv,
} from './wechatpay-v3.testkit';
import type {
  FakeAnswer,
  FakeWechatPay,
  PlatformSigner,
  RecordedRequest,
  TestIdentity,
} from './wechatpay-v3.testkit';

const NOW = Date.parse('2026-11-23T02:34:56Z');
const fen = (n: number) => n as Fen;

let id: TestIdentity;
let signers: { cert: PlatformSigner; pub: PlatformSigner };
let fake: FakeWechatPay;
let answer: (req: RecordedRequest) => FakeAnswer;
let serverNow = NOW;

beforeAll(async () => {
  id = createTestIdentity(NOW);
  signers = platformSigners(id);
  fake = await startFakeWechatPay(
    (req) => answer(req),
    signers.pub,
    () => serverNow,
  );
});

afterAll(async () => {
  await fake.close();
});

let providers: Array<{ close(): void }> = [];
beforeEach(() => {
  fake.requests.length = 0;
  serverNow = NOW;
  answer = () => ({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"no answer set"}' });
});
afterEach(() => {
  providers.forEach((p) => p.close());
  providers = [];
});

function provider(overrides: Record<string, string> = {}, baseUrl = fake.baseUrl) {
  const env = {
    ...testEnv(id, { mode: 'direct', platformKeys: 'both', baseUrl, timeoutMs: 500 }),
    ...overrides,
  };
  const p = createWechatPayV3Provider(parseWechatPayV3Config(env), {
    nowMs: () => NOW,
    randomBytes: (n) => Buffer.alloc(n, 0x5a),
  });
  providers.push(p);
  return p;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

const json = (v: unknown) => JSON.stringify(v);
const lastBody = (): Record<string, unknown> =>
  JSON.parse(fake.requests.at(-1)?.rawBody.toString('utf8') ?? 'null');

const jsapiInput = {
  outTradeNo: 'ORDER_20261123_0001',
  description: '安心小店-绿茶 250g',
  payableFen: fen(1999),
  payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  expiresAtMs: NOW + 30 * 60 * 1000,
};

function paidTransaction(overrides: Record<string, unknown> = {}) {
  return {
    appid: TEST_IDS.appid,
    mchid: TEST_IDS.mchid,
    out_trade_no: 'ORDER_20261123_0001',
    transaction_id: '4200001234202611230000000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: '2026-11-23T10:34:50+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    ...overrides,
  };
}

describe('createJsapiPayment (through wechatpay-node-v3 and our transport)', () => {
  it('sends a correctly signed order and returns verifiable wx.requestPayment parameters', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx23103456789012345678901234567890' }) });
    const random = jest.spyOn(Math, 'random');
    const result = await provider().createJsapiPayment(jsapiInput);
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();

    const req = fake.requests[0];
    expect(fake.requests).toHaveLength(1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v3/pay/transactions/jsapi');
    expect(authorizationVerifies(req!, id.merchant.publicKey)).toBe(true);
    // So WeChat signs its answer with a key we hold (the public key is preferred when both are configured).
    expect(req?.headers['wechatpay-serial']).toBe(id.platformPub.id);
    expect(lastBody()).toEqual({
      appid: TEST_IDS.appid,
      mchid: TEST_IDS.mchid,
      description: '安心小店-绿茶 250g',
      out_trade_no: 'ORDER_20261123_0001',
      time_expire: '2026-11-23T11:04:56+08:00',
      notify_url: TEST_IDS.notifyUrl,
      amount: { total: 1999, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });

    expect(result.prepayId).toBe('wx23103456789012345678901234567890');
    expect(result.prepayExpiresAtMs).toBe(jsapiInput.expiresAtMs);
    const rp = result.requestPayment;
    expect(rp).toMatchObject({
      package: 'prepay_id=wx23103456789012345678901234567890',
      signType: 'RSA',
      timeStamp: String(NOW / 1000),
    });
    const message = requestPaymentMessage(TEST_IDS.appid, rp.timeStamp, rp.nonceStr, rp.package);
    expect(
      verify('sha256', Buffer.from(message), id.merchant.publicKey, Buffer.from(rp.paySign, 'base64')),
    ).toBe(true);
  });

  it('caps prepayExpiresAtMs at the prepay_id lifetime of two hours', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx1' }) });
    const r = await provider().createJsapiPayment({ ...jsapiInput, expiresAtMs: NOW + 24 * 3600 * 1000 });
    expect(r.prepayExpiresAtMs).toBe(NOW + 2 * 3600 * 1000);
  });

  it('computes prepay expiry and time_expire on the business clock, not the transport clock (one clock)', async () => {
    const ahead = NOW + 3 * 3600 * 1000;
    const p = createWechatPayV3Provider(
      parseWechatPayV3Config(
        testEnv(id, { mode: 'direct', platformKeys: 'both', baseUrl: fake.baseUrl, timeoutMs: 500 }),
      ),
      { nowMs: () => NOW, businessNowMs: () => ahead, randomBytes: (n) => Buffer.alloc(n, 0x5a) },
    );
    providers.push(p);
    let sent: Record<string, unknown> = {};
    answer = (req) => {
      sent = JSON.parse(req.rawBody.toString('utf8')) as Record<string, unknown>;
      return { status: 200, body: json({ prepay_id: 'wx3' }) };
    };
    const r = await p.createJsapiPayment({ ...jsapiInput, expiresAtMs: ahead + 30 * 60_000 });
    // The business clock is 3 h ahead of the wall clock: the prepay lives until the order's expiry in business time.
    expect(r.prepayExpiresAtMs).toBe(ahead + 30 * 60_000);
    expect(sent.time_expire).toBe(
      new Date(ahead + 30 * 60_000 + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00',
    );
    // requestPayment's timeStamp stays on the transport clock.
    expect(r.requestPayment.timeStamp).toBe(String(NOW / 1000));
  });

  it('accepts an answer signed with the platform certificate while the public key is preferred (key switch)', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx2' }), signer: signers.cert });
    await expect(provider().createJsapiPayment(jsapiInput)).resolves.toMatchObject({ prepayId: 'wx2' });
  });

  it.each([
    ['signed by a key we do not hold under a known serial', 'forged'],
    ['not signed at all', 'none'],
    ['signed under a serial we do not know', 'unknown-serial'],
  ] as const)('treats a 2xx answer %s as forged (indeterminate: the order may exist)', async (_name, how) => {
    const body = json({ prepay_id: 'wx-forged' });
    answer = () =>
      how === 'unknown-serial'
        ? { status: 200, body, signer: { serial: 'PUB_KEY_ID_0199', privateKey: id.platformPub.privateKey } }
        : { status: 200, body, signing: how };
    const e = await providerError(provider().createJsapiPayment(jsapiInput));
    expect(e.code).toBe('BAD_RESPONSE_SIGNATURE');
    expect(e.retryability).toBe('indeterminate');
    expect(e.httpStatus).toBe(200);
    expect(e.operation).toBe('createJsapiPayment');
    expect(e.message).not.toContain('wx-forged');
  });

  it('treats a validly signed answer from five minutes ago as forged (replay window)', async () => {
    serverNow = NOW - 301_000;
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx3' }) });
    const e = await providerError(provider().createJsapiPayment(jsapiInput));
    expect(e.code).toBe('BAD_RESPONSE_SIGNATURE');
    expect(e.message).toMatch(/Wechatpay-Timestamp/);
  });

  it('refuses invalid input before sending anything', async () => {
    const p = provider();
    const bad = [
      { ...jsapiInput, outTradeNo: 'short' },
      { ...jsapiInput, outTradeNo: 'has space 12345' },
      { ...jsapiInput, payableFen: fen(0) },
      { ...jsapiInput, payableFen: fen(19.99) },
      { ...jsapiInput, description: '' },
      { ...jsapiInput, description: 'x'.repeat(128) },
      { ...jsapiInput, expiresAtMs: NOW },
      { ...jsapiInput, expiresAtMs: NOW + 91 * 24 * 3600 * 1000 },
      { ...jsapiInput, payerOpenid: '' },
      { ...jsapiInput, attach: 'a'.repeat(129) },
    ];
    for (const input of bad) {
      const e = await providerError(p.createJsapiPayment(input));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.retryability).toBe('fatal');
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe('merchant key handling', () => {
  it('parses the merchant key once: every request and paySign signature reuses one KeyObject', async () => {
    answer = () => ({ status: 200, body: json({ prepay_id: 'wx23103456789012345678901234567890' }) });
    const p = provider();
    // Any PEM parse shows up as one of these: an explicit createPrivateKey, or a Sign/sign handed PEM text or bytes.
    const parse = jest.spyOn(crypto, 'createPrivateKey');
    const streamSign = jest.spyOn(crypto.Sign.prototype, 'sign');
    const oneShot = jest.spyOn(crypto, 'sign');
    try {
      const runs = 5;
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await p.createJsapiPayment(jsapiInput));
      expect(parse).not.toHaveBeenCalled();
      expect(streamSign).not.toHaveBeenCalled();
      // Two merchant signatures per payment: the request's Authorization and the paySign (the stand-in signs its
      // answers in this process too, with the platform key).
      const merchantSpki = id.merchant.publicKey.export({ type: 'spki', format: 'der' });
      const merchantCalls = oneShot.mock.calls.filter((c) => {
        const key = c[2];
        const pub = key instanceof KeyObject ? crypto.createPublicKey(key) : undefined;
        return pub?.export({ type: 'spki', format: 'der' }).equals(merchantSpki) === true;
      });
      expect(merchantCalls).toHaveLength(2 * runs);
      const keys = new Set(merchantCalls.map((c) => c[2]));
      expect(keys.size).toBe(1);
      expect([...keys][0]).toBeInstanceOf(KeyObject);
    } finally {
      parse.mockRestore();
      streamSign.mockRestore();
      oneShot.mockRestore();
    }
    // …and the signatures are still the merchant's.
    expect(fake.requests).toHaveLength(5);
    for (const req of fake.requests) expect(authorizationVerifies(req, id.merchant.publicKey)).toBe(true);
    const last = await p.createJsapiPayment(jsapiInput);
    const rp = last.requestPayment;
    const message = requestPaymentMessage(TEST_IDS.appid, rp.timeStamp, rp.nonceStr, rp.package);
    expect(
      verify('sha256', Buffer.from(message), id.merchant.publicKey, Buffer.from(rp.paySign, 'base64')),
    ).toBe(true);
  });
});

describe('error classification', () => {
  it.each([
    [500, 'SYSTEM_ERROR', 'retry'],
    [429, 'FREQUENCY_LIMITED', 'retry'],
    [403, 'OUT_TRADE_NO_USED', 'fatal'],
    [400, 'PARAM_ERROR', 'fatal'],
    [400, 'APPID_MCHID_NOT_MATCH', 'fatal'],
  ] as const)('%i %s is %s', async (status, code, retryability) => {
    answer = () => ({ status, body: json({ code, message: `${code} explained` }) });
    const e = await providerError(provider().createJsapiPayment(jsapiInput));
    expect([e.code, e.retryability, e.httpStatus]).toEqual([code, retryability, status]);
    expect(e.message).toContain(`${code} explained`);
    expect(e.requestId).toMatch(/^test-/);
  });

  it('takes an unsigned 401 SIGN_ERROR (WeChat cannot sign it) as fatal', async () => {
    answer = () => ({
      status: 401,
      body: json({ code: 'SIGN_ERROR', message: '签名错误' }),
      signing: 'none',
    });
    const e = await providerError(provider().queryPayment('ORDER_20261123_0001'));
    expect([e.code, e.retryability]).toEqual(['SIGN_ERROR', 'fatal']);
  });

  it('treats an error answer with a bad signature as forged', async () => {
    answer = () => ({
      status: 404,
      body: json({ code: 'ORDER_NOT_EXIST', message: 'no' }),
      signing: 'forged',
    });
    const e = await providerError(provider().queryPayment('ORDER_20261123_0001'));
    expect([e.code, e.retryability]).toEqual(['BAD_RESPONSE_SIGNATURE', 'retry']);
  });

  it('reads a non-JSON gateway error as HTTP_<status>, retryable', async () => {
    answer = () => ({
      status: 502,
      body: '<html>Bad Gateway</html>',
      signing: 'none',
      headers: { 'Content-Type': 'text/html' },
    });
    const e = await providerError(provider().createJsapiPayment(jsapiInput));
    expect([e.code, e.retryability]).toEqual(['HTTP_502', 'retry']);
  });

  it('a dropped connection is indeterminate for a create and retryable for a query', async () => {
    answer = () => ({ status: 200, destroy: true });
    const create = await providerError(provider().createJsapiPayment(jsapiInput));
    expect([create.code, create.retryability]).toEqual(['NETWORK', 'indeterminate']);
    const query = await providerError(provider().queryPayment('ORDER_20261123_0001'));
    expect([query.code, query.retryability]).toEqual(['NETWORK', 'retry']);
  });

  it('no answer within the deadline is TIMEOUT: indeterminate for a refund', async () => {
    answer = () => ({ status: 200, hang: true });
    const e = await providerError(
      provider().createRefund({
        outTradeNo: 'ORDER_20261123_0001',
        outRefundNo: 'RF_1',
        refundFen: fen(1),
        paidFen: fen(1999),
      }),
    );
    expect([e.code, e.retryability, e.operation]).toEqual(['TIMEOUT', 'indeterminate', 'createRefund']);
  });

  it('a refused connection means nothing was sent: retry, even for a create', async () => {
    const closed = await startFakeWechatPay(
      () => ({ status: 200 }),
      signers.pub,
      () => NOW,
    );
    const url = closed.baseUrl;
    await closed.close();
    const e = await providerError(provider({}, url).createJsapiPayment(jsapiInput));
    expect([e.code, e.retryability]).toEqual(['NETWORK', 'retry']);
  });
});

describe('queryPayment and closePayment', () => {
  it('returns the signed truth, normalised to fen and epoch ms', async () => {
    answer = () => ({ status: 200, body: json(paidTransaction()) });
    const r = await provider().queryPayment('ORDER_20261123_0001');
    expect(fake.requests[0]?.path).toBe(
      `/v3/pay/transactions/out-trade-no/ORDER_20261123_0001?mchid=${TEST_IDS.mchid}`,
    );
    expect(fake.requests[0]?.method).toBe('GET');
    expect(authorizationVerifies(fake.requests[0]!, id.merchant.publicKey)).toBe(true);
    expect(r).toEqual({
      kind: 'found',
      transaction: {
        outTradeNo: 'ORDER_20261123_0001',
        state: 'SUCCESS',
        transactionId: '4200001234202611230000000001',
        chargedFen: 1999,
        payerTotalFen: 1999,
        successTimeMs: Date.parse('2026-11-23T02:34:50Z'),
        appid: TEST_IDS.appid,
        mchid: TEST_IDS.mchid,
        payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        tradeType: 'JSAPI',
      },
    });
  });

  it('reads NOTPAY without a transaction id, and a signed 404 ORDER_NOT_EXIST as not-found', async () => {
    answer = () => ({
      status: 200,
      body: json(
        paidTransaction({
          trade_state: 'NOTPAY',
          transaction_id: undefined,
          success_time: undefined,
          payer: undefined,
          amount: { total: 1999, currency: 'CNY' },
        }),
      ),
    });
    const r = await provider().queryPayment('ORDER_20261123_0001');
    expect(r.kind === 'found' && r.transaction.state).toBe('NOTPAY');
    answer = () => ({ status: 404, body: json({ code: 'ORDER_NOT_EXIST', message: '订单不存在' }) });
    await expect(provider().queryPayment('ORDER_20261123_0001')).resolves.toEqual({
      kind: 'not-found',
      outTradeNo: 'ORDER_20261123_0001',
    });
  });

  it('refuses a signed answer about another order or merchant', async () => {
    answer = () => ({ status: 200, body: json(paidTransaction({ out_trade_no: 'ORDER_OTHER_0002' })) });
    const other = await providerError(provider().queryPayment('ORDER_20261123_0001'));
    expect([other.code, other.retryability]).toEqual(['BAD_RESPONSE', 'retry']);
    answer = () => ({ status: 200, body: json(paidTransaction({ mchid: '1999999999' })) });
    expect((await providerError(provider().queryPayment('ORDER_20261123_0001'))).code).toBe('BAD_RESPONSE');
    answer = () => ({ status: 200, body: json(paidTransaction({ amount: { total: '19.99' } })) });
    expect((await providerError(provider().queryPayment('ORDER_20261123_0001'))).message).toMatch(
      /amount\.total/,
    );
  });

  it('closes with a signed 204, and maps ORDER_CLOSED, the paid-order refusals and RULE_LIMIT', async () => {
    answer = () => ({ status: 204 });
    await expect(provider().closePayment('ORDER_20261123_0001')).resolves.toEqual({ outcome: 'closed' });
    expect(fake.requests[0]?.path).toBe('/v3/pay/transactions/out-trade-no/ORDER_20261123_0001/close');
    expect(lastBody()).toEqual({ mchid: TEST_IDS.mchid });
    expect(authorizationVerifies(fake.requests[0]!, id.merchant.publicKey)).toBe(true);

    answer = () => ({ status: 400, body: json({ code: 'ORDER_CLOSED', message: '订单已关闭' }) });
    await expect(provider().closePayment('ORDER_20261123_0001')).resolves.toEqual({ outcome: 'closed' });
    answer = () => ({ status: 400, body: json({ code: 'ORDER_PAID', message: '订单已支付' }) });
    await expect(provider().closePayment('ORDER_20261123_0001')).resolves.toEqual({
      outcome: 'already-paid',
    });
    answer = () => ({ status: 403, body: json({ code: 'TRADE_ERROR', message: '订单已支付，不能关单' }) });
    await expect(provider().closePayment('ORDER_20261123_0001')).resolves.toEqual({
      outcome: 'already-paid',
    });
    // Too soon after creating: RULE_LIMIT is "later" on this endpoint, not fatal.
    answer = () => ({ status: 403, body: json({ code: 'RULE_LIMIT', message: '订单创建5分钟内不能关单' }) });
    const early = await providerError(provider().closePayment('ORDER_20261123_0001'));
    expect([early.code, early.retryability, early.operation]).toEqual([
      'RULE_LIMIT',
      'retry',
      'closePayment',
    ]);
    answer = () => ({ status: 204, signing: 'none' });
    expect((await providerError(provider().closePayment('ORDER_20261123_0001'))).code).toBe(
      'BAD_RESPONSE_SIGNATURE',
    );
  });
});

describe('refunds', () => {
  const refundAnswer = {
    refund_id: '50000000382019052709732678859',
    out_refund_no: 'RF_20261123_0001',
    transaction_id: '4200001234202611230000000001',
    out_trade_no: 'ORDER_20261123_0001',
    channel: 'ORIGINAL',
    user_received_account: '招商银行信用卡0403',
    create_time: '2026-11-23T10:40:00+08:00',
    status: 'PROCESSING',
    amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500, currency: 'CNY' },
  };

  it('asks for a refund and returns its normalised state', async () => {
    answer = () => ({ status: 200, body: json(refundAnswer) });
    const r = await provider({
      WECHATPAY_REFUND_NOTIFY_URL: 'https://shop.example.com/wxpay/refund',
    }).createRefund({
      outTradeNo: 'ORDER_20261123_0001',
      outRefundNo: 'RF_20261123_0001',
      refundFen: fen(500),
      paidFen: fen(1999),
      reason: '商品缺货',
    });
    expect(fake.requests[0]?.path).toBe('/v3/refund/domestic/refunds');
    expect(lastBody()).toEqual({
      out_trade_no: 'ORDER_20261123_0001',
      out_refund_no: 'RF_20261123_0001',
      reason: '商品缺货',
      notify_url: 'https://shop.example.com/wxpay/refund',
      amount: { refund: 500, total: 1999, currency: 'CNY' },
    });
    expect(r).toEqual({
      outTradeNo: 'ORDER_20261123_0001',
      outRefundNo: 'RF_20261123_0001',
      refundId: '50000000382019052709732678859',
      transactionId: '4200001234202611230000000001',
      status: 'PROCESSING',
      refundFen: 500,
      paidFen: 1999,
      payerRefundFen: 500,
      createTimeMs: Date.parse('2026-11-23T02:40:00Z'),
      receivedAccount: '招商银行信用卡0403',
    });
  });

  it("a resubmission sends the notify_url it is given (the first send's), not the configured one", async () => {
    answer = () => ({ status: 200, body: json(refundAnswer) });
    const p = provider({ WECHATPAY_REFUND_NOTIFY_URL: 'https://shop.example.com/wxpay/refund' });
    await p.createRefund({
      outTradeNo: 'ORDER_20261123_0001',
      outRefundNo: 'RF_20261123_0001',
      refundFen: fen(500),
      paidFen: fen(1999),
      notifyUrl: 'https://old.example.com/wxpay/refund',
    });
    expect(lastBody()).toMatchObject({ notify_url: 'https://old.example.com/wxpay/refund' });
    expect(p.refundNotifyUrl()).toBe('https://shop.example.com/wxpay/refund');
    for (const bad of ['ftp://x.example.com/r', 'https://x.example.com/r?a=1', 'not a url']) {
      const e = await providerError(
        p.createRefund({
          outTradeNo: 'ORDER_20261123_0001',
          outRefundNo: 'RF_20261123_0001',
          refundFen: fen(500),
          paidFen: fen(1999),
          notifyUrl: bad,
        }),
      );
      expect(e.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('refuses a refund above the total before sending, and takes NOT_ENOUGH as retry', async () => {
    const p = provider();
    const e = await providerError(
      p.createRefund({
        outTradeNo: 'ORDER_20261123_0001',
        outRefundNo: 'RF_1',
        refundFen: fen(2000),
        paidFen: fen(1999),
      }),
    );
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(fake.requests).toHaveLength(0);
    answer = () => ({ status: 403, body: json({ code: 'NOT_ENOUGH', message: '基本账户余额不足' }) });
    const ne = await providerError(
      p.createRefund({
        outTradeNo: 'ORDER_20261123_0001',
        outRefundNo: 'RF_1',
        refundFen: fen(1),
        paidFen: fen(1999),
      }),
    );
    expect([ne.code, ne.retryability]).toEqual(['NOT_ENOUGH', 'retry']);
  });

  it('queries a refund, and reads a signed 404 RESOURCE_NOT_EXISTS as not-found', async () => {
    answer = () => ({
      status: 200,
      body: json({ ...refundAnswer, status: 'SUCCESS', success_time: '2026-11-23T10:41:00+08:00' }),
    });
    const r = await provider().queryRefund('RF_20261123_0001');
    expect(fake.requests[0]?.path).toBe('/v3/refund/domestic/refunds/RF_20261123_0001');
    expect(r.kind === 'found' && [r.refund.status, r.refund.successTimeMs]).toEqual([
      'SUCCESS',
      Date.parse('2026-11-23T02:41:00Z'),
    ]);
    answer = () => ({ status: 404, body: json({ code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' }) });
    await expect(provider().queryRefund('RF_20261123_0001')).resolves.toEqual({
      kind: 'not-found',
      outRefundNo: 'RF_20261123_0001',
    });
  });
});

describe('bills', () => {
  const bill = [
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
    '`2026-11-22 10:00:01,`wxd678efh567hg6787,`1230000109,`0,`,`4200000001,`ORDER_0001,`oUpF8,`JSAPI,`SUCCESS,`OTHERS,`CNY,`19.99,`0.00,`0,`0,`0.00,`0.00,`,`,`绿茶,`,`0.12000,`0.60%,`19.99,`0.00,`',
    '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
    '`1,`19.99,`0.00,`0.00,`0.12000,`19.99,`0.00',
    '',
  ].join('\r\n');
  const sha1 = createHash('sha1').update(bill).digest('hex');

  function billAnswers(file: Buffer, hash = sha1) {
    answer = (req) =>
      req.path.startsWith('/v3/bill/tradebill')
        ? {
            status: 200,
            body: json({
              hash_type: 'SHA1',
              hash_value: hash.toUpperCase(),
              download_url:
                'https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2',
            }),
          }
        : {
            status: 200,
            body: file,
            signing: 'none',
            headers: { 'Content-Type': 'application/octet-stream' },
          };
  }

  it('applies (signed), downloads from the base URL (unsigned), checks the SHA1 and parses into fen', async () => {
    billAnswers(Buffer.from(bill));
    const b = await provider().downloadTradeBill('2026-11-22', 'ALL');
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v3/bill/tradebill?bill_date=2026-11-22&bill_type=ALL',
      '/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2',
    ]);
    // Both requests carry our signature; the download goes to our base URL, never to another host.
    expect(fake.requests.every((r) => authorizationVerifies(r, id.merchant.publicKey))).toBe(true);
    expect(b).toMatchObject({
      billDate: '2026-11-22',
      type: 'ALL',
      sha1,
      summary: { tradeCount: 1, settlementTotalFen: 1999 },
    });
    expect(b.rows[0]).toMatchObject({
      outTradeNo: 'ORDER_0001',
      settlementTotalFen: 1999,
      goodsName: '绿茶',
    });
  });

  it('accepts a gzip download whose unpacked bytes match', async () => {
    billAnswers(gzipSync(Buffer.from(bill)));
    await expect(provider().downloadTradeBill('2026-11-22', 'SUCCESS')).resolves.toMatchObject({ sha1 });
  });

  it('refuses a file that does not match the published hash', async () => {
    billAnswers(Buffer.from(bill.replace('19.99', '99.99')));
    const e = await providerError(provider().downloadTradeBill('2026-11-22', 'ALL'));
    expect([e.code, e.retryability]).toEqual(['BILL_HASH_MISMATCH', 'retry']);
  });

  it('refuses an unsigned apply answer and a bad date before sending', async () => {
    answer = () => ({
      status: 200,
      body: json({ hash_type: 'SHA1', hash_value: sha1, download_url: 'https://x/y' }),
      signing: 'none',
    });
    expect((await providerError(provider().downloadTradeBill('2026-11-22', 'ALL'))).code).toBe(
      'BAD_RESPONSE_SIGNATURE',
    );
    fake.requests.length = 0;
    expect((await providerError(provider().downloadTradeBill('2026-02-30', 'ALL'))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe('verifyNotification through the provider', () => {
  it('verifies a good notification and rejects a stale one', async () => {
    const p = provider();
    const good = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: id.apiV3Key,
      signer: signers.cert,
      signedAtMs: NOW,
    });
    await expect(p.verifyNotification(good)).resolves.toMatchObject({ kind: 'payment.succeeded' });
    const stale = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: id.apiV3Key,
      signer: signers.cert,
      signedAtMs: NOW - 600_000,
    });
    await expect(p.verifyNotification(stale)).rejects.toBeInstanceOf(NotificationRejectedError);
  });
});
