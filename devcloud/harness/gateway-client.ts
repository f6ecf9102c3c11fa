// The one client for a running stack's gateway, used by the e2e tests, chaos and crash runs and the bench: a function
// action called as a shopper (the wx.cloud.callFunction stand-in), the envelope, each invocation's database round trips
// (x-devcloud-db-ops), raw HTTP access functions, timer triggers fired through the loopback route as the platform does,
// and admin database reads. It only speaks HTTP, so it drives an in-process stack and one in a child process alike.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ActionName, ApiFunctionName, RequestOf, ResponseOf } from '../../typings/contracts/api';
import { parseDepth, type StepDepth } from '../sdk/steps';

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const ROOT = resolve(__dirname, '..', '..');

/**
 * What an answer is when the caller names no type: loose until typings/contracts types each action's answer here, so
 * untyped callers (the e2e tests) read answers as they always have.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above; goes when the contract types the client
export type Untyped = any;

/** The function envelope (docs/API.md). */
export type Envelope<T = Untyped> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/** No envelope came back: the stack is down, the function timed out, or the gateway itself refused. */
export interface TransportFailure {
  ok: false;
  transport: true;
  error: { code: string; message: string };
}

/** A function's answer, or why none came. */
export type Outcome<T = Untyped> = Envelope<T> | TransportFailure;

/** One HTTP exchange: the parsed answer (text when not JSON), its status, round trips and wall time. */
export interface Exchange<T = unknown> {
  status: number;
  body: T;
  /** x-devcloud-db-ops: round trips the invocation made (NaN when the gateway did not say). */
  dbOps: number;
  /** x-devcloud-depth: database round trips and WeChat Pay calls on the invocation's critical path (null: not said). */
  depth: StepDepth | null;
  ms: number;
  /** x-devcloud-ms: HTTP access only, the gateway's time from the request's arrival to its answer (NaN: not said). */
  serverMs: number;
}

/** The fields of an action's request, besides `action` itself. */
export type Fields = Record<string, unknown>;

/**
 * A shopper's (or staff member's) calls. The one place the call signature `(fn, action, fields)` is written, typed by
 * the contract in typings/contracts: an action the contract lacks, a wrong field or a wrong reading of the answer does
 * not compile. Tests of the input checks at the boundary (fields the contract forbids) use `unchecked`.
 */
export interface Caller {
  readonly openid: string;
  /** The answer with its HTTP status, round trips and time; throws only when nothing answered. */
  exchange<F extends ApiFunctionName, A extends ActionName<F>>(
    fn: F,
    action: A,
    fields?: RequestOf<F, A>,
  ): Promise<Exchange<Envelope<ResponseOf<F, A>>>>;
  /** The envelope, or a transport failure; never throws (a killed stack is an answer too). */
  call<F extends ApiFunctionName, A extends ActionName<F>>(
    fn: F,
    action: A,
    fields?: RequestOf<F, A>,
  ): Promise<Outcome<ResponseOf<F, A>>>;
  /** The data of an ok answer; throws with the error code otherwise. */
  ok<F extends ApiFunctionName, A extends ActionName<F>>(
    fn: F,
    action: A,
    fields?: RequestOf<F, A>,
  ): Promise<ResponseOf<F, A>>;
  /** A call outside the contract (malformed fields, unknown actions), for tests of the server's own checks. */
  unchecked<T = Untyped>(fn: string, action: string, fields?: Fields): Promise<Outcome<T>>;
}

/** What a timer run answered. */
export interface TimerOutcome {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: string;
}

/** A database document as the admin reads it. */
export type Doc = Record<string, unknown> & { _id: string };

/** Database write-failure injection (devcloud's POST /_devcloud/faults). */
export interface DbWriteFaults {
  rate: number;
  when?: 'before' | 'after' | 'either';
  collections?: string[];
  seed?: number;
}

