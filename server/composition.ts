// The one place that wires adapters from validated configuration. Each cloud function entry calls one builder here;
// everything is built once per cold start and a configuration error names the setting on every call.
import { randomUUID } from 'node:crypto';
import { CheckoutService } from './application/checkout.service';
import type { CoreDeps, SimulatedPayer } from './application/core.deps';
import { JobsService, WECHAT_CALLS_PER_ITEM } from './application/jobs.service';
import type { JobLoop, RunLimit } from './application/jobs.service';
import { NotificationService } from './application/notification.service';
import { PaymentService } from './application/payment.service';
import type { PaymentProvider } from './application/ports/payment-provider.port';
import { RefundService } from './application/refund.service';
import { AbnormalRefundService } from './application/abnormal-refund.service';
import { FulfilmentService } from './application/fulfilment.service';
import { RefundRequestService } from './application/refund-request.service';
import { DbRefundRequestStore } from './adapters/db/refund-request.repository';
import { FulfilmentEventSink } from './application/fulfilment-events';
import type { TradeManagement } from './application/ports/trade-management.port';
import { NotWiredTradeManagement } from './adapters/trade/not-wired-trade-management';
import { CloudTradeManagement } from './adapters/trade/cloud-trade-management';
import type { StaffDeps } from './adapters/functions/staff.handlers';
import { staffActions } from './adapters/functions/staff.handlers';
import { ChannelOrderService } from './application/channel-order.service';
import type { ChannelPayDeps } from './adapters/functions/channel-pay.handlers';
import { channelPayActions } from './adapters/functions/channel-pay.handlers';
import { handleChannelPayHttp } from './adapters/functions/channel-pay.http';
import { base62FromBytes } from './domain/ids';
import type { Fen } from './domain/money';
import type { AppConfig } from './adapters/config/app-config';
import { parseAppConfig } from './adapters/config/app-config';
import { handlePayCallbackInvocation } from './adapters/functions/paycallback.handlers';
import type { CloudPayCallbackAnswer } from './adapters/functions/paycallback.handlers';
import { handlePayNotifyHttp } from './adapters/functions/paynotify.http';
import { handleTradeEventsInvocation, type TradeEventsAnswer } from './adapters/functions/trade-events';
import type { TradeEventSink } from './application/ports/trade-management.port';
import {
  cloudPayApiFrom,
  createCloudPayProvider,
  merchantIdentity,
  parseCloudPayConfig,
} from './adapters/payment/cloudpay';
import type { CloudDb } from './adapters/db/cloud-db';
import { DEMO_MERCHANT, DemoPaymentProvider } from './adapters/payment/demo/demo.provider';
import { DbMetrics } from './adapters/db/metrics.repository';
import { dbStores } from './adapters/db/stores';
import type { CoreHandlersDeps } from './adapters/functions/core.handlers';
import { orderActions, payActions, refundActions } from './adapters/functions/core.handlers';
import {
  WechatPayConfigError,
  WechatPayEnv,
  createWechatPayV3Provider,
  parseWechatPayV3Config,
} from './adapters/payment/wechatpay-v3';
import type { FunctionName } from './adapters/runtime/function-timeouts';
import { jobRunBudgetMs, requestTimeoutProblem } from './adapters/runtime/function-timeouts';
import type { WechatPayV3Config } from './adapters/payment/wechatpay-v3';
import { createHttpMain, createTimerMain, withOperatorActions } from './adapters/runtime/entrypoints';
import { pooledRandomBytes } from './adapters/runtime/random-pool';
import { isDataMigrationEvent, runDataMigration } from './adapters/db/data-migrations';
import { createCallableMain } from './adapters/runtime/handler';
import type { ActionTable } from './adapters/runtime/handler';
import { DbThrottle } from './adapters/db/throttle.repository';
import { DbSubscriptionStore } from './adapters/db/subscription.repository';
import { cloudSubscribeMessageSender } from './adapters/wechat/subscribe-message.sender';
import { createLogger, parseLogLevel } from './adapters/runtime/logger';
import type { CloudRuntime } from './adapters/runtime/wx-cloud';

