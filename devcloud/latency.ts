// The latency model of the local stack (issue #19): on the platform time is network. Each database operation a function
// makes is a round trip to the cloud database, each WeChat Pay call a round trip to api.mch.weixin.qq.com, each mini
// program call a round trip from the phone over a mobile network. Locally all three are nearly free, so a stack can
// be told to add them: the database delay in the wx-server-sdk stand-in (half before the operation reaches the
// engine, half before its answer returns), the WeChat Pay delay in the simulator (before it handles a /v3/ request),
// the call delay in the gateway (half before a /fn/ invocation starts, half before its answer is sent).
//
// The database's and WeChat Pay's own work (the local engine, the simulator) runs inside their drawn round trip, as the
// server's time is inside a cloud round trip: the answer comes the drawn time after the request, later only when that
// work took longer. A function's own work is never inside a delay: the ratio of a wait to its bound is what it adds.
//
// Spec: `db=8,pay=60,call=80,jitter=0.2` (ms, ms, ms, fraction), or `cloud` (those defaults), or `off`. Each delay is
// drawn independently: base × (1 + jitter × u) with u uniform in [−1, 1], so it lies in [base × (1 − jitter), base ×
// (1 + jitter)] and its mean is the base. LOCAL_LATENCY in the environment sets it for any stack that is not given one.

/** Base delays (ms) and their jitter. */
export interface LatencyModel {
  /** Per database operation (the round trip from a function to the cloud database). */
  dbMs: number;
  /** Per WeChat Pay API call (function → WeChat Pay → function). */
  payMs: number;
  /** Per mini program call (phone → function → phone), on /fn/ only: not on HTTP access or timers. */
  callMs: number;
  /** Each delay is uniform in base × [1 − jitter, 1 + jitter]. */
  jitter: number;
}

/** The cloud defaults: a database round trip of several ms, WeChat Pay tens of ms, a mobile network call ~100 ms. */
export const CLOUD_LATENCY: LatencyModel = { dbMs: 8, payMs: 60, callMs: 80, jitter: 0.2 };

/** The environment variable a stack reads its latency spec from when it is not given one. */
export const LATENCY_ENV = 'LOCAL_LATENCY';

const KEYS: Record<string, keyof LatencyModel> = {
  db: 'dbMs',
  pay: 'payMs',
  call: 'callMs',
  jitter: 'jitter',
};

/**
 * Parses a spec: `cloud`, `off`, or comma-separated `key=value` (db, pay, call in ms; jitter a fraction in [0, 1]),
 * each key over the cloud defaults (`db=20` keeps pay=60, call=80). Null for `off`; throws naming a bad part.
 */
export function parseLatency(spec: string): LatencyModel | null {
  const s = spec.trim();
  if (s === 'off' || s === '') return null;
  const model: LatencyModel = { ...CLOUD_LATENCY };
  if (s === 'cloud') return model;
  for (const part of s.split(',')) {
    const [k, v, extra] = part.split('=').map((x) => x.trim());
    const key = k === undefined ? undefined : KEYS[k];
    const n = Number(v);
    if (
      key === undefined ||
      v === undefined ||
      v === '' ||
      extra !== undefined ||
      !Number.isFinite(n) ||
      n < 0
    )
      throw new Error(`bad latency "${part}" (expected cloud, off or db=MS,pay=MS,call=MS,jitter=FRACTION)`);
    if (key === 'jitter' && n > 1) throw new Error(`bad latency "${part}": jitter is a fraction in [0, 1]`);
    model[key] = n;
  }
  return model;
}

/** The spec in LOCAL_LATENCY, if any. */
export function latencyFromEnv(env: Readonly<Record<string, string | undefined>>): LatencyModel | null {
  const v = env[LATENCY_ENV];
  return v === undefined ? null : parseLatency(v);
}

/** The spec that {@link parseLatency} reads back as `m`. */
export function formatLatency(m: LatencyModel): string {
  return `db=${m.dbMs},pay=${m.payMs},call=${m.callMs},jitter=${m.jitter}`;
}

/** Draws delays of `baseMs` with the model's jitter (`random` in [0, 1), Math.random by default). */
export function delaySampler(
  baseMs: number,
  jitter: number,
  random: () => number = Math.random,
): (() => number) | undefined {
  if (baseMs <= 0) return undefined;
  return () => baseMs * (1 + jitter * (2 * random() - 1));
}

/** How early the timer of {@link sleep} fires before its deadline; the rest is waited out turn by turn. */
const SLEEP_TIMER_SLACK_MS = 1.5;

/**
 * Resolves `ms` after now, to within a fraction of a millisecond; at once for ≤ 0. Node's timers count whole
 * milliseconds and fire late on a busy loop, so a model of 8 ms round trips built on them alone adds ~1 ms per step of
 * its own: the timer is set a little short and the deadline is then waited for with setImmediate (the model's own
 * precision, not the product's cost; only stacks with a latency model sleep at all).
 */
export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  const deadline = performance.now() + ms;
  return new Promise((resolve) => {
    const spin = (): void => {
      if (performance.now() >= deadline) resolve();
      else setImmediate(spin);
    };
    const early = Math.floor(ms - SLEEP_TIMER_SLACK_MS);
    if (early >= 1) setTimeout(spin, early);
    else setImmediate(spin);
  });
}

/**
 * Runs `work` inside a round trip of `ms`: half of it before (the request travelling), the rest after (the answer). With
 * `remote` the work is the far side's (the cloud database's own time, which a cloud round trip includes): the answer
 * arrives `ms` after the request left, later only when the work took longer than the second half. Without it the work is
 * ours (a function invocation between the two halves of a phone's call) and is added to the `ms`. Either way a late
 * first timer (a busy loop) is taken off the second half, so the delay added is the drawn one.
 */
export async function withinRoundTrip<T>(ms: number, work: () => Promise<T>, remote: boolean): Promise<T> {
  const t0 = performance.now();
  await sleep(ms / 2);
  const sent = performance.now();
  try {
    return await work();
  } finally {
    const worked = remote ? 0 : performance.now() - sent;
    await sleep(t0 + ms + worked - performance.now());
  }
}
