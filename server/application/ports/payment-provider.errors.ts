// The two errors a PaymentProvider throws. They live beside the port so the payment core can `instanceof` them
// without importing an adapter. Messages never carry secrets (keys, signatures' inputs, decrypted resources).

/**
 * What the caller may do after a failure:
 * - 'retry': the request did not take effect (or is safe to repeat as is): send the same request again later;
 * - 'indeterminate': it may or may not have taken effect: repeat with the same outTradeNo/outRefundNo or query first;
 * - 'fatal': it was refused and repeating will not help (bad input, configuration, business rule).
 */
export type Retryability = 'retry' | 'indeterminate' | 'fatal';

/** Codes we raise ourselves; any other code is the provider's own (e.g. WeChat's ORDER_CLOSED, NOT_ENOUGH). */
export const ProviderErrorCodes = {
  /** Our input was rejected before anything was sent. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The connection failed (refused, reset, DNS). */
  NETWORK: 'NETWORK',
  /** No complete answer within the configured time. */
  TIMEOUT: 'TIMEOUT',
  /** An answer whose signature is missing or does not verify: treated as forged. */
  BAD_RESPONSE_SIGNATURE: 'BAD_RESPONSE_SIGNATURE',
  /** A verified answer we cannot make sense of (not JSON, fields missing, not about the order we asked for). */
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** A downloaded bill whose bytes do not match the published hash. */
  BILL_HASH_MISMATCH: 'BILL_HASH_MISMATCH',
  /** This provider cannot do the operation. */
  UNSUPPORTED: 'UNSUPPORTED',
} as const;

/** Options of {@link ProviderError}. */
export interface ProviderErrorOptions {
  /** The HTTP status the provider answered with, when there was an answer. */
  httpStatus?: number;
  /** The provider's request id (WeChat's Request-ID header), for support tickets. */
  requestId?: string;
  /** Which port operation failed, e.g. "createJsapiPayment". */
  operation?: string;
  cause?: unknown;
}

/** A payment provider operation failed; `code` is WeChat's code or one of ProviderErrorCodes, `message` has no secrets. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly operation: string | undefined;

  constructor(
    readonly code: string,
    message: string,
    readonly retryability: Retryability,
    options: ProviderErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.httpStatus = options.httpStatus;
    this.requestId = options.requestId;
    this.operation = options.operation;
  }
}

/** True when `e` is a ProviderError, optionally with the given code. */
export function isProviderError(e: unknown, code?: string): e is ProviderError {
  return e instanceof ProviderError && (code === undefined || e.code === code);
}

/** Why a notification was refused. Every value means: write nothing. */
export type NotificationRejectionReason =
  /** Required headers missing, body not the expected JSON shape, or too large. */
  | 'MALFORMED'
  /** Wechatpay-Signature-Type or resource.algorithm is not the one we accept. */
  | 'UNSUPPORTED_ALGORITHM'
  /** Wechatpay-Timestamp more than 5 minutes away from our clock (either direction). */
  | 'TIMESTAMP_STALE'
  /** Wechatpay-Serial names no key we hold (forged, or a key switch we were not told about). */
  | 'UNKNOWN_SERIAL'
  /** The signature over the raw body does not verify (forgery, probe traffic, or a re-serialised body). */
  | 'SIGNATURE_INVALID'
  /** Signed correctly, but AES-256-GCM decryption or its tag check failed (tampered, or our APIv3 key is wrong). */
  | 'DECRYPT_FAILED'
  /** Authentic, but about another merchant or app than the one configured. */
  | 'MERCHANT_MISMATCH';

// Non-2xx makes WeChat retry either way; the split tells monitoring whose fault it is (docs/adr/0005).
const REJECTION_HTTP_STATUS: Readonly<Record<NotificationRejectionReason, 400 | 401 | 500>> = {
  MALFORMED: 400,
  UNSUPPORTED_ALGORITHM: 400,
  TIMESTAMP_STALE: 401,
  UNKNOWN_SERIAL: 401,
  SIGNATURE_INVALID: 401,
  DECRYPT_FAILED: 500,
  MERCHANT_MISMATCH: 400,
};

/** A notification failed verification; `reason` is stable, `httpStatus` is what to answer (never 2xx). */
export class NotificationRejectedError extends Error {
  override readonly name = 'NotificationRejectedError';
  readonly httpStatus: 400 | 401 | 500;

  constructor(
    readonly reason: NotificationRejectionReason,
    message: string,
  ) {
    super(message);
    this.httpStatus = REJECTION_HTTP_STATUS[reason];
  }
}

/** True when `e` is a NotificationRejectedError, optionally with the given reason. */
export function isNotificationRejected(
  e: unknown,
  reason?: NotificationRejectionReason,
): e is NotificationRejectedError {
  return e instanceof NotificationRejectedError && (reason === undefined || e.reason === reason);
}
