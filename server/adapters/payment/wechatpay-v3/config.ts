// Configuration of the WeChat Pay APIv3 adapter, parsed from an env-like record and checked before first use.
// Error messages name the setting and what is wrong with it, never its value (keys and the APIv3 key are secrets).
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** WeChat's production API host. */
export const WECHATPAY_DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com';

/** Direct merchant (普通商户): the shop's own merchant number and appid. */
export interface DirectIdentity {
  mode: 'direct';
  appid: string;
  mchid: string;
}

/** Service provider (服务商) acting for a sub-merchant; subAppid is the sub-merchant's mini program, when it has one. */
export interface PartnerIdentity {
  mode: 'partner';
  spAppid: string;
  spMchid: string;
  subMchid: string;
  subAppid?: string;
}

/** A merchant API private key with its certificate serial (and the certificate itself, when given). */
export interface MerchantKeyPair {
  privateKeyPem: string;
  privateKey: KeyObject;
  /** Upper-case hex; derived from the certificate when not given. */
  serial: string;
  certificatePem?: string;
}

/** The validated adapter configuration. Keys are parsed KeyObjects; PEM text is kept only where the library needs it. */
export interface WechatPayV3Config {
  identity: DirectIdentity | PartnerIdentity;
  /** The merchant's (partner: the service provider's) API private key, PEM. */
  merchantPrivateKeyPem: string;
  merchantPrivateKey: KeyObject;
  /** The merchant API certificate serial (upper-case hex), derived from the certificate when not given. */
  merchantSerial: string;
  merchantCertificatePem?: string;
  /**
   * The new merchant API key and certificate during a rotation (the *_NEXT settings). When present it signs every
   * request and every paySign; the pair above stays configured only so that a rollback is one setting away.
   */
  merchantNext?: MerchantKeyPair;
  /** The 32-byte APIv3 key (AES-256-GCM key of notifications and resources). */
  apiV3Key: Buffer;
  /** WeChat Pay platform certificates by serial (upper-case hex). */
  platformCertificates: Readonly<Record<string, string>>;
  /** The WeChat Pay public key and its id (PUB_KEY_ID_…), for merchants without platform certificates. */
  platformPublicKey?: { id: string; pem: string };
  /** The key id sent as Wechatpay-Serial so WeChat signs answers with a key we hold. */
  preferredPlatformSerial: string;
  /** Where requests go: WeChat, or the local simulator. No path, no query. */
  baseUrl: string;
  /** Where WeChat posts payment notifications: https without query (http only on localhost). */
  notifyUrl: string;
  /** Where WeChat posts refund notifications (defaults to notifyUrl). */
  refundNotifyUrl: string;
  /** Per-request deadline in milliseconds. */
  requestTimeoutMs: number;
}

/** The env-like setting names read by {@link parseWechatPayV3Config}. */
export const WechatPayEnv = {
  MODE: 'WECHATPAY_MODE',
  APPID: 'WECHATPAY_APPID',
  MCHID: 'WECHATPAY_MCHID',
  SP_APPID: 'WECHATPAY_SP_APPID',
  SP_MCHID: 'WECHATPAY_SP_MCHID',
  SUB_MCHID: 'WECHATPAY_SUB_MCHID',
  SUB_APPID: 'WECHATPAY_SUB_APPID',
  MERCHANT_PRIVATE_KEY: 'WECHATPAY_MERCHANT_PRIVATE_KEY',
  MERCHANT_SERIAL: 'WECHATPAY_MERCHANT_SERIAL',
  MERCHANT_CERTIFICATE: 'WECHATPAY_MERCHANT_CERTIFICATE',
  MERCHANT_PRIVATE_KEY_NEXT: 'WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT',
  MERCHANT_SERIAL_NEXT: 'WECHATPAY_MERCHANT_SERIAL_NEXT',
  MERCHANT_CERTIFICATE_NEXT: 'WECHATPAY_MERCHANT_CERTIFICATE_NEXT',
  APIV3_KEY: 'WECHATPAY_APIV3_KEY',
  PLATFORM_CERTIFICATES: 'WECHATPAY_PLATFORM_CERTIFICATES',
  PUBLIC_KEY_ID: 'WECHATPAY_PUBLIC_KEY_ID',
  PUBLIC_KEY: 'WECHATPAY_PUBLIC_KEY',
  PREFERRED_SERIAL: 'WECHATPAY_PREFERRED_SERIAL',
  BASE_URL: 'WECHATPAY_BASE_URL',
  NOTIFY_URL: 'WECHATPAY_NOTIFY_URL',
  REFUND_NOTIFY_URL: 'WECHATPAY_REFUND_NOTIFY_URL',
  TIMEOUT_MS: 'WECHATPAY_TIMEOUT_MS',
} as const;

