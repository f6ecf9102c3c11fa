// The gateway: one node:http server in front of the local cloud.
//   POST /fn/<name>                       wx.cloud.callFunction stand-in: JSON event in, return value out; caller in
//                                         x-wx-openid (+ optional x-wx-appid, x-wx-unionid)
//   ANY  /http/<name>[/sub/path]          HTTP access: CloudBase HTTP event with the raw body byte-exact
//   POST /_devcloud/client-db             wx.cloud.database() from the mini program, under collection permissions
//   GET  /_devcloud/health | /stats | /timers
//   POST /_devcloud/timers/<fn>/<trigger> fires a timer trigger as the platform does (loopback callers only: no client
//                                         may invoke as wx_trigger)
//   GET  /_devcloud/db, /_devcloud/db/<collection>   admin reads for the dev console (loopback callers only)
//   GET  /static/<path>                   files under `staticDir` (the demo goods' pictures), when configured
//   GET|POST|DELETE /_devcloud/faults    database write-failure injection for chaos runs (loopback callers only)
//   ANY  /_devcloud/<route>/…             the stack's own dev routes (devRoutes: the local 发货信息管理's controls, the
//                                         subscription prompt, the message outbox), loopback callers only
// Every answer is JSON with an `error: {code, message}` on failure; x-devcloud-db-ops carries the invocation's
// database round trips.
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CloudSdkError } from '../db/errors';
import { isPlainObject } from '../db/values';
import type { Engine } from '../db/engine';
import { parseWriteFaultSpec, type WriteFaults } from '../db/write-faults';
import { withinRoundTrip } from '../latency';
import { formatDepth } from '../sdk/steps';
import { encodeWire } from '../sdk/wire';
import type { ClientDatabase } from './client-db';
import { buildHttpEvent, toHttpAnswer } from './http-event';
import { FUNCTION_NAME } from './loader';
import type { FunctionRuntime, InvocationOutcome } from './runtime';
import type { Stats } from './stats';
import type { TimerInfo } from './timers';
import { PICTURE_TYPES } from './picture-types';

/** Largest request body accepted (the cloud's event payload limit is of this order). */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Most documents one admin read returns. */
const ADMIN_MAX_LIMIT = 1000;

/** A loopback-only route of the gateway (/_devcloud/<name>/…): answers JSON. */
export type DevRoute = (req: {
  method: string;
  /** The path after /_devcloud/<name>. */
  path: string[];
  query: URLSearchParams;
  openid: string | undefined;
  body: unknown;
}) => Promise<{ status: number; body: unknown } | undefined>;

/** A path segment decoded, or as sent when it is not valid percent-encoding. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What the gateway serves. */
export interface GatewayOptions {
  runtime: FunctionRuntime;
  engine: Engine;
  clientDb: ClientDatabase;
  stats: Stats;
  appid: string;
  functions: () => string[];
  timers: () => TimerInfo[];
  fireTimer: (functionName: string, trigger: string) => Promise<InvocationOutcome>;
  /** Database write-failure injection (absent: the route answers 404). */
  writeFaults?: WriteFaults;
  log: (line: string) => void;
  /** Folder served read-only at GET /static/ (pictures for the mini program); nothing is served when absent. */
  staticDir?: string;
  /** Loopback-only routes at /_devcloud/<name>/… (see DevCloudOptions.devRoutes). */
  devRoutes?: Readonly<Record<string, DevRoute>>;
  /**
   * The latency model's call delay (devcloud/latency.ts): draws the ms of one phone → function → phone round trip;
   * a /fn/ call waits half before the invocation starts and half before its answer is sent. None when absent.
   */
  callDelayMs?: () => number;
}

/** An admin route set: answers `{status, body}` for `rest` (the path after /_devcloud/<name>/), or undefined (404). */

/** A running gateway. */
export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify(value ?? null));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error: { code, message, ...extra } });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buf);
  }
  if (tooLarge)
    throw new HttpError(413, 'DEVCLOUD.PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer, what: string): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, 'DEVCLOUD.BAD_REQUEST', `${what} must be JSON: ${(e as Error).message}`);
  }
}

