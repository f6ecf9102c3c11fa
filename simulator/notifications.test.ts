// Callbacks: encryption and signatures (checked by an independent implementation), WeChat's retry schedule in
// virtual time, success rules, key switching, notification faults and replay.
import { RETRY_SCHEDULE_MS } from './index';
import { startFixture, type SimFixture } from './test-support/fixture';
import {
  startReceiver,
  strictAnswer,
  type Answer,
  type Receiver,
  type ReceivedCallback,
} from './test-support/notify-receiver';
import { allPlatformKeys, rawRequest } from './test-support/raw-client';

let fx: SimFixture;
let rx: Receiver;
let n = 0;

beforeAll(async () => {
  // A nearly frozen virtual clock: only advance() moves it, so schedule boundaries are exact to the millisecond.
  fx = await startFixture({ notifyTimeoutMs: 400, timeScale: 1e-9 });
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
afterEach(async () => {
  await fx.sim.control.clearFaults();
  await fx.sim.control.setKeyMode('direct', 'certificate');
});

/** Creates a direct JSAPI order whose notify_url is the receiver; returns its out_trade_no. */
async function createOrder(totalFen = 1): Promise<string> {
  n += 1;
  const outTradeNo = `N${Date.now().toString(36)}${n}`;
  const a = await rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/pay/transactions/jsapi',
    body: {
      appid: fx.identity.direct.appid,
      mchid: fx.identity.direct.mchid,
      description: '通知测试',
      out_trade_no: outTradeNo,
      notify_url: rx.url,
      amount: { total: totalFen },
      payer: { openid: 'o_notify' },
    },
  });
  expect(a.status).toBe(200);
  return outTradeNo;
}

async function createAndPay(totalFen = 1): Promise<string> {
  const no = await createOrder(totalFen);
  await fx.sim.control.pay(no);
  return no;
}

const receivedFor = (no: string): ReceivedCallback[] =>
  rx.received.filter((r) => r.resource?.out_trade_no === no);

/** Answers callbacks of order `no` with `fn(k)` (k = 1 for its first callback); others strictly. */
function answerFor(no: () => string, fn: (k: number) => Answer): void {
  rx.setAnswer((cb) =>
    cb.resource?.out_trade_no === no() ? fn(receivedFor(no()).length) : strictAnswer(cb),
  );
}

