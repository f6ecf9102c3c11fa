// Crypto primitives, checked against independent implementations (wechatpay-axios-plugin, @fidm/x509, node's X509).
import { X509Certificate, createPublicKey } from 'node:crypto';
import { Certificate } from '@fidm/x509';
import { Aes, Rsa } from 'wechatpay-axios-plugin';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  canonicalJson,
  certificateSerial,
  createSelfSignedCertificate,
  generateRsaKeyPair,
  randomAlnum,
  randomCertificateSerial,
  rsaOaepDecrypt,
  signSha256Rsa,
  verifySha256Rsa,
  type RsaKeyPair,
} from './crypto';

let kp: RsaKeyPair;
beforeAll(async () => {
  kp = await generateRsaKeyPair();
});

const KEY = 'a'.repeat(16) + 'B'.repeat(16);

describe('AEAD_AES_256_GCM', () => {
  it('round-trips and interoperates with an independent implementation', () => {
    const ct = aesGcmEncrypt('{"交易":"成功"}', KEY, 'abcdefghijkl', 'transaction');
    expect(aesGcmDecrypt(ct, KEY, 'abcdefghijkl', 'transaction')).toBe('{"交易":"成功"}');
    expect(Aes.AesGcm.decrypt(ct, KEY, 'abcdefghijkl', 'transaction')).toBe('{"交易":"成功"}');
    expect(
      aesGcmDecrypt(Aes.AesGcm.encrypt('x', KEY, 'abcdefghijkl', 'refund'), KEY, 'abcdefghijkl', 'refund'),
    ).toBe('x');
  });

  it.each<[string, (ct: string) => [string, string, string, string]]>([
    [
      'a flipped ciphertext bit',
      (ct) => {
        const b = Buffer.from(ct, 'base64');
        b[0] = (b[0] ?? 0) ^ 1;
        return [b.toString('base64'), KEY, 'abcdefghijkl', 'transaction'];
      },
    ],
    [
      'a flipped tag bit',
      (ct) => {
        const b = Buffer.from(ct, 'base64');
        b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
        return [b.toString('base64'), KEY, 'abcdefghijkl', 'transaction'];
      },
    ],
    ['another key', (ct) => [ct, 'c'.repeat(32), 'abcdefghijkl', 'transaction']],
    ['another nonce', (ct) => [ct, KEY, 'abcdefghijkm', 'transaction']],
    ['another associated_data', (ct) => [ct, KEY, 'abcdefghijkl', 'refund']],
    ['a truncated ciphertext', () => ['AAAA', KEY, 'abcdefghijkl', 'transaction']],
  ])('refuses %s (the GCM tag is checked)', (_name, mutate) => {
    const ct = aesGcmEncrypt('secret resource', KEY, 'abcdefghijkl', 'transaction');
    expect(() => aesGcmDecrypt(...mutate(ct))).toThrow();
  });

  it('refuses an APIv3 key that is not 32 bytes', () => {
    expect(() => aesGcmEncrypt('x', 'short', 'abcdefghijkl', '')).toThrow(/32 bytes/);
  });
});

describe('SHA256withRSA', () => {
  it('matches an independent signer and verifies with the public key or a certificate', () => {
    const msg = 'POST\n/v3/pay/transactions/jsapi\n1700000000\nNONCE\n{"a":1}\n';
    const sig = signSha256Rsa(msg, kp.privateKeyPem);
    expect(sig).toBe(Rsa.sign(msg, Rsa.from(kp.privateKeyPem, 'private')));
    expect(verifySha256Rsa(msg, sig, kp.publicKeyPem)).toBe(true);
    const cert = createSelfSignedCertificate({
      keyPair: kp,
      serial: randomCertificateSerial(),
      commonName: '1900000001',
      organization: '微信商户系统',
      organizationalUnit: '测试',
      notBeforeMs: Date.now() - 1000,
      notAfterMs: Date.now() + 86400e3,
    });
    expect(verifySha256Rsa(msg, sig, cert)).toBe(true);
    expect(verifySha256Rsa(`${msg} `, sig, kp.publicKeyPem)).toBe(false);
    expect(verifySha256Rsa(msg, 'not base64 at all', kp.publicKeyPem)).toBe(false);
    expect(verifySha256Rsa(msg, sig, 'not a key')).toBe(false);
  });

  it('decrypts RSA-OAEP fields encrypted by an independent implementation', () => {
    expect(
      rsaOaepDecrypt(Rsa.encrypt('敏感信息', Rsa.from(kp.publicKeyPem, 'public')), kp.privateKeyPem),
    ).toBe('敏感信息');
  });
});

describe('certificates', () => {
  it('parse in node, @fidm/x509 (wechatpay-node-v3) and wechatpay-axios-plugin with the same serial', () => {
    for (let i = 0; i < 5; i += 1) {
      const serial = randomCertificateSerial();
      expect(serial).toMatch(/^[1-7][0-9A-F]{39}$/);
      const pem = createSelfSignedCertificate({
        keyPair: kp,
        serial,
        commonName: '1900000001',
        organization: '微信商户系统',
        organizationalUnit: '安心小店',
        notBeforeMs: Date.now() - 1000,
        notAfterMs: Date.now() + 86400e3,
      });
      expect(certificateSerial(pem)).toBe(serial);
      expect(new X509Certificate(pem).subject).toContain('O=微信商户系统');
      const fidm = Certificate.fromPEM(Buffer.from(pem));
      expect(fidm.serialNumber.toUpperCase()).toBe(serial);
      expect(Rsa.from(pem, 'public').asymmetricKeyType).toBe('rsa');
      expect(createPublicKey(pem).export({ type: 'spki', format: 'pem' })).toBe(kp.publicKeyPem);
    }
  });
});

describe('helpers', () => {
  it('canonical JSON ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 2, y: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('random strings have the requested shape', () => {
    expect(randomAlnum(32)).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(new Set(Array.from({ length: 50 }, () => randomAlnum(12))).size).toBe(50);
  });
});