// LOG_LEVEL (info | warn | error | silent) is read at cold start, like every other setting.
const log = createLogger(
  { service: 'wxpay-safe-shop' },
  undefined,
  undefined,
  parseLogLevel(process.env.LOG_LEVEL),
);
// Two clocks on purpose. Business time (order expiry, refund windows) is Date.now(). Transport time — the ±5 minute
// windows of WeChat Pay signatures and answers — is the process's monotonic wall clock: WeChat stamps signatures with
// wall time whatever a test or the local stack does to business time (docs/adr/0006). In production both agree.
const clock = { now: () => Date.now() };
const transportNowMs = () => Math.round(performance.timeOrigin + performance.now());
const random = { base62: (count: number) => base62FromBytes(pooledRandomBytes(count * 2), count) };

type Env = Readonly<Record<string, string | undefined>>;

interface BuiltProvider {
  provider: PaymentProvider;
  merchant: CoreDeps['policy']['merchant'];
  simulatedPayer?: SimulatedPayer;
  /** The longest one provider request may take (ms): a timer run stops taking items in time for it. */
  requestTimeoutMs: number;
  /** The mini program's appid (is_trade_managed asks about it): partner mode's sub-appid when set. */
  miniProgramAppid: string;
}

// cloudPay's calls go through the platform, whose own limit we cannot set; the demo provider is the database.
const PLATFORM_REQUEST_TIMEOUT_MS = 3_000;

/** The most WeChat calls any one job item makes (the close queue's: jobs/loops.ts WECHAT_CALLS_PER_ITEM). */
const MOST_CALLS_PER_JOB_ITEM = Math.max(...Object.values(WECHAT_CALLS_PER_ITEM));

/** The configured payment provider and who its payments must be addressed to. */
function buildProvider(
  app: AppConfig,
  env: Env,
  db: CloudDb,
  cloud: CloudRuntime,
  fn: FunctionName | undefined,
): BuiltProvider {
  if (app.provider === 'demo') {
    // parseAppConfig already refused demo outside APP_ENV=development.
    const demo = new DemoPaymentProvider(db, clock.now, () => random.base62(16));
    return {
      provider: demo,
      merchant: { ...DEMO_MERCHANT },
      simulatedPayer: demo,
      requestTimeoutMs: PLATFORM_REQUEST_TIMEOUT_MS,
      miniProgramAppid: DEMO_MERCHANT.appid,
    };
  }
  if (app.provider === 'cloudpay') {
    const cfg = parseCloudPayConfig(env);
    return {
      provider: createCloudPayProvider(cloudPayApiFrom(cloud.cloudPay()), cfg),
      merchant: merchantIdentity(cfg),
      requestTimeoutMs: PLATFORM_REQUEST_TIMEOUT_MS,
      miniProgramAppid: merchantIdentity(cfg).appid,
    };
  }
  const cfg: WechatPayV3Config = parseWechatPayV3Config(env);
  // The transport sends each request once (no retries of its own), so one request must fit; a timer's costliest item
  // (its calls in a row) must fit too, or its runs would never start one.
  const inARow = fn === 'closeExpired' || fn === 'reconcile' ? MOST_CALLS_PER_JOB_ITEM : 1;
  const problem = fn === undefined ? null : requestTimeoutProblem(fn, cfg.requestTimeoutMs, inARow);
  if (problem !== null) throw new WechatPayConfigError(WechatPayEnv.TIMEOUT_MS, problem);
  const id = cfg.identity;
  const merchant =
    id.mode === 'direct'
      ? { appid: id.appid, mchid: id.mchid }
      : { appid: id.spAppid, mchid: id.spMchid, subMchid: id.subMchid };
  const deps = {
    nowMs: transportNowMs,
    businessNowMs: clock.now,
    randomBytes: pooledRandomBytes,
  };
  return {
    provider: createWechatPayV3Provider(cfg, deps),
    merchant,
    requestTimeoutMs: cfg.requestTimeoutMs,
    miniProgramAppid: id.mode === 'direct' ? id.appid : (id.subAppid ?? id.spAppid),
  };
}

/** The payment core plus what the runtime needs to know about its provider. */
export type BuiltCore = CoreDeps & { providerRequestTimeoutMs: number; miniProgramAppid: string };

/**
 * Wires the payment core from the database and the environment (exported for the local stack's tests). With `fn`,
 * the provider's request timeout is checked against that function's platform timeout (CONFIG.INVALID if it does not
 * fit with margin).
 */
