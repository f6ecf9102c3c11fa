// startDevCloud: the local cloud in one call — durable database from data/collections.json, the wx-server-sdk
// stand-in for every BUILT function bundle, the HTTP gateway and the timer triggers. Dev-only: nothing in server/ or
// cloudfunctions/ imports this; functions reach it only through require('wx-server-sdk') at the module boundary.
import { join, resolve } from 'node:path';
import { loadCollectionsConfig } from './db/collections-config';
import { Engine } from './db/engine';
import { Store } from './db/store';
import { WriteFaults, type WriteFaultSpec, type WriteFaultStatus } from './db/write-faults';
import { ClientDatabase } from './gateway/client-db';
import { FunctionRegistry } from './gateway/loader';
import { FunctionRuntime, type Caller, type InvocationOutcome } from './gateway/runtime';
import { startGateway, type DevRoute } from './gateway/server';
import { Stats, type FunctionStats, type TimerRun } from './gateway/stats';
import { realClock, TimerScheduler, type TimerClock, type TimerInfo } from './gateway/timers';
import { Database, SERVER_MAX_LIMIT, type DbOpKind } from './sdk/database';
import { createWxServerSdk } from './sdk/index';
import { delaySampler, latencyFromEnv, type LatencyModel } from './latency';
import type { CloudDatabase, WxServerSdk } from './sdk/types';

export type { InvocationOutcome } from './gateway/runtime';
export type { DevRoute } from './gateway/server';
export type { CloudDatabase, WxServerSdk, WXContext } from './sdk/types';
export type { WriteFaultSpec, WriteFaultStatus } from './db/write-faults';

/** Options of {@link startDevCloud}. */
export interface DevCloudOptions {
  /** Root of the local cloud's state; the database lives in <dataDir>/db. */
  dataDir: string;
  /** Folder of function folders (normally cloudfunctions/); each needs a built index.js. */
  functionsDir: string;
  /** The collections declaration (normally data/collections.json). */
  collectionsFile: string;
  /** Gateway port; 0 (default) picks a free one. */
  port?: number;
  /** Gateway interface; default 127.0.0.1. */
  host?: string;
  /** Folder the gateway serves at GET /static/ (the demo goods' pictures); none when absent. */
  staticDir?: string;
  /** Function configuration: every function sees these as process.env. */
  env: Record<string, string>;
  /** Run timer triggers on their schedule (default true); they can always be fired on demand. */
  timers?: boolean;
  /** getWXContext().ENV (default "local-dev"). */
  envId?: string;
  /** getWXContext().APPID when the caller sends no x-wx-appid (default "wx0000000000000000"). */
  appid?: string;
  /** Overrides every function's time limit (ms); by default config.json "timeout" or the cloud's 3 s. */
  functionTimeoutMs?: number;
  /** Where log lines go (default console.log). */
  log?: (line: string) => void;
  /** The functions' business clock (their Date and Date.now()); the real clock when absent. */
  functionClock?: () => number;
  /** Clock for timer triggers (tests). */
  timerClock?: TimerClock;
  /**
   * Supplies `cloud.cloudPay` to a function, called at each function load (return one shared instance for one
   * merchant). `invoke` calls a function as the platform does (e.g. a cloudPay callback). Default: not built.
   */
  /**
   * Data migrations, run on the admin handle after the database opens and BEFORE its unique indexes are built and
   * enforced — the cloud's order (migrate the old documents, then create the index). Nothing else runs meanwhile.
   * When the data still breaks a unique index afterwards, the start fails naming two documents.
   */
  migrate?: (db: CloudDatabase) => Promise<void>;
  cloudPay?: (host: {
    functionName: string;
    invoke: (name: string, event: unknown) => Promise<InvocationOutcome>;
  }) => object;
  /**
   * Supplies the groups of `cloud.openapi` to a function (e.g. `{subscribeMessage}`), called at each function load;
   * groups from several stand-ins are merged by the caller. Default: every group rejects "not built".
   */
  openapi?: (host: { functionName: string }) => Readonly<Record<string, object>>;
  /** Loopback-only gateway routes under /_devcloud/<name> (e.g. the subscription prompt, the message outbox). */
  devRoutes?: Readonly<Record<string, DevRoute>>;
  /**
   * The latency model (devcloud/latency.ts): its database delay on every round trip a function makes, its call delay on
   * every /fn/ call (its WeChat Pay delay is the simulator's). Default: LOCAL_LATENCY from the environment, else none;
   * null: none.
   */
  latency?: LatencyModel | null;
}

