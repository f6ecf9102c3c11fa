// The cloudPay callback with the real payment core: PaymentService on devcloud's durable database, the cloudPay
// provider over devcloud's local cloudPay, whose "pay" invokes this very handler as the callback function.
import { join } from 'node:path';
import { JsonFileStore } from '../../../devcloud/cloudpay/json-store';
import {
  createLocalCloudPay,
  type LocalCloudPay,
  type LocalCloudPayOptions,
} from '../../../devcloud/cloudpay/local-cloudpay';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import type { CoreDeps } from '../../application/core.deps';
import type { OrderRecord } from '../../application/order.model';
import type { PaymentService } from '../../application/payment.service';
import type { PaymentTransaction } from '../../application/ports/payment-provider.port';
import type { Fen } from '../../domain/money';
import type { CloudDb } from '../db/cloud-db';
import { DbThrottle } from '../db/throttle.repository';
import { paymentsFor, storedOrder, testCoreDeps } from './core.testkit';
import {
  cloudPayApiFrom,
  CloudPayProvider,
  merchantIdentity,
  type CloudPayConfig,
} from '../payment/cloudpay';
import {
  handleCloudPayCallback,
  PAY_CALLBACK_QUERY_INTERVAL_MS,
  type CloudPayCallbackDeps,
} from './paycallback.handlers';

const IDENTITY = { appid: 'wx1234567890abcdef', mchId: '1800008281', subMchId: '1900000109' };
const CONFIG: CloudPayConfig = {
  appid: IDENTITY.appid,
  subMchId: IDENTITY.subMchId,
  envId: 'dev-1a2b3c',
  callbackFunctionName: 'payCallback',
  spbillCreateIp: '127.0.0.1',
};
const OPENID = 'o_shopper_0001';
const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let store: JsonFileStore;
let local: LocalCloudPay;
let clock: number;
let core: CoreDeps;
let payments: PaymentService;
let provider: CloudPayProvider;
let logged: Array<{ level: string; event: string; fields: Record<string, unknown> | undefined }>;
let queries: number;
let deps: CloudPayCallbackDeps;
let seq = 0;

function startLocal(extra: Partial<LocalCloudPayOptions> = {}): LocalCloudPay {
  return createLocalCloudPay({
    store,
    now: () => clock,
    identity: IDENTITY,
    mchKey: 'test-v2-key-0123456789abcdef0123',
    // The gateway's role: invoke the function named at unifiedOrder; here that function is the handler under test.
    invokeFunction: (name, event) => {
      if (name !== 'payCallback') return Promise.reject(new Error(`no function ${name}`));
      return handleCloudPayCallback(event, deps);
    },
    retryScheduleMs: [],
    ...extra,
  });
}

