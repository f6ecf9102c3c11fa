// Every background job is a queue over documents (docs/API.md "Jobs"): a due time, an attempt count with backoff, a
// settle rule that takes the document out for good, and a give-up point where a person is told. This is the shared
// shape, its arithmetic and the loop every run uses; each job owns its settle rule.

/** One document's place in one job's queue, stored on the document itself (e.g. `closeJob` on an order). */
export interface JobState {
  /**
   * 'queued': the job will look at it (at nextAttemptAtMs) — also after it gave up on a queue that keeps asking
   * (`gaveUpAtMs` set); 'settled': nothing left to do; 'gave-up': too many failures on a queue that stops asking, a
   * person must look. Queries pin this by equality, so a run reads queued documents only.
   */
  state: 'queued' | 'settled' | 'gave-up';
  /**
   * When the job should look at the document next (epoch ms, business clock). null: out of the queue — settled, or
   * given up on a queue that stops asking. Runs take documents with nextAttemptAtMs ≤ now, in this order.
   */
  nextAttemptAtMs: number | null;
  /** Failed attempts since the document last made progress (drives the backoff). */
  attempts: number;
  /** The last failure, short and free of secrets (shown to a person). */
  lastError: string | null;
  /**
   * When the job gave up after too many failures: a person must look (the console marks these). Kept while the job
   * still asks and through later progress; cleared when the document settles (or enters the queue afresh: queuedAt).
   */
  gaveUpAtMs: number | null;
}

/**
 * How a queue backs off: base × 2^(attempts−1), capped at `maxMs`; it gives up after `maxAttempts` failures. Giving up
 * always means a person is told (`gaveUpAtMs`, `job.gave_up`); what the queue does then is `afterGiveUp`:
 * - 'stop': the document leaves the queue (state 'gave-up', nextAttemptAtMs null) and waits for the person;
 * - 'keep-asking': it stays queued and is asked every `maxMs` until it settles — for money that is not final yet
 *   (ARCHITECTURE "Jobs": money that is not final is still asked about, slowly).
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
  afterGiveUp: 'stop' | 'keep-asking';
}

/**
 * The default backoff: 1, 2, 4 … minutes, at most an hour apart, a person is asked after 12 failures (~7 h) and the
 * document leaves the queue.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  maxMs: 3_600_000,
  maxAttempts: 12,
  afterGiveUp: 'stop',
};

/** A document entering (or re-entering) a queue, due at `atMs`. */
export function queuedAt(atMs: number): JobState {
  return { state: 'queued', nextAttemptAtMs: atMs, attempts: 0, lastError: null, gaveUpAtMs: null };
}

/** Out of the queue for good: the job's settle rule holds. Keeps the history (attempts, last error). */
export function settled(prev: JobState | null | undefined): JobState {
  return {
    state: 'settled',
    nextAttemptAtMs: null,
    attempts: prev?.attempts ?? 0,
    lastError: prev?.lastError ?? null,
    gaveUpAtMs: null,
  };
}

/**
 * Progress without settling (e.g. WeChat's 5-minute guard): due again at `atMs`, failures forgotten. A person told
 * earlier stays told (`gaveUpAtMs` is kept until the document settles).
 */
export function dueAgainAt(prev: JobState | null | undefined, atMs: number): JobState {
  return { ...queuedAt(atMs), lastError: prev?.lastError ?? null, gaveUpAtMs: prev?.gaveUpAtMs ?? null };
}

/** The wait before attempt number `attempts + 1`, after `attempts` failures (≥ 1). */
export function backoffMs(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
}

/**
 * A failed attempt: due again after the backoff. At the `maxAttempts`-th failure the job gives up (`gaveUpAtMs`; once
 * set it stays until the document settles): the document leaves the queue, or is still asked every `maxMs`
 * (`policy.afterGiveUp`).
 */
export function failedAttempt(
  prev: JobState | null | undefined,
  nowMs: number,
  error: unknown,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): JobState {
  const attempts = (prev?.attempts ?? 0) + 1;
  const lastError = describeError(error);
  const exhausted = attempts >= policy.maxAttempts;
  const gaveUpAtMs = prev?.gaveUpAtMs ?? (exhausted ? nowMs : null);
  if (exhausted && policy.afterGiveUp === 'stop') {
    return { state: 'gave-up', nextAttemptAtMs: null, attempts, lastError, gaveUpAtMs };
  }
  const waitMs = exhausted ? policy.maxMs : backoffMs(attempts, policy);
  return { state: 'queued', nextAttemptAtMs: nowMs + waitMs, attempts, lastError, gaveUpAtMs };
}

/** True when the job gave up on the document and a person must look (whether or not it still asks). */
export function needsAttention(job: JobState | null | undefined): boolean {
  return job !== null && job !== undefined && job.gaveUpAtMs !== null;
}

/** True when `next` is the step where the job gave up (tell a person once, not on every later failure). */
export function gaveUpJustNow(prev: JobState | null | undefined, next: JobState): boolean {
  return !needsAttention(prev) && needsAttention(next);
}

// Errors here are ProviderError/DomainError (code + message) or plain Errors; keep the code and a short message.
function describeError(error: unknown): string {
  if (typeof error === 'string') return error.slice(0, 200);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = typeof code === 'string' ? `${code}: ${error.message}` : error.message;
    return text.slice(0, 200);
  }
  return 'unknown error';
}

/** A refund is first followed up this long after it was requested (its notification usually comes first). */
export const REFUND_FOLLOW_UP_AFTER_MS = 60_000;

/** An unpaid order with a prepay is first asked about this long after the prepay (its notification may be lost). */
export const SYNC_AFTER_MS = 2 * 60_000;

/**
 * Whether a run may still start an item. `loop` names the loop asking (its items' worst-case WeChat calls decide
 * whether one more still fits before the function's timeout: jobs/loops.ts WECHAT_CALLS_PER_ITEM). Items not started
 * keep their due time and, being the earliest due, go first in the next run.
 */
export interface RunLimit<Loop extends string = string> {
  shouldStop(loop: Loop): boolean;
}

/**
 * The loop every queue runs: `step` on each due item in order while the limit lets one more item of `loop` start.
 * Answers how many items were left for the next run.
 */
export async function eachDueItem<T, Loop extends string>(
  items: readonly T[],
  loop: Loop,
  limit: RunLimit<Loop>,
  step: (item: T) => Promise<void>,
): Promise<number> {
  for (const [i, item] of items.entries()) {
    if (limit.shouldStop(loop)) return items.length - i;
    await step(item);
  }
  return 0;
}
