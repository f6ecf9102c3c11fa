// The whole local stack in one call: the WeChat Pay simulator, the local cloud running the built function bundles
// (configured exactly like production, but pointed at the simulator), the demo catalog, and the dev console.
// Used by `npm start` (devcloud/start.ts) and by the end-to-end tests.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSimulator, type SimIdentity, type SimulatorHandle } from '../../simulator';
import { startConsole, type ConsoleHandle } from '../console/console-server';
import { startDevCloud, type DevCloud, type DevRoute } from '../index';
import { delaySampler, latencyFromEnv, type LatencyModel } from '../latency';
import {
  createLocalCloudPay,
  invokeFunctionFromOutcomes,
  JsonFileStore,
  type LocalCloudPay,
} from '../cloudpay';
import { pointDemoPicturesAt, seedCatalogIfEmpty, type SeedImages } from './seed';
import {
  anyPayments,
  cloudPayPayments,
  createLocalTradeManagement,
  simulatorPayments,
  tradeDevRoute,
  type LocalTradeManagement,
} from '../trade';
import { appJsonPages, LocalSubscribeMessages, templatesFromSettings } from '../openapi/subscribe-message';
import {
  ensureLocalAppSecret,
  LOCAL_CLOUD_ENV_ID,
  WECHAT_API_ROUTE,
  wechatHttpApiRoute,
  type ApiCollection,
} from '../openapi/wechat-http-api';
import { loadCollectionsConfig } from '../db/collections-config';
import { stackFunctionEnv, type StackEnvOptions, type StackMerchantMode } from './function-env';
import type { CloudDb } from '../../server/adapters/db/cloud-db';
import { readCounters } from '../../server/adapters/db/counters';
import {
  describePaymentKeyReport,
  migrateOrderPaymentKeys,
} from '../../server/adapters/db/payment-key.migration';

const ROOT = resolve(__dirname, '..', '..');
/** The local cloudPay channel's merchant numbers (Cloud Development's provider and the shop's bound sub-merchant). */
export const LOCAL_CLOUDPAY_MCH_ID = '1900000100';
export const LOCAL_CLOUDPAY_SUB_MCH_ID = '1900000109';

/** Options of {@link startStack}. Ports 0 = ephemeral (tests); npm start uses fixed defaults. */
export interface StackOptions {
  dataDir: string;
  mode?: StackMerchantMode;
  gatewayPort?: number;
  simulatorPort?: number;
  consolePort?: number;
  /**
   * Interface the gateway and the simulator listen on: 127.0.0.1 by default (nothing else on the network can reach
   * them); "0.0.0.0" for `npm start -- --lan` (真机调试 from a phone). The stack's own URLs stay loopback either
   * way. The console always listens on 127.0.0.1.
   */
  host?: string;
  /** Base URL the demo pictures are served from (default: the gateway URL; the LAN URL with --lan). */
  pictureBaseUrl?: string;
  /** Start the console server (default true). */
  console?: boolean;
  /** Run timer triggers on schedule (default true; tests fire them on demand). */
  timers?: boolean;
  /** Simulator virtual-clock speed (default 1). */
  timeScale?: number;
  /** Reuse a generated identity when the data folder has none (tests: saves RSA key generation). */
  identity?: SimIdentity;
  /**
   * A simulator already running elsewhere (its own process: devcloud/harness connectSimulator) instead of one started
   * in this process; the stack uses it and leaves it running at close. The simulator options above are then unused.
   */
  simulator?: SimulatorHandle;
  /** Seed data/catalog.demo.json into an empty database (default true). */
  seedCatalog?: boolean;
  /** Extra function settings (override the derived ones). */
  env?: Record<string, string>;
  envOptions?: Partial<Omit<StackEnvOptions, 'identity' | 'mode' | 'simulatorUrl' | 'gatewayUrl'>>;
  functionTimeoutMs?: number;
  /**
   * The latency model (devcloud/latency.ts): database delay per round trip, WeChat Pay delay per call (in the
   * simulator), call delay per /fn/ call. Default: LOCAL_LATENCY from the environment, else none; null: none.
   */
  latency?: LatencyModel | null;
  log?: (line: string) => void;
  /** The collections declaration (default data/collections.json; tests start a cloud that lacks one). */
  collectionsFile?: string;
}

