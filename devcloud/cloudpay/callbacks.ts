// The payment callback: after a payment, the cloud function named at unifiedOrder is invoked with v2's notification
// fields until it answers errcode 0, on v2's retry schedule (scaled for tests), surviving restarts through the store.
import type { CloudPayLedger } from './ledger';
import type { CallbackStatus, InvokeFunction } from './types';
import { isRecord, type V2Answers } from './v2-wire';

/** What callback delivery needs. */
export interface CallbackDeps {
  ledger: CloudPayLedger;
  answers: V2Answers;
  invokeFunction: InvokeFunction;
  /** Retry delays in ms before scaling; attempts = 1 + its length. */
  schedule: readonly number[];
  timeScale: number;
  /** Runs `fn` alone among the stand-in's operations. */
  exclusive: <T>(fn: () => Promise<T> | T) => Promise<T>;
  log: (line: string) => void;
}

/** Delivers payment callbacks and knows which are running or scheduled. */
export class CallbackDelivery {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly d: CallbackDeps) {}

  /** Delivers the callback of a just-paid order once; retries follow in the background. */
  deliverNow(outTradeNo: string): Promise<void> {
    return this.track(this.deliver(outTradeNo));
  }

  /** Re-schedules callbacks of paid orders that were never acknowledged (after a restart of the local cloud). */
  async resume(): Promise<number> {
    let n = 0;
    for (const rec of await this.d.ledger.allOrders()) {
      const c = rec.callback;
      if (rec.transactionId !== null && !c.acknowledged && !c.gaveUp && !this.timers.has(rec.outTradeNo)) {
        this.later(rec.outTradeNo, 0);
        n++;
      }
    }
    return n;
  }

  /** Resolves when no callback delivery is running or scheduled. */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduled retries and waits for running deliveries. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }

  wakeIdle(): void {
    if (this.timers.size > 0 || this.inflight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    return p.finally(() => {
      this.inflight.delete(p);
      this.wakeIdle();
    });
  }

  private later(outTradeNo: string, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(outTradeNo);
      void this.track(this.deliver(outTradeNo));
    }, delayMs * this.d.timeScale);
    this.timers.set(outTradeNo, timer);
  }

  // One delivery attempt; schedules the next one unless acknowledged, closed, or the schedule is used up.
  private async deliver(outTradeNo: string): Promise<void> {
    if (this.closed) return;
    const { ledger } = this.d;
    const rec = await ledger.order(outTradeNo);
    if (!rec || rec.transactionId === null || rec.callback.acknowledged) return;
    let acknowledged = false;
    let lastError: string | null = null;
    try {
      const answer = await this.d.invokeFunction(rec.functionName, this.d.answers.callbackEvent(rec));
      acknowledged = isRecord(answer) && answer.errcode === 0;
      if (!acknowledged) lastError = `answered ${JSON.stringify(answer)?.slice(0, 200) ?? String(answer)}`;
    } catch (e) {
      lastError = `invocation failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300);
    }
    const attempts = rec.callback.attempts + 1;
    const nextDelay = acknowledged ? undefined : this.d.schedule[attempts - 1];
    const callback: CallbackStatus = {
      attempts,
      acknowledged,
      gaveUp: !acknowledged && nextDelay === undefined,
      lastError,
    };
    await this.d.exclusive(async () => {
      const fresh = await ledger.order(outTradeNo);
      if (fresh) await ledger.putOrder({ ...fresh, callback });
    });
    this.d.log(
      `callback ${rec.functionName} for ${outTradeNo}: attempt ${attempts}, ${acknowledged ? 'acknowledged' : (lastError ?? 'not acknowledged')}`,
    );
    if (nextDelay !== undefined) this.later(outTradeNo, nextDelay);
  }
}
