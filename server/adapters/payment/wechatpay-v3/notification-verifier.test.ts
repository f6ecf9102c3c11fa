import Pay from 'wechatpay-node-v3';
import { NotificationRejectedError } from '../../../application/ports/payment-provider.errors';
import type { NotificationRejectionReason } from '../../../application/ports/payment-provider.errors';
import type { PaymentNotificationEvent } from '../../../application/ports/payment-provider.port';
import { parseWechatPayV3Config } from './config';
import { platformVerifier } from './index';
import { verifyWechatPayNotification } from './notification-verifier';
import {
  TEST_IDS,
  buildTestNotification,
  createTestIdentity,
  encryptTestResource,
  platformHeaders,
  platformSigners,
  testEnv,
} from './wechatpay-v3.testkit';
import type { PlatformSigner, TestEnvOptions, TestIdentity } from './wechatpay-v3.testkit';

const NOW = Date.parse('2026-11-23T02:34:56Z');
let id: TestIdentity;
let signers: { cert: PlatformSigner; pub: PlatformSigner };

beforeAll(() => {
  id = createTestIdentity(NOW);
  signers = platformSigners(id);
});

function paidTransaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: TEST_IDS.appid,
    mchid: TEST_IDS.mchid,
    out_trade_no: 'ORDER_20261123_0001',
    transaction_id: '4200001234202611230000000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-11-23T10:34:50+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 1999, payer_total: 1899, currency: 'CNY', payer_currency: 'CNY' },
    ...overrides,
  };
}

function verifierFor(
  keys: TestEnvOptions['platformKeys'],
  mode: 'direct' | 'partner' = 'direct',
  nowMs = NOW,
) {
  const config = parseWechatPayV3Config(testEnv(id, { mode, platformKeys: keys, subAppid: true }));
  return (n: {
    headers: Record<string, string | undefined>;
    rawBody: Uint8Array;
  }): PaymentNotificationEvent =>
    verifyWechatPayNotification(n, {
      identity: config.identity,
      verifier: platformVerifier(config),
      apiV3Key: config.apiV3Key,
      nowMs: () => nowMs,
    });
}

function rejection(fn: () => unknown): NotificationRejectedError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NotificationRejectedError) return e;
    throw e;
  }
  throw new Error('expected the notification to be rejected');
}

function paid(signer: PlatformSigner, signedAtMs = NOW, resource = paidTransaction()) {
  return buildTestNotification({
    eventType: 'TRANSACTION.SUCCESS',
    resource,
    apiV3Key: id.apiV3Key,
    signer,
    signedAtMs,
  });
}