/** A running local stack. */
export interface Stack {
  gatewayUrl: string;
  simulatorUrl: string;
  consoleUrl: string | null;
  sim: SimulatorHandle;
  cloud: DevCloud;
  /** The local cloudPay stand-in (used when the functions run with PAY_PROVIDER=cloudpay). */
  cloudPay: LocalCloudPay;
  /** The local 发货信息管理 (cloud.openapi.wxa.sec.order.*, confirm receipt, the tradeEvents pushes). */
  trade: LocalTradeManagement;
  /** The local subscribeMessage.send: accept counts and the outbox (docs/adr/0010). */
  messages: LocalSubscribeMessages;
  mode: StackMerchantMode;
  /** The function configuration in force (contains secrets). */
  env: Record<string, string>;
  /** The business clock the functions run on (the simulator's virtual time). */
  now(): number;
  /** Advances virtual time for the simulator and the functions alike (timers due on the way run in order). */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** What .data/dev-stack.json holds: URLs and the simulator's test identity, for tools and tests. */
export interface DevStackFile {
  gatewayUrl: string;
  simulatorUrl: string;
  consoleUrl: string | null;
  mode: StackMerchantMode;
  merchant: Record<string, string>;
  platform: { serial: string; privateKeyPem: string; publicKeyId: string; publicKeyPrivateKeyPem: string };
  /**
   * Who is who on this stack, as the functions are configured (SHOP_ADMIN_OPENIDS, SHOP_TESTER_OPENIDS,
   * SHOP_TESTER_PRICE_FEN): call the gateway with `x-wx-openid: <one of these>` to act as staff or as a tester; any
   * other OPENID is an ordinary shopper (the mini program's local mode uses o-dev-shopper).
   */
  identities: {
    adminOpenids: string[];
    testerOpenids: string[];
    testerPriceFen: number;
    shopperOpenids: string[];
  };
  startedAt: string;
}

/** Shoppers the mini program's local mode offers (miniprogram/config/build-env.ts): any OPENID not staff or tester works. */
export const LOCAL_SHOPPER_OPENIDS: readonly string[] = ['o-dev-shopper', 'o-dev-shopper-2'];

function openidsOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Starts simulator → local cloud (functions configured from the simulator's identity) → seed → console. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? ((line: string) => console.log(line));
  const mode = o.mode ?? 'direct';
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const latency = o.latency === undefined ? latencyFromEnv(process.env) : o.latency;
  const apiDelayMs = latency ? delaySampler(latency.payMs, latency.jitter) : undefined;
  const ownSim = o.simulator === undefined;
  const sim =
    o.simulator ??
    (await startSimulator({
      ...(apiDelayMs === undefined ? {} : { apiDelayMs }),
      dataDir: join(dataDir, 'simulator'),
      port: o.simulatorPort ?? 0,
      host: o.host ?? '127.0.0.1',
      ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
      ...(o.identity ? { identity: o.identity } : {}),
      log: (line) => log(`[simulator] ${line}`),
    }));
  // Bound to every interface (--lan), the servers still answer on loopback: the stack talks to itself there (the
  // simulator accepts notify URLs only on loopback).
  const loopback = (url: string) => url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])(?=:)/, 'http://127.0.0.1');
  const simulatorUrl = loopback(sim.url);
  let cloud: DevCloud | undefined;
  let consoleHandle: ConsoleHandle | undefined;
  // The functions' business clock is the simulator's virtual clock itself (same process), read synchronously: an
  // advance from a test, the console or the HTTP control API is seen by the very next function call. Signatures stay
  // on the wall clock (ADR 0006).
  const businessNow = () => sim.now();
  let localPay: LocalCloudPay | undefined;
  let trade: LocalTradeManagement | undefined;
  let messages: LocalSubscribeMessages | undefined;
  try {
    // cloudPay's private channel: one local stand-in for the environment, its v2 key kept in the data folder.
    const payDir = join(dataDir, 'cloudpay');
    mkdirSync(payDir, { recursive: true });
    const keyFile = join(payDir, 'mch-key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(16).toString('hex'), { mode: 0o600 });
    const mchKey = readFileSync(keyFile, 'utf8').trim();
    const payStore = await JsonFileStore.open(payDir);
    // The gateway URL must be known before the functions are configured (notify_url points at it), so the port is
    // reserved first by starting on the requested port and reading the URL back.
    const envFor = (gatewayUrl: string) => ({
      ...stackFunctionEnv({
        identity: sim.identity,
        mode,
        simulatorUrl,
        gatewayUrl,
        ...o.envOptions,
      }),
      ...o.env,
    });
    const env: Record<string, string> = {};
    // subscribeMessage.send's stand-in knows the templates the functions are configured with (read at each send).
    const msgs = await LocalSubscribeMessages.open({
      dir: join(dataDir, 'openapi'),
      pages: appJsonPages(join(ROOT, 'miniprogram', 'app.json')),
      templates: () =>
        templatesFromSettings([
          env['SHOP_MSG_TEMPLATE_PAID'],
          env['SHOP_MSG_TEMPLATE_SHIPPED'],
          env['SHOP_MSG_TEMPLATE_REFUND'],
        ]),
      now: businessNow,
      log: (line) => log(`[openapi] ${line}`),
    });
    messages = msgs;
    const appid = mode === 'direct' ? sim.identity.direct.appid : sim.identity.partner.subAppid;
    // 发货信息管理: its state in the data folder (survives restarts); payments come from the simulator. Push events
    // are delivered to `tradeEvents` once the cloud is up (`pushTo` is bound below).
    const pushTo: { invoke?: (name: string, event: Record<string, unknown>) => Promise<unknown> } = {};
    const localTrade = await createLocalTradeManagement({
      store: await JsonFileStore.open(join(dataDir, 'trade'), 'trade.json'),
      payments: anyPayments(
        simulatorPayments(sim.control),
        cloudPayPayments(() => localPay),
      ),
      now: businessNow,
      appid,
      deliver: (name, event) => {
        if (!pushTo.invoke) return Promise.reject(new Error('the local cloud is not up yet'));
        return pushTo.invoke(name, event);
      },
      log: (line) => log(`[trade] ${line}`),
    });
    trade = localTrade;
    // The WeChat server APIs a machine with the AppSecret calls (npm run doctor -- --online, npm run deploy), answered
    // for this stack's appid at <gateway>/_devcloud/wxapi: the local collections, 发货信息管理's switch, functions.
    const collectionsFile = o.collectionsFile ?? join(ROOT, 'data', 'collections.json');
    const declared = loadCollectionsConfig(collectionsFile).collections;
    const wxapi = wechatHttpApiRoute({
      appid,
      secret: ensureLocalAppSecret(dataDir),
      envId: LOCAL_CLOUD_ENV_ID,
      managed: () => localTrade.managed(),
      collections: async (): Promise<ApiCollection[]> => {
        const db = cloud?.db;
        if (db === undefined) return [];
        return Promise.all(
          declared.map(async (c) => ({
            name: c.name,
            count: (await db.collection(c.name).count()).total,
            indexCount: c.indexes.length + 1,
          })),
        );
      },
      invoke: (name, event) => {
        if (cloud === undefined) return Promise.reject(new Error('the local cloud is not up yet'));
        return cloud.invoke(name, event, { source: 'wx_http' });
      },
    });
    cloud = await startDevCloud({
      dataDir: join(dataDir, 'cloud'),
      functionsDir: join(ROOT, 'cloudfunctions'),
      collectionsFile,
      envId: LOCAL_CLOUD_ENV_ID,
      port: o.gatewayPort ?? 0,
      host: o.host ?? '127.0.0.1',
      staticDir: join(ROOT, 'data', 'images'),
      env,
      appid,
      timers: o.timers ?? true,
      functionClock: businessNow,
      latency,
      // Data from before a unique index is migrated first, as in the cloud (docs/MIGRATIONS.md).
      migrate: async (db) => {
        const report = await migrateOrderPaymentKeys(db as unknown as CloudDb);
        if (!report.complete || report.updated > 0)
          log(`[stack] paymentKey migration: ${describePaymentKeyReport(report)}`);
      },
      cloudPay: ({ functionName }) => {
        if (!localPay) throw new Error('the local cloudPay stand-in is not ready yet');
        return localPay.sdkFacade(openapiPermissions(functionName));
      },
      openapi: ({ functionName }) => {
        const allowed = openapiPermissions(functionName);
        return { ...localTrade.sdkFacade(allowed), subscribeMessage: msgs.sdkFacade(functionName, allowed) };
      },
      devRoutes: {
        trade: tradeDevRoute(localTrade),
        subscribe: subscribeRoute(msgs),
        [WECHAT_API_ROUTE]: wxapi,
      },
      ...(o.functionTimeoutMs !== undefined ? { functionTimeoutMs: o.functionTimeoutMs } : {}),
      log: (line) => log(`[cloud] ${line}`),
    });
    const started = cloud;
    const gatewayUrl = loopback(cloud.url);
    // The platform's message push invokes the function as itself: no user identity; its SOURCE is not documented,
    // so the local cloud reports wx_unknown ("微信未知来源调用").
    pushTo.invoke = invokeFunctionFromOutcomes((name, event) =>
      started.invoke(name, event, { source: 'wx_unknown' }),
    );
    localPay = createLocalCloudPay({
      store: payStore,
      // The platform invokes the callback function as itself: SOURCE wx_paycallback, no user identity.
      invokeFunction: invokeFunctionFromOutcomes((name, event) =>
        started.invoke(name, event, { source: 'wx_paycallback' }),
      ),
      now: businessNow,
      identity: { appid, mchId: LOCAL_CLOUDPAY_MCH_ID, subMchId: LOCAL_CLOUDPAY_SUB_MCH_ID },
      mchKey,
      log: (line) => log(`[cloudpay] ${line}`),
    });
    // Functions read process.env at cold start (first call), which happens after this fill-in.
    Object.assign(
      env,
      envFor(gatewayUrl),
      {
        // Used only when PAY_PROVIDER=cloudpay; harmless otherwise.
        CLOUDPAY_APPID: appid,
        CLOUDPAY_SUB_MCH_ID: LOCAL_CLOUDPAY_SUB_MCH_ID,
        CLOUDPAY_ENV_ID: 'local-dev',
      },
      o.env,
    );
    if (o.seedCatalog ?? true) {
      const images: SeedImages = {
        imagesDir: join(ROOT, 'data', 'images'),
        gatewayUrl: o.pictureBaseUrl ?? gatewayUrl,
      };
      const added = await seedCatalogIfEmpty(cloud.db, join(ROOT, 'data', 'catalog.demo.json'), images);
      if (added > 0) log(`[stack] seeded ${added} demo SKUs`);
      const repointed = await pointDemoPicturesAt(cloud.db, images);
      if (repointed > 0 && added === 0)
        log(`[stack] demo pictures now served from ${images.gatewayUrl}/static/`);
    }
    const db = cloud.db;
    if (o.console ?? true) {
      consoleHandle = await startConsole({
        simulatorUrl,
        gatewayUrl,
        port: o.consolePort ?? 0,
        counters: () => readCounters(db as unknown as CloudDb),
      });
    }
    const c = cloud;
    const con = consoleHandle;
    const pay = localPay;
    return {
      gatewayUrl,
      simulatorUrl,
      consoleUrl: con?.url ?? null,
      sim,
      cloud: c,
      cloudPay: pay,
      trade: localTrade,
      messages: msgs,
      mode,
      env,
      now: businessNow,
      advance: async (ms: number) => {
        await sim.control.advance(ms);
      },
      close: async () => {
        await con?.close();
        await pay.close();
        await localTrade.close();
        await c.close();
        await msgs.close();
        if (ownSim) await sim.close();
      },
    };
  } catch (e) {
    await localPay?.close();
    await trade?.close();
    await messages?.close();
    await consoleHandle?.close();
    await cloud?.close();
    if (ownSim) await sim.close();
    throw e;
  }
}

