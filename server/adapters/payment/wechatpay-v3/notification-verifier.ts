// The notify handler's trust pipeline (docs/adr/0005), composed from the validator, verifier and decryptor like
// wechatpay-go's notify.Handler: headers → signature type → ±5 min → serial → signature over the RAW body →
// envelope → algorithm → AES-256-GCM with tag → plaintext → merchant identity → normalised event.
import { NotificationRejectedError } from '../../../application/ports/payment-provider.errors';
import type {
  IncomingNotification,
  PaymentNotificationEvent,
  PaymentTransaction,
  Refund,
} from '../../../application/ports/payment-provider.port';
import type { DirectIdentity, PartnerIdentity } from './config';
import { DecryptError, RESOURCE_ALGORITHM, decryptResource } from './decryptor';
import { validateSignedMessage } from './validator';
import type { SignatureVerifier } from './verifier';
import { MalformedError, asRecord, normaliseRefund, normaliseTransaction, optStr, str } from './wire-format';

/** Notifications larger than this are refused unread (WeChat's are a few kilobytes). */
export const MAX_NOTIFICATION_BYTES = 64 * 1024;

/** What the notification verifier needs. */
export interface NotificationVerifierOptions {
  identity: DirectIdentity | PartnerIdentity;
  verifier: SignatureVerifier;
  apiV3Key: Buffer;
  nowMs: () => number;
}

function reject(reason: ConstructorParameters<typeof NotificationRejectedError>[0], message: string): never {
  throw new NotificationRejectedError(reason, message);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return reject('MALFORMED', `${what} is not JSON`);
  }
}

function shape<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MalformedError) reject('MALFORMED', e.message);
    throw e;
  }
}

/** Checks that an authentic document is about the configured merchant (and app, where the document names one). */
export function checkTransactionIdentity(
  t: PaymentTransaction,
  identity: DirectIdentity | PartnerIdentity,
): string | undefined {
  if (identity.mode === 'direct') {
    if (t.mchid !== identity.mchid) return 'mchid differs from the configured merchant';
    if (t.appid !== identity.appid) return 'appid differs from the configured app';
    return undefined;
  }
  if (t.mchid !== identity.spMchid) return 'sp_mchid differs from the configured service provider';
  if (t.appid !== identity.spAppid) return 'sp_appid differs from the configured service provider app';
  if (t.subMchid !== identity.subMchid) return 'sub_mchid differs from the configured sub-merchant';
  if (identity.subAppid !== undefined && t.subAppid !== undefined && t.subAppid !== identity.subAppid) {
    return 'sub_appid differs from the configured sub-merchant app';
  }
  return undefined;
}

function checkRefundIdentity(
  doc: Readonly<Record<string, unknown>>,
  identity: DirectIdentity | PartnerIdentity,
): string | undefined {
  if (identity.mode === 'direct') {
    const mchid = optStr(doc, 'mchid', 'refund');
    return mchid !== undefined && mchid !== identity.mchid
      ? 'mchid differs from the configured merchant'
      : undefined;
  }
  const sp = optStr(doc, 'sp_mchid', 'refund');
  const sub = optStr(doc, 'sub_mchid', 'refund');
  if (sp !== undefined && sp !== identity.spMchid)
    return 'sp_mchid differs from the configured service provider';
  if (sub !== undefined && sub !== identity.subMchid)
    return 'sub_mchid differs from the configured sub-merchant';
  return undefined;
}

const REFUND_EVENTS: Readonly<
  Record<string, { kind: 'refund.succeeded' | 'refund.closed' | 'refund.abnormal'; status: Refund['status'] }>
> = {
  'REFUND.SUCCESS': { kind: 'refund.succeeded', status: 'SUCCESS' },
  'REFUND.CLOSED': { kind: 'refund.closed', status: 'CLOSED' },
  'REFUND.ABNORMAL': { kind: 'refund.abnormal', status: 'ABNORMAL' },
};

/**
 * Verifies `notification` and returns its normalised event; throws NotificationRejectedError (reason code, no
 * secrets, no plaintext) at the first check that fails. Nothing is decrypted before the signature verified.
 */
