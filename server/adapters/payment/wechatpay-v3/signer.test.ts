import { verify } from 'node:crypto';
import { parseWechatPayV3Config } from './config';
import { buildRequestPayment, requestPaymentMessage } from './request-payment';
import { WechatPayClient, requestSignatureMessage, signedPathOf } from './signer';
import {
  TEST_IDS,
  createTestIdentity,
  generateTestKeyPair,
  makeTestCertificate,
  parseAuthorization,
  randomSerial,
  testEnv,
} from './wechatpay-v3.testkit';
import type { TestIdentity } from './wechatpay-v3.testkit';

const NOW = Date.parse('2026-11-23T02:34:56.789Z');
let id: TestIdentity;

beforeAll(() => {
  id = createTestIdentity(NOW);
});

function client(randomByte = 0xab) {
  const config = parseWechatPayV3Config(testEnv(id, { mode: 'direct', platformKeys: 'public-key' }));
  return new WechatPayClient(config, TEST_IDS.appid, TEST_IDS.mchid, {
    nowMs: () => NOW,
    randomBytes: (n) => Buffer.alloc(n, randomByte),
  });
}

describe('WechatPayClient — request signing', () => {
  it('builds an Authorization header that verifies with the merchant public key over the exact message', () => {
    const body = JSON.stringify({ mchid: TEST_IDS.mchid, note: '中文 and "quotes"' });
    const fields = parseAuthorization(client().authorization('POST', '/v3/pay/transactions/jsapi', body));
    expect(fields).toMatchObject({
      scheme: 'WECHATPAY2-SHA256-RSA2048',
      mchid: TEST_IDS.mchid,
      serial_no: id.merchantSerial,
      nonce_str: 'AB'.repeat(16),
      timestamp: String(Math.floor(NOW / 1000)),
    });
    const message = `POST\n/v3/pay/transactions/jsapi\n${fields['timestamp']}\n${fields['nonce_str']}\n${body}\n`;
    expect(
      verify(
        'sha256',
        Buffer.from(message),
        id.merchant.publicKey,
        Buffer.from(fields['signature'] ?? '', 'base64'),
      ),
    ).toBe(true);
    // One changed byte of the body and the same signature no longer verifies.
    const other = message.replace('quotes', 'quotez');
    expect(
      verify(
        'sha256',
        Buffer.from(other),
        id.merchant.publicKey,
        Buffer.from(fields['signature'] ?? '', 'base64'),
      ),
    ).toBe(false);
  });

  it('signs GET with the query and an empty body line, and POST without body the same way', () => {
    expect(requestSignatureMessage('GET', '/v3/x?a=1', '1', 'N', '')).toBe('GET\n/v3/x?a=1\n1\nN\n\n');
    // wechatpay-node-v3's getSignature drops this last empty line for a body-less POST; ours keeps it.
    expect(requestSignatureMessage('POST', '/v3/x', '1', 'N', '')).toBe('POST\n/v3/x\n1\nN\n\n');
    const fields = parseAuthorization(
      client().authorization('GET', '/v3/pay/transactions/out-trade-no/ORDER_1?mchid=1230000109', ''),
    );
    const message = `GET\n/v3/pay/transactions/out-trade-no/ORDER_1?mchid=1230000109\n${fields['timestamp']}\n${fields['nonce_str']}\n\n`;
    expect(
      verify(
        'sha256',
        Buffer.from(message),
        id.merchant.publicKey,
        Buffer.from(fields['signature'] ?? '', 'base64'),
      ),
    ).toBe(true);
  });

  it('takes nonces from the injected random source, never Math.random', () => {
    const spy = jest.spyOn(Math, 'random');
    try {
      const a = parseAuthorization(client(0x01).authorization('GET', '/v3/x', ''));
      const b = parseAuthorization(client(0x02).authorization('GET', '/v3/x', ''));
      expect(a['nonce_str']).toBe('01'.repeat(16));
      expect(b['nonce_str']).toBe('02'.repeat(16));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('signs the path and query of a full URL, whatever the host', () => {
    expect(signedPathOf('https://api.mch.weixin.qq.com/v3/billdownload/file?token=abc')).toBe(
      '/v3/billdownload/file?token=abc',
    );
    expect(signedPathOf('http://127.0.0.1:5000/v3/bill/tradebill?bill_date=2026-11-22')).toBe(
      '/v3/bill/tradebill?bill_date=2026-11-22',
    );
  });
});

describe('buildRequestPayment — wx.requestPayment parameters', () => {
  it('produces a paySign that verifies with the merchant public key for the order appid', () => {
    const c = client();
    const p = buildRequestPayment(
      TEST_IDS.appid,
      'wx201410272009395522657a690389285100',
      NOW,
      c.nonce(),
      (m) => c.sign(m),
    );
    expect(p).toMatchObject({
      timeStamp: String(Math.floor(NOW / 1000)),
      nonceStr: 'AB'.repeat(16),
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    });
    const message = requestPaymentMessage(TEST_IDS.appid, p.timeStamp, p.nonceStr, p.package);
    expect(message).toBe(`${TEST_IDS.appid}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`);
    expect(
      verify('sha256', Buffer.from(message), id.merchant.publicKey, Buffer.from(p.paySign, 'base64')),
    ).toBe(true);
    // Signed for another appid (e.g. sp_appid instead of sub_appid), the payment sheet would refuse it.
    const wrongApp = requestPaymentMessage(TEST_IDS.subAppid, p.timeStamp, p.nonceStr, p.package);
    expect(
      verify('sha256', Buffer.from(wrongApp), id.merchant.publicKey, Buffer.from(p.paySign, 'base64')),
    ).toBe(false);
  });
});

describe('WechatPayClient — during a merchant key rotation (*_NEXT)', () => {
  it('signs requests and paySign with the next pair and carries its serial', () => {
    const keys = generateTestKeyPair();
    const serial = randomSerial();
    const config = parseWechatPayV3Config({
      ...testEnv(id, { mode: 'direct', platformKeys: 'public-key' }),
      WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: keys.privateKeyPem,
      WECHATPAY_MERCHANT_CERTIFICATE_NEXT: makeTestCertificate(keys, serial, 'test merchant (new)', NOW),
    });
    const c = new WechatPayClient(config, TEST_IDS.appid, TEST_IDS.mchid, {
      nowMs: () => NOW,
      randomBytes: (n) => Buffer.alloc(n, 0xcd),
    });
    const fields = parseAuthorization(c.authorization('GET', '/v3/x?mchid=1230000109', ''));
    expect(fields['serial_no']).toBe(serial);
    const message = requestSignatureMessage(
      'GET',
      '/v3/x?mchid=1230000109',
      fields['timestamp'] ?? '',
      fields['nonce_str'] ?? '',
      '',
    );
    const signature = Buffer.from(fields['signature'] ?? '', 'base64');
    expect(verify('sha256', Buffer.from(message), keys.publicKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from(message), id.merchant.publicKey, signature)).toBe(false);

    const p = buildRequestPayment(TEST_IDS.appid, 'wx201410272009395522657a690389285100', NOW, 'N', (m) =>
      c.sign(m),
    );
    const payMessage = requestPaymentMessage(TEST_IDS.appid, p.timeStamp, p.nonceStr, p.package);
    expect(verify('sha256', Buffer.from(payMessage), keys.publicKey, Buffer.from(p.paySign, 'base64'))).toBe(
      true,
    );
  });
});