/**
 * /_devcloud/subscribe (loopback only): POST prompt {results} with x-wx-openid — the shopper's answer to the simulated
 * subscription prompt, as WeChat learns it from the real one; GET outbox?limit= — the messages sent, newest first;
 * GET accepts?openid=&templateId= — accepts left at "WeChat".
 */
function subscribeRoute(msgs: LocalSubscribeMessages): DevRoute {
  return async ({ method, path, query, openid, body }) => {
    const [what] = path;
    if (what === 'prompt' && method === 'POST') {
      const results = (body as { results?: unknown } | null)?.results;
      if (!openid || typeof results !== 'object' || results === null || Array.isArray(results))
        return {
          status: 400,
          body: { error: { code: 'DEVCLOUD.BAD_REQUEST', message: 'x-wx-openid and {results} required' } },
        };
      return { status: 200, body: { counts: await msgs.prompt(openid, results as Record<string, unknown>) } };
    }
    if (what === 'outbox' && method === 'GET') {
      const limit = Math.min(Math.max(Number(query.get('limit') ?? 50) || 50, 1), 500);
      return { status: 200, body: { outbox: await msgs.outbox(limit) } };
    }
    if (what === 'accepts' && method === 'GET') {
      const count = await msgs.accepts(query.get('openid') ?? '', query.get('templateId') ?? '');
      return { status: 200, body: { count } };
    }
    return {
      status: 404,
      body: { error: { code: 'DEVCLOUD.NOT_FOUND', message: 'no such subscribe route' } },
    };
  };
}