export function buildCore(cloud: CloudRuntime, env: Env = process.env, fn?: FunctionName): BuiltCore {
  const app = parseAppConfig(env);
  const db = cloud.database();
  const { provider, merchant, simulatedPayer, requestTimeoutMs, miniProgramAppid } = buildProvider(
    app,
    env,
    db,
    cloud,
    fn,
  );
  return {
    ...(simulatedPayer ? { simulatedPayer } : {}),
    ...dbStores(db, clock.now),
    provider,
    providerRequestTimeoutMs: requestTimeoutMs,
    miniProgramAppid,
    clock,
    random,
    metrics: new DbMetrics(db, (name, error) => log.warn('metric.failed', { name, error })),
    log,
    messages: {
      settings: app.messages,
      subscriptions: new DbSubscriptionStore(db),
      // Read at the send (the payment functions never send; only the timer's bundle calls it).
      sender: { send: (m) => cloudSubscribeMessageSender(cloud.openapi()).send(m) },
      // A development environment is the developer build (the local stack); production: the order's build.
      forcedState: app.appEnv === 'development' ? 'developer' : null,
    },
    policy: {
      orderTtlMs: app.orderTtlMs,
      closeGuardMs: 5 * 60_000,
      prepayReuseMarginMs: 5 * 60_000,
      merchant,
      testerOpenids: app.testerOpenids,
      testerAutoRefund: app.testerAutoRefund,
      testerPayableFen: app.testerPriceFen as Fen,
      adminOpenids: app.adminOpenids,
      simulatedPayments: simulatedPayer !== undefined,
      fulfilment: {
        expressCompanies: app.expressCompanies,
        autoCompleteMs: app.autoCompleteDays * 24 * 3_600_000,
        pickupPoint: app.pickupPoint,
      },
      webCheckout: app.webCheckout,
    },
  };
}

/** Builds once, remembers a failure (so every call reports the same configuration error). */
function once<T>(build: () => T): () => T {
  let value: { ok: true; v: T } | { ok: false; e: unknown } | undefined;
  return () => {
    value ??= (() => {
      try {
        return { ok: true as const, v: build() };
      } catch (e) {
        return { ok: false as const, e };
      }
    })();
    if (value.ok) return value.v;
    throw value.e;
  };
}

/**
 * The payment core's services over one core: each built once here and handed to the services that act through it.
 * Every function's builder starts from this and adds only what it runs (a timer never builds the staff's services).
 */
function paymentServices(core: CoreDeps): { refunds: RefundService; payments: PaymentService } {
  const refunds = new RefundService(core);
  return { refunds, payments: new PaymentService(core, refunds) };
}

/**
 * WeChat's 发货信息管理 for the functions that use it (the shipping upload job, confirmReceipt): the cloud call
 * (wxa.sec.order.*, listed in their config.json). A runtime without cloud calls gets a stand-in whose every call
 * fails as unanswered: uploads stay queued and back off, nothing is recorded as uploaded.
 */
export function buildTradeManagement(cloud: CloudRuntime, core: BuiltCore): TradeManagement {
  const openapi = cloud.openapi?.();
  if (openapi === undefined) return new NotWiredTradeManagement();
  return new CloudTradeManagement({ openapi, appid: core.miniProgramAppid });
}

/** The timers' services (exported for the tests that run the jobs on a local stack's core). */
export function buildJobs(
  core: CoreDeps,
  tradeManagement: TradeManagement = new NotWiredTradeManagement(),
): JobsService {
  const { refunds, payments } = paymentServices(core);
  return new JobsService(core, {
    payments,
    refunds,
    checkout: new CheckoutService(core, payments),
    trade: tradeManagement,
  });
}

/** Refund requests (docs/adr/0011) over the core's refunds, with the shop's window and reasons (validated here). */
function buildRefundRequests(
  core: CoreDeps,
  refunds: RefundService,
  cloud: CloudRuntime,
): RefundRequestService {
  const app = parseAppConfig(process.env);
  return new RefundRequestService(core, refunds, new DbRefundRequestStore(cloud.database()), {
    windowDays: app.refundRequestDays,
    reasons: app.refundReasons,
  });
}

function handlerDeps(
  core: CoreDeps,
  tradeManagement: TradeManagement,
  cloud: CloudRuntime,
): CoreHandlersDeps {
  const { refunds, payments } = paymentServices(core);
  return {
    refundRequests: buildRefundRequests(core, refunds, cloud),
    checkout: new CheckoutService(core, payments),
    payments,
    refunds,
    abnormalRefunds: new AbnormalRefundService(core, refunds),
    fulfilment: new FulfilmentService(core, tradeManagement),
    clock: core.clock,
    adminOpenids: core.policy.adminOpenids,
    attention: core.attention,
  };
}

