// Test helpers (the stripe idea): build validly signed, AES-256-GCM-encrypted WeChat Pay notifications — and broken
// ones — so notification handlers are tested with real crypto. Clients verify; nothing here verifies.
import { randomUUID } from 'node:crypto';
import { formatRfc3339Beijing } from './internal/clock';
import {
  aesGcmEncrypt,
  randomAlnum,
  randomCertificateSerial,
  randomHex,
  signSha256Rsa,
} from './internal/crypto';

/** Input of buildNotification. `timestamp` is Unix seconds (default now); `id`/`nonce` default to random. */
export interface NotificationSpec {
  /** e.g. TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED. */
  eventType: string;
  /** The plaintext resource (e.g. the transaction JSON); it is encrypted. */
  resource: Record<string, unknown>;
  /** The merchant's 32-character APIv3 key. */
  apiV3Key: string;
  /** The platform key that signs: certificate key + serial, or WeChat Pay public key's private half + PUB_KEY_ID. */
  signer: { privateKeyPem: string; serial: string };
  timestamp?: number;
  /** Wechatpay-Nonce (default 32 random characters). */
  nonce?: string;
  /** Notification id (default a UUID). */
  id?: string;
  summary?: string;
  /** Resource AAD; default "transaction" for TRANSACTION.*, "refund" for REFUND.*, else "". */
  associatedData?: string;
  /** resource.original_type; default "transaction"/"refund" like associatedData. */
  originalType?: string;
  /** create_time (RFC 3339); default from `timestamp`. */
  createTime?: string;
}

/** A notification ready to POST: headers as WeChat sends them and the exact raw body. */
export interface BuiltNotification {
  headers: Record<string, string>;
  body: string;
}

/** Ways a notification can be broken; each must be rejected by a correct handler. */
export type BrokenKind =
  /** Ciphertext altered after encryption, body correctly signed: only the GCM tag check catches it. */
  | 'tamperedCiphertext'
  /** A well-formed signature over a different message. */
  | 'badSignature'
  /** Correctly signed, but Wechatpay-Timestamp 10 minutes in the past (outside ±5 min). */
  | 'staleTimestamp'
  /** Correctly signed, but Wechatpay-Serial names a key the merchant does not have. */
  | 'wrongSerial'
  /** Resource encrypted with another APIv3 key (signature valid). */
  | 'wrongKey';

/** Every BrokenKind, for table-driven tests. */
export const BROKEN_KINDS: readonly BrokenKind[] = [
  'tamperedCiphertext',
  'badSignature',
  'staleTimestamp',
  'wrongSerial',
  'wrongKey',
];

function defaults(eventType: string): { aad: string; original: string; summary: string } {
  if (eventType.startsWith('REFUND.')) return { aad: 'refund', original: 'refund', summary: '退款结果通知' };
  if (eventType.startsWith('TRANSACTION.'))
    return { aad: 'transaction', original: 'transaction', summary: '支付成功' };
  return { aad: '', original: 'security', summary: '通知' };
}

function bodyOf(
  spec: NotificationSpec,
  timestamp: number,
  apiV3Key: string,
  mutateCiphertext: boolean,
): string {
  const d = defaults(spec.eventType);
  const aad = spec.associatedData ?? d.aad;
  const nonce = randomAlnum(12);
  let ciphertext = aesGcmEncrypt(JSON.stringify(spec.resource), apiV3Key, nonce, aad);
  if (mutateCiphertext) {
    const raw = Buffer.from(ciphertext, 'base64');
    raw[0] = (raw[0] ?? 0) ^ 0x01;
    ciphertext = raw.toString('base64');
  }
  return JSON.stringify({
    id: spec.id ?? randomUUID(),
    create_time: spec.createTime ?? formatRfc3339Beijing(timestamp * 1000),
    resource_type: 'encrypt-resource',
    event_type: spec.eventType,
    summary: spec.summary ?? d.summary,
    resource: {
      original_type: spec.originalType ?? d.original,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: aad,
      nonce,
    },
  });
}

function headersFor(
  timestamp: number,
  nonce: string,
  signature: string,
  serial: string,
): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'Wechatpay-Timestamp': String(timestamp),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Request-ID': `${randomHex(32)}-0`,
  };
}

/** A valid notification: resource encrypted with `apiV3Key`, body signed with `signer` over TS\nNONCE\nBODY\n. */
export function buildNotification(spec: NotificationSpec): BuiltNotification {
  const timestamp = spec.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = spec.nonce ?? randomAlnum(32);
  const body = bodyOf(spec, timestamp, spec.apiV3Key, false);
  const signature = signSha256Rsa(`${timestamp}\n${nonce}\n${body}\n`, spec.signer.privateKeyPem);
  return { headers: headersFor(timestamp, nonce, signature, spec.signer.serial), body };
}

/** A notification broken in one way (see BrokenKind); everything else about it is valid. */
export function buildBrokenNotification(kind: BrokenKind, spec: NotificationSpec): BuiltNotification {
  const now = Math.floor(Date.now() / 1000);
  const timestamp = kind === 'staleTimestamp' ? now - 600 : (spec.timestamp ?? now);
  const nonce = spec.nonce ?? randomAlnum(32);
  const key = kind === 'wrongKey' ? randomAlnum(32) : spec.apiV3Key;
  const body = bodyOf(spec, timestamp, key, kind === 'tamperedCiphertext');
  const signed =
    kind === 'badSignature' ? `${timestamp}\n${nonce}\n${body}\n\n` : `${timestamp}\n${nonce}\n${body}\n`;
  const signature = signSha256Rsa(signed, spec.signer.privateKeyPem);
  const serial = kind === 'wrongSerial' ? randomCertificateSerial() : spec.signer.serial;
  return { headers: headersFor(timestamp, nonce, signature, serial), body };
}
