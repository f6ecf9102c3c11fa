import { AsyncLocalStorage } from 'node:async_hooks';

const context = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` with `fields` (e.g. fn, requestId) stamped on every log line written while it runs, however deep. */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return context.run({ ...(context.getStore() ?? {}), ...fields }, fn);
}

/** A structured logger: one JSON object per line, with the invocation's correlation fields on every line. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (e.g. requestId, outTradeNo). */
  child(fields: Record<string, unknown>): Logger;
}

// Field names that may carry secrets are redacted wherever they appear, however deep.
const SECRET_KEY =
  /(private.?key|api.?v3.?key|apikey|secret|password|pay.?sign|signature|authorization|pem)/i;

/** Replaces the values of secret-looking keys with "[redacted]" (recursively, cycle-safe). */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, seen);
  return out;
}

/** Log levels in increasing severity; lines below the configured minimum are dropped. */
export const LOG_LEVELS = ['info', 'warn', 'error', 'silent'] as const;
/** A minimum log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reads a LOG_LEVEL setting; anything unknown means 'info' (log everything). */
export function parseLogLevel(value: string | undefined): LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : 'info';
}

/** Writes JSON lines through `write` (console.log by default), stamping time with `now`, from `minLevel` up. */
export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => console.log(line),
  now: () => number = () => Date.now(),
  minLevel: LogLevel = 'info',
): Logger {
  const floor = LOG_LEVELS.indexOf(minLevel);
  const emit = (level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) < floor) return;
    const record = {
      level,
      event,
      time: new Date(now()).toISOString(),
      ...(context.getStore() ?? {}),
      ...base,
      ...(fields ?? {}),
    };
    write(JSON.stringify(redact(record)));
  };
  return {
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    child: (fields) => createLogger({ ...base, ...fields }, write, now, minLevel),
  };
}
