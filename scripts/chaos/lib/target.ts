// The running stack as a chaos run sees it: only its outside — the gateway (functions as the mini program and the
// timers call them), the simulator's control API (WeChat's truth, the payer, faults, the clock) and the local cloud's
// loopback admin routes (database reads, write-failure injection). The same client drives an in-process stack and one
// in a child process that is killed with SIGKILL.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimControl, SimControlError } from '../../../simulator/control-client';
import type { SimulatorControl } from '../../../simulator';

const ROOT = resolve(__dirname, '..', '..', '..');

/** A function's answer, or a transport failure (stack down, function timed out, gateway error). */
export type CallResult<T = unknown> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }
  | { ok: false; transport: true; error: { code: string; message: string } };

/** A database document as the admin reads it. */
export type Doc = Record<string, unknown> & { _id: string };

/** What a timer run answered. */
export interface TimerOutcome {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: string;
}

/** Database write-failure injection (devcloud's POST /_devcloud/faults). */
export interface DbWriteFaults {
  rate: number;
  when?: 'before' | 'after' | 'either';
  collections?: string[];
  seed?: number;
}

/** The timer trigger of each job, read from its config.json (one timer per function, as WeChat allows). */
export function timerTriggerOf(functionName: string): string {
  const config = JSON.parse(
    readFileSync(join(ROOT, 'cloudfunctions', functionName, 'config.json'), 'utf8'),
  ) as { triggers?: { name: string; type: string }[] };
  const t = config.triggers?.find((x) => x.type === 'timer');
  if (!t) throw new Error(`cloudfunctions/${functionName}/config.json has no timer trigger`);
  return t.name;
}

/** Outside access to a running stack. */
export class StackClient {
  readonly sim: SimulatorControl;

  constructor(
    readonly gatewayUrl: string,
    readonly simulatorUrl: string,
    /** The dev console, whose /api/counters are the counters staff see. */
    readonly consoleUrl: string,
  ) {
    this.sim = resilient(new SimControl(simulatorUrl), () => this.alive());
  }

  /** wx.cloud.callFunction as `openid`. Never throws: a dead stack is a transport failure. */
  async call<T = unknown>(name: string, event: object, openid: string): Promise<CallResult<T>> {
    try {
      const res = await fetch(`${this.gatewayUrl}/fn/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-wx-openid': openid },
        body: JSON.stringify(event),
      });
      const body = (await res.json()) as Record<string, unknown>;
      if (typeof body.ok === 'boolean') return body as CallResult<T>;
      const err = (body.error ?? {}) as { code?: string; message?: string };
      return {
        ok: false,
        transport: true,
        error: { code: err.code ?? `HTTP_${res.status}`, message: err.message ?? JSON.stringify(body) },
      };
    } catch (e) {
      return { ok: false, transport: true, error: { code: 'TRANSPORT', message: (e as Error).message } };
    }
  }

  /** Fires a job's timer trigger the way the platform does (not as a shopper). */
  async fireTimer(functionName: string): Promise<TimerOutcome> {
    const trigger = timerTriggerOf(functionName);
    try {
      const res = await fetch(`${this.gatewayUrl}/_devcloud/timers/${functionName}/${trigger}`, {
        method: 'POST',
      });
      const body = (await res.json()) as { result?: Record<string, unknown>; error?: { message?: string } };
      if (res.status === 200) return { ok: true, ...(body.result ? { result: body.result } : {}) };
      return { ok: false, error: body.error?.message ?? `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /** Every document of a collection (admin read, paged). */
  async readAll(collection: string): Promise<Doc[]> {
    const out: Doc[] = [];
    for (let skip = 0; ; skip += 1000) {
      const res = await fetch(`${this.gatewayUrl}/_devcloud/db/${collection}?limit=1000&skip=${skip}`);
      if (res.status === 404) return out;
      if (res.status !== 200)
        throw new Error(`reading ${collection}: HTTP ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { total: number; data: Doc[] };
      out.push(...body.data);
      if (body.data.length < 1000 || out.length >= body.total) return out;
    }
  }

  async setDbWriteFaults(
    spec: DbWriteFaults | null,
  ): Promise<{ writes: number; failedBefore: number; failedAfter: number }> {
    const res = await fetch(`${this.gatewayUrl}/_devcloud/faults`, {
      method: spec === null ? 'DELETE' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(spec === null ? {} : { body: JSON.stringify({ dbWrites: spec }) }),
    });
    if (res.status !== 200)
      throw new Error(`setting database write faults: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { dbWrites: { writes: number; failedBefore: number; failedAfter: number } })
      .dbWrites;
  }

  async dbWriteFaults(): Promise<{ writes: number; failedBefore: number; failedAfter: number }> {
    const res = await fetch(`${this.gatewayUrl}/_devcloud/faults`);
    return ((await res.json()) as { dbWrites: { writes: number; failedBefore: number; failedAfter: number } })
      .dbWrites;
  }

  /** The shop's counters as the dev console shows them to staff. */
  async counters(): Promise<Record<string, number>> {
    const res = await fetch(`${this.consoleUrl}/api/counters`);
    if (res.status !== 200) throw new Error(`reading the counters: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, number>;
  }

  /** Moves virtual time for WeChat and the functions alike (the functions read the simulator's clock at each call). */
  async advance(ms: number): Promise<void> {
    await this.sim.advance(ms);
  }

  /** True when the gateway answers. */
  async alive(): Promise<boolean> {
    try {
      return (await fetch(`${this.gatewayUrl}/_devcloud/health`)).status === 200;
    } catch {
      return false;
    }
  }
}

/**
 * The simulator's control API, riding out a stack restart: a call that found no server (the stack was killed) waits
 * for it to come back and is made again. An answer from the simulator (SimControlError) is never retried.
 */
function resilient(control: SimulatorControl, alive: () => Promise<boolean>): SimulatorControl {
  return new Proxy(control, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        for (let attempt = 1; ; attempt++) {
          try {
            const fn = v as (...a: unknown[]) => Promise<unknown>;
            return await fn.apply(target, args);
          } catch (e) {
            if (e instanceof SimControlError || attempt >= 5) throw e;
            for (let w = 0; w < 200 && !(await alive()); w++) await sleep(100);
            await sleep(100);
          }
        }
      };
    },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
