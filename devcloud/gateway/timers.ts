// Runs timer triggers on schedule. Each trigger is armed with one timeout for its next firing time; when it fires the
// function is invoked (not awaited: like the cloud, a slow run does not delay the next one) and the trigger re-arms.
import { nextFireTime } from './cron';
import type { TimerTrigger } from './loader';

/** The clock and timer functions the scheduler uses (injectable for tests). */
export interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's real clock and timers. */
export const realClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A trigger's state for stats and the console. */
export interface TimerInfo {
  functionName: string;
  trigger: string;
  config: string;
  nextFireAt: string | null;
}

// setTimeout cannot wait longer than 2^31-1 ms; longer waits re-arm in steps.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Arms every trigger and calls `fire(trigger, scheduledAtMs)` at its times until stop(). */
export class TimerScheduler {
  private readonly handles = new Map<string, unknown>();
  private readonly next = new Map<string, number | undefined>();
  private running = false;

  constructor(
    private readonly triggers: readonly TimerTrigger[],
    private readonly fire: (trigger: TimerTrigger, scheduledAtMs: number) => void,
    private readonly clock: TimerClock = realClock,
    private readonly utcOffsetMinutes?: number,
  ) {}

  /** Starts scheduling (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const t of this.triggers) this.arm(t, this.clock.now());
  }

  private key(t: TimerTrigger): string {
    return `${t.functionName}/${t.name}`;
  }

  private arm(t: TimerTrigger, afterMs: number): void {
    if (!this.running) return;
    const at = nextFireTime(t.schedule, afterMs, this.utcOffsetMinutes);
    this.next.set(this.key(t), at);
    if (at === undefined) return;
    const delay = Math.max(0, at - this.clock.now());
    const handle = this.clock.setTimeout(
      () => {
        if (!this.running) return;
        if (delay > MAX_DELAY_MS) {
          this.arm(t, afterMs);
          return;
        }
        this.arm(t, at);
        this.fire(t, at);
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    this.handles.set(this.key(t), handle);
  }

  /** Stops all timers; no trigger fires afterwards. */
  stop(): void {
    this.running = false;
    for (const h of this.handles.values()) this.clock.clearTimeout(h);
    this.handles.clear();
  }

  /** Each trigger with its next firing time. */
  info(): TimerInfo[] {
    return this.triggers.map((t) => {
      const at = this.next.get(this.key(t));
      return {
        functionName: t.functionName,
        trigger: t.name,
        config: t.config,
        nextFireAt: at === undefined ? null : new Date(at).toISOString(),
      };
    });
  }
}
