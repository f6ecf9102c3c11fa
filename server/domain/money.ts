import { DomainError, ErrorCodes } from './errors';

declare const fenBrand: unique symbol;
/** An amount of money in fen (1/100 yuan): a safe, non-negative integer. The only money type on the server. */
export type Fen = number & { readonly [fenBrand]: 'Fen' };

/** Validates `value` as an amount of fen: a safe integer >= 0. Throws MONEY.* otherwise. */
export function fen(value: number): Fen {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new DomainError(ErrorCodes.MONEY_NOT_INTEGER, `amount must be an integer number of fen, got ${String(value)}`);
  }
  if (value < 0) throw new DomainError(ErrorCodes.MONEY_NEGATIVE, `amount must not be negative, got ${value}`);
  if (!Number.isSafeInteger(value)) throw new DomainError(ErrorCodes.MONEY_OVERFLOW, `amount ${value} is too large`);
  return value as Fen;
}

/** Validates `value` as a chargeable amount: an integer of at least 1 fen (WeChat's minimum total). */
export function positiveFen(value: number): Fen {
  const v = fen(value);
  if (v < 1) throw new DomainError(ErrorCodes.MONEY_NOT_POSITIVE, 'amount must be at least 1 fen');
  return v;
}

export const ZERO_FEN: Fen = 0 as Fen;

/** a + b, refusing results beyond the safe-integer range. */
export function addFen(a: Fen, b: Fen): Fen {
  return fen(a + b);
}

/** a - b; throws MONEY.NEGATIVE if b > a. */
export function subtractFen(a: Fen, b: Fen): Fen {
  return fen(a - b);
}

/** unit price × quantity (quantity a non-negative integer). */
export function multiplyFen(unit: Fen, quantity: number): Fen {
  if (!Number.isInteger(quantity) || quantity < 0) {
    throw new DomainError(ErrorCodes.MONEY_NOT_INTEGER, `quantity must be a non-negative integer, got ${quantity}`);
  }
  return fen(unit * quantity);
}

/** Sum of amounts (0 for none). */
export function sumFen(amounts: readonly Fen[]): Fen {
  return amounts.reduce<Fen>((acc, x) => addFen(acc, x), ZERO_FEN);
}

/** Formats fen as yuan for display with integer math only: 1234 → "12.34", 5 → "0.05". */
export function formatYuan(amount: Fen): string {
  const yuan = Math.floor(amount / 100);
  const rest = amount % 100;
  return `${yuan}.${rest < 10 ? '0' : ''}${rest}`;
}

/**
 * Parses a yuan string as WeChat's bills print it ("12.34", "0.01", "12", "12.3") into fen without floats.
 * Throws MONEY.BAD_YUAN for anything else (signs, more than 2 decimals, exponents, spaces).
 */
export function parseYuan(text: string): Fen {
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) throw new DomainError(ErrorCodes.MONEY_BAD_YUAN, `not a yuan amount: "${text}"`);
  const whole = Number(m[1]);
  const frac = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  return fen(whole * 100 + frac);
}

/**
 * Splits `total` over `weights` in proportion, so that the parts sum exactly to `total`.
 * Largest-remainder method; ties go to the earlier index. Weights are non-negative integers, not all zero.
 */
export function allocateFen(total: Fen, weights: readonly number[]): Fen[] {
  if (weights.length === 0) throw new DomainError(ErrorCodes.MONEY_NOT_POSITIVE, 'allocation needs at least one weight');
  let weightSum = 0;
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) {
      throw new DomainError(ErrorCodes.MONEY_NOT_INTEGER, `weights must be non-negative integers, got ${w}`);
    }
    weightSum += w;
  }
  if (weightSum === 0) throw new DomainError(ErrorCodes.MONEY_NOT_POSITIVE, 'allocation weights are all zero');
  if (!Number.isSafeInteger(total * weightSum)) {
    throw new DomainError(ErrorCodes.MONEY_OVERFLOW, 'allocation product exceeds the safe-integer range');
  }
  const floors = weights.map((w) => Math.floor((total * w) / weightSum));
  const remainders = weights.map((w, i) => ({ i, r: (total * w) % weightSum }));
  let left = total - floors.reduce((a, b) => a + b, 0);
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of remainders) {
    if (left === 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    left -= 1;
  }
  return floors.map((x) => fen(x));
}
