// Invoking a function: a fresh invocation context (caller identity for getWXContext, a round-trip counter), the
// function's time limit, and every failure turned into a structured outcome — a throwing or rejecting function never
// takes the gateway down.
import { randomUUID } from 'node:crypto';
import { types } from 'node:util';
import { runInInvocation, type InvocationContext, type InvocationSource } from '../sdk/context';
import { StepTracker, type StepDepth } from '../sdk/steps';
import { FunctionError, type FunctionRegistry } from './loader';
import type { Stats } from './stats';

/** Who calls and how. */
export interface Caller {
  source: InvocationSource;
  openid?: string;
  appid?: string;
  unionid?: string;
}

/** A failed invocation, as answered over HTTP. */
export interface InvocationFailure {
  status: number;
  code: string;
  message: string;
  /** The cloud's errCode for callFunction failures, where one exists. */
  errCode?: number;
}

/** The outcome of one invocation. */
export type InvocationOutcome = {
  requestId: string;
  dbOps: number;
  /** Its dependent steps: database round trips and WeChat Pay calls on its critical path (sdk/steps.ts). */
  depth?: StepDepth;
  durationMs: number;
} & ({ ok: true; result: unknown } | { ok: false; failure: InvocationFailure });

/** Options of {@link FunctionRuntime}. */
export interface RuntimeOptions {
  registry: FunctionRegistry;
  stats: Stats;
  envId: string;
  /** Overrides every function's config.json timeout (ms). */
  functionTimeoutMs?: number;
  log: (line: string) => void;
}

class TimeoutError extends Error {}

/** Runs functions from a registry. */
export class FunctionRuntime {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly opts: RuntimeOptions) {}

  /** Invokes `name` with `event` as `caller` (request id generated unless given); never rejects. */
  async invoke(
    name: string,
    event: unknown,
    caller: Caller,
    requestId: string = randomUUID(),
  ): Promise<InvocationOutcome> {
    const started = Date.now();
    const ctx: InvocationContext = {
      functionName: name,
      requestId,
      source: caller.source,
      dbOps: 0,
      steps: new StepTracker(),
    };
    if (caller.openid !== undefined) ctx.openid = caller.openid;
    if (caller.appid !== undefined) ctx.appid = caller.appid;
    if (caller.unionid !== undefined) ctx.unionid = caller.unionid;
    const done = (
      o: { ok: true; result: unknown } | { ok: false; failure: InvocationFailure },
    ): InvocationOutcome => {
      const durationMs = Date.now() - started;
      this.opts.stats.recordInvocation(name, {
        ok: o.ok,
        timeout: !o.ok && o.failure.code === 'DEVCLOUD.FUNCTION_TIMEOUT',
        dbOps: ctx.dbOps,
        durationMs,
        ...(o.ok ? {} : { error: o.failure.message }),
      });
      return {
        ...o,
        requestId,
        dbOps: ctx.dbOps,
        depth: ctx.steps?.depth() ?? { db: 0, pay: 0 },
        durationMs,
      };
    };

    let main: (event: unknown, context: unknown) => unknown;
    let timeoutMs: number;
    try {
      main = this.opts.registry.load(name).main;
      timeoutMs = this.opts.functionTimeoutMs ?? this.opts.registry.config(name).timeoutMs;
    } catch (e) {
      if (e instanceof FunctionError) {
        const status =
          e.code === 'DEVCLOUD.FUNCTION_NOT_FOUND'
            ? 404
            : e.code === 'DEVCLOUD.FUNCTION_NOT_BUILT'
              ? 503
              : 500;
        return done({ ok: false, failure: { status, code: e.code, message: e.message } });
      }
      return done({
        ok: false,
        failure: { status: 500, code: 'DEVCLOUD.FUNCTION_LOAD_FAILED', message: (e as Error).message },
      });
    }

    const context = {
      request_id: requestId,
      function_name: name,
      function_version: '$LATEST',
      namespace: this.opts.envId,
      time_limit_in_ms: timeoutMs,
      memory_limit_in_mb: 256,
    };
    const run = runInInvocation(ctx, () => Promise.resolve().then(() => main(event, context)));
    const tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(tracked);
    void tracked.then(() => this.inflight.delete(tracked));

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), timeoutMs);
    });
    try {
      const result = await Promise.race([run, timeout]);
      return done({ ok: true, result });
    } catch (e) {
      if (e instanceof TimeoutError) {
        const message = `Invoking task timed out after ${timeoutMs / 1000} seconds (function "${name}")`;
        this.opts.log(`[devcloud] ${message}`);
        return done({
          ok: false,
          failure: { status: 504, code: 'DEVCLOUD.FUNCTION_TIMEOUT', message, errCode: -504003 },
        });
      }
      // Function code runs in another realm under jest: `instanceof Error` would miss its errors.
      const isError = types.isNativeError(e);
      const message = isError ? `${e.name}: ${e.message}` : `non-Error thrown: ${safeString(e)}`;
      this.opts.log(
        `[devcloud] function "${name}" failed (request ${requestId}): ${isError ? (e.stack ?? message) : message}`,
      );
      return done({
        ok: false,
        failure: {
          status: 500,
          code: 'DEVCLOUD.FUNCTION_FAILED',
          message: `functions execute fail: ${message}`,
          errCode: -504002,
        },
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits (at most `maxMs`) for invocations still running, e.g. ones that outlived their timeout. */
  async drain(maxMs: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inflight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