describe('delivery', () => {
  it('POSTs TRANSACTION.SUCCESS once, AES-256-GCM encrypted and signed', async () => {
    const no = await createAndPay(250);
    await fx.sim.control.advance(0);
    const got = receivedFor(no);
    expect(got.length).toBe(1);
    const cb = got[0]!;
    expect(cb).toMatchObject({ signatureValid: true, timestampFresh: true, answeredStatus: 204 });
    expect(cb.serial).toBe(fx.identity.platform.certificate.serial);
    expect(cb.envelope).toMatchObject({
      event_type: 'TRANSACTION.SUCCESS',
      resource_type: 'encrypt-resource',
      resource: {
        algorithm: 'AEAD_AES_256_GCM',
        associated_data: 'transaction',
        original_type: 'transaction',
        nonce: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
      },
    });
    const order = await fx.sim.control.order(no);
    expect(cb.resource).toMatchObject({
      appid: fx.identity.direct.appid,
      mchid: fx.identity.direct.mchid,
      out_trade_no: no,
      transaction_id: order.transactionId,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      payer: { openid: 'o_notify' },
      amount: { total: 250, payer_total: 250, currency: 'CNY' },
    });
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec).toMatchObject({ status: 'delivered', deliveries: 1, id: cb.envelope?.id });
  });

  it('follows the retry schedule in virtual time and gives up after the 15th retry', async () => {
    let no = '';
    answerFor(
      () => no,
      () => ({ status: 500, body: '{"code":"FAIL","message":"busy"}' }),
    );
    no = await createAndPay();
    await fx.sim.control.advance(0);
    expect(receivedFor(no).length).toBe(1);
    await fx.sim.control.advance(14_999);
    expect(receivedFor(no).length).toBe(1);
    await fx.sim.control.advance(1);
    expect(receivedFor(no).length).toBe(2);
    await fx.sim.control.advance(25 * 3600e3);
    expect(receivedFor(no).length).toBe(16);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec!.status).toBe('failed');
    const times = rec!.attempts.map((a) => a.scheduledAt);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([...RETRY_SCHEDULE_MS]);
    expect(rec!.attempts.map((a) => a.kind)).toEqual(['delivery', ...Array<string>(15).fill('retry')]);
    expect(rec!.attempts.every((a) => a.status === 500 && !a.ok)).toBe(true);
    await fx.sim.control.advance(7 * 24 * 3600e3);
    expect(receivedFor(no).length).toBe(16);
    const events = await fx.sim.control.events({ notificationId: rec!.id });
    expect(events.some((e) => e.summary.includes('given up'))).toBe(true);
  });

  it('stops at the first 200 — even one carrying a FAIL body (the HTTP status decides)', async () => {
    let no = '';
    answerFor(
      () => no,
      (k) => (k <= 3 ? { status: 503 } : { status: 200, body: '{"code":"FAIL","message":"ignored"}' }),
    );
    no = await createAndPay();
    await fx.sim.control.advance(25 * 3600e3);
    expect(receivedFor(no).length).toBe(4);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec).toMatchObject({ status: 'delivered', deliveries: 4 });
  });

  it.each([[201], [302], [400], [404]])('treats HTTP %i as a failure', async (status) => {
    let no = '';
    answerFor(
      () => no,
      (k) => (k === 1 ? { status } : { status: 204 }),
    );
    no = await createAndPay();
    await fx.sim.control.advance(15_000);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec!.attempts.map((a) => [a.status, a.ok])).toEqual([
      [status, false],
      [204, true],
    ]);
  });

  it('counts no answer within the timeout as a failure', async () => {
    let no = '';
    answerFor(
      () => no,
      (k) => (k === 1 ? 'hang' : { status: 204 }),
    );
    no = await createAndPay();
    await fx.sim.control.advance(15_000);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec!.attempts[0]).toMatchObject({ ok: false, error: expect.stringContaining('no answer') });
    expect(rec!.attempts[1]).toMatchObject({ ok: true, status: 204 });
  });

  it('delivers to a dead notify_url as failures (connection refused) without crashing', async () => {
    const dead = await startReceiver({ trustedKeys: {}, apiV3Key: fx.identity.direct.apiV3Key });
    const url = dead.url;
    await dead.close();
    n += 1;
    const outTradeNo = `D${Date.now().toString(36)}${n}`;
    await rawRequest(fx.sim.url, fx.identity, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: {
        appid: fx.identity.direct.appid,
        mchid: fx.identity.direct.mchid,
        description: 'x',
        out_trade_no: outTradeNo,
        notify_url: url,
        amount: { total: 1 },
        payer: { openid: 'o' },
      },
    });
    await fx.sim.control.pay(outTradeNo);
    await fx.sim.control.advance(30_000);
    const [rec] = await fx.sim.control.notifications({ outTradeNo });
    expect(rec!.attempts).toHaveLength(3);
    expect(rec!.attempts.every((a) => a.error !== undefined && !a.ok)).toBe(true);
  });
});

describe('key modes', () => {
  it('signs with the WeChat Pay public key in publicKey mode', async () => {
    await fx.sim.control.setKeyMode('direct', 'publicKey');
    const no = await createAndPay();
    await fx.sim.control.advance(0);
    expect(receivedFor(no)[0]).toMatchObject({
      serial: fx.identity.platform.publicKey.publicKeyId,
      signatureValid: true,
    });
  });

  it('mixes both keys while switching, and every callback verifies', async () => {
    await fx.sim.control.setKeyMode('direct', 'switching');
    const nos: string[] = [];
    for (let i = 0; i < 24; i += 1) nos.push(await createAndPay());
    await fx.sim.control.advance(0);
    const got = nos.flatMap(receivedFor);
    expect(got.length).toBe(24);
    expect(new Set(got.map((g) => g.serial))).toEqual(
      new Set([fx.identity.platform.publicKey.publicKeyId, fx.identity.platform.certificate.serial]),
    );
    expect(got.every((g) => g.signatureValid)).toBe(true);
  });
});

