// Counters the gateway exposes at /_devcloud/stats: invocations, failures and database round trips per function.

/** Per-function counters. */
export interface FunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  /** Database round trips made by the function, in total and by kind. */
  dbOps: number;
  dbOpsByKind: Record<string, number>;
  /** Round trips of the most recent completed invocation. */
  lastDbOps: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
}

/** One timer trigger run. */
export interface TimerRun {
  functionName: string;
  trigger: string;
  scheduledAt: string;
  onDemand: boolean;
  ok: boolean;
  error?: string;
  dbOps: number;
}

const MAX_TIMER_RUNS = 50;

/** Mutable stats shared by the runtime and the gateway. */
export class Stats {
  private readonly functions = new Map<string, FunctionStats>();
  private readonly timerRuns: TimerRun[] = [];
  readonly startedAt = Date.now();

  private entry(fn: string): FunctionStats {
    let s = this.functions.get(fn);
    if (s === undefined) {
      s = {
        invocations: 0,
        errors: 0,
        timeouts: 0,
        dbOps: 0,
        dbOpsByKind: {},
        lastDbOps: null,
        lastDurationMs: null,
        lastError: null,
      };
      this.functions.set(fn, s);
    }
    return s;
  }

  /** Counts one database round trip for `fn` ("(admin)" and "(client)" for the admin handle and the client endpoint). */
  recordDbOp(fn: string, kind: string): void {
    const s = this.entry(fn);
    s.dbOps += 1;
    s.dbOpsByKind[kind] = (s.dbOpsByKind[kind] ?? 0) + 1;
  }

  /** Records a finished invocation. */
  recordInvocation(
    fn: string,
    outcome: { ok: boolean; timeout?: boolean; dbOps: number; durationMs: number; error?: string },
  ): void {
    const s = this.entry(fn);
    s.invocations += 1;
    if (!outcome.ok) s.errors += 1;
    if (outcome.timeout === true) s.timeouts += 1;
    s.lastDbOps = outcome.dbOps;
    s.lastDurationMs = outcome.durationMs;
    if (outcome.error !== undefined) s.lastError = outcome.error;
  }

  /** Records a timer run (the last 50 are kept). */
  recordTimerRun(run: TimerRun): void {
    this.timerRuns.push(run);
    if (this.timerRuns.length > MAX_TIMER_RUNS)
      this.timerRuns.splice(0, this.timerRuns.length - MAX_TIMER_RUNS);
  }

  /** A JSON-ready copy. */
  snapshot(): { startedAt: string; functions: Record<string, FunctionStats>; timerRuns: TimerRun[] } {
    const functions: Record<string, FunctionStats> = {};
    for (const [k, v] of [...this.functions].sort(([a], [b]) => a.localeCompare(b))) {
      functions[k] = { ...v, dbOpsByKind: { ...v.dbOpsByKind } };
    }
    return { startedAt: new Date(this.startedAt).toISOString(), functions, timerRuns: [...this.timerRuns] };
  }
}
