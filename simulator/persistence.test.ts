// Durability: a restart on the same data folder forgets nothing — identity, orders, refunds, pending callbacks,
// the clock, faults, settings, key modes and the event log — and pending work resumes.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixture, type SimFixture } from './test-support/fixture';
import { startReceiver, strictAnswer, type Answer, type Receiver } from './test-support/notify-receiver';
import { allPlatformKeys, rawRequest } from './test-support/raw-client';

let fx: SimFixture;
let rx: Receiver;
let n = 0;

beforeAll(async () => {
  fx = await startFixture({ timeScale: 1e-9, notifyTimeoutMs: 300 });
  rx = await startReceiver({
    trustedKeys: allPlatformKeys(fx.identity),
    apiV3Key: fx.identity.direct.apiV3Key,
  });
});
afterAll(async () => {
  await fx?.dispose();
  await rx?.close();
});
beforeEach(() => rx.setAnswer(strictAnswer));

async function createOrder(): Promise<string> {
  n += 1;
  const outTradeNo = `S${Date.now().toString(36)}${n}`;
  const a = await rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/pay/transactions/jsapi',
    body: {
      appid: fx.identity.direct.appid,
      mchid: fx.identity.direct.mchid,
      description: '持久化',
      out_trade_no: outTradeNo,
      notify_url: rx.url,
      amount: { total: 100 },
      payer: { openid: 'o_p' },
    },
  });
  expect(a.status).toBe(200);
  return outTradeNo;
}

const query = (no: string) =>
  rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'GET',
    path: `/v3/pay/transactions/out-trade-no/${no}?mchid=${fx.identity.direct.mchid}`,
  });

/** Polls `cond` every 10 ms for up to 5 s (real time); throws if it never holds. */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 5 s');
}

function failFor(no: () => string, first: number, then: Answer = { status: 204 }): void {
  rx.setAnswer((cb) => {
    if (cb.resource?.out_trade_no !== no()) return strictAnswer(cb);
    const k = rx.received.filter((r) => r.resource?.out_trade_no === no()).length;
    return k <= first ? { status: 500 } : then;
  });
}

it('keeps the identity, orders and the clock across a restart', async () => {
  const no = await createOrder();
  const paid = await fx.sim.control.pay(no);
  await fx.sim.control.advance(2 * 24 * 3600e3);
  const before = await fx.sim.control.clock();
  const serial = fx.sim.identity.direct.merchantSerial;
  await fx.restart();
  expect(fx.sim.identity.direct.merchantSerial).toBe(serial);
  const after = await fx.sim.control.clock();
  expect(after.nowMs).toBeGreaterThanOrEqual(before.nowMs);
  expect(after.nowMs - before.nowMs).toBeLessThan(1000);
  const q = await query(no);
  expect(q.json).toMatchObject({ trade_state: 'SUCCESS', transaction_id: paid.transactionId });
});

it('resumes a pending notification after a restart and keeps its history', async () => {
  let no = '';
  failFor(() => no, 1);
  no = await createOrder();
  await fx.sim.control.pay(no);
  await fx.sim.control.advance(0);
  const [pending] = await fx.sim.control.notifications({ outTradeNo: no });
  expect(pending).toMatchObject({ status: 'pending', deliveries: 1 });
  await fx.restart();
  await fx.sim.control.advance(15_000);
  const [done] = await fx.sim.control.notifications({ outTradeNo: no });
  expect(done).toMatchObject({ status: 'delivered', deliveries: 2, id: pending!.id });
  expect(done!.attempts.map((a) => a.status)).toEqual([500, 204]);
});

it('records a delivery cut by close() as a failed attempt and retries it after the restart', async () => {
  let no = '';
  rx.setAnswer((cb) => (cb.resource?.out_trade_no === no ? 'hang' : strictAnswer(cb)));
  no = await createOrder();
  await fx.sim.control.pay(no);
  // Wait until the first delivery is at the receiver (it hangs), then stop the simulator in the middle of it.
  await waitFor(() => rx.received.some((r) => r.resource?.out_trade_no === no));
  await fx.restart();
  rx.setAnswer(strictAnswer);
  const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
  expect(rec!.attempts[0]).toMatchObject({ ok: false });
  await fx.sim.control.advance(15_000);
  expect((await fx.sim.control.notifications({ outTradeNo: no }))[0]!.status).toBe('delivered');
});

it('completes a refund that was PROCESSING before the restart', async () => {
  const no = await createOrder();
  await fx.sim.control.pay(no);
  const outRefundNo = `RF${no}`;
  const r = await rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/refund/domestic/refunds',
    body: {
      out_trade_no: no,
      out_refund_no: outRefundNo,
      amount: { refund: 100, total: 100, currency: 'CNY' },
    },
  });
  expect(r.json).toMatchObject({ status: 'PROCESSING' });
  await fx.restart();
  await fx.sim.control.advance(60_000);
  expect((await fx.sim.control.refund(outRefundNo)).status).toBe('SUCCESS');
});

it('keeps faults, settings, key modes and the event log', async () => {
  const fault = await fx.sim.control.addFault({ kind: 'notify.drop', outTradeNo: 'KEEP123', count: 3 });
  await fx.sim.control.updateSettings({ refundDelayMs: 1234 });
  await fx.sim.control.setKeyMode('partner', 'switching');
  const lastSeq = (await fx.sim.control.events({ limit: 1 }))[0]!.seq;
  await fx.restart();
  expect(await fx.sim.control.faults()).toEqual([fault]);
  expect((await fx.sim.control.settings()).refundDelayMs).toBe(1234);
  expect(fx.sim.identity.partner.keyMode).toBe('switching');
  const old = await fx.sim.control.events({ toMs: Number.MAX_SAFE_INTEGER, limit: 5000 });
  expect(old.some((e) => e.seq === lastSeq)).toBe(true);
  const next = await fx.sim.control.events({ afterSeq: lastSeq });
  expect(next.every((e) => e.seq > lastSeq)).toBe(true);
  await fx.sim.control.clearFaults();
  await fx.sim.control.setKeyMode('partner', 'certificate');
});

it('ignores a torn last journal line (a crash mid-write)', async () => {
  const no = await createOrder();
  await fx.sim.close();
  appendFileSync(join(fx.dir, 'state.jsonl'), '{"c":"order","id":"x|TORN","v":{"key":');
  await fx.restart();
  expect((await query(no)).status).toBe(200);
  // The journal was compacted on start: every line parses again.
  const lines = readFileSync(join(fx.dir, 'state.jsonl'), 'utf8').trim().split('\n');
  expect(lines.every((l) => JSON.parse(l) !== undefined)).toBe(true);
});