describe('verifyWechatPayNotification — accepts only what passed every check', () => {
  it('accepts a payment signed with the platform certificate (certificate mode)', () => {
    const event = verifierFor('certificate')(paid(signers.cert));
    expect(event).toEqual({
      kind: 'payment.succeeded',
      notificationId: expect.stringMatching(/^EV-/),
      transaction: {
        outTradeNo: 'ORDER_20261123_0001',
        state: 'SUCCESS',
        transactionId: '4200001234202611230000000001',
        chargedFen: 1999,
        payerTotalFen: 1899,
        successTimeMs: Date.parse('2026-11-23T02:34:50Z'),
        appid: TEST_IDS.appid,
        mchid: TEST_IDS.mchid,
        payerOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        tradeType: 'JSAPI',
      },
    });
  });

  it('accepts a payment signed with the WeChat Pay public key (public-key mode)', () => {
    expect(verifierFor('public-key')(paid(signers.pub)).kind).toBe('payment.succeeded');
  });

  it('accepts both keys during a certificate → public key switch, and neither key alone accepts the other', () => {
    const both = verifierFor('both');
    expect(both(paid(signers.cert)).kind).toBe('payment.succeeded');
    expect(both(paid(signers.pub)).kind).toBe('payment.succeeded');
    expect(rejection(() => verifierFor('certificate')(paid(signers.pub))).reason).toBe('UNKNOWN_SERIAL');
    expect(rejection(() => verifierFor('public-key')(paid(signers.cert))).reason).toBe('UNKNOWN_SERIAL');
  });

  it('reads header names in any case, as gateways lower-case them', () => {
    const n = paid(signers.pub);
    const lower = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifierFor('public-key')({ headers: lower, rawBody: n.rawBody }).kind).toBe('payment.succeeded');
  });

  it('normalises partner-mode transactions and refund events', () => {
    const verify = verifierFor('public-key', 'partner');
    const partnerTx = paidTransaction({
      appid: undefined,
      mchid: undefined,
      sp_appid: TEST_IDS.spAppid,
      sp_mchid: TEST_IDS.spMchid,
      sub_appid: TEST_IDS.subAppid,
      sub_mchid: TEST_IDS.subMchid,
      payer: { sp_openid: 'sp-openid', sub_openid: 'sub-openid' },
    });
    const event = verify(paid(signers.pub, NOW, partnerTx));
    expect(event.kind === 'payment.succeeded' && event.transaction).toMatchObject({
      appid: TEST_IDS.spAppid,
      mchid: TEST_IDS.spMchid,
      subMchid: TEST_IDS.subMchid,
      subAppid: TEST_IDS.subAppid,
      payerOpenid: 'sub-openid',
    });

    const refundDoc = {
      sp_mchid: TEST_IDS.spMchid,
      sub_mchid: TEST_IDS.subMchid,
      out_trade_no: 'ORDER_20261123_0001',
      transaction_id: '4200001234202611230000000001',
      out_refund_no: 'RF_0001',
      refund_id: '50000000382019052709732678859',
      refund_status: 'SUCCESS',
      success_time: '2026-11-23T11:00:00+08:00',
      amount: { total: 1999, refund: 500, payer_total: 1899, payer_refund: 475 },
    };
    const refund = verify(
      buildTestNotification({
        eventType: 'REFUND.SUCCESS',
        resource: refundDoc,
        apiV3Key: id.apiV3Key,
        signer: signers.pub,
        signedAtMs: NOW,
      }),
    );
    expect(refund).toEqual({
      kind: 'refund.succeeded',
      notificationId: expect.any(String),
      refund: {
        outTradeNo: 'ORDER_20261123_0001',
        outRefundNo: 'RF_0001',
        refundId: '50000000382019052709732678859',
        transactionId: '4200001234202611230000000001',
        status: 'SUCCESS',
        refundFen: 500,
        paidFen: 1999,
        payerRefundFen: 475,
        successTimeMs: Date.parse('2026-11-23T03:00:00Z'),
      },
    });
    for (const [eventType, status, kind] of [
      ['REFUND.CLOSED', 'CLOSED', 'refund.closed'],
      ['REFUND.ABNORMAL', 'ABNORMAL', 'refund.abnormal'],
    ] as const) {
      const e = verify(
        buildTestNotification({
          eventType,
          resource: { ...refundDoc, refund_status: status, success_time: undefined },
          apiV3Key: id.apiV3Key,
          signer: signers.pub,
          signedAtMs: NOW,
        }),
      );
      expect(e.kind).toBe(kind);
    }
  });

  it('reports a verified event it does not handle as unsupported', () => {
    const n = buildTestNotification({
      eventType: 'MCHTRANSFER.BILL.FINISHED',
      resource: { anything: true },
      apiV3Key: id.apiV3Key,
      signer: signers.pub,
      signedAtMs: NOW,
    });
    expect(verifierFor('public-key')(n)).toEqual({
      kind: 'unsupported',
      notificationId: expect.any(String),
      eventType: 'MCHTRANSFER.BILL.FINISHED',
    });
  });
});

