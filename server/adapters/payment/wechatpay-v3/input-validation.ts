// Checks every port input before anything is signed or sent; a refusal is ProviderError INVALID_ARGUMENT (fatal).
import { isIP } from 'node:net';
import { ProviderError, ProviderErrorCodes } from '../../../application/ports/payment-provider.errors';
import type { Fen } from '../../../domain/money';

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const OPENID = /^[0-9A-Za-z_-]{1,128}$/;
const BILL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_EXPIRY_MS = 90 * 24 * 60 * 60 * 1000;

/** Throws ProviderError INVALID_ARGUMENT for `operation` saying what is wrong. */
export function invalid(operation: string, problem: string): never {
  throw new ProviderError(ProviderErrorCodes.INVALID_ARGUMENT, `${operation}: ${problem}`, 'fatal', {
    operation,
  });
}

function charCount(s: string): number {
  return [...s].length;
}

/** outTradeNo: 6–32 of [0-9A-Za-z_-|*]. */
export function checkOutTradeNo(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OUT_TRADE_NO.test(v))
    invalid(operation, 'outTradeNo must be 6–32 of [0-9A-Za-z_-|*]');
  return v;
}

/** outRefundNo: 1–64 of [0-9A-Za-z_-|*@]. */
export function checkOutRefundNo(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OUT_REFUND_NO.test(v))
    invalid(operation, 'outRefundNo must be 1–64 of [0-9A-Za-z_-|*@]');
  return v;
}

/** A whole number of fen, at least `min`. */
export function checkFen(operation: string, name: string, v: unknown, min: number): Fen {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    invalid(operation, `${name} must be an integer number of fen ≥ ${min}`);
  }
  return v as Fen;
}

/** A string of `min`–`max` characters. */
export function checkText(operation: string, name: string, v: unknown, min: number, max: number): string {
  if (typeof v !== 'string' || charCount(v) < min || charCount(v) > max) {
    invalid(operation, `${name} must be a string of ${min}–${max} characters`);
  }
  return v;
}

/** An openid as WeChat issues them. */
export function checkOpenid(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OPENID.test(v))
    invalid(operation, 'payerOpenid must be an openid (1–128 of [0-9A-Za-z_-])');
  return v;
}

/** An IPv4 or IPv6 address. */
export function checkIp(operation: string, v: unknown): string {
  if (typeof v !== 'string' || isIP(v) === 0)
    invalid(operation, 'payerClientIp must be an IPv4 or IPv6 address');
  return v;
}

/** An expiry instant (epoch ms) after `nowMs` and within 90 days of it. */
export function checkExpiry(operation: string, v: unknown, nowMs: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    invalid(operation, 'expiresAtMs must be an integer epoch-ms instant');
  if (v <= nowMs) invalid(operation, 'expiresAtMs must be in the future');
  if (v > nowMs + MAX_EXPIRY_MS) invalid(operation, 'expiresAtMs must be within 90 days');
  return v;
}

/** A calendar date "YYYY-MM-DD" that exists. */
export function checkBillDate(operation: string, v: unknown): string {
  const m = typeof v === 'string' ? BILL_DATE.exec(v) : null;
  if (m === null || typeof v !== 'string') return invalid(operation, 'billDate must be "YYYY-MM-DD"');
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.toISOString().slice(0, 10) !== v) invalid(operation, 'billDate is not a calendar date');
  return v;
}

/** One of `allowed`. */
export function checkOneOf<T extends string>(
  operation: string,
  name: string,
  v: unknown,
  allowed: readonly T[],
): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    invalid(operation, `${name} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/**
 * A notify_url passed in (a resubmission repeats the first send's): an http(s) URL of at most 256 bytes without a query
 * or fragment, as WeChat takes it. Whether it is https and public is the configuration's check; this one only keeps
 * anything malformed from being sent.
 */
export function checkNotifyUrl(operation: string, v: unknown): string {
  if (typeof v !== 'string' || v === '' || Buffer.byteLength(v, 'utf8') > 256)
    invalid(operation, 'notifyUrl must be a URL of at most 256 bytes');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    invalid(operation, 'notifyUrl must be an absolute URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '')
    invalid(operation, 'notifyUrl must be an http(s) URL without a query or fragment');
  return v;
}