describe('faults', () => {
  it('drop: the first attempt is lost, the retry 15 s later arrives', async () => {
    const no = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.drop', outTradeNo: no, count: 1 });
    await fx.sim.control.pay(no);
    await fx.sim.control.advance(0);
    expect(receivedFor(no).length).toBe(0);
    await fx.sim.control.advance(15_000);
    expect(receivedFor(no).length).toBe(1);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec!.attempts.map((a) => !!a.dropped)).toEqual([true, false]);
    expect(await fx.sim.control.faults()).toHaveLength(0);
  });

  it('scopes a fault to one order', async () => {
    const target = await createOrder();
    const other = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.drop', outTradeNo: target });
    await fx.sim.control.pay(target);
    await fx.sim.control.pay(other);
    await fx.sim.control.advance(60_000);
    expect(receivedFor(target).length).toBe(0);
    expect(receivedFor(other).length).toBe(1);
  });

  it('duplicate: the same notification arrives twice', async () => {
    const no = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.duplicate', count: 1 });
    await fx.sim.control.pay(no);
    await fx.sim.control.advance(0);
    const got = receivedFor(no);
    expect(got.length).toBe(2);
    expect(got[0]!.envelope?.id).toBe(got[1]!.envelope?.id);
    expect(got.every((g) => g.signatureValid)).toBe(true);
  });

  it('delay: the first delivery waits the given virtual time', async () => {
    const no = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.delay', delayMs: 90_000, count: 1 });
    await fx.sim.control.pay(no);
    await fx.sim.control.advance(89_999);
    expect(receivedFor(no).length).toBe(0);
    await fx.sim.control.advance(1);
    expect(receivedFor(no).length).toBe(1);
  });

  it('reorder: a later notification overtakes an earlier one', async () => {
    const a = await createOrder();
    const b = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.reorder', window: 2 });
    await fx.sim.control.pay(a);
    await fx.sim.control.pay(b);
    await fx.sim.control.advance(5_000);
    const order = rx.received
      .filter((r) => [a, b].includes(String(r.resource?.out_trade_no)))
      .map((r) => r.resource?.out_trade_no);
    expect(order).toEqual([b, a]);
  });

  it('probe: an extra badly signed copy comes first; a careful receiver refuses it', async () => {
    const no = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.probe', count: 1 });
    await fx.sim.control.pay(no);
    await fx.sim.control.advance(0);
    const got = receivedFor(no);
    expect(got.map((g) => [g.signatureValid, g.answeredStatus])).toEqual([
      [false, 401],
      [true, 204],
    ]);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    expect(rec!.status).toBe('delivered');
    expect(rec!.attempts.map((x) => x.kind)).toEqual(['probe', 'delivery']);
  });

  it('staleTimestamp: a careful receiver refuses it and the retry succeeds', async () => {
    const no = await createOrder();
    await fx.sim.control.addFault({ kind: 'notify.staleTimestamp', count: 1 });
    await fx.sim.control.pay(no);
    await fx.sim.control.advance(15_000);
    const got = receivedFor(no);
    expect(got.map((g) => [g.signatureValid, g.timestampFresh, g.answeredStatus])).toEqual([
      [true, false, 401],
      [true, true, 204],
    ]);
  });
});