function callable<F extends 'order' | 'pay' | 'refund'>(
  name: F,
  cloud: CloudRuntime,
  actions: ActionTable<F, CoreHandlersDeps>,
) {
  const deps = once(() => {
    const core = buildCore(cloud, process.env, name);
    return handlerDeps(core, buildTradeManagement(cloud, core), cloud);
  });
  return createCallableMain<CoreHandlersDeps>({
    name,
    cloud,
    log,
    newRequestId: randomUUID,
    boot: deps,
    actions,
  });
}

/** The `order` function: place (from the cart, priced on the server), get, listMine, cancel. */
export function createOrderMain(cloud: CloudRuntime) {
  return callable('order', cloud, orderActions);
}

/** The `pay` function: start (wx.requestPayment parameters) and sync (the provider's truth). */
export function createPayMain(cloud: CloudRuntime) {
  return callable('pay', cloud, payActions);
}

/** The `refund` function: staff-only refunds. */
export function createRefundMain(cloud: CloudRuntime) {
  return callable('refund', cloud, refundActions);
}

/** The `staff` function: fulfilment for staff (`me` answers anyone, the rest SHOP_ADMIN_OPENIDS only). */
export function createStaffMain(cloud: CloudRuntime) {
  const deps = once((): StaffDeps => {
    const core = buildCore(cloud, process.env, 'staff');
    return {
      fulfilment: new FulfilmentService(core, buildTradeManagement(cloud, core)),
      adminOpenids: core.policy.adminOpenids,
      refundRequests: buildRefundRequests(core, paymentServices(core).refunds, cloud),
    };
  });
  return createCallableMain<StaffDeps>({
    name: 'staff',
    cloud,
    log,
    newRequestId: randomUUID,
    boot: deps,
    actions: staffActions,
    anonymousActions: ['me'],
  });
}

/**
 * The `channelPay` function (docs/adr/0012): Native orders for staff (a mini program call) and H5 orders for a web
 * checkout (its HTTP access). Which entrance ran is the platform's word (getWXContext().SOURCE === 'wx_http' without
 * an OPENID), never the event's shape: a mini program call dressed as an HTTP event is still a mini program call.
 */
export function createChannelPayMain(cloud: CloudRuntime) {
  const boot = once((): ChannelPayDeps => {
    const core = buildCore(cloud, process.env, 'channelPay');
    const { payments } = paymentServices(core);
    return {
      channels: new ChannelOrderService(
        core,
        payments,
        // WeChat Pay APIv3 (direct or partner) creates Native and H5 orders; cloudPay and the demo provider cannot.
        { payUrls: core.provider.id.startsWith('wechatpay-v3') },
        new CheckoutService(core, payments),
      ),
      adminOpenids: core.policy.adminOpenids,
    };
  });
  const callableMain = createCallableMain<ChannelPayDeps>({
    name: 'channelPay',
    cloud,
    log,
    newRequestId: randomUUID,
    boot,
    actions: channelPayActions,
  });
  const httpMain = createHttpMain({
    name: 'channelPay',
    log,
    handle: (req) =>
      handleChannelPayHttp(req, { boot, actions: channelPayActions, log, newRequestId: randomUUID }),
  });
  return function main(event: unknown) {
    const ctx = cloud.getWXContext();
    if (ctx.SOURCE === 'wx_http' && !ctx.OPENID) return httpMain(event ?? {});
    return callableMain(event);
  };
}

/** The `payNotify` HTTP-access function: WeChat Pay's notify_url for payments and refunds. */
export function createPayNotifyMain(cloud: CloudRuntime) {
  const notifications = once(() => {
    const core = buildCore(cloud, process.env, 'payNotify');
    const { refunds, payments } = paymentServices(core);
    return new NotificationService(core, payments, refunds);
  });
  return createHttpMain({
    name: 'payNotify',
    log,
    handle: (req) => handlePayNotifyHttp(req, { notifications, log }),
  });
}

/**
 * How long into a run each loop may still start an item: the function's timeout minus what that loop's costliest item
 * may need (its WeChat calls, each up to the request timeout) and the margin.
 */
export function jobLoopBudgetsMs(
  fn: 'closeExpired' | 'reconcile',
  requestTimeoutMs: number,
): Record<JobLoop, number> {
  const budgets = {} as Record<JobLoop, number>;
  for (const [loop, calls] of Object.entries(WECHAT_CALLS_PER_ITEM) as [JobLoop, number][]) {
    budgets[loop] = jobRunBudgetMs(fn, requestTimeoutMs, calls);
  }
  return budgets;
}

