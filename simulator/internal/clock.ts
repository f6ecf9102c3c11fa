/** The persisted state of a virtual clock: at real time `realMs` it read `virtualMs`, running at `timeScale`. */
export interface ClockState {
  virtualMs: number;
  realMs: number;
  timeScale: number;
}

/**
 * Business time of the simulator (order expiry, retries, refunds, bills). It runs at `timeScale` × real speed and
 * jumps forward on demand; it never runs backwards. Transport timestamps (signatures) use the wall clock instead.
 */
export class VirtualClock {
  private anchorVirtual: number;
  private anchorReal: number;
  private scale: number;

  /** Starts at `state` (continuing the time that passed since it was saved) or at the wall clock. */
  constructor(
    state: ClockState | undefined,
    timeScale: number,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`timeScale must be a positive finite number, got ${String(timeScale)}`);
    }
    const real = this.realNow();
    this.anchorReal = real;
    this.anchorVirtual = state ? state.virtualMs + Math.max(0, real - state.realMs) * state.timeScale : real;
    this.scale = timeScale;
  }

  /** Virtual now in epoch milliseconds (integer). */
  now(): number {
    return Math.floor(this.anchorVirtual + (this.realNow() - this.anchorReal) * this.scale);
  }

  /** Real-time speed multiplier. */
  get timeScale(): number {
    return this.scale;
  }

  /** Changes the speed from now on without moving the current time. */
  setTimeScale(timeScale: number): void {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`timeScale must be a positive finite number, got ${String(timeScale)}`);
    }
    this.rebase(this.now());
    this.scale = timeScale;
  }

  /** Moves virtual time to `virtualMs` if that is in the future; earlier targets are ignored. */
  jumpTo(virtualMs: number): void {
    if (virtualMs > this.now()) this.rebase(virtualMs);
  }

  /** Real milliseconds until virtual time reaches `virtualMs` (0 if already there). */
  realDelayUntil(virtualMs: number): number {
    return Math.max(0, Math.ceil((virtualMs - this.now()) / this.scale));
  }

  /** A snapshot that a later VirtualClock can continue from. */
  state(): ClockState {
    return { virtualMs: this.now(), realMs: this.realNow(), timeScale: this.scale };
  }

  private rebase(virtualMs: number): void {
    this.anchorVirtual = virtualMs;
    this.anchorReal = this.realNow();
  }
}

/** RFC 3339 in Beijing time (+08:00), second precision, as WeChat prints times: 2026-11-23T10:34:56+08:00. */
export function formatRfc3339Beijing(epochMs: number): string {
  const d = new Date(epochMs + 8 * 3600 * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+08:00`
  );
}

/** "YYYY-MM-DD HH:mm:ss" in Beijing time, as bills print times. */
export function formatBeijingDateTime(epochMs: number): string {
  return formatRfc3339Beijing(epochMs).slice(0, 19).replace('T', ' ');
}

/** "YYYY-MM-DD" of the Beijing calendar day that contains `epochMs`. */
export function beijingDate(epochMs: number): string {
  return formatRfc3339Beijing(epochMs).slice(0, 10);
}

/** Epoch milliseconds of 00:00 Beijing time on `date` (YYYY-MM-DD); undefined if not a real calendar date. */
export function beijingMidnight(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - 8 * 3600 * 1000;
  return beijingDate(ms) === date ? ms : undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 date-time with an explicit offset (Z or ±hh:mm); undefined for anything else. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, , mo, d, h, mi, s] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-31 over to March: refuse dates that do not exist.
  const offset = m[8] === 'Z' || m[8] === undefined ? 0 : offsetMinutes(m[8]);
  const local = new Date(ms + offset * 60000);
  if (local.getUTCDate() !== day || local.getUTCMonth() + 1 !== month) return undefined;
  return ms;
}

function offsetMinutes(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  return sign * (Number(text.slice(1, 3)) * 60 + Number(text.slice(4, 6)));
}
