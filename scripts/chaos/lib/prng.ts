// A seeded PRNG (mulberry32): every choice of a chaos run derives from its seed, so a failing run can be repeated.
// Each order gets its own stream (seed mixed with the order's number), so its choices do not depend on how the
// concurrent orders interleave.

/** A stream of uniform numbers in [0, 1) with helpers. */
export interface Rng {
  next(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Picks a key by weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    chance: (p) => next() < p,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted: (weights) => {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [k, w] of entries) {
        x -= w;
        if (x < 0) return k;
      }
      return entries[entries.length - 1]![0];
    },
  };
  return rng;
}

/** The stream of one item (order number, phase …) of a seeded run. */
export function streamOf(seed: number, item: number, salt = 0): Rng {
  return createRng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(item + 1, 0xc2b2ae35) ^ salt) >>> 0);
}

/** A fresh seed when none was given (printed, so the run can be repeated with --seed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
