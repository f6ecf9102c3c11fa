// The bench's warm-up rule (./load.ts warmedUp): rounds go on while the CPU per checkout keeps falling by 5 % or more,
// stop after two rounds that do not beat the best, never before three rounds, never after ten.
import { WARM_UP, warmedUp } from './load';

describe('warmedUp', () => {
  it('goes on while the cost keeps falling by at least the gain', () => {
    expect(warmedUp([])).toBe(false);
    expect(warmedUp([6, 4, 3])).toBe(false);
    expect(warmedUp([6, 4, 3, 2.5, 2])).toBe(false);
  });

  it('stops after `patience` rounds in a row that do not beat the best by the gain', () => {
    expect(warmedUp([4, 3, 2.9])).toBe(false);
    expect(warmedUp([4, 3, 2.9, 3.1])).toBe(true);
    // A round that beats the best by less than the gain counts as flat; one that beats it by more starts over.
    expect(warmedUp([4, 3, 2.9, 2.0])).toBe(false);
    expect(warmedUp([4, 3, 2.9, 2.0, 1.95, 2.1])).toBe(true);
  });

  it('never stops before the minimum nor goes past the maximum', () => {
    expect(warmedUp([2, 2])).toBe(false);
    expect(warmedUp([2, 2, 2])).toBe(true);
    const falling = Array.from({ length: WARM_UP.maxRounds }, (_, i) => 10 * 0.8 ** i);
    expect(warmedUp(falling.slice(0, -1))).toBe(false);
    expect(warmedUp(falling)).toBe(true);
  });
});