describe('verifyWechatPayNotification — rejections', () => {
  const expectRejected = (reason: NotificationRejectionReason, fn: () => unknown, status?: number) => {
    const e = rejection(fn);
    expect(e.reason).toBe(reason);
    if (status !== undefined) expect(e.httpStatus).toBe(status);
    // Rejections never carry secrets or decrypted data.
    expect(e.message).not.toContain(id.apiV3Key);
    expect(e.message).not.toContain('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    return e;
  };

  it('rejects tampered ciphertext: the GCM tag is checked', () => {
    const n = paid(signers.pub, NOW);
    const tampered = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: id.apiV3Key,
      signer: signers.pub,
      signedAtMs: NOW,
      tamperResource: (r) => {
        const sealed = Buffer.from(String(r['ciphertext']), 'base64');
        sealed[5] = (sealed[5] ?? 0) ^ 0x01;
        return { ...r, ciphertext: sealed.toString('base64') };
      },
    });
    expect(verifierFor('public-key')(n).kind).toBe('payment.succeeded');
    expectRejected('DECRYPT_FAILED', () => verifierFor('public-key')(tampered), 500);
  });

  it('rejects a resource encrypted under another APIv3 key or with altered associated data', () => {
    const otherKey = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: 'A'.repeat(32),
      signer: signers.pub,
      signedAtMs: NOW,
    });
    expectRejected('DECRYPT_FAILED', () => verifierFor('public-key')(otherKey));
    const otherAad = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: id.apiV3Key,
      signer: signers.pub,
      signedAtMs: NOW,
      tamperResource: (r) => ({ ...r, associated_data: 'refund' }),
    });
    expectRejected('DECRYPT_FAILED', () => verifierFor('public-key')(otherAad));
  });

  it('shows the library hole we avoid: wechatpay-node-v3 decipher_gcm decodes tampered ciphertext without error', () => {
    const resource = encryptTestResource(JSON.stringify({ total: 1 }), id.apiV3Key);
    const sealed = Buffer.from(resource['ciphertext'] ?? '', 'base64');
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 0xff; // corrupt the tag itself
    const pay = new Pay({
      appid: TEST_IDS.appid,
      mchid: TEST_IDS.mchid,
      serial_no: id.merchantSerial,
      publicKey: Buffer.from(id.merchantCertificatePem),
      privateKey: Buffer.from(id.merchant.privateKeyPem),
    });
    const decoded = pay.decipher_gcm<unknown>(
      sealed.toString('base64'),
      resource['associated_data'] ?? '',
      resource['nonce'] ?? '',
      id.apiV3Key,
    );
    expect(decoded).toEqual({ total: 1 });
  });

  it('rejects a bad signature (probe traffic) and a signature by an unknown key under a known serial', () => {
    const n = paid(signers.pub);
    const sig = Buffer.from(n.headers['Wechatpay-Signature'] ?? '', 'base64');
    sig[10] = (sig[10] ?? 0) ^ 0x01;
    expectRejected(
      'SIGNATURE_INVALID',
      () =>
        verifierFor('public-key')({
          headers: { ...n.headers, 'Wechatpay-Signature': sig.toString('base64') },
          rawBody: n.rawBody,
        }),
      401,
    );
    const byCertKey = paid({ serial: id.platformPub.id, privateKey: id.platformCert.privateKey });
    expectRejected('SIGNATURE_INVALID', () => verifierFor('both')(byCertKey));
    expectRejected('SIGNATURE_INVALID', () =>
      verifierFor('public-key')({
        headers: { ...n.headers, 'Wechatpay-Signature': 'not base64 at all!' },
        rawBody: n.rawBody,
      }),
    );
  });

  it('rejects a re-serialised JSON body: only the raw bytes verify', () => {
    const n = paid(signers.pub);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(n.rawBody.toString('utf8'))));
    expect(reserialised.equals(n.rawBody)).toBe(false);
    const e = expectRejected('SIGNATURE_INVALID', () =>
      verifierFor('public-key')({ headers: n.headers, rawBody: reserialised }),
    );
    expect(e.message).toMatch(/raw body/);
  });

  it('rejects a body with one changed byte', () => {
    const n = paid(signers.pub);
    const changed = Buffer.from(n.rawBody);
    changed[changed.indexOf('TRANSACTION')] = 'X'.charCodeAt(0);
    expectRejected('SIGNATURE_INVALID', () =>
      verifierFor('public-key')({ headers: n.headers, rawBody: changed }),
    );
  });

  it('rejects a stale timestamp in both directions, and accepts the edges of the ±5 minute window', () => {
    const verify = verifierFor('public-key');
    expect(verify(paid(signers.pub, NOW - 300_000)).kind).toBe('payment.succeeded');
    expect(verify(paid(signers.pub, NOW + 300_000)).kind).toBe('payment.succeeded');
    expectRejected('TIMESTAMP_STALE', () => verify(paid(signers.pub, NOW - 301_000)), 401);
    expectRejected('TIMESTAMP_STALE', () => verify(paid(signers.pub, NOW + 301_000)), 401);
    // A replay a day later, however valid its signature, is refused by the injected clock.
    const old = paid(signers.pub, NOW);
    expectRejected('TIMESTAMP_STALE', () => verifierFor('public-key', 'direct', NOW + 86_400_000)(old));
    const n = paid(signers.pub);
    expectRejected('TIMESTAMP_STALE', () =>
      verify({ headers: { ...n.headers, 'Wechatpay-Timestamp': '1.7e9' }, rawBody: n.rawBody }),
    );
  });

  it('rejects an unknown serial and names the keys we hold (not secret) to spot an unannounced key switch', () => {
    const n = paid({
      serial: 'PUB_KEY_ID_0114232134912410000000000000',
      privateKey: id.platformPub.privateKey,
    });
    const e = expectRejected('UNKNOWN_SERIAL', () => verifierFor('both')(n), 401);
    expect(e.message).toContain(id.platformPub.id);
  });

  it('rejects a wrong algorithm: signature type header and resource algorithm', () => {
    const n = paid(signers.pub);
    expectRejected(
      'UNSUPPORTED_ALGORITHM',
      () =>
        verifierFor('public-key')({
          headers: { ...n.headers, 'Wechatpay-Signature-Type': 'WECHATPAY2-SM2-WITH-SM3' },
          rawBody: n.rawBody,
        }),
      400,
    );
    const cbc = buildTestNotification({
      eventType: 'TRANSACTION.SUCCESS',
      resource: paidTransaction(),
      apiV3Key: id.apiV3Key,
      signer: signers.pub,
      signedAtMs: NOW,
      tamperResource: (r) => ({ ...r, algorithm: 'AEAD_AES_128_CBC' }),
    });
    expectRejected('UNSUPPORTED_ALGORITHM', () => verifierFor('public-key')(cbc));
  });

  it('rejects missing headers, non-JSON bodies and contradictory events as malformed', () => {
    const n = paid(signers.pub);
    const { ['Wechatpay-Nonce']: _dropped, ...noNonce } = n.headers;
    const e = expectRejected(
      'MALFORMED',
      () => verifierFor('public-key')({ headers: noNonce, rawBody: n.rawBody }),
      400,
    );
    expect(e.message).toContain('Wechatpay-Nonce');

    const notJson = Buffer.from('code=SUCCESS');
    expectRejected('MALFORMED', () =>
      verifierFor('public-key')({ headers: platformHeaders(signers.pub, notJson, NOW), rawBody: notJson }),
    );

    const notPaid = paid(
      signers.pub,
      NOW,
      paidTransaction({ trade_state: 'NOTPAY', transaction_id: undefined, success_time: undefined }),
    );
    expectRejected('MALFORMED', () => verifierFor('public-key')(notPaid));
    const fractionalFen = paid(
      signers.pub,
      NOW,
      paidTransaction({ amount: { total: 19.99, currency: 'CNY' } }),
    );
    expectRejected('MALFORMED', () => verifierFor('public-key')(fractionalFen));
  });

  it('rejects an authentic notification about another merchant or app', () => {
    expectRejected('MERCHANT_MISMATCH', () =>
      verifierFor('public-key')(paid(signers.pub, NOW, paidTransaction({ mchid: '1999999999' }))),
    );
    expectRejected('MERCHANT_MISMATCH', () =>
      verifierFor('public-key')(paid(signers.pub, NOW, paidTransaction({ appid: 'wx0000000000000000' }))),
    );
  });
});
