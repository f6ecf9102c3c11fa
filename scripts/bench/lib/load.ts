// Load-driving helpers shared by the bench (and usable by chaos runs): a keep-alive HTTP client for the local
// gateway that reads each invocation's database round trips, a fixed-concurrency runner, and percentiles.
import http from 'node:http';

/** The function envelope (docs/API.md). */
export type Envelope<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** One call's outcome: the parsed answer, the HTTP status, its database round trips and its wall time. */
export interface CallResult<T = unknown> {
  status: number;
  body: T;
  /** x-devcloud-db-ops: round trips the invocation made (NaN when the gateway did not say). */
  dbOps: number;
  ms: number;
}

/** A keep-alive client for one gateway (no socket limit beyond `maxSockets`). */
export class GatewayClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 64) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  close(): void {
    this.agent.destroy();
  }

  /** POSTs raw bytes to `path` with `headers`; the answer is parsed as JSON when it can be. */
  post<T = unknown>(
    path: string,
    body: Buffer | string,
    headers: Record<string, string>,
  ): Promise<CallResult<T>> {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          hostname: this.base.hostname,
          port: this.base.port,
          method: 'POST',
          path,
          agent: this.agent,
          headers: { ...headers, 'content-length': String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text) as unknown;
            } catch {
              // not JSON: kept as text
            }
            resolve({
              status: res.statusCode ?? 0,
              body: parsed as T,
              dbOps: Number(res.headers['x-devcloud-db-ops']),
              ms: Number(process.hrtime.bigint() - started) / 1e6,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Calls a client-callable function as `openid` (the wx.cloud.callFunction stand-in). */
  fn<T = unknown>(name: string, event: object, openid: string): Promise<CallResult<Envelope<T>>> {
    return this.post<Envelope<T>>(`/fn/${name}`, JSON.stringify(event), {
      'content-type': 'application/json',
      'x-wx-openid': openid,
    });
  }
}

/** Runs `task(i)` for i = 0..count-1 with at most `concurrency` in flight; answers results in index order. */
export async function runConcurrent<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
  return out;
}

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** The most common value (ties: the smaller); NaN for none. Round trips per operation are reported this way. */
export function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [v, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/** Seconds elapsed since `startNs` (process.hrtime.bigint()). */
export function secondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