describe('replay and refund callbacks', () => {
  it('replays a delivered notification on demand with the same id', async () => {
    const no = await createAndPay();
    await fx.sim.control.advance(0);
    const [rec] = await fx.sim.control.notifications({ outTradeNo: no });
    const after = await fx.sim.control.replay(rec!.id);
    const got = receivedFor(no);
    expect(got.length).toBe(2);
    expect(got[1]!.envelope?.id).toBe(rec!.id);
    expect(after.attempts.map((a) => a.kind)).toEqual(['delivery', 'replay']);
  });

  it.each([['CLOSED'], ['ABNORMAL'], ['SUCCESS']] as const)(
    'sends REFUND.%s for the chosen outcome',
    async (outcome) => {
      const no = await createAndPay(100);
      n += 1;
      const outRefundNo = `RF${n}${Date.now().toString(36)}`;
      const r = await rawRequest(fx.sim.url, fx.identity, {
        merchant: 'direct',
        method: 'POST',
        path: '/v3/refund/domestic/refunds',
        body: {
          out_trade_no: no,
          out_refund_no: outRefundNo,
          notify_url: rx.url,
          amount: { refund: 40, total: 100, currency: 'CNY' },
        },
      });
      expect(r.json).toMatchObject({ status: 'PROCESSING' });
      await fx.sim.control.setRefundOutcome(outRefundNo, outcome, { now: true });
      await fx.sim.control.advance(0);
      const cb = rx.received.find((x) => x.resource?.out_refund_no === outRefundNo);
      expect(cb).toMatchObject({
        signatureValid: true,
        envelope: {
          event_type: `REFUND.${outcome}`,
          resource: { associated_data: 'refund', original_type: 'refund' },
        },
      });
      expect(cb?.resource).toMatchObject({
        refund_status: outcome,
        mchid: fx.identity.direct.mchid,
        amount: { refund: 40, total: 100 },
      });
    },
  );
});

describe('running time', () => {
  it('retries on its own when the virtual clock runs fast (no advance)', async () => {
    const fast = await startFixture({ timeScale: 3600 }, fx.identity);
    try {
      let first = true;
      const local = await startReceiver({
        trustedKeys: allPlatformKeys(fx.identity),
        apiV3Key: fx.identity.direct.apiV3Key,
        answer: () => {
          const a = first ? { status: 500 } : { status: 204 };
          first = false;
          return a;
        },
      });
      try {
        const outTradeNo = `F${Date.now().toString(36)}`;
        await rawRequest(fast.sim.url, fx.identity, {
          merchant: 'direct',
          method: 'POST',
          path: '/v3/pay/transactions/jsapi',
          body: {
            appid: fx.identity.direct.appid,
            mchid: fx.identity.direct.mchid,
            description: 'x',
            out_trade_no: outTradeNo,
            notify_url: local.url,
            amount: { total: 1 },
            payer: { openid: 'o' },
          },
        });
        await fast.sim.control.pay(outTradeNo);
        // 15 s of virtual time is ~4 ms of real time here: wait (bounded) for the retry to land.
        for (let i = 0; i < 500 && local.received.length < 2; i += 1)
          await new Promise((r) => setTimeout(r, 10));
        expect(local.received.map((r) => r.answeredStatus)).toEqual([500, 204]);
      } finally {
        await local.close();
      }
    } finally {
      await fast.dispose();
    }
  });
});

describe('security echo', () => {
  it('sends SECURITY_ECHO.SUCCESS to a service provider, encrypted with its APIv3 key', async () => {
    const sp = await startReceiver({
      trustedKeys: allPlatformKeys(fx.identity),
      apiV3Key: fx.identity.partner.apiV3Key,
    });
    try {
      const a = await rawRequest(fx.sim.url, fx.identity, {
        merchant: 'partner',
        method: 'POST',
        path: '/v3/security/echo',
        body: { echo_message: 'ping', notify_url: sp.url },
      });
      expect(a.json).toEqual({ echo_message: 'ping' });
      await fx.sim.control.advance(0);
      expect(
        sp.received.map((r) => [r.envelope?.event_type, r.signatureValid, r.resource?.echo_message]),
      ).toEqual([['SECURITY_ECHO.SUCCESS', true, 'ping']]);
    } finally {
      await sp.close();
    }
  });
});
