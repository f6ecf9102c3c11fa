import { WechatPayConfigError, parseWechatPayV3Config, signingMerchantPair } from './config';
import { generateKeyPairSync } from 'node:crypto';
import {
  createTestIdentity,
  generateTestKeyPair,
  makeTestCertificate,
  randomSerial,
  testEnv,
} from './wechatpay-v3.testkit';
import type { TestKeyPair } from './wechatpay-v3.testkit';
import type { TestIdentity } from './wechatpay-v3.testkit';

let id: TestIdentity;
let next: { keys: TestKeyPair; serial: string; certificatePem: string };

beforeAll(() => {
  id = createTestIdentity();
  const keys = generateTestKeyPair();
  const serial = randomSerial();
  next = { keys, serial, certificatePem: makeTestCertificate(keys, serial, 'test merchant (new)') };
});

/** Runs the parser and returns the config error it throws (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): WechatPayConfigError {
  try {
    parseWechatPayV3Config(env);
  } catch (e) {
    if (e instanceof WechatPayConfigError) return e;
    throw e;
  }
  throw new Error('expected a WechatPayConfigError');
}

function secretsOf(identity: TestIdentity): string[] {
  const pemBody = (pem: string) => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return [identity.apiV3Key, ...pemBody(identity.merchant.privateKeyPem)];
}

describe('parseWechatPayV3Config', () => {
  it('parses a direct merchant with a certificate and a public key', () => {
    const c = parseWechatPayV3Config(testEnv(id, { mode: 'direct', platformKeys: 'both' }));
    expect(c.identity).toEqual({ mode: 'direct', appid: 'wxd678efh567hg6787', mchid: '1230000109' });
    expect(c.apiV3Key.length).toBe(32);
    expect(Object.keys(c.platformCertificates)).toEqual([id.platformCert.serial]);
    expect(c.platformPublicKey?.id).toBe(id.platformPub.id);
    // The public key is preferred for answers: it does not expire.
    expect(c.preferredPlatformSerial).toBe(id.platformPub.id);
    expect(c.baseUrl).toBe('https://api.mch.weixin.qq.com');
    expect(c.refundNotifyUrl).toBe(c.notifyUrl);
    expect(c.requestTimeoutMs).toBe(3_000);
  });

  it('parses a partner with sub_appid, certificate-only keys and a local base URL', () => {
    const env = testEnv(id, {
      mode: 'partner',
      platformKeys: 'certificate',
      subAppid: true,
      baseUrl: 'http://127.0.0.1:4321',
    });
    const c = parseWechatPayV3Config(env);
    expect(c.identity).toEqual({
      mode: 'partner',
      spAppid: 'wx8888888888888888',
      spMchid: '1900000100',
      subMchid: '1900000109',
      subAppid: 'wxd678efh567hg6999',
    });
    expect(c.preferredPlatformSerial).toBe(id.platformCert.serial);
    expect(c.baseUrl).toBe('http://127.0.0.1:4321');
  });

  it('accepts single-line PEM with \\n escapes, as env vars often carry them', () => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'public-key' });
    env['WECHATPAY_MERCHANT_PRIVATE_KEY'] = id.merchant.privateKeyPem.replace(/\n/g, '\\n');
    env['WECHATPAY_PUBLIC_KEY'] = id.platformPub.publicKeyPem.replace(/\n/g, '\\n');
    expect(() => parseWechatPayV3Config(env)).not.toThrow();
  });

  it('derives the merchant serial from the certificate and refuses a certificate of another key', () => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
    delete env['WECHATPAY_MERCHANT_SERIAL'];
    env['WECHATPAY_MERCHANT_CERTIFICATE'] = id.merchantCertificatePem;
    expect(parseWechatPayV3Config(env).merchantSerial).toBe(id.merchantSerial);

    env['WECHATPAY_MERCHANT_CERTIFICATE'] = id.platformCert.certificatePem;
    expect(configError(env).setting).toBe('WECHATPAY_MERCHANT_CERTIFICATE');

    env['WECHATPAY_MERCHANT_CERTIFICATE'] = id.merchantCertificatePem;
    env['WECHATPAY_MERCHANT_SERIAL'] = 'ABCDEF';
    expect(configError(env).setting).toBe('WECHATPAY_MERCHANT_SERIAL');
  });

  it.each([
    ['WECHATPAY_MODE', 'direct'],
    ['WECHATPAY_APPID', 'direct'],
    ['WECHATPAY_MCHID', 'direct'],
    ['WECHATPAY_SP_APPID', 'partner'],
    ['WECHATPAY_SP_MCHID', 'partner'],
    ['WECHATPAY_SUB_MCHID', 'partner'],
    ['WECHATPAY_MERCHANT_PRIVATE_KEY', 'direct'],
    ['WECHATPAY_MERCHANT_SERIAL', 'direct'],
    ['WECHATPAY_APIV3_KEY', 'direct'],
    ['WECHATPAY_NOTIFY_URL', 'partner'],
  ] as const)('names the missing setting %s', (name, mode) => {
    const env: Record<string, string | undefined> = testEnv(id, { mode, platformKeys: 'both' });
    env[name] = name === 'WECHATPAY_APIV3_KEY' ? '   ' : undefined;
    const e = configError(env);
    expect(e.setting).toBe(name);
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/missing/);
  });

  it('requires at least one platform verification key', () => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'certificate' });
    delete env['WECHATPAY_PLATFORM_CERTIFICATES'];
    const e = configError(env);
    expect(e.setting).toBe('WECHATPAY_PUBLIC_KEY_ID');
    expect(e.message).toContain('WECHATPAY_PLATFORM_CERTIFICATES');
  });

  it.each([
    ['WECHATPAY_MODE', 'both'],
    ['WECHATPAY_APPID', 'wx 12'],
    ['WECHATPAY_MCHID', '12ab'],
    ['WECHATPAY_MERCHANT_SERIAL', 'not-hex!'],
    ['WECHATPAY_PUBLIC_KEY_ID', 'KEY_1234'],
    ['WECHATPAY_BASE_URL', 'http://api.mch.weixin.qq.com'],
    ['WECHATPAY_BASE_URL', 'https://proxy.example.com/wxpay'],
    ['WECHATPAY_NOTIFY_URL', 'http://shop.example.com/notify'],
    ['WECHATPAY_NOTIFY_URL', 'https://shop.example.com/notify?from=wx'],
    ['WECHATPAY_TIMEOUT_MS', '50'],
    ['WECHATPAY_TIMEOUT_MS', '1e4'],
    ['WECHATPAY_PREFERRED_SERIAL', 'PUB_KEY_ID_NOT_CONFIGURED'],
  ])('names the malformed setting %s (%s)', (name, value) => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
    env[name] = value;
    const e = configError(env);
    expect(e.setting).toBe(name);
    expect(e.message).not.toContain(value);
  });

  it('allows plain http only on the loopback host', () => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
    env['WECHATPAY_NOTIFY_URL'] = 'http://localhost:8080/notify';
    env['WECHATPAY_BASE_URL'] = 'http://127.0.0.1:9999';
    expect(parseWechatPayV3Config(env).notifyUrl).toBe('http://localhost:8080/notify');
  });

  it('insists the APIv3 key is exactly 32 bytes, without echoing it', () => {
    for (const key of [id.apiV3Key.slice(0, 31), `${id.apiV3Key}x`, `${id.apiV3Key.slice(0, 31)}é`]) {
      const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
      env['WECHATPAY_APIV3_KEY'] = key;
      const e = configError(env);
      expect(e.setting).toBe('WECHATPAY_APIV3_KEY');
      expect(e.message).toMatch(/exactly 32 bytes/);
      expect(e.message).not.toContain(key.slice(0, 8));
    }
  });

  const pemArmour = (label: string, body: string) =>
    [`-----${'BEGIN'} ${label}-----`, body, `-----END ${label}-----`].join('\n');

  it('refuses bad key material without echoing it', () => {
    const cases: Array<[string, string, string]> = [
      [
        'WECHATPAY_MERCHANT_PRIVATE_KEY',
        // Not a key: PEM armour around base64 of "secret-secret-secret", assembled here so no key-shaped text is committed.
        pemArmour('PRIVATE KEY', 'c2VjcmV0LXNlY3JldC1zZWNyZXQ='),
        'c2VjcmV0',
      ],
      ['WECHATPAY_PUBLIC_KEY', 'not a key but sensitive-looking', 'sensitive'],
      ['WECHATPAY_PLATFORM_CERTIFICATES', 'nothing here', 'nothing'],
    ];
    for (const [name, value, fragment] of cases) {
      const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
      env[name] = value;
      const e = configError(env);
      expect(e.setting).toBe(name);
      expect(e.message).not.toContain(fragment);
    }
  });

  it('refuses a merchant key shorter than 2048 bits', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const env = testEnv(id, { mode: 'direct', platformKeys: 'both' });
    env['WECHATPAY_MERCHANT_PRIVATE_KEY'] = weak as string;
    const e = configError(env);
    expect(e.setting).toBe('WECHATPAY_MERCHANT_PRIVATE_KEY');
    expect(e.message).toMatch(/2048/);
  });

  it('files platform certificates under their own serials, whatever order they come in', () => {
    const env = testEnv(id, { mode: 'direct', platformKeys: 'certificate' });
    const second = makeTestCertificate(id.merchant, '3C4D5E', 'second platform cert');
    env['WECHATPAY_PLATFORM_CERTIFICATES'] = `${second}\n${id.platformCert.certificatePem}`;
    const c = parseWechatPayV3Config(env);
    expect(Object.keys(c.platformCertificates).sort()).toEqual(['3C4D5E', id.platformCert.serial].sort());
  });

  it('never puts a secret into any error message it produces', () => {
    const secrets = secretsOf(id);
    const names = Object.keys(testEnv(id, { mode: 'direct', platformKeys: 'both' }));
    for (const name of names) {
      const env: Record<string, string | undefined> = testEnv(id, { mode: 'direct', platformKeys: 'both' });
      env[name] = `${env[name] ?? ''}#corrupted`;
      let message = '';
      try {
        parseWechatPayV3Config(env);
      } catch (e) {
        message = e instanceof Error ? `${e.message} ${e.stack ?? ''}` : String(e);
      }
      for (const s of secrets) expect(message).not.toContain(s);
    }
  });

  describe('merchant key rotation (*_NEXT)', () => {
    const rotating = (over: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
      ...testEnv(id, { mode: 'direct', platformKeys: 'both' }),
      WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: next.keys.privateKeyPem,
      WECHATPAY_MERCHANT_SERIAL_NEXT: next.serial.toLowerCase(),
      ...over,
    });

    it('keeps the current pair and makes the next pair the signing one', () => {
      const c = parseWechatPayV3Config(rotating());
      expect(c.merchantSerial).toBe(id.merchantSerial);
      expect(c.merchantNext?.serial).toBe(next.serial);
      expect(signingMerchantPair(c).serial).toBe(next.serial);
      expect(signingMerchantPair(c).privateKey).toBe(c.merchantNext?.privateKey);
    });

    it('signs with the current pair when no next pair is configured', () => {
      const c = parseWechatPayV3Config(testEnv(id, { mode: 'direct', platformKeys: 'both' }));
      expect(c.merchantNext).toBeUndefined();
      expect(signingMerchantPair(c).serial).toBe(id.merchantSerial);
    });

    it('derives the next serial from the next certificate and checks the key against it', () => {
      const c = parseWechatPayV3Config(
        rotating({
          WECHATPAY_MERCHANT_SERIAL_NEXT: undefined,
          WECHATPAY_MERCHANT_CERTIFICATE_NEXT: next.certificatePem.replace(/\n/g, '\\n'),
        }),
      );
      expect(c.merchantNext?.serial).toBe(next.serial);
      expect(c.merchantNext?.certificatePem).toContain('BEGIN CERTIFICATE');

      // The current certificate given as the next one: it does not belong to the next key.
      const e = configError(
        rotating({
          WECHATPAY_MERCHANT_SERIAL_NEXT: undefined,
          WECHATPAY_MERCHANT_CERTIFICATE_NEXT: id.merchantCertificatePem,
        }),
      );
      expect(e.setting).toBe('WECHATPAY_MERCHANT_CERTIFICATE_NEXT');
      expect(e.message).toMatch(/WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT/);
      // Serial and certificate disagree.
      expect(
        configError(
          rotating({
            WECHATPAY_MERCHANT_CERTIFICATE_NEXT: next.certificatePem,
            WECHATPAY_MERCHANT_SERIAL_NEXT: 'ABC',
          }),
        ).setting,
      ).toBe('WECHATPAY_MERCHANT_SERIAL_NEXT');
    });

    it.each([
      [
        'the key without its serial or certificate',
        { WECHATPAY_MERCHANT_SERIAL_NEXT: undefined },
        'WECHATPAY_MERCHANT_SERIAL_NEXT',
        /missing/,
      ],
      [
        'a serial without its key',
        { WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: undefined },
        'WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT',
        /missing/,
      ],
      [
        'a certificate without its key',
        {
          WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: ' ',
          WECHATPAY_MERCHANT_SERIAL_NEXT: undefined,
          WECHATPAY_MERCHANT_CERTIFICATE_NEXT: 'x',
        },
        'WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT',
        /missing/,
      ],
      [
        'a malformed serial',
        { WECHATPAY_MERCHANT_SERIAL_NEXT: 'not-hex' },
        'WECHATPAY_MERCHANT_SERIAL_NEXT',
        /malformed/,
      ],
      [
        'a key that is no key',
        { WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: 'garbage' },
        'WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT',
        /PEM/,
      ],
    ] as const)('refuses %s, naming the setting', (_name, over, setting, problem) => {
      const e = configError(rotating(over));
      expect(e.setting).toBe(setting);
      expect(e.message).toMatch(problem);
    });

    it('refuses a next pair that is the current certificate', () => {
      const e = configError(
        rotating({
          WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: id.merchant.privateKeyPem,
          WECHATPAY_MERCHANT_SERIAL_NEXT: id.merchantSerial,
        }),
      );
      expect(e.setting).toBe('WECHATPAY_MERCHANT_SERIAL_NEXT');
    });

    it('never puts either key into an error message', () => {
      const secrets = [
        ...secretsOf(id),
        ...next.keys.privateKeyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')),
      ];
      for (const over of [
        { WECHATPAY_MERCHANT_SERIAL_NEXT: undefined },
        {
          WECHATPAY_MERCHANT_SERIAL_NEXT: undefined,
          WECHATPAY_MERCHANT_CERTIFICATE_NEXT: id.merchantCertificatePem,
        },
        { WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: next.keys.privateKeyPem.slice(0, 200) },
      ]) {
        const message = configError(rotating(over)).message;
        for (const secret of secrets) expect(message).not.toContain(secret);
      }
    });
  });
});