/** GET /static/<path>: a picture file under `dir`; anything outside it, hidden or of another type is not found. */
async function serveStatic(res: ServerResponse, dir: string, method: string, rest: string[]): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD')
    throw new HttpError(405, 'DEVCLOUD.METHOD_NOT_ALLOWED', 'static files are read with GET');
  let segments: string[];
  try {
    segments = rest.map((p) => decodeURIComponent(p));
  } catch {
    segments = [];
  }
  const root = resolve(dir);
  const file = resolve(root, ...segments);
  const type = PICTURE_TYPES[extname(file).toLowerCase()];
  const bad =
    segments.length === 0 || segments.some((p) => p.startsWith('.') || p.includes('/') || p.includes('\\'));
  if (
    bad ||
    !file.startsWith(root + sep) ||
    type === undefined ||
    !(await stat(file).catch(() => null))?.isFile()
  ) {
    throw new HttpError(404, 'DEVCLOUD.NOT_FOUND', `no static file /static/${rest.join('/')}`);
  }
  const body = await readFile(file);
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'max-age=300' });
  res.end(method === 'HEAD' ? undefined : body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

function functionName(segment: string | undefined): string {
  let name = '';
  try {
    name = decodeURIComponent(segment ?? '');
  } catch {
    // fall through to the error below
  }
  if (!FUNCTION_NAME.test(name))
    throw new HttpError(404, 'DEVCLOUD.FUNCTION_NOT_FOUND', `invalid function name "${name}"`);
  return name;
}

function outcomeHeaders(o: InvocationOutcome): Record<string, string> {
  return {
    'x-devcloud-db-ops': String(o.dbOps),
    'x-devcloud-request-id': o.requestId,
    ...(o.depth === undefined ? {} : { 'x-devcloud-depth': formatDepth(o.depth) }),
  };
}

function sendFailure(res: ServerResponse, o: InvocationOutcome & { ok: false }): void {
  const f = o.failure;
  const body = {
    error: {
      code: f.code,
      message: f.message,
      requestId: o.requestId,
      ...(f.errCode === undefined ? {} : { errCode: f.errCode }),
    },
  };
  sendJson(res, f.status, body, outcomeHeaders(o));
}

/** Starts the gateway on `host:port` (port 0 = ephemeral). */
export async function startGateway(opts: GatewayOptions, host: string, port: number): Promise<Gateway> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://devcloud.local');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const method = req.method ?? 'GET';
    const [root, second, third, fourth] = parts;

    if (root === 'fn' && parts.length === 2) {
      if (method !== 'POST')
        throw new HttpError(405, 'DEVCLOUD.METHOD_NOT_ALLOWED', 'call functions with POST /fn/<name>');
      const name = functionName(second);
      const parsed = parseJson(await readBody(req), 'the event');
      const openid = header(req, 'x-wx-openid');
      const unionid = header(req, 'x-wx-unionid');
      const appid = header(req, 'x-wx-appid') ?? opts.appid;
      // The platform injects the caller into the event as userInfo (legacy; getWXContext() is the API), replacing
      // whatever the client put there.
      const event = isPlainObject(parsed)
        ? { ...parsed, userInfo: { appId: appid, openId: openid } }
        : parsed;
      const invoke = () =>
        opts.runtime.invoke(name, event, {
          source: 'wx_client',
          appid,
          ...(openid === undefined ? {} : { openid }),
          ...(unionid === undefined ? {} : { unionid }),
        });
      const callMs = opts.callDelayMs?.();
      const outcome = await (callMs === undefined ? invoke() : withinRoundTrip(callMs, invoke, false));
      if (!outcome.ok) return sendFailure(res, outcome);
      let body: string | undefined;
      try {
        body = JSON.stringify(outcome.result);
      } catch (e) {
        throw new HttpError(
          500,
          'DEVCLOUD.FUNCTION_FAILED',
          `the function's return value is not JSON: ${(e as Error).message}`,
        );
      }
      const buf = Buffer.from(body ?? 'null');
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': buf.length,
        ...outcomeHeaders(outcome),
      });
      res.end(buf);
      return;
    }

    if (root === 'static' && opts.staticDir !== undefined) {
      return serveStatic(res, opts.staticDir, method, parts.slice(1));
    }

    if (root === 'http' && parts.length >= 2) {
      const arrived = performance.now();
      const name = functionName(second);
      const prefix = `/http/${second ?? ''}`;
      const rest = url.pathname.slice(prefix.length);
      const raw = await readBody(req);
      const requestId = randomUUID();
      const event = buildHttpEvent(
        { method, headers: req.headers, query: url.searchParams, sourceIp: req.socket.remoteAddress ?? '' },
        `/${name}${rest}`,
        raw,
        requestId,
      );
      const outcome = await opts.runtime.invoke(name, event, { source: 'wx_http' }, requestId);
      if (!outcome.ok) return sendFailure(res, outcome);
      const answer = toHttpAnswer(outcome.result);
      res.writeHead(answer.statusCode, {
        ...answer.headers,
        'content-length': answer.body.length,
        ...outcomeHeaders(outcome),
        // From the request's arrival here to its answer: what the caller waited, without the caller's own scheduling.
        'x-devcloud-ms': (performance.now() - arrived).toFixed(3),
      });
      res.end(answer.body);
      return;
    }

    if (root === '_devcloud') {
      if (second === 'health' && method === 'GET') {
        return sendJson(res, 200, {
          ok: true,
          functions: opts.functions(),
          collections: opts.engine.store.collectionNames(),
        });
      }
      if (second === 'stats' && method === 'GET') {
        return sendJson(res, 200, { ...opts.stats.snapshot(), timers: opts.timers() });
      }
      if (second === 'timers' && parts.length === 2 && method === 'GET')
        return sendJson(res, 200, { timers: opts.timers() });
      if (second === 'timers' && parts.length === 4) {
        // The platform never lets a client invoke a function as wx_trigger: with --lan the network must not
        // fire the trigger-only jobs (close, reconcile, …). The console, chaos, bench and tests call on loopback.
        if (!isLoopback(req))
          throw new HttpError(403, 'DEVCLOUD.FORBIDDEN', 'firing timer triggers is for local callers only');
        if (method !== 'POST')
          throw new HttpError(405, 'DEVCLOUD.METHOD_NOT_ALLOWED', 'fire a timer with POST');
        const outcome = await opts.fireTimer(functionName(third), decodeURIComponent(fourth ?? ''));
        if (!outcome.ok) return sendFailure(res, outcome);
        return sendJson(res, 200, { result: outcome.result ?? null }, outcomeHeaders(outcome));
      }
      if (second === 'client-db') {
        if (method !== 'POST')
          throw new HttpError(405, 'DEVCLOUD.METHOD_NOT_ALLOWED', 'use POST /_devcloud/client-db');
        const body = parseJson(await readBody(req), 'the request');
        try {
          const result = await opts.clientDb.handle(body, header(req, 'x-wx-openid'));
          return sendJson(res, 200, encodeWire(result));
        } catch (e) {
          if (e instanceof CloudSdkError) {
            const status = e.errCode === -502003 ? 403 : e.errCode === -502005 ? 404 : 400;
            return sendJson(res, status, { errCode: e.errCode, errMsg: e.errMsg });
          }
          throw e;
        }
      }
      if (second === 'faults' && parts.length === 2 && opts.writeFaults !== undefined) {
        if (!isLoopback(req))
          throw new HttpError(403, 'DEVCLOUD.FORBIDDEN', 'fault injection is for local callers only');
        if (method === 'GET') return sendJson(res, 200, { dbWrites: opts.writeFaults.status() });
        if (method === 'DELETE') return sendJson(res, 200, { dbWrites: opts.writeFaults.set(null) });
        if (method !== 'POST')
          throw new HttpError(
            405,
            'DEVCLOUD.METHOD_NOT_ALLOWED',
            'use GET, POST or DELETE /_devcloud/faults',
          );
        const body = parseJson(await readBody(req), 'the request');
        if (!isPlainObject(body) || Object.keys(body).some((k) => k !== 'dbWrites'))
          throw new HttpError(
            400,
            'DEVCLOUD.BAD_REQUEST',
            'the body must be {"dbWrites": {rate, when?, collections?, seed?}}',
          );
        let spec;
        try {
          spec = body.dbWrites === null ? null : parseWriteFaultSpec(body.dbWrites);
        } catch (e) {
          throw new HttpError(400, 'DEVCLOUD.BAD_REQUEST', (e as Error).message);
        }
        return sendJson(res, 200, { dbWrites: opts.writeFaults.set(spec) });
      }
      const devRoute = second === undefined ? undefined : opts.devRoutes?.[second];
      if (devRoute !== undefined && Object.hasOwn(opts.devRoutes!, second!)) {
        if (!isLoopback(req))
          throw new HttpError(403, 'DEVCLOUD.FORBIDDEN', `/_devcloud/${second} is for local callers only`);
        const raw = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
        const body = raw.length === 0 ? null : parseJson(raw, 'the request');
        const answer = await devRoute({
          method,
          path: parts.slice(2).map(safeDecode),
          query: url.searchParams,
          openid: header(req, 'x-wx-openid'),
          body,
        });
        if (answer !== undefined) return sendJson(res, answer.status, answer.body);
      }
      if (second === 'db' && method === 'GET') {
        if (!isLoopback(req))
          throw new HttpError(403, 'DEVCLOUD.FORBIDDEN', 'admin database reads are for local callers only');
        const store = opts.engine.store;
        if (parts.length === 2) {
          return sendJson(res, 200, {
            collections: store.collectionNames().map((n) => ({ name: n, count: store.size(n) })),
          });
        }
        const name = decodeURIComponent(third ?? '');
        if (parts.length !== 3 || !store.hasCollection(name)) {
          throw new HttpError(404, 'DEVCLOUD.NOT_FOUND', `no collection "${name}"`);
        }
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, ADMIN_MAX_LIMIT);
        const skip = Math.max(Number(url.searchParams.get('skip') ?? 0) || 0, 0);
        const data = opts.engine.find(name, {}, { skip, limit });
        return sendJson(res, 200, {
          collection: name,
          total: store.size(name),
          skip,
          limit,
          data: encodeWire(data),
        });
      }
    }
    throw new HttpError(404, 'DEVCLOUD.NOT_FOUND', `no route for ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) return sendError(res, e.status, e.code, e.message);
      opts.log(
        `[devcloud] gateway error on ${req.method ?? ''} ${req.url ?? ''}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      sendError(res, 500, 'DEVCLOUD.INTERNAL', e instanceof Error ? e.message : 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
