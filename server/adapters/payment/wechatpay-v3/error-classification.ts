// Which failures may be retried, which are indeterminate, which are final. One table, used by every mode.
import type { Retryability } from '../../../application/ports/payment-provider.errors';

/** A read (query, bill) changes nothing and is always safe to repeat; a write (create, close, refund) may have landed. */
export type RequestKind = 'read' | 'write';

// Codes WeChat documents as "try again later with the same parameters" even though some come with a 4xx status.
const RETRY_CODES = new Set([
  'SYSTEM_ERROR',
  'SYSTEMERROR',
  'FREQUENCY_LIMITED',
  'FREQUENCY_LIMIT_EXCEED',
  'BANK_ERROR',
  // Refund: merchant balance too low right now; the same out_refund_no succeeds once funds arrive.
  'NOT_ENOUGH',
  // Bills: the requested day's bill is still being generated.
  'STATEMENT_CREATING',
]);

/** Classifies an HTTP error answer. 5xx and the codes WeChat says to retry: 'retry'; any other 4xx: 'fatal'. */
export function classifyHttpError(status: number, code: string): Retryability {
  if (RETRY_CODES.has(code) || status === 429 || status >= 500) return 'retry';
  return 'fatal';
}

// Failures that happen before a single byte reached the server: the request cannot have landed.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_INVALID_URL',
]);

/** Classifies a transport failure: never-sent is 'retry'; otherwise a write may have landed ('indeterminate'). */
export function classifyTransportFailure(errorCode: string | undefined, kind: RequestKind): Retryability {
  if (errorCode !== undefined && NOT_SENT_CODES.has(errorCode)) return 'retry';
  return kind === 'write' ? 'indeterminate' : 'retry';
}

/** Classifies an answer we cannot trust or cannot read: a write may have landed, a read can be asked again. */
export function classifyUntrustedAnswer(kind: RequestKind): Retryability {
  return kind === 'write' ? 'indeterminate' : 'retry';
}
