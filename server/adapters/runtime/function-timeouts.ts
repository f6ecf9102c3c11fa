// How long each cloud function may run (its config.json "timeout"), and the rule that every WeChat request must end
// well inside it: when the platform kills a function first, our own timeout handling (log, answer, leave the job
// due) never runs. function-timeouts.test.ts keeps this table equal to cloudfunctions/*/config.json.

/** Each function's platform timeout in ms (config.json "timeout" × 1000). payNotify: WeChat waits 5 s for an answer. */
export const FUNCTION_TIMEOUTS_MS = {
  shop: 5_000,
  msg: 5_000,
  order: 10_000,
  pay: 10_000,
  refund: 10_000,
  staff: 10_000,
  channelPay: 10_000,
  payNotify: 5_000,
  payCallback: 10_000,
  tradeEvents: 5_000,
  closeExpired: 60_000,
  reconcile: 60_000,
} as const;

/** A cloud function of this project. */
export type FunctionName = keyof typeof FUNCTION_TIMEOUTS_MS;

/** What a function keeps after a WeChat request timed out: database round trips, the log line and the answer. */
export const TIMEOUT_MARGIN_MS = 2_000;

/**
 * Why `requestTimeoutMs` (sent `attempts` times in a row: 1 unless the transport retries) does not fit in `fn`'s
 * timeout with the margin, or null when it fits.
 */
export function requestTimeoutProblem(
  fn: FunctionName,
  requestTimeoutMs: number,
  attempts = 1,
): string | null {
  const limit = FUNCTION_TIMEOUTS_MS[fn];
  const longest = Math.floor((limit - TIMEOUT_MARGIN_MS) / attempts);
  if (requestTimeoutMs * attempts + TIMEOUT_MARGIN_MS <= limit) return null;
  return (
    `must let a request end ${TIMEOUT_MARGIN_MS} ms before the ${fn} function's ${limit} ms timeout ` +
    `(config.json): at most ${longest}`
  );
}

/**
 * How long a timer run keeps taking due items: its timeout minus what one item may still need (`perItemCalls`
 * requests at `requestTimeoutMs`) and the margin. Items not taken stay due and go first next run.
 */
export function jobRunBudgetMs(fn: FunctionName, requestTimeoutMs: number, perItemCalls: number): number {
  return Math.max(0, FUNCTION_TIMEOUTS_MS[fn] - TIMEOUT_MARGIN_MS - requestTimeoutMs * perItemCalls);
}
