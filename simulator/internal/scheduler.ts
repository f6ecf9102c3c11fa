// Runs virtual-time work (deliveries, retries, refund completions, reorder releases) from durable state.
import type { VirtualClock } from './clock';

/** Something with timed work: it reports its next due time and starts the work due at `now`. */
export interface TimedSource {
  /** Earliest virtual time with work not already running, or undefined. */
  nextDueAt(): number | undefined;
  /** Starts every piece of work due at or before `now` that is not running yet; returns their promises. */
  startDue(now: number): Promise<void>[];
}

const MAX_REAL_WAIT_MS = 60_000;

/**
 * A pull scheduler: work lives in the sources' (persisted) state, so a restart just asks again. One real timer
 * is armed for the earliest due time; `advance` steps virtual time from due time to due time, waiting for each
 * step's work (e.g. an HTTP delivery) before computing the next, so retries happen in schedule order.
 */
export class Scheduler {
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly sources: readonly TimedSource[],
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Re-arms the real timer for the earliest due work; call after any state change that adds work. */
  kick(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.nextDueAt();
    if (due === undefined) return;
    const wait = Math.min(this.clock.realDelayUntil(due), MAX_REAL_WAIT_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
      this.kick();
    }, wait);
    this.timer.unref();
  }

  /** Moves virtual time forward by `ms`, running all work due on the way in order. Serialised with other advances. */
  advance(ms: number): Promise<void> {
    const run = this.chain.then(() => this.step(ms));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no work is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops the timer and waits for running work to settle. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private async step(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    for (;;) {
      if (this.closed) return;
      await this.idle();
      const due = this.nextDueAt();
      if (due === undefined || due > target) break;
      this.clock.jumpTo(due);
      this.fire();
    }
    await this.idle();
    this.clock.jumpTo(target);
    this.kick();
  }

  private fire(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const source of this.sources) {
      for (const p of source.startDue(now)) {
        const tracked = p.catch(this.onError).finally(() => {
          this.running.delete(tracked);
          this.kick();
        });
        this.running.add(tracked);
      }
    }
  }

  private nextDueAt(): number | undefined {
    let min: number | undefined;
    for (const s of this.sources) {
      const d = s.nextDueAt();
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }
}