/** A timer's jobs and its per-run limit: a loop stops taking due items unless one more of its items still fits. */
function timerJobs(cloud: CloudRuntime, fn: 'closeExpired' | 'reconcile') {
  const core = buildCore(cloud, process.env, fn);
  const budgetsMs = jobLoopBudgetsMs(fn, core.providerRequestTimeoutMs);
  return {
    service: buildJobs(core, buildTradeManagement(cloud, core)),
    // Real elapsed time (the business clock may jump under tests): the platform's timeout is real time.
    runLimit: (): RunLimit<JobLoop> => {
      const startedAt = performance.now();
      return { shouldStop: (loop) => performance.now() - startedAt > budgetsMs[loop] };
    },
  };
}

/** The `closeExpired` timer function (refuses any invocation that is not its timer's). */
export function createCloseExpiredMain(cloud: CloudRuntime) {
  const jobs = once(() => timerJobs(cloud, 'closeExpired'));
  return createTimerMain({
    name: 'closeExpired',
    log,
    cloud,
    run: () => jobs().service.closeExpired(jobs().runLimit()),
  });
}

/** The `reconcile` timer function (refuses any invocation that is not its timer's). */
export function createReconcileMain(cloud: CloudRuntime) {
  const jobs = once(() => timerJobs(cloud, 'reconcile'));
  const timerMain = createTimerMain({
    name: 'reconcile',
    log,
    cloud,
    run: async () => {
      const result = await jobs().service.reconcile(jobs().runLimit());
      await sweepThrottles(cloud.database());
      return result;
    },
  });
  // The data migrations, one batch per call, for `npm run deploy` through WeChat's HTTP API only (docs/MIGRATIONS.md).
  return withOperatorActions({
    name: 'reconcile',
    log,
    cloud,
    timerMain,
    isAction: isDataMigrationEvent,
    action: (event) => runDataMigration(cloud.database(), event),
  });
}

/**
 * payCallback's throttle keeps one document per order, dead 10 s later: each reconcile run removes a bounded batch of
 * old ones (DbThrottle.sweep), so the collection stays the size of the last hour's callbacks. Never fails the run.
 */
async function sweepThrottles(db: CloudDb): Promise<void> {
  try {
    const removed = await new DbThrottle(db, clock.now).sweep();
    if (removed > 0) log.info('throttles.swept', { removed });
  } catch (e) {
    log.warn('throttles.sweep_failed', { error: e });
  }
}

/**
 * The `payCallback` function: cloudPay's payment callback. Runs only when the platform reports the invocation as the
 * WeChat Pay callback (invocation-guard.ts); even then only the event's out_trade_no is read, WeChat is asked (at most
 * once per order per 10 s) and its answer applied. Answers `{errcode, errmsg}` (errcode 1 = call again, e.g. on a
 * configuration error).
 */
export function createPayCallbackMain(cloud: CloudRuntime) {
  const boot = once(() => {
    const core = buildCore(cloud, process.env, 'payCallback');
    return {
      payments: paymentServices(core).payments,
      provider: core.provider,
      throttle: new DbThrottle(cloud.database(), () => core.clock.now()),
      log,
    };
  });
  return function main(event: unknown): Promise<CloudPayCallbackAnswer> {
    return handlePayCallbackInvocation(event, cloud.getWXContext(), { boot, log });
  };
}

/** The fulfilment core's handling of the pushes (application/fulfilment-events.ts). */
function fulfilmentEventSink(cloud: CloudRuntime): TradeEventSink {
  const core = buildCore(cloud, process.env, 'tradeEvents');
  return new FulfilmentEventSink(core, new FulfilmentService(core, buildTradeManagement(cloud, core)));
}

/**
 * The `tradeEvents` function: WeChat's trade-management message push (发货信息管理). Refuses invocations that are
 * known not to be a push, validates the event and hands it to `sink` (built once per cold start): the fulfilment core,
 * which re-checks with get_order before it believes a confirmation.
 */
export function createTradeEventsMain(
  cloud: CloudRuntime,
  sink: (cloud: CloudRuntime) => TradeEventSink = fulfilmentEventSink,
) {
  const boot = once(() => sink(cloud));
  return function main(event: unknown): Promise<TradeEventsAnswer> {
    return handleTradeEventsInvocation(event, cloud.getWXContext(), { boot, log });
  };
}