export function verifyWechatPayNotification(
  notification: IncomingNotification,
  opts: NotificationVerifierOptions,
): PaymentNotificationEvent {
  const { rawBody, headers } = notification;
  if (!(rawBody instanceof Uint8Array))
    reject('MALFORMED', 'rawBody must be the raw body bytes (Buffer/Uint8Array)');
  if (rawBody.length > MAX_NOTIFICATION_BYTES)
    reject('MALFORMED', `body larger than ${MAX_NOTIFICATION_BYTES} bytes`);

  const check = validateSignedMessage(headers, rawBody, opts.verifier, opts.nowMs());
  if (!check.ok) {
    const reason = {
      MISSING_HEADERS: 'MALFORMED',
      UNSUPPORTED_SIGNATURE_TYPE: 'UNSUPPORTED_ALGORITHM',
      TIMESTAMP_STALE: 'TIMESTAMP_STALE',
      UNKNOWN_SERIAL: 'UNKNOWN_SERIAL',
      SIGNATURE_INVALID: 'SIGNATURE_INVALID',
    } as const;
    reject(reason[check.failure], check.message);
  }

  const envelope = shape(() => asRecord(parseJson(rawBody, 'body'), 'notification'));
  const notificationId = shape(() => str(envelope, 'id', 'notification'));
  const eventType = shape(() => str(envelope, 'event_type', 'notification'));
  const resourceType = shape(() => optStr(envelope, 'resource_type', 'notification'));
  if (resourceType !== undefined && resourceType !== 'encrypt-resource') {
    reject('UNSUPPORTED_ALGORITHM', 'resource_type must be encrypt-resource');
  }
  const resource = shape(() => asRecord(envelope['resource'], 'notification.resource'));
  const algorithm = shape(() => str(resource, 'algorithm', 'notification.resource'));
  if (algorithm !== RESOURCE_ALGORITHM)
    reject('UNSUPPORTED_ALGORITHM', `resource.algorithm must be ${RESOURCE_ALGORITHM}`);
  const ciphertext = shape(() => str(resource, 'ciphertext', 'notification.resource'));
  const nonce = shape(() => str(resource, 'nonce', 'notification.resource'));
  const ad = resource['associated_data'];
  if (ad !== undefined && ad !== null && typeof ad !== 'string')
    reject('MALFORMED', 'resource.associated_data must be a string');
  const associatedData = typeof ad === 'string' ? ad : '';

  let plaintext: Buffer;
  try {
    plaintext = decryptResource({ ciphertext, nonce, associatedData }, opts.apiV3Key);
  } catch (e) {
    if (e instanceof DecryptError) reject('DECRYPT_FAILED', `resource: ${e.message}`);
    throw e;
  }
  const doc = shape(() => asRecord(parseJson(plaintext, 'decrypted resource'), 'resource'));
  const mode = opts.identity.mode;

  if (eventType === 'TRANSACTION.SUCCESS') {
    const transaction = shape(() => normaliseTransaction(doc, mode));
    if (transaction.state !== 'SUCCESS')
      reject('MALFORMED', 'TRANSACTION.SUCCESS carries a trade_state other than SUCCESS');
    const mismatch = checkTransactionIdentity(transaction, opts.identity);
    if (mismatch !== undefined) reject('MERCHANT_MISMATCH', mismatch);
    return { kind: 'payment.succeeded', notificationId, transaction };
  }
  // Own keys only: an event_type like "constructor" must not find Object's prototype members.
  const refundEvent = Object.hasOwn(REFUND_EVENTS, eventType) ? REFUND_EVENTS[eventType] : undefined;
  if (refundEvent !== undefined) {
    const refund = shape(() => normaliseRefund(doc));
    if (refund.status !== refundEvent.status)
      reject('MALFORMED', `${eventType} carries refund_status ${refund.status}`);
    const mismatch = shape(() => checkRefundIdentity(doc, opts.identity));
    if (mismatch !== undefined) reject('MERCHANT_MISMATCH', mismatch);
    return { kind: refundEvent.kind, notificationId, refund };
  }
  return { kind: 'unsupported', notificationId, eventType };
}
