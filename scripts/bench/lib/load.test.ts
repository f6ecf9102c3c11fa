// The bench's warm-up rule (./load.ts warmedUp): rounds go on while the CPU per checkout keeps falling by 5 % or more,
// stop after three rounds that do not beat the best, never before eight rounds, never after sixteen.
import { WARM_UP, warmedUp } from './load';

/** `n` rounds at the same cost after a fall from 6 ms to 2 ms. */
const flatAfterFall = (n: number): number[] => [6, 4, 3, 2, ...Array.from({ length: n }, () => 2)];

describe('warmedUp', () => {
  it('goes on while the cost keeps falling by at least the gain', () => {
    expect(warmedUp([])).toBe(false);
    const falling = Array.from({ length: WARM_UP.maxRounds - 1 }, (_, i) => 10 * 0.9 ** i);
    for (let n = 1; n <= falling.length; n++) expect(warmedUp(falling.slice(0, n))).toBe(false);
  });

  it('stops after `patience` rounds in a row that do not beat the best by the gain', () => {
    // 4 falling rounds, then flat ones: warm at the minimum once 3 of them are flat.
    expect(warmedUp(flatAfterFall(3))).toBe(false); // 7 rounds, below the minimum
    expect(warmedUp(flatAfterFall(4))).toBe(true);
    // A round that beats the best by less than the gain counts as flat; one that beats it by more starts over.
    const series = [6, 4, 3, 2.5, 2.4, 2.45, 2.0, 1.98, 2.05];
    expect(warmedUp(series)).toBe(false);
    expect(warmedUp([...series, 2.1])).toBe(true);
  });

  it('does not stop on a plateau before the minimum (a real series: 2.59, 2.59, 2.62, then 1.9)', () => {
    // The first rounds of a run on 2026-12-07 stopped there under the old rule (patience 2, minimum 3); the same
    // code reached 1.88 ms by its eighth round in the other run.
    expect(warmedUp([4.13, 2.97, 2.59, 2.59, 2.62])).toBe(false);
    expect(warmedUp([4.13, 2.97, 2.59, 2.59, 2.62, 2.3, 2.1, 1.9])).toBe(false);
    expect(warmedUp([4.13, 2.97, 2.59, 2.59, 2.62, 2.3, 2.1, 1.9, 1.95, 1.92, 1.98])).toBe(true);
  });

  it('never stops before the minimum nor goes past the maximum', () => {
    const flat = Array.from({ length: WARM_UP.minRounds }, () => 2);
    expect(warmedUp(flat.slice(0, -1))).toBe(false);
    expect(warmedUp(flat)).toBe(true);
    const falling = Array.from({ length: WARM_UP.maxRounds }, (_, i) => 10 * 0.8 ** i);
    expect(warmedUp(falling.slice(0, -1))).toBe(false);
    expect(warmedUp(falling)).toBe(true);
  });
});
