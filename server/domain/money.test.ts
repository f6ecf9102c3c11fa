import fc from 'fast-check';
import { ErrorCodes, isDomainError } from './errors';
import type { Fen } from './money';
import { ZERO_FEN, addFen, allocateFen, fen, multiplyFen, parseYuan, subtractFen, sumFen } from './money';

/** Runs `fn` and returns the DomainError code it threw (fails the test if it did not throw one). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

const safeFen = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((n) => n as Fen);

describe('fen()', () => {
  it('accepts safe non-negative integers unchanged', () => {
    expect(fen(0)).toBe(0);
    expect(fen(1)).toBe(1);
    expect(fen(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('normalises -0 to +0', () => {
    expect(Object.is(fen(-0), 0)).toBe(true);
  });

  it.each([
    [-1, ErrorCodes.MONEY_NEGATIVE],
    [-Number.MAX_SAFE_INTEGER, ErrorCodes.MONEY_NEGATIVE],
    [0.5, ErrorCodes.MONEY_NOT_INTEGER],
    [1.000001, ErrorCodes.MONEY_NOT_INTEGER],
    [-0.5, ErrorCodes.MONEY_NOT_INTEGER],
    [Number.NaN, ErrorCodes.MONEY_NOT_INTEGER],
    [Number.POSITIVE_INFINITY, ErrorCodes.MONEY_NOT_INTEGER],
    [Number.NEGATIVE_INFINITY, ErrorCodes.MONEY_NOT_INTEGER],
    [Number.MAX_SAFE_INTEGER + 1, ErrorCodes.MONEY_OVERFLOW],
    [2 ** 60, ErrorCodes.MONEY_OVERFLOW],
  ])('refuses %p with %s', (value, code) => {
    expect(codeOf(() => fen(value))).toBe(code);
  });

  it('refuses values that are not numbers at all (untyped callers)', () => {
    expect(codeOf(() => fen('100' as unknown as number))).toBe(ErrorCodes.MONEY_NOT_INTEGER);
    expect(codeOf(() => fen(null as unknown as number))).toBe(ErrorCodes.MONEY_NOT_INTEGER);
  });

  it('refuses every fractional amount (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, min: -1e12, max: 1e12 }).filter((x) => !Number.isInteger(x)),
        (x) => codeOf(() => fen(x)) === ErrorCodes.MONEY_NOT_INTEGER,
      ),
    );
  });

  it('refuses every negative integer with MONEY.NEGATIVE (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 }), (x) => {
        return codeOf(() => fen(x)) === ErrorCodes.MONEY_NEGATIVE;
      }),
    );
  });

  it('names the type of a refused non-number', () => {
    expect(() => fen({} as unknown as number)).toThrow('got a value of type object');
  });
});

describe('arithmetic', () => {
  it('adds and refuses overflow', () => {
    expect(addFen(fen(150), fen(250))).toBe(400);
    expect(codeOf(() => addFen(fen(Number.MAX_SAFE_INTEGER), fen(1)))).toBe(ErrorCodes.MONEY_OVERFLOW);
  });

  it('subtracts and refuses a negative result', () => {
    expect(subtractFen(fen(500), fen(499))).toBe(1);
    expect(codeOf(() => subtractFen(fen(1), fen(2)))).toBe(ErrorCodes.MONEY_NEGATIVE);
  });

  it('multiplies by whole quantities only', () => {
    expect(multiplyFen(fen(1999), 3)).toBe(5997);
    expect(multiplyFen(fen(1999), 0)).toBe(0);
    expect(codeOf(() => multiplyFen(fen(100), 1.5))).toBe(ErrorCodes.MONEY_NOT_INTEGER);
    expect(codeOf(() => multiplyFen(fen(100), -1))).toBe(ErrorCodes.MONEY_NOT_INTEGER);
    expect(codeOf(() => multiplyFen(fen(2 ** 40), 2 ** 20))).toBe(ErrorCodes.MONEY_OVERFLOW);
  });

  it('sums a list, zero for none', () => {
    expect(sumFen([])).toBe(ZERO_FEN);
    expect(sumFen([fen(1), fen(2), fen(3)])).toBe(6);
  });

  it('addFen and subtractFen are inverse on safe amounts (property)', () => {
    fc.assert(
      fc.property(safeFen, safeFen, (a, b) => {
        fc.pre(a + b <= Number.MAX_SAFE_INTEGER);
        return subtractFen(addFen(a, b), b) === a;
      }),
    );
  });
});

// Yuan text as WeChat's bills print it, built here with integer math (the shop itself never formats yuan).
function yuanText(amount: number): string {
  const rest = amount % 100;
  return `${(amount - rest) / 100}.${rest < 10 ? '0' : ''}${rest}`;
}

describe('parseYuan', () => {
  it.each([
    ['0.01', 1],
    ['0', 0],
    ['12', 1200],
    ['12.3', 1230],
    ['12.34', 1234],
    ['0012.34', 1234],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('parses "%s" as %p fen', (text, amount) => {
    expect(parseYuan(text)).toBe(amount);
  });

  it.each([
    '-1',
    '1.234',
    '1e3',
    ' 1',
    '1 ',
    '',
    '1.',
    '.5',
    '+1',
    '1,000.00',
    '１',
    '0x10',
    'NaN',
    'Infinity',
  ])('refuses "%s" with MONEY.BAD_YUAN', (text) => {
    expect(codeOf(() => parseYuan(text))).toBe(ErrorCodes.MONEY_BAD_YUAN);
  });

  it('refuses amounts beyond the safe range with MONEY.OVERFLOW', () => {
    expect(codeOf(() => parseYuan('90071992547409.92'))).toBe(ErrorCodes.MONEY_OVERFLOW);
    expect(codeOf(() => parseYuan('9999999999999999.99'))).toBe(ErrorCodes.MONEY_OVERFLOW);
  });

  it('refuses a non-string with MONEY.BAD_YUAN', () => {
    expect(codeOf(() => parseYuan(12 as unknown as string))).toBe(ErrorCodes.MONEY_BAD_YUAN);
  });

  it('reads back every safe amount (property)', () => {
    fc.assert(fc.property(safeFen, (amount) => parseYuan(yuanText(amount)) === amount));
  });

  it('reads back amounts at the top of the safe range (property)', () => {
    const nearTop = fc
      .integer({ min: Number.MAX_SAFE_INTEGER - 1_000_000, max: Number.MAX_SAFE_INTEGER })
      .map((n) => n as Fen);
    fc.assert(fc.property(nearTop, (amount) => parseYuan(yuanText(amount)) === amount));
  });
});

describe('allocateFen()', () => {
  it('splits evenly with the remainder going to the earliest parts', () => {
    expect(allocateFen(fen(100), [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateFen(fen(1), [1, 1])).toEqual([1, 0]);
  });

  it('splits in proportion to the weights', () => {
    expect(allocateFen(fen(1000), [1, 3])).toEqual([250, 750]);
    expect(allocateFen(fen(10), [0, 5, 5])).toEqual([0, 5, 5]);
  });

  it('gives the extra fen to the largest remainder, not the earliest index', () => {
    // exact shares 0.3, 0.7 → floors 0, 0, one fen left → the larger remainder (index 1)
    expect(allocateFen(fen(1), [3, 7])).toEqual([0, 1]);
  });

  it('refuses bad weights with MONEY.BAD_WEIGHTS', () => {
    expect(codeOf(() => allocateFen(fen(10), []))).toBe(ErrorCodes.MONEY_BAD_WEIGHTS);
    expect(codeOf(() => allocateFen(fen(10), [0, 0]))).toBe(ErrorCodes.MONEY_BAD_WEIGHTS);
    expect(codeOf(() => allocateFen(fen(10), [1, -1]))).toBe(ErrorCodes.MONEY_BAD_WEIGHTS);
    expect(codeOf(() => allocateFen(fen(10), [1.5]))).toBe(ErrorCodes.MONEY_BAD_WEIGHTS);
  });

  it('refuses a total that is not fen and products beyond the safe range', () => {
    expect(codeOf(() => allocateFen(-5 as Fen, [1]))).toBe(ErrorCodes.MONEY_NEGATIVE);
    expect(codeOf(() => allocateFen(fen(2 ** 40), [2 ** 20, 1]))).toBe(ErrorCodes.MONEY_OVERFLOW);
  });

  it('parts sum exactly to the total and each is within 1 fen of the exact share (property)', () => {
    const weights = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 30 });
    const input = fc
      .tuple(fc.integer({ min: 0, max: 1_000_000_000 }), weights)
      .filter(([, ws]) => ws.some((w) => w > 0));
    fc.assert(
      fc.property(input, ([total, ws]) => {
        const parts = allocateFen(fen(total), ws);
        const weightSum = ws.reduce((a, b) => a + b, 0);
        if (parts.length !== ws.length) return false;
        if (parts.reduce((a, b) => a + b, 0) !== total) return false;
        return parts.every((p, i) => {
          // |p - total*w/W| < 1  ⇔  |p*W - total*w| < W, checked in exact BigInt arithmetic.
          const diff = BigInt(p) * BigInt(weightSum) - BigInt(total) * BigInt(ws[i]!);
          return (diff < 0n ? -diff : diff) < BigInt(weightSum) && Number.isInteger(p) && p >= 0;
        });
      }),
    );
  });

  it('a zero weight always gets zero (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 1000 }), (total, w) => {
        return allocateFen(fen(total), [w, 0, w])[1] === 0;
      }),
    );
  });
});