/** The cloud-call APIs (cloudPay.*, wxa.sec.order.*, subscribeMessage.*) a function's config.json grants it (`permissions.openapi`), as the platform enforces them. */
function openapiPermissions(functionName: string): ReadonlySet<string> {
  const file = join(ROOT, 'cloudfunctions', functionName, 'config.json');
  if (!existsSync(file)) return new Set();
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { permissions?: { openapi?: unknown } };
  const list = raw.permissions?.openapi;
  return new Set(Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);
}

/** Writes .data/dev-stack.json-style content (secrets included: the file lives in git-ignored .data/). */
export function writeDevStackFile(file: string, stack: Stack): DevStackFile {
  const id = stack.sim.identity;
  const m = stack.mode === 'direct' ? id.direct : id.partner;
  const merchant: Record<string, string> =
    stack.mode === 'direct'
      ? { appid: id.direct.appid, mchid: id.direct.mchid }
      : {
          spAppid: id.partner.spAppid,
          spMchid: id.partner.spMchid,
          subMchid: id.partner.subMchid,
          subAppid: id.partner.subAppid,
        };
  const content: DevStackFile = {
    gatewayUrl: stack.gatewayUrl,
    simulatorUrl: stack.simulatorUrl,
    consoleUrl: stack.consoleUrl,
    mode: stack.mode,
    merchant: {
      ...merchant,
      apiV3Key: m.apiV3Key,
      serial: m.merchantSerial,
      privateKeyPem: m.merchantPrivateKeyPem,
      keyMode: m.keyMode,
    },
    platform: {
      serial: id.platform.certificate.serial,
      privateKeyPem: id.platform.certificate.privateKeyPem,
      publicKeyId: id.platform.publicKey.publicKeyId,
      publicKeyPrivateKeyPem: id.platform.publicKey.privateKeyPem,
    },
    identities: {
      adminOpenids: openidsOf(stack.env['SHOP_ADMIN_OPENIDS']),
      testerOpenids: openidsOf(stack.env['SHOP_TESTER_OPENIDS']),
      testerPriceFen: Number(stack.env['SHOP_TESTER_PRICE_FEN'] ?? '1') || 1,
      shopperOpenids: [...LOCAL_SHOPPER_OPENIDS],
    },
    startedAt: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  return content;
}
