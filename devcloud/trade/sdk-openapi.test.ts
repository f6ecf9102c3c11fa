// The local trade management as functions and local tools reach it: `cloud.openapi.wxa.sec.order.*` inside a function
// the local cloud runs (with the platform's config.json permission check), and the loopback routes under
// /_devcloud/trade/ that the console, the tests and the mini program's local transport call.
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { startDevCloud, type DevCloud } from '../index';
import { tempDir } from '../test-support/temp';
import { startTradeFixture, type PaidPayment, type TradeFixture } from '../test-support/trade';
import { tradeRoutes } from './routes';

const SHIPPER = `
const cloud = require('wx-server-sdk');
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
exports.main = async (event) => {
  try {
    return { answer: await cloud.openapi.wxa.sec.order[event.method](event.body) };
  } catch (e) {
    return { error: { errCode: e.errCode, errMsg: e.errMsg } };
  }
};
`;

let f: TradeFixture;
let tmp: ReturnType<typeof tempDir>;
let cloud: DevCloud;
let n = 0;

beforeAll(async () => {
  f = await startTradeFixture();
  tmp = tempDir('trade-sdk-');
  const dir = join(tmp.dir, 'functions', 'shipper');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), SHIPPER);
  writeFileSync(join(dir, 'config.json'), '{}');
  writeFileSync(join(tmp.dir, 'collections.json'), JSON.stringify({ collections: [] }));
  cloud = await startDevCloud({
    dataDir: join(tmp.dir, 'cloud'),
    functionsDir: join(tmp.dir, 'functions'),
    collectionsFile: join(tmp.dir, 'collections.json'),
    env: {},
    timers: false,
    log: () => undefined,
    // As the stack does it: the permissions a function's config.json lists (here: upload and get_order only).
    openapi: () => f.trade.sdkFacade(new Set(['wxa.sec.order.uploadShippingInfo', 'wxa.sec.order.getOrder'])),
    adminRoutes: { trade: tradeRoutes(f.trade) },
  });
}, 30_000);

afterAll(async () => {
  await cloud.close();
  await f.dispose();
  tmp.cleanup();
});

async function fn(method: string, body: unknown): Promise<any> {
  const outcome = await cloud.invoke('shipper', { method, body }, { source: 'wx_trigger' });
  if (!outcome.ok) throw new Error(outcome.failure.message);
  return outcome.result;
}

