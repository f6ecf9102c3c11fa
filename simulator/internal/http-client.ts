// A minimal HTTP(S) POST for callbacks: no connection reuse (nothing lingers after close), hard real-time timeout.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Outcome of one POST: the status and a body excerpt, or the network error. */
export interface PostResult {
  status?: number;
  bodyExcerpt?: string;
  error?: string;
  realDurationMs: number;
}

const MAX_BODY_BYTES = 4096;

/** Tracks in-flight requests so close() can abort them. */
export class HttpPoster {
  private readonly inflight = new Set<ClientRequest>();

  /** POSTs `body` to `url`; resolves (never rejects) within about `timeoutMs` real milliseconds. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const timer: { t?: NodeJS.Timeout } = {};
      const done = (r: Omit<PostResult, 'realDurationMs'>): void => {
        if (settled) return;
        settled = true;
        if (timer.t) clearTimeout(timer.t);
        resolve({ ...r, realDurationMs: Date.now() - started });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        done({ error: `invalid notify_url ${url}` });
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method: 'POST',
          agent: false,
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
          // Callbacks go to the developer's own endpoints; a self-signed local HTTPS server must still work.
          rejectUnauthorized: false,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < MAX_BODY_BYTES) chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            done({ status: res.statusCode, bodyExcerpt: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e) => done({ status: res.statusCode, error: e.message }));
        },
      );
      this.inflight.add(req);
      req.on('close', () => this.inflight.delete(req));
      req.on('error', (e) => done({ error: e.message }));
      timer.t = setTimeout(() => {
        done({ error: `no answer within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.end(body);
    });
  }

  /** Aborts every in-flight request. */
  abortAll(): void {
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
  }
}
