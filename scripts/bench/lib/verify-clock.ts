// The bench's in-place clock on the platform-signature check: every call of node:crypto's one-shot `verify` in the
// stack process (the payment adapter's check of WeChat's signature, in payNotify and in the verify-only baseline
// alike) is timed, so the bench can compare the same code with the same bytes inside the two kinds of request. It
// wraps the function on the module object the functions' bundles read it from (they call `crypto.verify` through it,
// not through a copy), and costs two clock reads per call.
import nodeCrypto from 'node:crypto';

export interface VerifyClock {
  /**
   * The wall-clock durations (µs) of the calls since the last take, and starts over. A sync call of tens of µs: their
   * median leaves out the few the OS preempted.
   */
  take(): number[];
  /** Puts the original function back. */
  uninstall(): void;
}

/** At most this many durations are kept between two takes (a stack nobody asks keeps no more than this). */
export const MAX_KEPT = 100_000;

/** Installs the clock on `target` (node:crypto's module object unless a test gives another). */
export function installVerifyClock(target: { verify: typeof nodeCrypto.verify } = nodeCrypto): VerifyClock {
  const original = target.verify;
  let durations: number[] = [];
  const timed = function (this: unknown, ...args: unknown[]): unknown {
    const t0 = process.hrtime.bigint();
    try {
      return Reflect.apply(original, this, args);
    } finally {
      if (durations.length < MAX_KEPT) durations.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  } as typeof nodeCrypto.verify;
  const put = (fn: typeof nodeCrypto.verify): void => {
    Object.defineProperty(target, 'verify', {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  };
  put(timed);
  return {
    take: () => {
      const out = durations;
      durations = [];
      return out;
    },
    uninstall: () => put(original),
  };
}