/** What the write-failure injector has done so far. */
export interface DbWriteFaultCounts {
  writes: number;
  failedBefore: number;
  failedAfter: number;
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

/** HTTP access to one gateway over keep-alive connections (at most `maxSockets` at once). */
export class GatewayClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    readonly url: string,
    maxSockets = 64,
  ) {
    this.base = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Drops the kept-alive sockets (a test's stack can then close without waiting for them). */
  close(): void {
    this.agent.destroy();
  }

  /** Sends `body` to `path`; the answer is parsed as JSON when it can be. Throws only when nothing answered. */
  request<T = unknown>(
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<Exchange<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    const started = process.hrtime.bigint();
    return new Promise((done, fail) => {
      const req = http.request(
        {
          hostname: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: payload === undefined ? headers : { ...headers, 'content-length': String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text) as unknown;
            } catch {
              // not JSON: kept as text
            }
            done({
              status: res.statusCode ?? 0,
              body: parsed as T,
              dbOps: Number(res.headers['x-devcloud-db-ops']),
              depth: parseDepth(headerValue(res.headers['x-devcloud-depth'])),
              serverMs: Number(headerValue(res.headers['x-devcloud-ms']) ?? Number.NaN),
              ms: Number(process.hrtime.bigint() - started) / 1e6,
            });
          });
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** POSTs raw bytes (a notification exactly as WeChat signed it, say). */
  post<T = unknown>(
    path: string,
    body: Buffer | string,
    headers: Record<string, string>,
  ): Promise<Exchange<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  /** Calls a client-callable function with a whole event as `openid` (events no action table would accept, too). */
  fnEvent<T = Untyped>(name: string, event: object, openid: string): Promise<Exchange<Envelope<T>>> {
    return this.post<Envelope<T>>(`/fn/${name}`, JSON.stringify(event), {
      'content-type': 'application/json',
      'x-wx-openid': openid,
    });
  }

  /**
   * The parsed answer to a whole event sent as `openid`, whatever it is: for requests no action table would accept
   * and for functions that do not answer an envelope (payCallback). Throws when nothing answered.
   */
  async callEvent<T = Untyped>(name: string, event: object, openid: string): Promise<Envelope<T>> {
    return (await this.fnEvent<T>(name, event, openid)).body;
  }

  /** Calls as `openid`, the identity getWXContext() reports to the function. */
  as(openid: string): Caller {
    const exchange = <T>(fn: string, action: string, fields: Fields = {}) =>
      this.fnEvent<T>(fn, { action, ...fields }, openid);
    const call = async <T>(fn: string, action: string, fields: Fields = {}): Promise<Outcome<T>> => {
      try {
        return asOutcome(await exchange<T>(fn, action, fields));
      } catch (e) {
        return { ok: false, transport: true, error: { code: 'TRANSPORT', message: (e as Error).message } };
      }
    };
    const ok = async <T>(fn: string, action: string, fields: Fields = {}): Promise<T> => {
      const r = await call<T>(fn, action, fields);
      if (!r.ok) throw new Error(`${fn}.${action} failed: ${r.error.code} ${r.error.message}`);
      return r.data;
    };
    return {
      openid,
      exchange: (fn, action, fields) => exchange(fn, action, fields as Fields | undefined),
      call: (fn, action, fields) => call(fn, action, fields as Fields | undefined),
      ok: (fn, action, fields) => ok(fn, action, fields as Fields | undefined),
      unchecked: (fn, action, fields) => call(fn, action, fields),
    };
  }

  /** Fires a job's timer trigger the way the platform does (not as a shopper). */
  async fireTimer(functionName: string): Promise<TimerOutcome> {
    try {
      const res = await this.request<{ result?: Record<string, unknown>; error?: { message?: string } }>(
        'POST',
        `/_devcloud/timers/${functionName}/${timerTriggerOf(functionName)}`,
      );
      if (res.status === 200) return { ok: true, ...(res.body.result ? { result: res.body.result } : {}) };
      return { ok: false, error: res.body.error?.message ?? `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /** Every document of a collection (admin read, paged); none when the collection does not exist. */
  async readAll(collection: string): Promise<Doc[]> {
    const out: Doc[] = [];
    for (let skip = 0; ; skip += 1000) {
      const res = await this.request<{ total: number; data: Doc[] }>(
        'GET',
        `/_devcloud/db/${collection}?limit=1000&skip=${skip}`,
      );
      if (res.status === 404) return out;
      if (res.status !== 200)
        throw new Error(`reading ${collection}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      out.push(...res.body.data);
      if (res.body.data.length < 1000 || out.length >= res.body.total) return out;
    }
  }

  /** How many documents a collection holds (admin read). */
  async count(collection: string): Promise<number> {
    const res = await this.request<{ total: number }>('GET', `/_devcloud/db/${collection}?limit=1`);
    if (res.status !== 200)
      throw new Error(`counting ${collection}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.total;
  }

  /** Sets (or with null, lifts) database write-failure injection; answers what it did until now. */
  async setDbWriteFaults(spec: DbWriteFaults | null): Promise<DbWriteFaultCounts> {
    const res = await this.request<{ dbWrites: DbWriteFaultCounts }>(
      spec === null ? 'DELETE' : 'POST',
      '/_devcloud/faults',
      spec === null ? undefined : JSON.stringify({ dbWrites: spec }),
      { 'content-type': 'application/json' },
    );
    if (res.status !== 200)
      throw new Error(`setting database write faults: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.dbWrites;
  }

  /** What the write-failure injector has done so far. */
  async dbWriteFaults(): Promise<DbWriteFaultCounts> {
    return (await this.request<{ dbWrites: DbWriteFaultCounts }>('GET', '/_devcloud/faults')).body.dbWrites;
  }

  /** True when the gateway answers. */
  async alive(): Promise<boolean> {
    try {
      return (await this.request('GET', '/_devcloud/health')).status === 200;
    } catch {
      return false;
    }
  }
}

/** A gateway that answered without an envelope (an HTTP error of its own) is a transport failure. */
function asOutcome<T>(res: Exchange<Envelope<T>>): Outcome<T> {
  const body = res.body as unknown;
  if (typeof body === 'object' && body !== null && typeof (body as { ok?: unknown }).ok === 'boolean')
    return body as Envelope<T>;
  const err = ((body as { error?: unknown } | null)?.error ?? {}) as { code?: string; message?: string };
  return {
    ok: false,
    transport: true,
    error: { code: err.code ?? `HTTP_${res.status}`, message: err.message ?? JSON.stringify(body) },
  };
}
