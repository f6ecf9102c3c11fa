/** The current time in epoch milliseconds (injected so the simulator's virtual clock and tests can drive it). */
export interface Clock {
  now(): number;
}

/** Random characters for ids and nonces: `count` characters of [0-9A-Za-z] from a cryptographic source. */
export interface RandomSource {
  base62(count: number): string;
}

/** Operational counters (payments created, succeeded, failed, closed, notifications rejected …). */
export interface Metrics {
  /** Adds `by` (default 1) to the counter `name`; never throws (a metric must not fail a payment). */
  increment(name: string, by?: number): Promise<void>;
}

/** Structured logging as the use cases need it (the runtime's Logger satisfies it). */
export interface Log {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}
