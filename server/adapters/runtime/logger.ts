/** A structured logger: one JSON object per line, with the invocation's correlation fields on every line. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (e.g. requestId, outTradeNo). */
  child(fields: Record<string, unknown>): Logger;
}

// Field names that may carry secrets are redacted wherever they appear, however deep.
const SECRET_KEY = /(private.?key|api.?v3.?key|apikey|secret|password|pay.?sign|signature|authorization|pem)/i;

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

/** Writes JSON lines through `write` (console.log by default), stamping time with `now`. */
export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => console.log(line),
  now: () => number = () => Date.now(),
): Logger {
  const emit = (level: string, event: string, fields?: Record<string, unknown>) => {
    const record = { level, event, time: new Date(now()).toISOString(), ...base, ...(fields ?? {}) };
    write(JSON.stringify(redact(record)));
  };
  return {
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    child: (fields) => createLogger({ ...base, ...fields }, write, now),
  };
}
