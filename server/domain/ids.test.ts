import fc from 'fast-check';
import { DomainError, ErrorCodes } from './errors';
import {
  BASE62_ALPHABET,
  ID_RANDOM_CHARS,
  MAX_ID_TIME_MS,
  MIN_ID_TIME_MS,
  OUT_REFUND_NO_PATTERN,
  OUT_TRADE_NO_PATTERN,
  base62FromBytes,
  newOutRefundNo,
  newOutTradeNo,
} from './ids';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const random = fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET), minLength: 10, maxLength: 10 });
const time = fc.integer({ min: MIN_ID_TIME_MS, max: MAX_ID_TIME_MS });

describe('newOutTradeNo / newOutRefundNo', () => {
  // 2026-11-23T10:34:56.789+08:00
  const now = Date.UTC(2026, 10, 23, 2, 34, 56, 789);

  it('writes prefix, Beijing time to the millisecond, then the random characters', () => {
    expect(newOutTradeNo(now, 'aZ09bY18cX')).toBe('O20261123103456789aZ09bY18cX');
    expect(newOutRefundNo(now, 'aZ09bY18cX')).toBe('R20261123103456789aZ09bY18cX');
  });

  it('crosses midnight in Beijing, not in UTC', () => {
    // 2026-12-31T16:00:00Z is 2027-01-01 00:00 in Beijing
    expect(newOutTradeNo(Date.UTC(2026, 11, 31, 16), '0000000000')).toBe('O20270101000000000' + '0000000000');
  });

  it('refuses random parts of the wrong length or alphabet with IDS.BAD_RANDOM', () => {
    for (const bad of ['', 'short', 'aZ09bY18cX1', 'aZ09bY18c-', 'aZ09bY18c ', 'aZ09bY18cé']) {
      expect(refusal(() => newOutTradeNo(now, bad)).code).toBe(ErrorCodes.IDS_BAD_RANDOM);
    }
  });

  it('refuses times that are not integers in 2000..9999 with TIME.INVALID', () => {
    for (const bad of [Number.NaN, 1.5, MIN_ID_TIME_MS - 1, MAX_ID_TIME_MS + 1, Number.POSITIVE_INFINITY]) {
      expect(refusal(() => newOutTradeNo(bad, 'aZ09bY18cX')).code).toBe(ErrorCodes.TIME_INVALID);
    }
  });

  it('every generated id matches the WeChat formats and carries its kind and random part (property)', () => {
    fc.assert(
      fc.property(time, random, (t, r) => {
        const order = newOutTradeNo(t, r);
        const refund = newOutRefundNo(t, r);
        return (
          OUT_TRADE_NO_PATTERN.test(order) &&
          order.length === 28 &&
          OUT_REFUND_NO_PATTERN.test(refund) &&
          OUT_TRADE_NO_PATTERN.test(refund) &&
          order.startsWith('O') &&
          refund.startsWith('R') &&
          order.endsWith(r) &&
          order.slice(1) === refund.slice(1)
        );
      }),
    );
  });

  it('ids sort by creation time (property)', () => {
    fc.assert(
      fc.property(time, time, random, random, (t1, t2, r1, r2) => {
        fc.pre(t1 !== t2);
        const a = newOutTradeNo(t1, r1);
        const b = newOutTradeNo(t2, r2);
        return t1 < t2 ? a < b : a > b;
      }),
    );
  });
});

describe('base62FromBytes', () => {
  it('maps bytes below 248 onto the alphabet and skips the rest, so every character is equally likely', () => {
    expect(base62FromBytes([0, 61, 62, 247, 248, 255, 10], 5)).toBe('0z0zA');
    // each character is hit by exactly 4 of the 248 accepted byte values
    const counts = new Map<string, number>();
    for (let b = 0; b < 256; b += 1) {
      try {
        const c = base62FromBytes([b], 1);
        counts.set(c, (counts.get(c) ?? 0) + 1);
      } catch {
        expect(b).toBeGreaterThanOrEqual(248);
      }
    }
    expect(counts.size).toBe(62);
    expect([...counts.values()].every((n) => n === 4)).toBe(true);
  });

  it('defaults to the id random length and feeds newOutTradeNo', () => {
    const bytes = Array.from({ length: 20 }, (_, i) => i * 7);
    const r = base62FromBytes(bytes);
    expect(r).toHaveLength(ID_RANDOM_CHARS);
    expect(OUT_TRADE_NO_PATTERN.test(newOutTradeNo(Date.UTC(2026, 0, 1), r))).toBe(true);
  });

  it('refuses too few bytes, non-bytes and bad lengths with IDS.BAD_RANDOM', () => {
    expect(refusal(() => base62FromBytes([1, 2, 255, 3], 4)).code).toBe(ErrorCodes.IDS_BAD_RANDOM);
    expect(refusal(() => base62FromBytes([1, 256, 3], 2)).code).toBe(ErrorCodes.IDS_BAD_RANDOM);
    expect(refusal(() => base62FromBytes([1, -1, 3], 2)).code).toBe(ErrorCodes.IDS_BAD_RANDOM);
    expect(refusal(() => base62FromBytes([1, 2], 0)).code).toBe(ErrorCodes.IDS_BAD_RANDOM);
  });

  it('accepts a Uint8Array', () => {
    expect(base62FromBytes(new Uint8Array([1, 2, 3]), 3)).toBe('123');
  });
});
