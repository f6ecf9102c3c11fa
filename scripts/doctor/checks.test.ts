// The doctor's offline checks: a correct configuration passes every one; each common misconfiguration is named with
// its fix; nothing printed carries a secret.
import { X509Certificate } from 'node:crypto';
import { offlineChecks } from './checks';
import type { DoctorInput } from './checks';
import { diagnosePem } from './pem';
import type { CheckResult } from './result';
import { exitCodeOf } from './result';
import { correctEnv, doctorKeys, RELEASE_CATALOG } from './doctor.testkit';
import {
  generateTestKeyPair,
  makeTestCertificate,
  randomSerial,
} from '../../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';
import type { DoctorKeys } from './doctor.testkit';

let k: DoctorKeys;
beforeAll(() => {
  k = doctorKeys();
});

const NOW = Date.now();

function run(patch: Record<string, string | undefined>, extra: Partial<DoctorInput> = {}): CheckResult[] {
  const env: Record<string, string | undefined> = { ...correctEnv(k), ...patch };
  return offlineChecks({ env, nowMs: NOW, catalog: RELEASE_CATALOG, ...extra });
}

function check(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no check ${id}: ${results.map((x) => x.id).join(', ')}`);
  return r;
}

function expectNamed(r: CheckResult, severity: CheckResult['severity'], en: RegExp): void {
  expect({ id: r.id, severity: r.severity }).toEqual({ id: r.id, severity });
  expect(r.detailEn).toMatch(en);
  expect(r.detailZh).not.toBe('');
  expect(r.fixZh).not.toBe('');
  expect(r.fixEn).not.toBe('');
}

describe('a correct configuration', () => {
  it('passes every check and exits 0', () => {
    const results = run({});
    const notPassing = results.filter((r) => r.severity !== 'pass');
    expect(notPassing).toEqual([]);
    expect(exitCodeOf(results)).toBe(0);
    expect(results.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'app.config',
        'adapter.config',
        'pem.merchant-private-key',
        'pem.merchant-certificate',
        'pem.wechatpay-public-key',
        'merchant.key-matches-certificate',
        'merchant.serial-matches-certificate',
        'merchant.certificate-mchid',
        'merchant.certificate-expiry',
        'apiv3-key.length',
        'wechatpay-public-key.not-merchant-key',
        'wechatpay-public-key.id',
        'ids.format',
        'notify-url',
        'partner.fields',
        'release.tester-allowlist',
        'release.staff-allowlist',
        'release.demo-catalog',
        'functions.timeouts-nest',
      ]),
    );
  });

  it('passes with the PEM as one line of "\\n" escapes (as the adapter reads it)', () => {
    const results = run({
      WECHATPAY_MERCHANT_PRIVATE_KEY: k.merchant.privateKeyPem.replace(/\n/g, '\\n'),
    });
    expect(check(results, 'pem.merchant-private-key').severity).toBe('pass');
    expect(check(results, 'adapter.config').severity).toBe('pass');
  });

  it('passes with a PKCS#8 private key as well as PKCS#1 (the adapter reads both)', () => {
    const pkcs8 = k.merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const results = run({ WECHATPAY_MERCHANT_PRIVATE_KEY: pkcs8 });
    expect(results.filter((r) => r.severity !== 'pass')).toEqual([]);
  });
});

describe('PEM corruptions are named', () => {
  const key = () => k.merchant.privateKeyPem;
  const cases: [string, () => string, RegExp][] = [
    ['spaces instead of newlines', () => key().replace(/\n/g, ' '), /newlines were replaced by spaces/],
    ['newlines escaped twice', () => key().replace(/\n/g, '\\\\n'), /escaped twice/],
    ['no BEGIN line', () => key().split('\n').slice(1).join('\n'), /BEGIN .* line is missing/],
    ['no END line', () => key().split('\n').slice(0, -2).join('\n'), /END .* line is missing/],
    [
      'a certificate where the key belongs',
      () => k.merchantCertificatePem,
      /certificate where a private key/,
    ],
    [
      'a public key where the private key belongs',
      () => k.merchant.publicKeyPem,
      /public key where a private key/,
    ],
    ['quotes kept around it', () => `"${key()}"`, /wrapped in quotes/],
    ['a damaged body', () => key().replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA'), /does not parse/],
  ];
  it.each(cases)('%s', (_name, make, en) => {
    const results = run({ WECHATPAY_MERCHANT_PRIVATE_KEY: make() });
    expectNamed(check(results, 'pem.merchant-private-key'), 'fail', en);
    expect(check(results, 'adapter.config').severity).toBe('fail');
    expect(exitCodeOf(results)).toBe(1);
  });

  it('a private key where the merchant certificate belongs', () => {
    const results = run({ WECHATPAY_MERCHANT_CERTIFICATE: k.merchant.privateKeyPem });
    expectNamed(check(results, 'pem.merchant-certificate'), 'fail', /private key where a certificate/);
  });

  it('diagnosePem returns null for each kind when right', () => {
    expect(diagnosePem(k.merchant.privateKeyPem, 'private-key')).toBeNull();
    expect(diagnosePem(k.merchantCertificatePem, 'certificate')).toBeNull();
    expect(diagnosePem(k.wechatpay.publicKeyPem, 'public-key')).toBeNull();
  });
});

describe('merchant key, certificate and serial', () => {
  it('names a certificate that belongs to another key', () => {
    const results = run({
      WECHATPAY_MERCHANT_CERTIFICATE: k.strangerCertificatePem,
      WECHATPAY_MERCHANT_SERIAL: undefined,
    });
    expectNamed(check(results, 'merchant.key-matches-certificate'), 'fail', /not a pair/);
  });

  it("names a serial that is not the certificate's", () => {
    const results = run({ WECHATPAY_MERCHANT_SERIAL: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' });
    expectNamed(
      check(results, 'merchant.serial-matches-certificate'),
      'fail',
      /differs from the merchant certificate/,
    );
    expect(check(results, 'merchant.serial-matches-certificate').fixEn).toContain(k.merchantSerial);
  });

  it('names a certificate issued to another merchant id', () => {
    const r = check(run({ WECHATPAY_MCHID: '1900000999' }), 'merchant.certificate-mchid');
    expectNamed(r, 'fail', /issued to merchant id 1900000109, but WECHATPAY_MCHID is 1900000999/);
  });

  it('cannot tell key ↔ serial without the certificate, and points at --online', () => {
    const results = run({ WECHATPAY_MERCHANT_CERTIFICATE: undefined });
    const r = check(results, 'merchant.key-matches-certificate');
    expect(r.severity).toBe('cannot-tell');
    expect(r.fixEn).toContain('--online');
    expect(exitCodeOf(results)).toBe(0);
  });

  it('warns 30 days ahead of expiry with the rotation steps, and fails once expired', () => {
    const soon = Date.parse(new X509Certificate(k.merchantCertificatePem).validTo);
    const warn = offlineChecks({
      env: correctEnv(k),
      nowMs: soon - 10 * 86_400_000,
      catalog: RELEASE_CATALOG,
    });
    expectNamed(check(warn, 'merchant.certificate-expiry'), 'warn', /expires in 10 days/);
    expect(check(warn, 'merchant.certificate-expiry').fixEn).toMatch(/Rotation/);
    expect(exitCodeOf(warn)).toBe(0);
    const gone = offlineChecks({ env: correctEnv(k), nowMs: soon + 86_400_000, catalog: RELEASE_CATALOG });
    expectNamed(check(gone, 'merchant.certificate-expiry'), 'fail', /expired/);
  });
});

describe('APIv3 key', () => {
  it('names a 31-byte key', () => {
    const results = run({ WECHATPAY_APIV3_KEY: k.apiV3Key.slice(0, 31) });
    expectNamed(
      check(results, 'apiv3-key.length'),
      'fail',
      /is 31 bytes; it must be 32\. A character was most likely lost/,
    );
  });
  it('names full-width characters counted in bytes', () => {
    const results = run({ WECHATPAY_APIV3_KEY: 'ＡＢ' + k.apiV3Key.slice(2) });
    expectNamed(check(results, 'apiv3-key.length'), 'fail', /non-ASCII/);
  });
});

describe('WeChat Pay public key', () => {
  it("names the merchant's own public key where WeChat Pay's belongs", () => {
    const results = run({ WECHATPAY_PUBLIC_KEY: k.merchant.publicKeyPem });
    expectNamed(check(results, 'wechatpay-public-key.not-merchant-key'), 'fail', /merchant's own public key/);
  });
  it('names a private key pasted there', () => {
    const results = run({ WECHATPAY_PUBLIC_KEY: k.merchant.privateKeyPem });
    expectNamed(check(results, 'wechatpay-public-key.not-merchant-key'), 'fail', /holds a private key/);
  });
  it('names a certificate serial given as the key id', () => {
    const results = run({ WECHATPAY_PUBLIC_KEY_ID: k.merchantSerial });
    expectNamed(check(results, 'wechatpay-public-key.id'), 'fail', /looks like a certificate serial/);
  });
});

describe('ids, URLs, partner mode', () => {
  it('names a merchant id in the AppID and an AppID in the merchant id', () => {
    const results = run({ WECHATPAY_APPID: '1900000109', WECHATPAY_MCHID: 'wx0123456789abcdef' });
    expectNamed(check(results, 'ids.format'), 'fail', /APPID is all digits.*MCHID is an AppID/);
  });
  it.each([
    ['http', 'http://shop.example.com/payNotify', /must use https/],
    ['a query', 'https://shop.example.com/payNotify?shop=1', /must not carry a query/],
    ['a local address', 'https://127.0.0.1/payNotify', /private network/],
    ['a private address', 'https://192.168.1.20/payNotify', /private network/],
  ])('names a notify URL with %s', (_name, url, en) => {
    expectNamed(check(run({ WECHATPAY_NOTIFY_URL: url }), 'notify-url'), 'fail', en);
  });
  it('fails partner mode without the sub-merchant id, and warns without sub_appid', () => {
    const partner = {
      WECHATPAY_MODE: 'partner',
      WECHATPAY_APPID: undefined,
      WECHATPAY_MCHID: undefined,
      WECHATPAY_SP_APPID: 'wx0123456789abcdef',
      WECHATPAY_SP_MCHID: '1900000109',
      WECHATPAY_SUB_MCHID: '1900000110',
      WECHATPAY_SUB_APPID: 'wxfedcba9876543210',
    };
    expect(run(partner).filter((r) => r.severity !== 'pass')).toEqual([]);
    expectNamed(
      check(run({ ...partner, WECHATPAY_SUB_MCHID: undefined }), 'partner.fields'),
      'fail',
      /lacks WECHATPAY_SUB_MCHID/,
    );
    expectNamed(
      check(run({ ...partner, WECHATPAY_SUB_APPID: undefined }), 'partner.fields'),
      'warn',
      /sub_appid/,
    );
  });
  it('names the simulator as the API host in production', () => {
    expectNamed(
      check(run({ WECHATPAY_BASE_URL: 'http://127.0.0.1:8787' }), 'base-url'),
      'fail',
      /not WeChat Pay/,
    );
  });
});

describe('release hygiene and functions', () => {
  it('warns about testers left in production, and staff who are also testers', () => {
    const results = run({ SHOP_TESTER_OPENIDS: 'oStaff_0000000001' });
    expectNamed(check(results, 'release.tester-allowlist'), 'warn', /still lists 1 tester/);
    expectNamed(check(results, 'release.staff-allowlist'), 'warn', /both staff and tester/);
  });
  it('fails a production catalog holding the demo test product', () => {
    const demo = { products: [{ productId: 'p-test', skus: [{ skuId: 'sku-test-1fen', priceFen: 1 }] }] };
    expectNamed(check(run({}, { catalog: demo }), 'release.demo-catalog'), 'fail', /demo test product/);
  });
  it('names settings that differ between functions, without their values', () => {
    const pay = correctEnv(k);
    const payNotify = { ...correctEnv(k), WECHATPAY_APIV3_KEY: k.apiV3Key.split('').reverse().join('') };
    const r = check(run({}, { functionEnvs: { pay, payNotify } }), 'functions.settings-agree');
    expectNamed(r, 'fail', /WECHATPAY_APIV3_KEY/);
    expect(JSON.stringify(r)).not.toContain(k.apiV3Key);
  });
  it('fails a request timeout that does not nest in a function timeout, and a config.json that drifted', () => {
    expectNamed(check(run({ WECHATPAY_TIMEOUT_MS: '4000' }), 'functions.timeouts-nest'), 'fail', /payNotify/);
    const drift = run({}, { configTimeoutsMs: { payNotify: 3000 } });
    expectNamed(check(drift, 'functions.timeouts-nest'), 'fail', /payNotify's config.json timeout is 3 s/);
  });
});

describe('a merchant key rotation (*_NEXT)', () => {
  let next: { privateKeyPem: string; serial: string; certificatePem: string };
  beforeAll(() => {
    const keys = generateTestKeyPair();
    const serial = randomSerial();
    next = {
      privateKeyPem: keys.privateKeyPem,
      serial,
      certificatePem: makeTestCertificate(keys, serial, '1900000109'),
    };
  });
  const rotating = (over: Record<string, string | undefined> = {}) => ({
    WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: next.privateKeyPem,
    WECHATPAY_MERCHANT_SERIAL_NEXT: next.serial,
    WECHATPAY_MERCHANT_CERTIFICATE_NEXT: next.certificatePem,
    ...over,
  });

  it('runs no merchant-next check without a rotation', () => {
    expect(run({}).filter((r) => r.id.includes('merchant-next'))).toEqual([]);
  });

  it('proves the next pair offline like the current one', () => {
    const results = run(rotating());
    expect(results.filter((r) => r.severity !== 'pass')).toEqual([]);
    for (const id of [
      'pem.merchant-next-private-key',
      'pem.merchant-next-certificate',
      'merchant-next.key-matches-certificate',
      'merchant-next.serial-matches-certificate',
      'merchant-next.certificate-mchid',
      'merchant-next.certificate-expiry',
    ])
      expect(check(results, id).severity).toBe('pass');
    // The current pair is still checked as before.
    expect(check(results, 'merchant.key-matches-certificate').severity).toBe('pass');
  });

  it('names a next key that does not belong to the next certificate', () => {
    const results = run(rotating({ WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: k.stranger.privateKeyPem }));
    expectNamed(check(results, 'merchant-next.key-matches-certificate'), 'fail', /not a pair/);
    expect(check(results, 'merchant.key-matches-certificate').severity).toBe('pass');
    expect(check(results, 'adapter.config').severity).toBe('fail');
    expect(check(results, 'adapter.config').detailEn).toMatch(/WECHATPAY_MERCHANT_CERTIFICATE_NEXT/);
  });

  it('names a next serial that is not the next certificate', () => {
    const results = run(rotating({ WECHATPAY_MERCHANT_SERIAL_NEXT: k.merchantSerial }));
    const r = check(results, 'merchant-next.serial-matches-certificate');
    expectNamed(r, 'fail', /WECHATPAY_MERCHANT_SERIAL_NEXT differs/);
  });

  it('names a next key without its serial or certificate, and a serial without its key', () => {
    const alone = run(
      rotating({ WECHATPAY_MERCHANT_SERIAL_NEXT: undefined, WECHATPAY_MERCHANT_CERTIFICATE_NEXT: undefined }),
    );
    expectNamed(
      check(alone, 'merchant-next.serial-matches-certificate'),
      'fail',
      /Neither the serial nor the merchant certificate/,
    );
    expect(check(alone, 'adapter.config').detailEn).toMatch(/WECHATPAY_MERCHANT_SERIAL_NEXT/);
    const keyless = run(rotating({ WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: undefined }));
    expectNamed(
      check(keyless, 'pem.merchant-next-private-key'),
      'fail',
      /WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT/,
    );
  });

  it('cannot tell offline whether a serial-only next pair belongs to its key', () => {
    const results = run(rotating({ WECHATPAY_MERCHANT_CERTIFICATE_NEXT: undefined }));
    expect(check(results, 'merchant-next.key-matches-certificate').severity).toBe('cannot-tell');
    expect(check(results, 'merchant-next.serial-matches-certificate').severity).toBe('cannot-tell');
  });

  it('prints neither private key', () => {
    const body = (pem: string) => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    const secrets = [...body(k.merchant.privateKeyPem), ...body(next.privateKeyPem)];
    const text = JSON.stringify(
      run(rotating({ WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: next.privateKeyPem.slice(0, 300) })),
    );
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
