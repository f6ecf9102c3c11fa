// The dev console: one page served by the local stack, plus a same-origin proxy to the simulator's control API
// (/api/sim/* → <simulator>/sim/*) and the local cloud's admin endpoints (/api/cloud/* → <gateway>/_devcloud/*), and
// the shop's counters (/api/counters).
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  simulatorUrl: string;
  gatewayUrl: string;
  port?: number;
  host?: string;
  /** The shop's counters (money-path ones derived from the orders), served at GET /api/counters. */
  counters?: () => Promise<Record<string, number>>;
}

/** A running console server. */
export interface ConsoleHandle {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;

function proxy(target: string, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) {
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"body too large"}');
      return;
    }
    const body = Buffer.concat(chunks);
    const out = httpRequest(
      target,
      {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          'content-length': body.length,
          ...(typeof req.headers['x-wx-openid'] === 'string'
            ? { 'x-wx-openid': req.headers['x-wx-openid'] }
            : {}),
        },
        timeout: 15_000,
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, {
          'content-type': upstream.headers['content-type'] ?? 'application/json',
        });
        upstream.pipe(res);
      },
    );
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `upstream unavailable: ${e.message}` }));
    });
    out.end(body);
  });
}

/** Serves the console page and its proxy on `opts.host:opts.port` (default 127.0.0.1, ephemeral). */
export async function startConsole(opts: ConsoleOptions): Promise<ConsoleHandle> {
  const page = readFileSync(join(__dirname, 'page.html'), 'utf8');
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/sim/'))
      return proxy(`${opts.simulatorUrl}/sim/${url.slice('/api/sim/'.length)}`, req, res);
    if (url.startsWith('/api/cloud/'))
      return proxy(`${opts.gatewayUrl}/_devcloud/${url.slice('/api/cloud/'.length)}`, req, res);
    if (req.method === 'GET' && url === '/api/counters' && opts.counters) {
      opts
        .counters()
        .then((c) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(c)))
        .catch((e: unknown) =>
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) })),
        );
      return;
    }
    if (url.startsWith('/api/fn/'))
      return proxy(`${opts.gatewayUrl}/fn/${url.slice('/api/fn/'.length)}`, req, res);
    if (req.method === 'GET' && (url === '/' || url.startsWith('/?'))) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