/** A running local cloud. */
export interface DevCloud {
  /** Gateway base URL, e.g. http://127.0.0.1:50123. */
  url: string;
  /** Admin database handle (cloud function rights; round trips counted as "(admin)"). */
  db: CloudDatabase;
  /** Fires a function's timer trigger now; resolves with the outcome (never rejects for function errors). */
  fireTimer(functionName: string, trigger: string): Promise<InvocationOutcome>;
  /** Invokes a function directly (as POST /fn/<name> would, without HTTP). */
  invoke(functionName: string, event: unknown, caller?: Partial<Caller>): Promise<InvocationOutcome>;
  /** Injects database write failures into the functions' writes (chaos runs); null stops. Answers the status. */
  setWriteFaults(spec: WriteFaultSpec | null): WriteFaultStatus;
  writeFaults(): WriteFaultStatus;
  /** Counters per function and recent timer runs. */
  stats(): { functions: Record<string, FunctionStats>; timerRuns: TimerRun[]; timers: TimerInfo[] };
  /** Stops timers and the gateway, waits briefly for running invocations, closes the database. */
  close(): Promise<void>;
}

/** The default appid getWXContext() reports. */
export const DEFAULT_APPID = 'wx0000000000000000';

/** Options of {@link openDevDatabase}. */
export interface OpenDatabaseOptions {
  /** Root of the local cloud's state; the database lives in <dataDir>/db. */
  dataDir: string;
  /** The collections declaration (normally data/collections.json). */
  collectionsFile: string;
  /** As {@link DevCloudOptions.migrate}: runs before the unique indexes are enforced. */
  migrate?: (db: CloudDatabase) => Promise<void>;
  log?: (line: string) => void;
}

/** The local cloud's database alone (no gateway, no functions): for tools such as `npm run migrate`. */
export interface DevDatabase {
  /** Admin handle (cloud function rights). */
  db: CloudDatabase;
  close(): Promise<void>;
}

function adminDatabase(engine: Engine, meter: (op: DbOpKind) => void = () => undefined): Database {
  return new Database({
    engine,
    meter,
    now: () => Date.now(),
    throwOnNotFound: true,
    maxLimit: SERVER_MAX_LIMIT,
  });
}

/**
 * Opens the store with its unique indexes deferred, runs `migrate` (if any) on an admin handle, then builds and enforces
 * the indexes. Closes the store and rejects when either fails.
 */
async function openMigrated(
  o: OpenDatabaseOptions,
  log: (line: string) => void,
): Promise<{ store: Store; engine: Engine }> {
  const config = loadCollectionsConfig(resolve(o.collectionsFile));
  const store = await Store.open({
    dir: join(resolve(o.dataDir), 'db'),
    collections: config.collections,
    log,
    deferUniqueIndexes: true,
  });
  const engine = new Engine(store);
  try {
    if (o.migrate) await o.migrate(adminDatabase(engine));
    await store.enforceUniqueIndexes();
  } catch (e) {
    await store.close();
    throw e;
  }
  return { store, engine };
}

/** Opens the local cloud's database without the rest (the data dir must not be in use by a running stack). */
export async function openDevDatabase(o: OpenDatabaseOptions): Promise<DevDatabase> {
  const { store, engine } = await openMigrated(o, o.log ?? ((line: string) => console.log(line)));
  return { db: adminDatabase(engine), close: () => store.close() };
}

