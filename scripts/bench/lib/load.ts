// Load-driving helpers shared by the bench (and usable by chaos runs): a fixed-concurrency runner and percentiles. The
// HTTP client is the harness's (devcloud/harness), which reads each invocation's database round trips.

/** Runs `task(i)` for i = 0..count-1 with at most `concurrency` in flight; answers results in index order. */
export async function runConcurrent<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
  return out;
}

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** The most common value (ties: the smaller); NaN for none. Round trips per operation are reported this way. */
export function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [v, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/** Seconds elapsed since `startNs` (process.hrtime.bigint()). */
export function secondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/**
 * The bench's warm-up rule, over the CPU per checkout of each unmeasured round so far: warm once `patience` rounds in a
 * row did not lower the best round by `gain` or more (the cost has stopped falling), after `minRounds`; or after
 * `maxRounds` in any case. V8 keeps optimising a function's code over its first thousands of calls, on threads whose CPU
 * counts as the process's, so a phase measured earlier would charge the shop for its compiler. It does so in steps, with
 * flat stretches between them: on 2026-12-07 a stack's checkout fell 2.7 → 1.8 ms between its 1,600th and 4,400th
 * checkout after two flat rounds near 2.7 ms (the optimising compiler still 7 % of the CPU at the 1,200th, half of
 * the helper threads' time), so the minimum is thousands of calls at the full bench's rounds (8 × 300–400).
 */
export const WARM_UP = { gain: 0.05, patience: 3, minRounds: 8, maxRounds: 16 } as const;

/** True when the rounds `cpuPerRound` say the warm-up is over ({@link WARM_UP}). */
export function warmedUp(cpuPerRound: readonly number[]): boolean {
  let best = Number.POSITIVE_INFINITY;
  let flat = 0;
  for (const v of cpuPerRound) {
    flat = v < best * (1 - WARM_UP.gain) ? 0 : flat + 1;
    best = Math.min(best, v);
  }
  const n = cpuPerRound.length;
  return n >= WARM_UP.maxRounds || (n >= WARM_UP.minRounds && flat >= WARM_UP.patience);
}