/** A configuration setting is missing or malformed; `setting` names it. The message never contains the value. */
export class WechatPayConfigError extends Error {
  override readonly name = 'WechatPayConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
  }
}

type EnvLike = Readonly<Record<string, string | undefined>>;

const APPID = /^[0-9A-Za-z_]{2,32}$/;
const MCHID = /^[0-9]{1,32}$/;
const HEX_SERIAL = /^[0-9A-Fa-f]{1,64}$/;
const PUB_KEY_ID = /^PUB_KEY_ID_[0-9A-Za-z]{1,64}$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// Well inside the shortest function timeout (payNotify: 5 s, WeChat's own wait) with room for the answer.
const DEFAULT_TIMEOUT_MS = 3_000;

function optional(env: EnvLike, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function required(env: EnvLike, name: string, why: string): string {
  const v = optional(env, name);
  if (v === undefined) throw new WechatPayConfigError(name, `is missing (${why})`);
  return v;
}

function matching(env: EnvLike, name: string, pattern: RegExp, what: string, why: string): string {
  const v = required(env, name, why);
  // Identifiers are not secret, but echoing values is a habit we do not start.
  if (!pattern.test(v)) throw new WechatPayConfigError(name, `is malformed: expected ${what}`);
  return v;
}

// Env vars are often single-line: accept "\n" escapes inside PEM text.
function pemText(raw: string): string {
  return raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
}

/** True for hosts where plain http is acceptable (the local stack). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}

function parseUrl(name: string, raw: string, opts: { allowPath: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WechatPayConfigError(name, 'is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new WechatPayConfigError(name, 'must use https (http is allowed only for 127.0.0.1/localhost)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new WechatPayConfigError(name, 'must not carry a query string or fragment');
  }
  if (url.username !== '' || url.password !== '')
    throw new WechatPayConfigError(name, 'must not carry credentials');
  if (!opts.allowPath && url.pathname !== '/') {
    // The request signature covers the path WeChat sees; a prefix would make the two disagree.
    throw new WechatPayConfigError(
      name,
      'must be an origin without a path (e.g. https://api.mch.weixin.qq.com)',
    );
  }
  return url;
}

function parsePrivateKey(name: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new WechatPayConfigError(name, 'is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new WechatPayConfigError(name, 'must be an RSA private key');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new WechatPayConfigError(name, 'must be an RSA key of at least 2048 bits');
  return key;
}

function parseCertificate(name: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new WechatPayConfigError(name, 'is not a PEM X.509 certificate');
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const da = a.export({ type: 'spki', format: 'der' });
  const db = b.export({ type: 'spki', format: 'der' });
  return da.equals(db);
}

function parsePlatformCertificates(name: string, raw: string): Record<string, string> {
  const text = pemText(raw);
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new WechatPayConfigError(name, 'holds no PEM certificate');
  const out: Record<string, string> = {};
  blocks.forEach((block, i) => {
    const cert = parseCertificate(`${name} (certificate #${i + 1})`, block);
    if (cert.publicKey.asymmetricKeyType !== 'rsa') {
      throw new WechatPayConfigError(`${name} (certificate #${i + 1})`, 'must hold an RSA public key');
    }
    out[cert.serialNumber.toUpperCase()] = block;
  });
  return out;
}

/** The setting names of one merchant key pair: the current one, or the next one during a rotation. */
interface MerchantSettings {
  privateKey: string;
  serial: string;
  certificate: string;
  what: string;
}

const CURRENT_MERCHANT_SETTINGS: MerchantSettings = {
  privateKey: WechatPayEnv.MERCHANT_PRIVATE_KEY,
  serial: WechatPayEnv.MERCHANT_SERIAL,
  certificate: WechatPayEnv.MERCHANT_CERTIFICATE,
  what: 'the merchant API private key, PEM',
};

const NEXT_MERCHANT_SETTINGS: MerchantSettings = {
  privateKey: WechatPayEnv.MERCHANT_PRIVATE_KEY_NEXT,
  serial: WechatPayEnv.MERCHANT_SERIAL_NEXT,
  certificate: WechatPayEnv.MERCHANT_CERTIFICATE_NEXT,
  what: `the new merchant API private key, PEM: ${WechatPayEnv.MERCHANT_SERIAL_NEXT}/${WechatPayEnv.MERCHANT_CERTIFICATE_NEXT} are set`,
};

function hasAny(env: EnvLike, names: MerchantSettings): boolean {
  return [names.privateKey, names.serial, names.certificate].some((n) => optional(env, n) !== undefined);
}

/** One merchant key pair: the key, and its serial and/or certificate, which must agree with the key. */
function parseMerchantPair(env: EnvLike, names: MerchantSettings): MerchantKeyPair {
  const privateKeyPem = pemText(required(env, names.privateKey, names.what));
  const privateKey = parsePrivateKey(names.privateKey, privateKeyPem);

  const serialText = optional(env, names.serial);
  const certText = optional(env, names.certificate);
  if (serialText === undefined && certText === undefined) {
    throw new WechatPayConfigError(
      names.serial,
      `is missing (give the certificate serial of ${names.privateKey}, or the certificate in ${names.certificate})`,
    );
  }
  if (serialText !== undefined && !HEX_SERIAL.test(serialText)) {
    throw new WechatPayConfigError(names.serial, 'is malformed: expected a hexadecimal serial');
  }
  let serial = serialText?.toUpperCase() ?? '';
  let certificatePem: string | undefined;
  if (certText !== undefined) {
    certificatePem = pemText(certText);
    const cert = parseCertificate(names.certificate, certificatePem);
    const certSerial = cert.serialNumber.toUpperCase();
    if (serialText !== undefined && certSerial !== serial) {
      throw new WechatPayConfigError(names.serial, `does not match ${names.certificate}`);
    }
    if (!samePublicKey(cert.publicKey, createPublicKey(privateKey))) {
      throw new WechatPayConfigError(
        names.certificate,
        `does not belong to ${names.privateKey} (public keys differ)`,
      );
    }
    serial = certSerial;
  }
  return { privateKeyPem, privateKey, serial, ...(certificatePem === undefined ? {} : { certificatePem }) };
}

/** The pair that signs requests and paySign: the next one while a rotation is configured, else the current one. */
export function signingMerchantPair(config: WechatPayV3Config): MerchantKeyPair {
  return (
    config.merchantNext ?? {
      privateKeyPem: config.merchantPrivateKeyPem,
      privateKey: config.merchantPrivateKey,
      serial: config.merchantSerial,
      ...(config.merchantCertificatePem === undefined
        ? {}
        : { certificatePem: config.merchantCertificatePem }),
    }
  );
}

/**
 * Parses and checks the adapter's settings from an env-like record (see {@link WechatPayEnv} for the names).
 * Throws WechatPayConfigError naming the first missing or malformed setting; never echoes secret values.
 */
export function parseWechatPayV3Config(env: EnvLike): WechatPayV3Config {
  const mode = required(env, WechatPayEnv.MODE, 'direct or partner');
  let identity: DirectIdentity | PartnerIdentity;
  if (mode === 'direct') {
    identity = {
      mode,
      appid: matching(env, WechatPayEnv.APPID, APPID, 'an appid such as wx…', 'the mini program appid'),
      mchid: matching(env, WechatPayEnv.MCHID, MCHID, 'a numeric merchant id', 'the merchant id'),
    };
  } else if (mode === 'partner') {
    const subAppid = optional(env, WechatPayEnv.SUB_APPID);
    if (subAppid !== undefined && !APPID.test(subAppid)) {
      throw new WechatPayConfigError(WechatPayEnv.SUB_APPID, 'is malformed: expected an appid such as wx…');
    }
    identity = {
      mode,
      spAppid: matching(
        env,
        WechatPayEnv.SP_APPID,
        APPID,
        'an appid such as wx…',
        "the service provider's appid",
      ),
      spMchid: matching(
        env,
        WechatPayEnv.SP_MCHID,
        MCHID,
        'a numeric merchant id',
        "the service provider's merchant id",
      ),
      subMchid: matching(
        env,
        WechatPayEnv.SUB_MCHID,
        MCHID,
        'a numeric merchant id',
        "the sub-merchant's id",
      ),
      ...(subAppid === undefined ? {} : { subAppid }),
    };
  } else {
    throw new WechatPayConfigError(WechatPayEnv.MODE, 'must be "direct" or "partner"');
  }

  const current = parseMerchantPair(env, CURRENT_MERCHANT_SETTINGS);
  const next = hasAny(env, NEXT_MERCHANT_SETTINGS)
    ? parseMerchantPair(env, NEXT_MERCHANT_SETTINGS)
    : undefined;
  if (next !== undefined && next.serial === current.serial) {
    throw new WechatPayConfigError(
      WechatPayEnv.MERCHANT_SERIAL_NEXT,
      `names the same certificate as ${WechatPayEnv.MERCHANT_SERIAL} (a rotation needs the new certificate)`,
    );
  }

  const apiV3KeyText = required(env, WechatPayEnv.APIV3_KEY, 'the 32-byte APIv3 key');
  const apiV3Key = Buffer.from(apiV3KeyText, 'utf8');
  if (apiV3Key.length !== 32) {
    throw new WechatPayConfigError(
      WechatPayEnv.APIV3_KEY,
      `must be exactly 32 bytes (got ${apiV3Key.length})`,
    );
  }

  const certsText = optional(env, WechatPayEnv.PLATFORM_CERTIFICATES);
  const platformCertificates =
    certsText === undefined ? {} : parsePlatformCertificates(WechatPayEnv.PLATFORM_CERTIFICATES, certsText);

  const pubKeyId = optional(env, WechatPayEnv.PUBLIC_KEY_ID);
  const pubKeyText = optional(env, WechatPayEnv.PUBLIC_KEY);
  let platformPublicKey: { id: string; pem: string } | undefined;
  if (pubKeyId !== undefined || pubKeyText !== undefined) {
    if (pubKeyId === undefined) {
      throw new WechatPayConfigError(
        WechatPayEnv.PUBLIC_KEY_ID,
        `is missing (${WechatPayEnv.PUBLIC_KEY} is set)`,
      );
    }
    if (!PUB_KEY_ID.test(pubKeyId)) {
      throw new WechatPayConfigError(
        WechatPayEnv.PUBLIC_KEY_ID,
        'is malformed: expected PUB_KEY_ID_ followed by letters/digits',
      );
    }
    if (pubKeyText === undefined) {
      throw new WechatPayConfigError(
        WechatPayEnv.PUBLIC_KEY,
        `is missing (${WechatPayEnv.PUBLIC_KEY_ID} is set)`,
      );
    }
    const pem = pemText(pubKeyText);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new WechatPayConfigError(WechatPayEnv.PUBLIC_KEY, 'is not a PEM public key');
    }
    if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') {
      throw new WechatPayConfigError(WechatPayEnv.PUBLIC_KEY, 'must be an RSA public key');
    }
    platformPublicKey = { id: pubKeyId, pem };
  }
  const certSerials = Object.keys(platformCertificates);
  if (certSerials.length === 0 && platformPublicKey === undefined) {
    throw new WechatPayConfigError(
      WechatPayEnv.PUBLIC_KEY_ID,
      `is missing: give the WeChat Pay public key (${WechatPayEnv.PUBLIC_KEY_ID} + ${WechatPayEnv.PUBLIC_KEY}) and/or ${WechatPayEnv.PLATFORM_CERTIFICATES}`,
    );
  }

  const preferredText = optional(env, WechatPayEnv.PREFERRED_SERIAL);
  const known = [...(platformPublicKey ? [platformPublicKey.id] : []), ...certSerials];
  let preferredPlatformSerial: string;
  if (preferredText !== undefined) {
    const wanted = preferredText.startsWith('PUB_KEY_ID_') ? preferredText : preferredText.toUpperCase();
    if (!known.includes(wanted)) {
      throw new WechatPayConfigError(
        WechatPayEnv.PREFERRED_SERIAL,
        'names no configured platform certificate or public key',
      );
    }
    preferredPlatformSerial = wanted;
  } else {
    // The public key never expires and is where WeChat is heading; otherwise the certificate that lives longest.
    preferredPlatformSerial = platformPublicKey?.id ?? newestCertificateSerial(platformCertificates);
  }

  const baseUrl = parseUrl(
    WechatPayEnv.BASE_URL,
    optional(env, WechatPayEnv.BASE_URL) ?? WECHATPAY_DEFAULT_BASE_URL,
    { allowPath: false },
  ).origin;
  const notifyUrl = parseUrl(
    WechatPayEnv.NOTIFY_URL,
    required(env, WechatPayEnv.NOTIFY_URL, 'where WeChat posts notifications'),
    { allowPath: true },
  ).href;
  const refundNotifyText = optional(env, WechatPayEnv.REFUND_NOTIFY_URL);
  const refundNotifyUrl =
    refundNotifyText === undefined
      ? notifyUrl
      : parseUrl(WechatPayEnv.REFUND_NOTIFY_URL, refundNotifyText, { allowPath: true }).href;

  const timeoutText = optional(env, WechatPayEnv.TIMEOUT_MS);
  let requestTimeoutMs = DEFAULT_TIMEOUT_MS;
  if (timeoutText !== undefined) {
    requestTimeoutMs = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || requestTimeoutMs < 100 || requestTimeoutMs > 60_000) {
      throw new WechatPayConfigError(
        WechatPayEnv.TIMEOUT_MS,
        'must be an integer number of milliseconds in 100..60000',
      );
    }
  }

  return {
    identity,
    merchantPrivateKeyPem: current.privateKeyPem,
    merchantPrivateKey: current.privateKey,
    merchantSerial: current.serial,
    ...(current.certificatePem === undefined ? {} : { merchantCertificatePem: current.certificatePem }),
    ...(next === undefined ? {} : { merchantNext: next }),
    apiV3Key,
    platformCertificates,
    ...(platformPublicKey === undefined ? {} : { platformPublicKey }),
    preferredPlatformSerial,
    baseUrl,
    notifyUrl,
    refundNotifyUrl,
    requestTimeoutMs,
  };
}

function newestCertificateSerial(certs: Readonly<Record<string, string>>): string {
  let best: { serial: string; validToMs: number } | undefined;
  for (const [serial, pem] of Object.entries(certs)) {
    const validToMs = Date.parse(new X509Certificate(pem).validTo);
    if (best === undefined || validToMs > best.validToMs) best = { serial, validToMs };
  }
  if (best === undefined)
    throw new WechatPayConfigError(WechatPayEnv.PLATFORM_CERTIFICATES, 'holds no certificate');
  return best.serial;
}
