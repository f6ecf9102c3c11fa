// Every background job is a queue over documents (docs/API.md "Jobs"): a due time, an attempt count with backoff, a
// settle rule that takes the document out for good, and a give-up state a person sees. This is the shared shape and
// its arithmetic; each job owns its settle rule.

/** One document's place in one job's queue, stored on the document itself (e.g. `closeJob` on an order). */
export interface JobState {
  /**
   * 'queued': the job will look at it (at nextAttemptAtMs); 'settled': nothing left to do; 'gave-up': too many failures,
   * a person must look. Queries pin this by equality, so a run reads queued documents only.
   */
  state: 'queued' | 'settled' | 'gave-up';
  /**
   * When the job should look at the document next (epoch ms, business clock). null: out of the queue — settled, or
   * given up (then `gaveUpAtMs` is set). Runs take documents with nextAttemptAtMs ≤ now, in this order.
   */
  nextAttemptAtMs: number | null;
  /** Failed attempts since the document last made progress (drives the backoff). */
  attempts: number;
  /** The last failure, short and free of secrets (shown to a person). */
  lastError: string | null;
  /** Set when the job gave up after too many failures: a person must look (the console marks these). */
  gaveUpAtMs: number | null;
}

/** How a queue backs off: base × 2^(attempts−1), capped; it gives up after `maxAttempts` failures. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

/** The default backoff: 1, 2, 4 … minutes, at most an hour apart, a person is asked after 12 failures (~7 h). */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 3_600_000, maxAttempts: 12 };

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

/** Progress without settling (e.g. WeChat's 5-minute guard): due again at `atMs`, failures forgotten. */
export function dueAgainAt(prev: JobState | null | undefined, atMs: number): JobState {
  return { ...queuedAt(atMs), lastError: prev?.lastError ?? null };
}

/** The wait before attempt number `attempts + 1`, after `attempts` failures (≥ 1). */
export function backoffMs(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
}

/** A failed attempt: due again after the backoff, or given up (out of the queue, waiting for a person). */
export function failedAttempt(
  prev: JobState | null | undefined,
  nowMs: number,
  error: unknown,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): JobState {
  const attempts = (prev?.attempts ?? 0) + 1;
  const lastError = describeError(error);
  if (attempts >= policy.maxAttempts) {
    return { state: 'gave-up', nextAttemptAtMs: null, attempts, lastError, gaveUpAtMs: nowMs };
  }
  return {
    state: 'queued',
    nextAttemptAtMs: nowMs + backoffMs(attempts, policy),
    attempts,
    lastError,
    gaveUpAtMs: null,
  };
}

/** True when the job gave up on the document and a person must look. */
export function needsAttention(job: JobState | null | undefined): boolean {
  return job?.state === 'gave-up';
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
