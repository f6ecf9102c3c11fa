// Crypto primitives of WeChat Pay APIv3, written from the protocol description (not shared with the client under test).
import {
  createCipheriv,
  createPrivateKey,
  createDecipheriv,
  createPublicKey,
  createSign,
  createVerify,
  constants,
  generateKeyPair,
  privateDecrypt,
  randomBytes,
  randomInt,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random string of `length` characters from [0-9A-Za-z] (crypto-strong). */
export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALNUM[randomInt(ALNUM.length)] ?? '0';
  return out;
}

/** A random string of `length` decimal digits (crypto-strong). */
export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += String(randomInt(10));
  return out;
}

/** A random upper-case hex string of `length` characters. */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length)
    .toUpperCase();
}

// Parsing a PEM costs more than the RSA operation itself; the simulator uses a handful of keys, so memoise them.
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function privateKeyOf(pem: string): KeyObject {
  let k = privateKeys.get(pem);
  if (!k) {
    k = createPrivateKey(pem);
    if (privateKeys.size < 64) privateKeys.set(pem, k);
  }
  return k;
}

function publicKeyOf(pem: string): KeyObject {
  let k = publicKeys.get(pem);
  if (!k) {
    k = createPublicKey(pem);
    if (publicKeys.size < 64) publicKeys.set(pem, k);
  }
  return k;
}

/** base64(SHA256withRSA(privateKey, message)) — the signature WeChat Pay uses everywhere in APIv3. */
export function signSha256Rsa(message: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKeyOf(privateKeyPem), 'base64');
}

/** True when `signatureB64` is SHA256withRSA of `message` under the key in `publicKeyOrCertPem` (SPKI or X.509). */
export function verifySha256Rsa(message: string, signatureB64: string, publicKeyOrCertPem: string): boolean {
  try {
    const key = publicKeyOf(publicKeyOrCertPem);
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(key, signatureB64, 'base64');
  } catch {
    return false;
  }
}

/** AEAD_AES_256_GCM: base64(ciphertext || 16-byte tag) with the 32-byte APIv3 key, a 12-char nonce and AAD. */
export function aesGcmEncrypt(
  plaintext: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const key = apiV3KeyBytes(apiV3Key);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64');
}

/** Opens an AEAD_AES_256_GCM resource; throws when the tag does not verify (tampering, wrong key, wrong AAD). */
export function aesGcmDecrypt(
  ciphertextB64: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const key = apiV3KeyBytes(apiV3Key);
  const raw = Buffer.from(ciphertextB64, 'base64');
  if (raw.length < 17) throw new Error('ciphertext is shorter than the 16-byte GCM tag');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  // final() is what checks the tag: without it a tampered ciphertext would "decrypt".
  return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}

function apiV3KeyBytes(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new Error(`the APIv3 key must be 32 bytes, got ${key.length}`);
  return key;
}

/** RSA-OAEP (SHA-1) decryption of a base64 field encrypted with the platform public key (sensitive fields). */
export function rsaOaepDecrypt(ciphertextB64: string, privateKeyPem: string): string {
  return privateDecrypt(
    { key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(ciphertextB64, 'base64'),
  ).toString('utf8');
}

/** An RSA-2048 key pair as PEM: PKCS#8 private key (like apiclient_key.pem) and SPKI public key. */
export interface RsaKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Generates an RSA-2048 key pair off the main thread. */
export function generateRsaKeyPair(): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicKeyPem, privateKeyPem) => {
        if (err) reject(err);
        else resolve({ privateKeyPem, publicKeyPem });
      },
    );
  });
}

/**
 * A certificate serial as WeChat prints it: 40 upper-case hex digits. The first digit is 1–7 so the DER INTEGER
 * is positive without a padding byte, which keeps the serial identical in every X.509 parser.
 */
export function randomCertificateSerial(): string {
  return `${randomInt(1, 8)}${randomHex(39)}`;
}

/** Input of createSelfSignedCertificate; validity in epoch milliseconds. */
export interface CertificateSpec {
  keyPair: RsaKeyPair;
  serial: string;
  commonName: string;
  organization: string;
  organizationalUnit: string;
  notBeforeMs: number;
  notAfterMs: number;
}

/** A self-signed X.509 v3 certificate (SHA256withRSA) as PEM; the serial is the given hex. */
export function createSelfSignedCertificate(spec: CertificateSpec): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.keyPair.publicKeyPem);
  cert.serialNumber = spec.serial.toLowerCase();
  cert.validity.notBefore = new Date(spec.notBeforeMs);
  cert.validity.notAfter = new Date(spec.notAfterMs);
  // Tag names UTF8String: forge would otherwise write 微信商户系统 as a (broken) PrintableString.
  const utf8 = (shortName: string, value: string): forge.pki.CertificateField => ({
    shortName,
    value,
    valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.pki.CertificateField['valueTagClass'],
  });
  const attrs = [
    utf8('C', 'CN'),
    utf8('O', spec.organization),
    utf8('OU', spec.organizationalUnit),
    utf8('CN', spec.commonName),
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, nonRepudiation: true },
  ]);
  const key = forge.pki.privateKeyFromPem(spec.keyPair.privateKeyPem);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** The serial of an X.509 certificate PEM in upper-case hex, as WeChat prints it. */
export function certificateSerial(certificatePem: string): string {
  return new X509Certificate(certificatePem).serialNumber.toUpperCase();
}

/** Validity of an X.509 certificate PEM as epoch milliseconds. */
export function certificateValidity(certificatePem: string): { notBeforeMs: number; notAfterMs: number } {
  const x = new X509Certificate(certificatePem);
  return { notBeforeMs: Date.parse(x.validFrom), notAfterMs: Date.parse(x.validTo) };
}

/** JSON with object keys sorted recursively: equal values give equal strings (used for idempotency checks). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