beforeEach(async () => {
  tmp = tempDir('paycallback-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { now: () => clock });
  store = await JsonFileStore.open(join(tmp.dir, 'cloudpay'));
  clock = T0;
  logged = [];
  queries = 0;
  const log = {
    info: (event: string, fields?: Record<string, unknown>) => logged.push({ level: 'info', event, fields }),
    warn: (event: string, fields?: Record<string, unknown>) => logged.push({ level: 'warn', event, fields }),
    error: (event: string, fields?: Record<string, unknown>) =>
      logged.push({ level: 'error', event, fields }),
  };
  local = startLocal();
  provider = new CloudPayProvider(cloudPayApiFrom(local), CONFIG, {
    nowMs: () => clock,
    nonce: () => `n${++seq}`,
  });
  const db = t.db as unknown as CloudDb;
  core = testCoreDeps({
    db,
    provider,
    nowMs: () => clock,
    log,
    merchant: merchantIdentity(CONFIG),
    simulatedPayments: false,
  });
  payments = paymentsFor(core);
  deps = {
    payments,
    provider: {
      queryPayment: (no: string) => {
        queries++;
        return provider.queryPayment(no);
      },
    },
    throttle: new DbThrottle(db, () => clock),
    log,
  };
});

afterEach(async () => {
  await local.close();
  await store.close();
  await t.close();
  tmp.cleanup();
});

/** Inserts an unpaid order through the real repository (no stock lines: the callback does not touch stock). */
async function placeOrder(outTradeNo: string, payableFen: number): Promise<OrderRecord> {
  const order = storedOrder(outTradeNo, clock, {
    openid: OPENID,
    totalFen: payableFen as Fen,
    payableFen: payableFen as Fen,
    simulated: false,
    providerId: provider.id,
    description: '茶叶礼盒',
  });
  expect(await core.orders.insert(order)).toBe('created');
  return order;
}

async function allOrders(): Promise<unknown[]> {
  return (await t.db.collection('orders').get()).data;
}

const events = (name: string) => logged.filter((l) => l.event === name);

describe('a genuine payment', () => {
  it("is applied from WeChat's answer when cloudPay calls back, and a repeat changes nothing", async () => {
    await placeOrder('O20260301A0001', 1234);
    const view = await payments.start(OPENID, 'O20260301A0001');
    expect(view.requestPayment.signType).toBe('MD5');

    clock += 60_000;
    const paid = await local.requestPayment(view.requestPayment);
    expect(paid.callback).toMatchObject({ attempts: 1, acknowledged: true });
    const order = await core.orders.get('O20260301A0001');
    expect(order?.status).toBe('PAID');
    expect(order?.payment).toEqual({
      transactionId: paid.transactionId,
      paidFen: 1234,
      successTimeMs: clock,
      source: 'cloudpay-callback',
      appliedAtMs: clock,
    });
    expect(events('paycallback.applied')).toHaveLength(1);

    // WeChat may deliver again (or a client may replay the genuine event): a duplicate, nothing written.
    const genuine = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: 'O20260301A0001',
      transactionId: paid.transactionId,
      totalFee: 1234,
    };
    const before = await allOrders();
    clock += 15_000; // cloudPay's next delivery comes seconds later
    expect(await handleCloudPayCallback(genuine, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(await allOrders()).toEqual(before);
    expect(events('paycallback.applied').map((l) => l.fields?.outcome)).toEqual(['applied', 'duplicate']);
  });

  it('is retried by cloudPay while WeChat cannot be asked, and applied once it can', async () => {
    await local.close();
    local = startLocal({ retryScheduleMs: [1000, 1000], timeScale: 0.001 });
    provider = new CloudPayProvider(cloudPayApiFrom(local), CONFIG, {
      nowMs: () => clock,
      nonce: () => `n${++seq}`,
    });
    core.provider = provider;
    // cloudPay's retries are seconds apart on its clock; here they follow at once, so the throttle sees them so.
    let callbackClock = clock;
    deps.throttle = new DbThrottle(t.db as unknown as CloudDb, () => (callbackClock += 15_000));
    await placeOrder('O20260301A0002', 500);
    await payments.start(OPENID, 'O20260301A0002');
    local.injectFault('queryOrder', { kind: 'throw', errMsg: 'network down' });
    const paid = await local.pay('O20260301A0002');
    expect(paid.callback).toMatchObject({ attempts: 1, acknowledged: false });
    expect(paid.callback.lastError).toContain('"errcode":1');
    expect((await core.orders.get('O20260301A0002'))?.status).toBe('AWAITING_PAYMENT');
    await local.idle();
    expect((await local.order('O20260301A0002'))?.callback).toMatchObject({
      attempts: 2,
      acknowledged: true,
    });
    expect((await core.orders.get('O20260301A0002'))?.status).toBe('PAID');
  });

  it('answers errcode 1 when the payment cannot be recorded, so that WeChat calls again', async () => {
    await placeOrder('O20260301A0003', 500);
    await payments.start(OPENID, 'O20260301A0003');
    await local.pay('O20260301A0003');
    clock += 15_000; // a later delivery: past the per-order query interval
    const failing: CloudPayCallbackDeps = {
      ...deps,
      payments: { applyPayment: () => Promise.reject(new Error('database unavailable')) },
    };
    const answer = await handleCloudPayCallback({ outTradeNo: 'O20260301A0003' }, failing);
    expect(answer.errcode).toBe(1);
    expect(events('paycallback.apply_failed')).toHaveLength(1);
  });
});

describe('a forged call changes nothing', () => {
  it('a client-made success event for an unpaid order: WeChat says NOTPAY, acknowledged, nothing written', async () => {
    await placeOrder('O20260301B0001', 1234);
    await payments.start(OPENID, 'O20260301B0001');
    const before = await allOrders();
    const forged = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      appid: IDENTITY.appid,
      mchId: IDENTITY.mchId,
      subMchId: IDENTITY.subMchId,
      outTradeNo: 'O20260301B0001',
      transactionId: '4200000000202603010000000001',
      totalFee: 1234,
      timeEnd: '20260301100000',
    };
    expect(await handleCloudPayCallback(forged, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(await allOrders()).toEqual(before);
    expect(events('paycallback.not_paid')[0]?.fields).toMatchObject({
      state: 'NOTPAY',
      claimedSuccess: true,
    });
  });

  it('a paid amount that differs from the order: refused with nothing written, whatever the event claims', async () => {
    await placeOrder('O20260301B0002', 500);
    // WeChat holds a 1-fen order under this number (not made by this order's start): its payment must not count.
    await provider.createJsapiPayment({
      outTradeNo: 'O20260301B0002',
      description: 'x',
      payableFen: 1 as Fen,
      payerOpenid: OPENID,
      expiresAtMs: clock + 30 * 60_000,
    });
    const before = await allOrders();
    const paid = await local.pay('O20260301B0002');
    clock += 15_000; // a later delivery: past the per-order query interval
    // The genuine callback is acknowledged (a retry would bring the same answer) but applies nothing.
    expect(paid.callback).toMatchObject({ attempts: 1, acknowledged: true });
    const claimsFullAmount = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: 'O20260301B0002',
      totalFee: 500,
      transactionId: paid.transactionId,
    };
    expect(await handleCloudPayCallback(claimsFullAmount, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(await allOrders()).toEqual(before);
    expect(events('paycallback.mismatch').map((l) => l.fields?.reason)).toEqual([
      "amount 1 fen differs from the order's 500 fen",
      "amount 1 fen differs from the order's 500 fen",
    ]);
  });

  it('an order WeChat does not know: acknowledged, nothing written', async () => {
    await placeOrder('O20260301B0003', 800);
    const before = await allOrders();
    const forged = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: 'O20260301B0003',
      totalFee: 800,
      transactionId: '42000001',
    };
    expect(await handleCloudPayCallback(forged, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(await handleCloudPayCallback({ ...forged, outTradeNo: 'O20260301B9999' }, deps)).toEqual({
      errcode: 0,
      errmsg: 'OK',
    });
    expect(await allOrders()).toEqual(before);
    expect(events('paycallback.unknown_at_wechat')).toHaveLength(2);
  });

  it('malformed events are acknowledged without asking WeChat', async () => {
    for (const event of [
      undefined,
      null,
      'O20260301B0004',
      [],
      { outTradeNo: 'bad no!' },
      { outTradeNo: 12345678 },
      {},
    ]) {
      expect(await handleCloudPayCallback(event, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    }
    expect(queries).toBe(0);
    expect(events('paycallback.malformed')).toHaveLength(7);
  });
});

describe('an order WeChat has and we do not', () => {
  it('is not acknowledged, so the payment stays visible through retries', async () => {
    await provider.createJsapiPayment({
      outTradeNo: 'O20260301C0001',
      description: 'x',
      payableFen: 300 as Fen,
      payerOpenid: OPENID,
      expiresAtMs: clock + 30 * 60_000,
    });
    const paid = await local.pay('O20260301C0001');
    expect(paid.callback).toMatchObject({ attempts: 1, acknowledged: false, gaveUp: true });
    expect(events('paycallback.unknown_order')).toHaveLength(1);
    expect(await allOrders()).toEqual([]);
  });
});

describe('the deps contract', () => {
  it("hands applyPayment exactly the provider's transaction, tagged as a cloudPay callback", async () => {
    await placeOrder('O20260301D0001', 700);
    await payments.start(OPENID, 'O20260301D0001');
    const seen: Array<[PaymentTransaction, string]> = [];
    const recording: CloudPayCallbackDeps = {
      ...deps,
      payments: {
        applyPayment: (tx, source) => {
          seen.push([tx, source]);
          return payments.applyPayment(tx, source);
        },
      },
    };
    await local.pay('O20260301D0001');
    clock += 15_000; // a later delivery: past the per-order query interval
    const q = await provider.queryPayment('O20260301D0001');
    await handleCloudPayCallback({ outTradeNo: 'O20260301D0001', totalFee: 1 }, recording);
    expect(seen).toEqual([[q.kind === 'found' ? q.transaction : undefined, 'cloudpay-callback']]);
    expect(seen[0]?.[0].chargedFen).toBe(700);
  });
});

describe('a loop of callbacks for one order', () => {
  it('asks WeChat at most once per order per interval; the rest are answered "call again" without a query', async () => {
    await placeOrder('O20260301E0001', 700);
    await placeOrder('O20260301E0002', 700);
    await payments.start(OPENID, 'O20260301E0001');
    await payments.start(OPENID, 'O20260301E0002');
    const event = { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: 'O20260301E0001' };
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await handleCloudPayCallback(event, deps));
    expect(queries).toBe(1);
    expect(answers[0]).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(answers.slice(1).every((a) => a.errcode === 1)).toBe(true);
    expect(events('paycallback.throttled')).toHaveLength(19);
    // Concurrent calls from several instances: still one query between them.
    clock += PAY_CALLBACK_QUERY_INTERVAL_MS;
    await Promise.all(Array.from({ length: 8 }, () => handleCloudPayCallback(event, deps)));
    expect(queries).toBe(2);
    // Another order has its own allowance, and the interval reopens the first.
    await handleCloudPayCallback({ ...event, outTradeNo: 'O20260301E0002' }, deps);
    expect(queries).toBe(3);
    clock += PAY_CALLBACK_QUERY_INTERVAL_MS;
    expect(await handleCloudPayCallback(event, deps)).toEqual({ errcode: 0, errmsg: 'OK' });
    expect(queries).toBe(4);
  });
});
