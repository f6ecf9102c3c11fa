import { BEIJING_OFFSET_MS, beijingWallClock } from './beijing-time';
import { DomainError, ErrorCodes } from './errors';

// The server's one statement of the shapes WeChat Pay gives its ids and codes; every adapter and handler checks against
// these. The simulator keeps its own on purpose: it is an independent implementation of WeChat to test against.

/** WeChat Pay out_trade_no: 6–32 characters of digits, letters, _ - | *. */
export const OUT_TRADE_NO_PATTERN = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** WeChat Pay out_refund_no: 1–64 characters of digits, letters, _ - | * @. */
export const OUT_REFUND_NO_PATTERN = /^[0-9A-Za-z_\-|*@]{1,64}$/;
/** WeChat Pay refund_id (its own refund number): 1–64 digits and letters. */
export const REFUND_ID_PATTERN = /^[0-9A-Za-z]{1,64}$/;
/** An openid as WeChat issues them: 1–128 of digits, letters, _ -. */
export const OPENID_PATTERN = /^[0-9A-Za-z_-]{1,128}$/;
/** apply-abnormal-refund's bank_type, a bank code such as ICBC_DEBIT: 1–128 of digits, letters, _. */
export const BANK_TYPE_PATTERN = /^[0-9A-Za-z_]{1,128}$/;
/** apply-abnormal-refund's bank_account: a card number of 8–32 digits. */
export const BANK_ACCOUNT_PATTERN = /^\d{8,32}$/;

/** First character of every out_trade_no we generate. */
export const ORDER_ID_PREFIX = 'O';
/** First character of every out_refund_no we generate. */
export const REFUND_ID_PREFIX = 'R';
/** How many random base62 characters a generated id carries (62^10 ≈ 8·10^17 per millisecond). */
export const ID_RANDOM_CHARS = 10;
/** The 62 characters of base62, in ASCII order (so that encoded values sort like the values). */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Ids carry Beijing wall-clock time so that support staff read them like the bills do.
/** Earliest time an id can carry: 2000-01-01 00:00:00.000 Beijing time, epoch ms. */
export const MIN_ID_TIME_MS = Date.UTC(2000, 0, 1) - BEIJING_OFFSET_MS;
/** Latest time an id can carry: 9999-12-31 23:59:59.999 Beijing time, epoch ms (the year stays 4 digits). */
export const MAX_ID_TIME_MS = Date.UTC(10000, 0, 1) - BEIJING_OFFSET_MS - 1;

const RANDOM_PATTERN = new RegExp(`^[0-9A-Za-z]{${ID_RANDOM_CHARS}}$`);

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 17 digits yyyyMMddHHmmssSSS of Beijing time; throws TIME.INVALID outside MIN_ID_TIME_MS..MAX_ID_TIME_MS. */
function beijingStamp(nowMs: number): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < MIN_ID_TIME_MS || nowMs > MAX_ID_TIME_MS) {
    throw new DomainError(
      ErrorCodes.TIME_INVALID,
      'id time must be an integer epoch-ms between the years 2000 and 9999',
      {
        nowMs: Number.isFinite(nowMs) ? nowMs : String(nowMs),
      },
    );
  }
  const d = beijingWallClock(nowMs);
  return (
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2) +
    pad(d.getUTCMilliseconds(), 3)
  );
}

function makeId(prefix: string, nowMs: number, randomBase62: string): string {
  if (typeof randomBase62 !== 'string' || !RANDOM_PATTERN.test(randomBase62)) {
    throw new DomainError(
      ErrorCodes.IDS_BAD_RANDOM,
      `an id needs exactly ${ID_RANDOM_CHARS} random base62 characters`,
    );
  }
  return `${prefix}${beijingStamp(nowMs)}${randomBase62}`;
}

/**
 * A new out_trade_no: "O" + Beijing time yyyyMMddHHmmssSSS + the caller's 10 random base62 characters (28 chars).
 * Ids sort by creation time. Throws TIME.INVALID or IDS.BAD_RANDOM. Uniqueness rests on the randomness and the
 * database's unique index.
 */
export function newOutTradeNo(nowMs: number, randomBase62: string): string {
  return makeId(ORDER_ID_PREFIX, nowMs, randomBase62);
}

/** A new out_refund_no, like newOutTradeNo but prefixed "R". */
export function newOutRefundNo(nowMs: number, randomBase62: string): string {
  return makeId(REFUND_ID_PREFIX, nowMs, randomBase62);
}

/**
 * `length` base62 characters from random bytes (integers 0–255) without modulo bias: bytes >= 248 are skipped.
 * Pass about 2 × length bytes; throws IDS.BAD_RANDOM if they run out or are not bytes.
 */
export function base62FromBytes(bytes: ArrayLike<number>, length: number = ID_RANDOM_CHARS): string {
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new DomainError(ErrorCodes.IDS_BAD_RANDOM, 'length must be a whole number >= 1');
  }
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i += 1) {
    const b = bytes[i];
    if (b === undefined || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new DomainError(
        ErrorCodes.IDS_BAD_RANDOM,
        `random input must be bytes 0-255, got ${String(b)} at ${i}`,
      );
    }
    // 248 = 4 × 62: accepting only 0..247 gives every character exactly 4 bytes, so all are equally likely.
    if (b < 248) out += BASE62_ALPHABET[b % 62] ?? '';
  }
  if (out.length < length) {
    throw new DomainError(
      ErrorCodes.IDS_BAD_RANDOM,
      `not enough random bytes for ${length} base62 characters`,
    );
  }
  return out;
}
