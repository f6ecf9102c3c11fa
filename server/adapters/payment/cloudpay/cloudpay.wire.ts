// Reading cloudPay answers: v2's two-level result (returnCode, then resultCode + err code), Beijing-time timestamps,
// and which failures may be retried. Everything that arrives is treated as unknown until checked here.
import { ProviderError, ProviderErrorCodes } from '../../../application/ports/payment-provider.errors';
import type { Retryability } from '../../../application/ports/payment-provider.errors';
import { beijingWallClock, epochMsFromBeijing } from '../../../domain/beijing-time';
import type { Fen } from '../../../domain/money';
import { fen } from '../../../domain/money';

/** Codes this adapter raises besides ProviderErrorCodes and WeChat's own v2 err codes. */
export const CloudPayErrorCodes = {
  /** returnCode FAIL: the channel refused the request (signature, parameter format, binding, permissions). */
  RETURN_FAIL: 'RETURN_FAIL',
  /** returnCode FAIL "受理关系不存在": the merchant number is not bound to this mini program's cloud environment. */
  SUB_MCH_NOT_BOUND: 'SUB_MCH_NOT_BOUND',
  /** resultCode FAIL without a readable err code. */
  RESULT_FAIL: 'RESULT_FAIL',
} as const;

/** A read changes nothing and is always safe to repeat; a write (create, refund) may have landed when it failed. */
export type CallKind = 'read' | 'write' | 'idempotent-write';

const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const SPACED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Formats epoch ms as v2's "yyyyMMddHHmmss" in Beijing time (UTC+8, no daylight saving); sub-seconds dropped. */
export function formatBeijingCompact(ms: number): string {
  const d = beijingWallClock(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

function fromParts(m: RegExpExecArray): number | undefined {
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return epochMsFromBeijing(y, mo, d, h, mi, s);
}

/** Parses v2's "yyyyMMddHHmmss" (Beijing time) into epoch ms; undefined unless it is a real instant. */
export function parseBeijingCompact(text: unknown): number | undefined {
  const m = typeof text === 'string' ? COMPACT.exec(text) : null;
  return m ? fromParts(m) : undefined;
}

/** Parses "yyyy-MM-dd HH:mm:ss" (Beijing time, as refund success times are printed) into epoch ms, or undefined. */
export function parseBeijingSpaced(text: unknown): number | undefined {
  const m = typeof text === 'string' ? SPACED.exec(text) : null;
  return m ? fromParts(m) : undefined;
}

/** An answer as a plain record of unknown values. */
export type Answer = Readonly<Record<string, unknown>>;

/** A non-empty string field, or undefined. */
export function str(a: Answer, field: string): string | undefined {
  const v = a[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A whole non-negative amount of fen; v2 answers numbers, but a decimal string is accepted too. */
export function fenField(a: Answer, field: string): Fen | undefined {
  const v = a[field];
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? fen(v) : undefined;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return fen(Number(v));
  return undefined;
}

/** The list field `field` (production's queryRefund shape), or an empty list. */
export function listField(a: Answer, field: string): readonly unknown[] {
  const v = a[field];
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** Retryability of an answer we cannot use: a write may have landed, a read or an idempotent write can be repeated. */
export function untrustedRetryability(kind: CallKind): Retryability {
  return kind === 'write' ? 'indeterminate' : 'retry';
}

/** A ProviderError for an answer that is not the shape we need. */
export function badAnswer(operation: string, kind: CallKind, problem: string): ProviderError {
  return new ProviderError(
    ProviderErrorCodes.BAD_RESPONSE,
    `cloudPay ${operation}: ${problem}`,
    untrustedRetryability(kind),
    {
      operation,
    },
  );
}

/** Maps a rejected SDK call (network, permission, timeout) to a ProviderError; the message has the SDK's errMsg only. */
export function sdkFailure(operation: string, kind: CallKind, e: unknown): ProviderError {
  let detail = 'the SDK call failed';
  if (typeof e === 'object' && e !== null) {
    const { errCode, errMsg, message } = e as { errCode?: unknown; errMsg?: unknown; message?: unknown };
    const text = typeof errMsg === 'string' ? errMsg : typeof message === 'string' ? message : '';
    detail =
      `${typeof errCode === 'number' || typeof errCode === 'string' ? `errCode ${errCode}: ` : ''}${text}`.slice(
        0,
        200,
      );
  }
  return new ProviderError(
    ProviderErrorCodes.NETWORK,
    `cloudPay ${operation}: ${detail}`,
    untrustedRetryability(kind),
    {
      operation,
      cause: e,
    },
  );
}

/**
 * Checks the communication level of an answer and returns it as a record. returnCode FAIL is fatal: the channel
 * refused the request (bad parameters or signature, a binding or permission problem) and repeating it cannot help.
 */
export function communicated(operation: string, kind: CallKind, raw: unknown): Answer {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badAnswer(operation, kind, 'the answer is not an object');
  }
  const a = raw as Answer;
  const returnCode = a.returnCode;
  if (returnCode === 'SUCCESS') return a;
  const returnMsg = (str(a, 'returnMsg') ?? '').slice(0, 200);
  if (returnCode !== 'FAIL') throw badAnswer(operation, kind, 'returnCode is neither SUCCESS nor FAIL');
  if (returnMsg.includes('受理关系不存在')) {
    throw new ProviderError(
      CloudPayErrorCodes.SUB_MCH_NOT_BOUND,
      `cloudPay ${operation}: ${returnMsg} — the merchant number is not bound to this cloud environment ` +
        '(new cloudPay bindings fail in production; use WeChat Pay APIv3)',
      'fatal',
      { operation },
    );
  }
  throw new ProviderError(
    CloudPayErrorCodes.RETURN_FAIL,
    `cloudPay ${operation}: refused: ${returnMsg || 'no reason given'}`,
    'fatal',
    {
      operation,
    },
  );
}

// v2 err codes documented as "call again later with the same parameters".
const RETRY_CODES = new Set([
  'SYSTEMERROR',
  'BIZERR_NEED_RETRY',
  'FREQUENCY_LIMITED',
  'ORDER_NOT_READY',
  'NOTENOUGH',
]);

/** The v2 business error code of a resultCode FAIL answer (the SDK may have overwritten errCode with a number). */
export function resultErrorCode(a: Answer): string {
  const code = a.errCode;
  return typeof code === 'string' && /^[A-Z_]{2,64}$/.test(code) ? code : CloudPayErrorCodes.RESULT_FAIL;
}

/** A ProviderError for a resultCode FAIL answer: SYSTEMERROR and its kin 'retry', every other code 'fatal'. */
export function resultFailure(operation: string, a: Answer): ProviderError {
  const code = resultErrorCode(a);
  const des = (str(a, 'errCodeDes') ?? '').slice(0, 200);
  return new ProviderError(
    code,
    `cloudPay ${operation}: ${code}${des ? ` (${des})` : ''}`,
    RETRY_CODES.has(code) ? 'retry' : 'fatal',
    {
      operation,
    },
  );
}
