// Checks of the port inputs only the APIv3 adapter takes, before anything is signed or sent (the ones every adapter
// makes are in ../port-input.ts); a refusal is ProviderError INVALID_ARGUMENT (fatal).
import { isIP } from 'node:net';
import { charCount, invalid } from '../port-input';

const BILL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_EXPIRY_MS = 90 * 24 * 60 * 60 * 1000;

/** A string of `min`–`max` characters. */
export function checkText(operation: string, name: string, v: unknown, min: number, max: number): string {
  if (typeof v !== 'string' || charCount(v) < min || charCount(v) > max) {
    invalid(operation, `${name} must be a string of ${min}–${max} characters`);
  }
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
