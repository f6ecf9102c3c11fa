import { pooledRandomBytes } from './random-pool';

describe('pooledRandomBytes', () => {
  it('hands out the sizes asked for, never the same bytes twice, across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const b = pooledRandomBytes(16);
      expect(b).toHaveLength(16);
      const hex = b.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    expect(pooledRandomBytes(0)).toHaveLength(0);
    expect(pooledRandomBytes(5_000)).toHaveLength(5_000);
  });

  it('gives the caller its own copy: changing it changes nothing the pool hands out later', () => {
    const a = pooledRandomBytes(32);
    a.fill(7);
    const b = pooledRandomBytes(32);
    expect(b.equals(Buffer.alloc(32, 7))).toBe(false);
  });

  it('looks uniform: every byte value appears about equally often', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4_000; i++) for (const x of pooledRandomBytes(64)) counts[x] = (counts[x] ?? 0) + 1;
    // 256,000 bytes: 1,000 expected per value; a fair source stays well within ±20 %.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1_200);
  });

  it('refuses a size that is not a non-negative integer', () => {
    expect(() => pooledRandomBytes(-1)).toThrow(RangeError);
    expect(() => pooledRandomBytes(1.5)).toThrow(RangeError);
  });
});