async function route(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  base = cloud.url,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/_devcloud/trade/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

function upload(p: PaidPayment): Record<string, unknown> {
  n += 1;
  return {
    order_key: { order_number_type: 2, transaction_id: p.transactionId },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [{ tracking_no: `ZT${n}`, express_company: 'ZTO', item_desc: '白茶饼 ×1' }],
    upload_time: new Date(Date.UTC(2026, 11, 8, 0, 0, n)).toISOString(),
    payer: { openid: p.payer },
  };
}

it('a function uploads and reads back through cloud.openapi; an API its config.json omits is refused (-604101)', async () => {
  const p = await f.paid('o-sdk-payer');
  expect(await fn('uploadShippingInfo', upload(p))).toEqual({ answer: { errcode: 0, errmsg: 'ok' } });
  const got = await fn('getOrder', { transaction_id: p.transactionId });
  expect(got.answer.order).toMatchObject({ order_state: 2, openid: 'o-sdk-payer' });
  expect(await fn('isTradeManaged', { appid: f.appid })).toEqual({
    error: { errCode: -604101, errMsg: expect.stringContaining('wxa.sec.order.isTradeManaged:fail') },
  });
});

it('confirm-receipt route: only the payer, only a shipped payment; pushes settlement; shows in the log', async () => {
  const p = await f.paid('o-route-payer');
  const early = await route('POST', 'confirm-receipt', {
    transaction_id: p.transactionId,
    openid: 'o-route-payer',
  });
  expect(early).toMatchObject({
    status: 409,
    body: { error: { code: 'TRADE.10060004', errcode: 10060004 } },
  });
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(0);
  const wrong = await route('POST', 'confirm-receipt', {
    transaction_id: p.transactionId,
    openid: 'o-thief',
  });
  expect(wrong.status).toBe(409);
  expect(wrong.body.error.errcode).toBe(10060031);
  const ok = await route('POST', 'confirm-receipt', {
    merchant_id: p.mchid,
    merchant_trade_no: p.outTradeNo,
    openid: 'o-route-payer',
  });
  expect(ok).toMatchObject({ status: 200, body: { orderState: 3, transactionId: p.transactionId } });
  expect(f.pushed[f.pushed.length - 1]).toMatchObject({
    Event: 'trade_manage_order_settlement',
    transaction_id: p.transactionId,
  });
  const log = await route('GET', 'log?limit=3');
  expect(log.body.log[0]).toMatchObject({ method: 'push:trade_manage_order_settlement', outcome: 'ok' });
  expect(log.body.log[1]).toMatchObject({ method: 'confirmReceipt', orderKey: p.transactionId });
  const shipments = await route('GET', 'shipments');
  expect(shipments.body.shipments.find((s: any) => s.transactionId === p.transactionId)).toMatchObject({
    orderState: 3,
    payerOpenid: 'o-route-payer',
  });
});

it('switch and fault routes drive what functions get', async () => {
  const p = await f.paid();
  expect(await route('POST', 'managed', { managed: 'no' })).toMatchObject({ status: 400 });
  expect((await route('POST', 'managed', { managed: false })).body).toEqual({ managed: false });
  expect((await route('GET', 'managed')).body).toEqual({ managed: false });
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(48001);
  await route('POST', 'managed', { managed: true });
  expect((await route('POST', 'faults', { count: 2, errcode: 0 })).status).toBe(400);
  const queued = await route('POST', 'faults', { count: 2, errcode: 10060001, errmsg: 'order not found' });
  expect(queued.body.faults).toEqual([expect.objectContaining({ method: 'uploadShippingInfo', count: 2 })]);
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(10060001);
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(10060001);
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(0);
  await route('POST', 'faults', { kind: 'throw', errcode: -501001, method: 'getOrder' });
  expect((await route('DELETE', 'faults')).body).toEqual({ faults: [] });
  expect((await fn('getOrder', { transaction_id: p.transactionId })).answer.errcode).toBe(0);
  const reminder = await route('POST', 'remind-shipping', { transaction_id: p.transactionId });
  expect(reminder).toMatchObject({ status: 200, body: { pushed: 'success' } });
  expect((await route('POST', 'remind-access-api', {})).status).toBe(200);
  expect(f.pushed.slice(-2).map((e) => e.Event)).toEqual([
    'trade_manage_remind_shipping',
    'trade_manage_remind_access_api',
  ]);
  expect((await route('GET', 'nothing-here')).status).toBe(404);
});

it('confirm-receipt takes the payer from x-wx-openid, as the local transport sends it', async () => {
  const p = await f.paid('o-header-payer');
  expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(0);
  const wrong = await route(
    'POST',
    'confirm-receipt',
    { transaction_id: p.transactionId },
    { 'x-wx-openid': 'o-x' },
  );
  expect(wrong.body.error.errcode).toBe(10060031);
  const ok = await route(
    'POST',
    'confirm-receipt',
    { transaction_id: p.transactionId },
    { 'x-wx-openid': 'o-header-payer' },
  );
  expect(ok).toMatchObject({ status: 200, body: { orderState: 3 } });
});

/** This machine's non-loopback IPv4 address, if it has one. */
const external = Object.values(networkInterfaces())
  .flatMap((l) => l ?? [])
  .find((i) => i.family === 'IPv4' && !i.internal)?.address;

(external === undefined ? it.skip : it)(
  'on a gateway bound to every interface (--lan), a non-loopback caller cannot confirm receipt or switch anything',
  async () => {
    const lanTmp = tempDir('trade-lan-');
    const lan = await startDevCloud({
      dataDir: lanTmp.dir,
      functionsDir: join(tmp.dir, 'functions'),
      collectionsFile: join(tmp.dir, 'collections.json'),
      env: {},
      timers: false,
      host: '0.0.0.0',
      log: () => undefined,
      adminRoutes: { trade: tradeRoutes(f.trade) },
    });
    try {
      const port = new URL(lan.url).port;
      const p = await f.paid('o-lan');
      expect((await fn('uploadShippingInfo', upload(p))).answer.errcode).toBe(0);
      const base = `http://${external!}:${port}`;
      const confirm = await route('POST', 'confirm-receipt', { transaction_id: p.transactionId }, {}, base);
      expect(confirm).toMatchObject({ status: 403, body: { error: { code: 'DEVCLOUD.FORBIDDEN' } } });
      expect((await route('POST', 'managed', { managed: false }, {}, base)).status).toBe(403);
      expect(await f.trade.managed()).toBe(true);
      expect((await f.trade.getOrder({ transaction_id: p.transactionId })).order).toMatchObject({
        order_state: 2,
      });
    } finally {
      await lan.close();
      lanTmp.cleanup();
    }
  },
);
