// Entry point of the local WeChat Pay APIv3 simulator (dev-only; see simulator/README.md).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { handleApi } from './internal/api';
import { Bills } from './internal/bills';
import { VirtualClock, type ClockState } from './internal/clock';
import { InProcessControl, handleControl } from './internal/control';
import { DEFAULT_SETTINGS, Engine } from './internal/engine';
import { EventLog } from './internal/events';
import { FaultBook } from './internal/faults';
import { HttpPoster } from './internal/http-client';
import {
  generateIdentity,
  readIdentity,
  writeIdentity,
  type KeyMode,
  type SimIdentity,
} from './internal/identity';
import { Notifier } from './internal/notifier';
import { Scheduler } from './internal/scheduler';
import { JournalStore } from './internal/store';
import type { SimSettings, SimulatorControl } from './types';

export type * from './types';
export { FAULT_KINDS } from './types';
export { generateIdentity, publicIdentity, readIdentity } from './internal/identity';
export { RETRY_SCHEDULE_MS } from './internal/notifier';

/** Options of startSimulator. */
export interface SimulatorOptions {
  /** Folder for identity.json, state.jsonl and events.jsonl (created if missing). */
  dataDir: string;
  /** TCP port; 0 = ephemeral (default 0). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Virtual-clock speed vs real time (default: the saved one, else 1). */
  timeScale?: number;
  /** Receives one human-readable line per event (never secrets). */
  log?: (line: string) => void;
  /** Use this identity when the data folder has none (saves ~1 s of RSA key generation in test suites). */
  identity?: SimIdentity;
  /** Key modes for a freshly generated identity (default 'certificate' for both merchants). */
  keyModes?: { direct?: KeyMode; partner?: KeyMode };
  /** Real ms a notify_url has to answer (default 5000, WeChat's 5 s). */
  notifyTimeoutMs?: number;
  /**
   * A latency model's WeChat Pay delay: draws the real ms one /v3/ call takes (the round trip from the merchant's
   * server, WeChat's own work inside it): each answer is held until that long after its request arrived. None when
   * absent.
   */
  apiDelayMs?: () => number;
}

/** A running simulator. */
export interface SimulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:7301 — use it as the WeChat Pay API base URL. */
  url: string;
  /** The live identity (key modes change through control.setKeyMode). Contains secrets: never log it. */
  identity: SimIdentity;
  /** The control API as direct method calls (same semantics as the HTTP API under /sim/). */
  control: SimulatorControl;
  /**
   * Virtual now (epoch ms), read synchronously: an in-process user (the local stack's function clock) sees every
   * advance — in-process or through `POST /sim/clock/advance` — on its very next read.
   */
  now(): number;
  /** Stops the server, aborts in-flight callbacks and hung requests, persists the clock. Pending work resumes on restart. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Holds `res`'s end until `deadline` (performance.now() ms): the network's round trip, with WeChat's own work inside it
 * (the answer is later only when that work took longer).
 */
function answerNoSoonerThan(res: ServerResponse, deadline: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const wait = Math.round(deadline - performance.now());
    if (wait <= 0) return end(...args);
    setTimeout(() => end(...args), wait);
    return res;
  }) as ServerResponse['end'];
}

