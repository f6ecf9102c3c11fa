import { DomainError, ErrorCodes } from './errors';

declare const fenBrand: unique symbol;
/** An amount of money in fen (1/100 yuan): a safe, non-negative integer. The only money type on the server. */
export type Fen = number & { readonly [fenBrand]: 'Fen' };

/**
 * Validates `value` as an amount of fen: a safe integer >= 0. Throws MONEY.NOT_INTEGER for non-numbers, fractions,
 * NaN and ±Infinity, MONEY.NEGATIVE below zero, MONEY.OVERFLOW beyond Number.MAX_SAFE_INTEGER.
 */
export function fen(value: number): Fen {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new DomainError(
      ErrorCodes.MONEY_NOT_INTEGER,
      `amount must be a finite integer number of fen, got ${describe(value)}`,
    );
  }
  if (value < 0)
    throw new DomainError(ErrorCodes.MONEY_NEGATIVE, `amount must not be negative, got ${value}`);
  if (!Number.isSafeInteger(value))
    throw new DomainError(ErrorCodes.MONEY_OVERFLOW, `amount ${value} is too large`);
  // -0 passes every check above; adding 0 turns it into +0 so that Object.is and string forms agree.
  return (value + 0) as Fen;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : `a value of type ${typeof value}`;
}

/** Zero fen. */
export const ZERO_FEN: Fen = 0 as Fen;

/** a + b, refusing results beyond the safe-integer range. */
export function addFen(a: Fen, b: Fen): Fen {
  return fen(a + b);
}

/** a - b; throws MONEY.NEGATIVE if b > a. */
export function subtractFen(a: Fen, b: Fen): Fen {
  return fen(a - b);
}

/** unit price × quantity (quantity a non-negative integer, else MONEY.NOT_INTEGER); refuses overflow. */
export function multiplyFen(unit: Fen, quantity: number): Fen {
  if (!Number.isInteger(quantity) || quantity < 0) {
    throw new DomainError(
      ErrorCodes.MONEY_NOT_INTEGER,
      `quantity must be a non-negative integer, got ${quantity}`,
    );
  }
  return fen(unit * quantity);
}

/** Sum of amounts (0 for none). */
export function sumFen(amounts: readonly Fen[]): Fen {
  return amounts.reduce<Fen>((acc, x) => addFen(acc, x), ZERO_FEN);
}

/**
 * Parses a yuan string as WeChat's bills print it ("12.34", "0.01", "12", "12.3") into fen without floats.
 * Throws MONEY.BAD_YUAN for anything else (signs, more than 2 decimals, exponents, spaces).
 */
export function parseYuan(text: string): Fen {
  if (typeof text !== 'string') {
    throw new DomainError(ErrorCodes.MONEY_BAD_YUAN, `a yuan amount must be a string, got ${describe(text)}`);
  }
  // 16 whole digits are more than any safe amount needs; fen() below turns the too-large ones into MONEY.OVERFLOW.
  const m = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m || m[1] === undefined) {
    throw new DomainError(ErrorCodes.MONEY_BAD_YUAN, `not a yuan amount: "${text.slice(0, 40)}"`);
  }
  const whole = Number(m[1]);
  const frac = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  // When the exact result exceeds 2^53 the float sum does too (rounding is monotonic), so fen() refuses it;
  // when it does not, every step is exact.
  return fen(whole * 100 + frac);
}

/**
 * Splits `total` fen over `weights` in proportion, so that the parts sum exactly to `total` and each part is
 * within 1 fen of its exact share. Largest-remainder method; ties go to the earlier index. Weights are
 * non-negative safe integers, not all zero (MONEY.BAD_WEIGHTS otherwise).
 */
export function allocateFen(total: Fen, weights: readonly number[]): Fen[] {
  const amount = fen(total);
  if (weights.length === 0)
    throw new DomainError(ErrorCodes.MONEY_BAD_WEIGHTS, 'allocation needs at least one weight');
  let weightSum = 0;
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) {
      throw new DomainError(ErrorCodes.MONEY_BAD_WEIGHTS, `weights must be non-negative integers, got ${w}`);
    }
    weightSum += w;
  }
  if (!Number.isSafeInteger(weightSum)) {
    throw new DomainError(ErrorCodes.MONEY_OVERFLOW, 'allocation weights sum beyond the safe-integer range');
  }
  if (weightSum === 0) throw new DomainError(ErrorCodes.MONEY_BAD_WEIGHTS, 'allocation weights are all zero');
  if (!Number.isSafeInteger(amount * weightSum)) {
    throw new DomainError(ErrorCodes.MONEY_OVERFLOW, 'allocation product exceeds the safe-integer range');
  }
  // Every product below is <= amount * weightSum, hence exact; floor via the remainder keeps it integer-only.
  const parts = weights.map((w) => {
    const product = amount * w;
    const remainder = product % weightSum;
    return { floor: (product - remainder) / weightSum, remainder };
  });
  let left = amount - parts.reduce((acc, p) => acc + p.floor, 0);
  const order = parts.map((p, i) => ({ i, r: p.remainder })).sort((a, b) => b.r - a.r || a.i - b.i);
  const result = parts.map((p) => p.floor);
  for (const { i } of order) {
    if (left === 0) break;
    result[i] = (result[i] ?? 0) + 1;
    left -= 1;
  }
  return result.map((x) => fen(x));
}