/** Starts the local cloud; rejects with a clear message on a bad collections file or function config. */
export async function startDevCloud(options: DevCloudOptions): Promise<DevCloud> {
  const log = options.log ?? ((line: string) => console.log(line));
  const envId = options.envId ?? 'local-dev';
  const appid = options.appid ?? DEFAULT_APPID;
  const { store, engine } = await openMigrated(
    {
      dataDir: options.dataDir,
      collectionsFile: options.collectionsFile,
      ...(options.migrate ? { migrate: options.migrate } : {}),
    },
    log,
  );
  const latency = options.latency === undefined ? latencyFromEnv(process.env) : options.latency;
  const dbDelayMs = latency ? delaySampler(latency.dbMs, latency.jitter) : undefined;
  const callDelayMs = latency ? delaySampler(latency.callMs, latency.jitter) : undefined;
  const stats = new Stats();
  const writeFaults = new WriteFaults();
  const functionEngine = writeFaults.wrap(engine);
  try {
    const registry: FunctionRegistry = new FunctionRegistry({
      functionsDir: resolve(options.functionsDir),
      env: options.env,
      ...(options.functionClock ? { now: options.functionClock } : {}),
      makeSdk: (functionName): WxServerSdk =>
        createWxServerSdk({
          engine: functionEngine,
          envId,
          functionName,
          onDbOp: (fn, op) => stats.recordDbOp(fn, op),
          ...(dbDelayMs === undefined ? {} : { dbDelayMs }),
          ...(options.cloudPay === undefined
            ? {}
            : {
                cloudPay: options.cloudPay({
                  functionName,
                  // As the platform calls the function named at unifiedOrder: SOURCE wx_paycallback, no OPENID.
                  invoke: (name: string, event: unknown): Promise<InvocationOutcome> =>
                    runtime.invoke(name, event, { source: 'wx_paycallback', appid }),
                }),
              }),
          ...(options.openapi === undefined ? {} : { openapi: options.openapi({ functionName }) }),
        }),
    });
    const runtime: FunctionRuntime = new FunctionRuntime({
      registry,
      stats,
      envId,
      log,
      ...(options.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: options.functionTimeoutMs }),
    });
    const triggers = registry.timerTriggers();

    const fireTimer = async (
      functionName: string,
      trigger: string,
      scheduledAtMs: number,
      onDemand: boolean,
    ) => {
      const found = registry.config(functionName).triggers.find((t) => t.name === trigger);
      if (found === undefined) {
        const message = `function "${functionName}" has no timer trigger named "${trigger}" in its config.json`;
        return {
          ok: false as const,
          failure: { status: 404, code: 'DEVCLOUD.TIMER_NOT_FOUND', message },
          requestId: '',
          dbOps: 0,
          durationMs: 0,
        };
      }
      const event = {
        Type: 'Timer',
        TriggerName: trigger,
        Time: new Date(Math.floor(scheduledAtMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
        Message: '',
      };
      const outcome = await runtime.invoke(functionName, event, { source: 'wx_trigger' });
      stats.recordTimerRun({
        functionName,
        trigger,
        scheduledAt: event.Time,
        onDemand,
        ok: outcome.ok,
        dbOps: outcome.dbOps,
        ...(outcome.ok ? {} : { error: outcome.failure.message }),
      });
      return outcome;
    };

    const scheduler = new TimerScheduler(
      triggers,
      (t, at) => {
        void fireTimer(t.functionName, t.name, at, false).then((o) => {
          if (!o.ok) log(`[devcloud] timer ${t.functionName}/${t.name} failed: ${o.failure.message}`);
        });
      },
      options.timerClock ?? realClock,
    );
    const clientDb = new ClientDatabase(
      engine,
      () => Date.now(),
      (op) => stats.recordDbOp('(client)', op),
    );
    const gateway = await startGateway(
      {
        runtime,
        engine,
        clientDb,
        stats,
        appid,
        functions: () => registry.list(),
        timers: () => scheduler.info(),
        fireTimer: (fn, trigger) => fireTimer(fn, trigger, Date.now(), true),
        writeFaults,
        log,
        ...(options.staticDir !== undefined ? { staticDir: options.staticDir } : {}),
        ...(options.devRoutes !== undefined ? { devRoutes: options.devRoutes } : {}),
        ...(callDelayMs !== undefined ? { callDelayMs } : {}),
      },
      options.host ?? '127.0.0.1',
      options.port ?? 0,
    );
    if (options.timers !== false) scheduler.start();

    const db = adminDatabase(engine, (op) => stats.recordDbOp('(admin)', op));
    let closed = false;
    return {
      url: gateway.url,
      db,
      fireTimer: (fn, trigger) => fireTimer(fn, trigger, Date.now(), true),
      invoke: (fn, event, caller) =>
        runtime.invoke(fn, event, {
          source: caller?.source ?? 'wx_unknown',
          appid: caller?.appid ?? appid,
          ...caller,
        }),
      setWriteFaults: (spec) => writeFaults.set(spec),
      writeFaults: () => writeFaults.status(),
      stats: () => ({ ...stats.snapshot(), timers: scheduler.info() }),
      close: async () => {
        if (closed) return;
        closed = true;
        scheduler.stop();
        await gateway.close();
        await runtime.drain(5000);
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