/** Starts the simulator on `opts.host:opts.port`, reusing `<dataDir>` state (identity, orders, pending callbacks). */
export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  if (!opts || typeof opts.dataDir !== 'string' || opts.dataDir === '') {
    throw new Error('startSimulator: dataDir (a folder for the simulator state) is required');
  }
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  mkdirSync(opts.dataDir, { recursive: true });

  let identity = readIdentity(opts.dataDir);
  if (!identity) {
    identity =
      opts.identity !== undefined
        ? structuredClone(opts.identity)
        : await generateIdentity({
            ...(opts.keyModes?.direct ? { directKeyMode: opts.keyModes.direct } : {}),
            ...(opts.keyModes?.partner ? { partnerKeyMode: opts.keyModes.partner } : {}),
          });
    writeIdentity(opts.dataDir, identity);
  }
  const id = identity;
  const dataDir = opts.dataDir;

  const store = new JournalStore(dataDir);
  const savedClock = store.get<ClockState>('meta', 'clock');
  const clock = new VirtualClock(savedClock, opts.timeScale ?? savedClock?.timeScale ?? 1);
  let settings: SimSettings = {
    ...DEFAULT_SETTINGS,
    ...(store.get<Partial<SimSettings>>('meta', 'settings') ?? {}),
  };
  const saveClock = (): void => store.put('meta', 'clock', clock.state());
  saveClock();
  const events = new EventLog(dataDir, opts.log);
  const faults = new FaultBook(store, () => clock.now());
  const poster = new HttpPoster();
  let url = '';
  // The scheduler needs the notifier and engine, which need to kick it: break the cycle with a late binding.
  const late: { scheduler?: Scheduler } = {};
  const kick = (): void => late.scheduler?.kick();

  const notifier = new Notifier({
    store,
    clock,
    identity: id,
    faults,
    events,
    poster,
    settings: () => settings,
    notifyTimeoutMs: opts.notifyTimeoutMs ?? 5000,
    kick,
  });
  const engine = new Engine({
    identity: id,
    store,
    clock,
    events,
    notifier,
    settings: () => settings,
    publicUrl: () => url,
    kick,
  });
  const sched = new Scheduler(clock, [engine, notifier], (e) =>
    events.add({
      kind: 'system',
      at: clock.now(),
      summary: `timed work failed: ${e instanceof Error ? e.message : String(e)}`,
    }),
  );
  late.scheduler = sched;
  const bills = new Bills(engine, clock, () => url);
  const control = new InProcessControl({
    identity: id,
    saveIdentity: () => writeIdentity(dataDir, id),
    engine,
    notifier,
    scheduler: sched,
    clock,
    saveClock,
    faults,
    events,
    settings: () => settings,
    saveSettings: (s) => {
      settings = s;
      store.put('meta', 'settings', s);
    },
  });

  // Hung requests (api.timeout faults) wait on these; close() releases them.
  const sleepers = new Set<() => void>();
  let closing = false;
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (closing) {
        resolve(false);
        return;
      }
      const wake = (): void => {
        clearTimeout(t);
        sleepers.delete(wake);
        resolve(false);
      };
      const t = setTimeout(() => {
        sleepers.delete(wake);
        resolve(true);
      }, ms);
      sleepers.add(wake);
    });

  const apiDeps = { identity: id, engine, bills, faults, events, clock, sleep };
  const server = createServer((req, res) => {
    readBody(req, res, (body) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/sim' || path.startsWith('/sim/')) {
        void handleControl(control, req, res, body);
      } else if (path.startsWith('/v3/')) {
        const delayMs = opts.apiDelayMs?.() ?? 0;
        if (delayMs > 0) answerNoSoonerThan(res, performance.now() + delayMs);
        handleApi(apiDeps, req, res, body).catch((e: unknown) => {
          events.add({
            kind: 'system',
            at: clock.now(),
            summary: `API handler failed: ${e instanceof Error ? e.message : String(e)}`,
          });
          res.destroy();
        });
      } else {
        const text = JSON.stringify({
          code: 'RESOURCE_NOT_EXISTS',
          message: `no such path ${path}; WeChat Pay API is under /v3/, the simulator control API under /sim/`,
        });
        res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(text);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  events.add({ kind: 'system', at: clock.now(), summary: `simulator listening on ${url}` });
  sched.kick();

  let closed: Promise<void> | undefined;
  return {
    url,
    identity: id,
    control,
    now: () => clock.now(),
    close: () => {
      closed ??= (async () => {
        closing = true;
        for (const wake of [...sleepers]) wake();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        const idle = sched.close();
        poster.abortAll();
        await idle;
        await serverClosed;
        saveClock();
        store.close();
        events.close();
      })();
      return closed;
    },
  };
}

function readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      tooBig = true;
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (tooBig) {
      res.writeHead(413, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({ code: 'PARAM_ERROR', message: `request body larger than ${MAX_BODY_BYTES} bytes` }),
      );
      return;
    }
    then(Buffer.concat(chunks));
  });
  req.on('error', () => res.destroy());
}
