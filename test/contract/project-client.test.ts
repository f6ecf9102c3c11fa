// Contract: the project's own WeChat Pay APIv3 adapter (server/adapters/payment/wechatpay-v3, built on
// wechatpay-node-v3) against the simulator — direct and partner, certificate / public key / switching key modes.
// The adapter's notify_url is a local server that runs provider.verifyNotification on what the simulator posts,
// so notification trust is checked against signatures and ciphertexts the adapter did not make.
import { verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NotificationRejectedError,
  ProviderError,
} from '../../server/application/ports/payment-provider.errors';
import type {
  PaymentNotificationEvent,
  PaymentProvider,
} from '../../server/application/ports/payment-provider.port';
import { parseYuan } from '../../server/domain/money';
import type { Fen } from '../../server/domain/money';
import {
  createWechatPayV3Provider,
  parseWechatPayV3Config,
  systemDeps,
} from '../../server/adapters/payment/wechatpay-v3';
import { requestPaymentMessage } from '../../server/adapters/payment/wechatpay-v3/request-payment';
import {
  generateTestKeyPair,
  makeTestCertificate,
  randomSerial,
} from '../../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';
import { generateIdentity, startSimulator } from '../../simulator';
import type { KeyMode, MerchantMode, SimIdentity, SimulatorHandle } from '../../simulator';

const FIVE_MINUTES = 5 * 60_000;
const fen = (n: number) => n as Fen;

let identity: SimIdentity;
let sim: SimulatorHandle;
let dir: string;
let seq = 0;

beforeAll(async () => {
  identity = await generateIdentity();
  dir = mkdtempSync(join(tmpdir(), 'project-client-contract-'));
  sim = await startSimulator({ dataDir: dir, identity });
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nextNo(prefix: string): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}`.slice(0, 32);
}

/** Which platform keys the merchant configured in the adapter. */
type HeldKeys = 'certificate' | 'publicKey' | 'both';

function envFor(family: MerchantMode, keys: HeldKeys, notifyUrl: string): Record<string, string> {
  const m = family === 'direct' ? identity.direct : identity.partner;
  const p = identity.platform;
  const env: Record<string, string> = {
    WECHATPAY_MODE: family,
    WECHATPAY_MERCHANT_PRIVATE_KEY: m.merchantPrivateKeyPem,
    WECHATPAY_MERCHANT_CERTIFICATE: m.merchantCertificatePem,
    WECHATPAY_APIV3_KEY: m.apiV3Key,
    WECHATPAY_BASE_URL: sim.url,
    WECHATPAY_NOTIFY_URL: notifyUrl,
    WECHATPAY_TIMEOUT_MS: '5000',
  };
  if (family === 'direct') {
    env['WECHATPAY_APPID'] = identity.direct.appid;
    env['WECHATPAY_MCHID'] = identity.direct.mchid;
  } else {
    env['WECHATPAY_SP_APPID'] = identity.partner.spAppid;
    env['WECHATPAY_SP_MCHID'] = identity.partner.spMchid;
    env['WECHATPAY_SUB_MCHID'] = identity.partner.subMchid;
    env['WECHATPAY_SUB_APPID'] = identity.partner.subAppid;
  }
  if (keys !== 'publicKey') env['WECHATPAY_PLATFORM_CERTIFICATES'] = p.certificate.certificatePem;
  if (keys !== 'certificate') {
    env['WECHATPAY_PUBLIC_KEY_ID'] = p.publicKey.publicKeyId;
    env['WECHATPAY_PUBLIC_KEY'] = p.publicKey.publicKeyPem;
  }
  return env;
}

/** A notify_url that hands every POST to provider.verifyNotification and answers like a careful merchant. */
interface NotifyEndpoint {
  url: string;
  events: PaymentNotificationEvent[];
  rejections: NotificationRejectedError[];
  close(): Promise<void>;
}

async function startNotifyEndpoint(provider: () => PaymentProvider): Promise<NotifyEndpoint> {
  const events: PaymentNotificationEvent[] = [];
  const rejections: NotificationRejectedError[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      provider()
        .verifyNotification({ headers, rawBody: Buffer.concat(chunks) })
        .then((event) => {
          events.push(event);
          res.writeHead(204).end();
        })
        .catch((e: unknown) => {
          const status = e instanceof NotificationRejectedError ? e.httpStatus : 500;
          if (e instanceof NotificationRejectedError) rejections.push(e);
          res
            .writeHead(status, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ code: 'FAIL', message: 'rejected' }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/wxpay/notify`,
    events,
    rejections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

async function virtualNow(): Promise<number> {
  return (await sim.control.clock()).nowMs;
}

const HELD: Record<KeyMode, HeldKeys> = {
  certificate: 'certificate',
  publicKey: 'publicKey',
  switching: 'both',
};
const CASES = (['direct', 'partner'] as const).flatMap((f) =>
  (['certificate', 'publicKey', 'switching'] as const).map((k) => [f, k] as const),
);

describe.each(CASES)('project adapter: %s merchant, %s key mode', (family, keyMode) => {
  let provider: PaymentProvider & { close(): void };
  let notify: NotifyEndpoint;
  const ref = () =>
    family === 'direct' ? { mchid: identity.direct.mchid } : { subMchid: identity.partner.subMchid };
  const payAppid = () => (family === 'direct' ? identity.direct.appid : identity.partner.subAppid);

  beforeAll(async () => {
    await sim.control.setKeyMode(family, keyMode);
    notify = await startNotifyEndpoint(() => provider);
    provider = createWechatPayV3Provider(
      parseWechatPayV3Config(envFor(family, HELD[keyMode], notify.url)),
      systemDeps,
    );
  });
  afterAll(async () => {
    provider?.close();
    await notify?.close();
  });

  async function create(outTradeNo: string, payableFen: number, expiresAtMs?: number) {
    return provider.createJsapiPayment({
      outTradeNo,
      description: '安心小店-测试商品',
      payableFen: fen(payableFen),
      payerOpenid: 'o_contract_user',
      expiresAtMs: expiresAtMs ?? (await virtualNow()) + 30 * 60_000,
    });
  }

  it('creates idempotently with a verifiable paySign, reads NOTPAY, retries an early close, closes after 5 minutes', async () => {
    const outTradeNo = nextNo('C');
    const expiresAtMs = (await virtualNow()) + 30 * 60_000;
    const first = await create(outTradeNo, 1, expiresAtMs);
    expect(first.prepayId).toMatch(/^wx/);
    const rp = first.requestPayment;
    const message = requestPaymentMessage(payAppid(), rp.timeStamp, rp.nonceStr, rp.package);
    const merchantCert =
      family === 'direct' ? identity.direct.merchantCertificatePem : identity.partner.merchantCertificatePem;
    expect(verify('sha256', Buffer.from(message), merchantCert, Buffer.from(rp.paySign, 'base64'))).toBe(
      true,
    );

    // Same out_trade_no and fields (including time_expire) → the same prepay_id again.
    const again = await create(outTradeNo, 1, expiresAtMs);
    expect(again.prepayId).toBe(first.prepayId);
    const used = await providerError(create(outTradeNo, 2, expiresAtMs));
    expect([used.code, used.httpStatus, used.retryability]).toEqual(['OUT_TRADE_NO_USED', 403, 'fatal']);

    const q = await provider.queryPayment(outTradeNo);
    expect(q.kind === 'found' && q.transaction).toMatchObject({
      outTradeNo,
      state: 'NOTPAY',
      chargedFen: 1,
    });

    const early = await providerError(provider.closePayment(outTradeNo));
    expect([early.code, early.retryability]).toEqual(['RULE_LIMIT', 'retry']);
    await sim.control.advance(FIVE_MINUTES);
    await expect(provider.closePayment(outTradeNo)).resolves.toEqual({ outcome: 'closed' });
    const closed = await provider.queryPayment(outTradeNo);
    expect(closed.kind === 'found' && closed.transaction.state).toBe('CLOSED');
    await expect(provider.closePayment(outTradeNo)).resolves.toEqual({ outcome: 'closed' });
  });

  it('learns a payment from a verified notification and a signed query, reports close-after-pay, refunds asynchronously', async () => {
    const outTradeNo = nextNo('P');
    await create(outTradeNo, 300);
    const paid = await sim.control.pay(outTradeNo, ref());
    await sim.control.advance(0); // delivers the due TRANSACTION.SUCCESS and waits for our answer

    const event = notify.events.find(
      (e) => e.kind === 'payment.succeeded' && e.transaction.outTradeNo === outTradeNo,
    );
    expect(event).toMatchObject({
      kind: 'payment.succeeded',
      transaction: { state: 'SUCCESS', transactionId: paid.transactionId, chargedFen: 300 },
    });
    expect(notify.rejections).toEqual([]);

    const q = await provider.queryPayment(outTradeNo);
    expect(q.kind === 'found' && q.transaction).toMatchObject({
      state: 'SUCCESS',
      transactionId: paid.transactionId,
      chargedFen: 300,
    });
    expect(q.kind === 'found' && typeof q.transaction.successTimeMs).toBe('number');

    await sim.control.advance(FIVE_MINUTES);
    await expect(provider.closePayment(outTradeNo)).resolves.toEqual({ outcome: 'already-paid' });

    const outRefundNo = nextNo('R');
    const refund = await provider.createRefund({
      outTradeNo,
      outRefundNo,
      refundFen: fen(100),
      paidFen: fen(300),
      reason: '测试退款',
    });
    expect(refund).toMatchObject({
      outTradeNo,
      outRefundNo,
      status: 'PROCESSING',
      refundFen: 100,
      paidFen: 300,
    });
    const again = await provider.createRefund({
      outTradeNo,
      outRefundNo,
      refundFen: fen(100),
      paidFen: fen(300),
      reason: '测试退款',
    });
    expect(again.refundId).toBe(refund.refundId);
    await expect(provider.queryRefund(outRefundNo)).resolves.toMatchObject({
      kind: 'found',
      refund: { status: 'PROCESSING' },
    });
    const q2 = await provider.queryPayment(outTradeNo);
    expect(q2.kind === 'found' && q2.transaction.state).toBe('REFUND');

    await sim.control.advance(60_000);
    await expect(provider.queryRefund(outRefundNo)).resolves.toMatchObject({
      kind: 'found',
      refund: { status: 'SUCCESS', refundFen: 100 },
    });
    const refundEvent = notify.events.find(
      (e) => e.kind === 'refund.succeeded' && e.refund.outRefundNo === outRefundNo,
    );
    expect(refundEvent).toMatchObject({
      refund: { outTradeNo, refundFen: 100, paidFen: 300, status: 'SUCCESS' },
    });
  });

  it('answers not-found for unknown orders and refunds', async () => {
    const no = nextNo('N');
    await expect(provider.queryPayment(no)).resolves.toEqual({ kind: 'not-found', outTradeNo: no });
    await expect(provider.queryRefund(no)).resolves.toEqual({ kind: 'not-found', outRefundNo: no });
  });
});

describe('project adapter: trust boundaries against the simulator', () => {
  it('refuses an answer signed with a key it does not hold (public-key merchant, certificate-only adapter)', async () => {
    await sim.control.setKeyMode('direct', 'publicKey');
    const p = createWechatPayV3Provider(
      parseWechatPayV3Config(envFor('direct', 'certificate', 'https://shop.example.com/n')),
      systemDeps,
    );
    try {
      const e = await providerError(
        p.createJsapiPayment({
          outTradeNo: nextNo('V'),
          description: 'x',
          payableFen: fen(1),
          payerOpenid: 'o',
          expiresAtMs: (await virtualNow()) + 600_000,
        }),
      );
      expect([e.code, e.retryability]).toEqual(['BAD_RESPONSE_SIGNATURE', 'indeterminate']);
      expect(e.message).toMatch(/names no key we hold/);
    } finally {
      p.close();
      await sim.control.setKeyMode('direct', 'certificate');
    }
  });

  it('verifies callbacks signed by either key during a switch, and rejects the simulator probe traffic', async () => {
    await sim.control.setKeyMode('partner', 'switching');
    const holder: { provider?: PaymentProvider & { close(): void } } = {};
    const notify = await startNotifyEndpoint(() => holder.provider!);
    const provider = createWechatPayV3Provider(
      parseWechatPayV3Config(envFor('partner', 'both', notify.url)),
      systemDeps,
    );
    holder.provider = provider;
    try {
      for (const share of [1, 0]) {
        await sim.control.updateSettings({ switchingPublicKeyShare: share });
        const outTradeNo = nextNo('S');
        await provider.createJsapiPayment({
          outTradeNo,
          description: 'x',
          payableFen: fen(5),
          payerOpenid: 'o_switch',
          expiresAtMs: (await virtualNow()) + 600_000,
        });
        await sim.control.pay(outTradeNo, { subMchid: identity.partner.subMchid });
        await sim.control.advance(0);
        const [record] = await sim.control.notifications({ outTradeNo });
        const signedWith = record?.attempts[0]?.signedWith;
        expect(signedWith).toBe(
          share === 1 ? identity.platform.publicKey.publicKeyId : identity.platform.certificate.serial,
        );
        expect(
          notify.events.some(
            (e) => e.kind === 'payment.succeeded' && e.transaction.outTradeNo === outTradeNo,
          ),
        ).toBe(true);
      }
      // Probe traffic: a deliberately wrong signature must be refused (and retried by the simulator as a failure).
      await sim.control.addFault({ kind: 'notify.probe', count: 1 });
      const probed = nextNo('Q');
      await provider.createJsapiPayment({
        outTradeNo: probed,
        description: 'x',
        payableFen: fen(5),
        payerOpenid: 'o_switch',
        expiresAtMs: (await virtualNow()) + 600_000,
      });
      await sim.control.pay(probed, { subMchid: identity.partner.subMchid });
      await sim.control.advance(0);
      const [record] = await sim.control.notifications({ outTradeNo: probed });
      const probe = record?.attempts.find((a) => a.kind === 'probe' || a.badSignature === true);
      expect(probe).toBeDefined();
      expect(probe?.ok).toBe(false);
      expect(notify.rejections.some((r) => r.reason === 'SIGNATURE_INVALID')).toBe(true);
    } finally {
      provider.close();
      await notify.close();
      await sim.control.clearFaults();
      await sim.control.updateSettings({ switchingPublicKeyShare: 0.5 });
      await sim.control.setKeyMode('partner', 'certificate');
    }
  });

  it('downloads trade and fund flow bills after 10:00 the next day, checks the SHA1 and parses amounts into fen', async () => {
    await sim.control.setKeyMode('direct', 'publicKey');
    const p = createWechatPayV3Provider(
      parseWechatPayV3Config(envFor('direct', 'publicKey', 'https://shop.example.com/n')),
      systemDeps,
    );
    try {
      const outTradeNo = nextNo('B');
      await p.createJsapiPayment({
        outTradeNo,
        description: '账单, 测试',
        payableFen: fen(1234),
        payerOpenid: 'o_bill',
        expiresAtMs: (await virtualNow()) + 600_000,
      });
      const paid = await sim.control.pay(outTradeNo, { mchid: identity.direct.mchid });
      const billDate = new Date((paid.successAt ?? 0) + 8 * 3600_000).toISOString().slice(0, 10);
      const today = await providerError(p.downloadTradeBill(billDate, 'ALL'));
      expect([today.code, today.retryability]).toEqual(['INVALID_REQUEST', 'fatal']);
      // Next day 01:00 Beijing: still being generated (retry later); 11:00: ready.
      const billMidnight = Date.parse(`${billDate}T00:00:00+08:00`);
      await sim.control.advance(billMidnight + 25 * 3600_000 - (await virtualNow()));
      const creating = await providerError(p.downloadTradeBill(billDate, 'ALL'));
      expect([creating.code, creating.retryability]).toEqual(['STATEMENT_CREATING', 'retry']);
      await sim.control.advance(10 * 3600_000);
      const bill = await p.downloadTradeBill(billDate, 'ALL');
      const row = bill.rows.find((r) => r.outTradeNo === outTradeNo);
      expect(row).toMatchObject({
        transactionId: paid.transactionId,
        settlementTotalFen: 1234,
        tradeState: 'SUCCESS',
        goodsName: '账单, 测试',
      });
      expect(bill.summary.tradeCount).toBe(bill.rows.length);
      expect(bill.summary.settlementTotalFen).toBe(bill.rows.reduce((s, r) => s + r.settlementTotalFen, 0));

      const flow = await p.downloadFundFlowBill(billDate, 'BASIC');
      // The basic account is credited net of WeChat's fee, which the trade bill prints on the same trade.
      const feeFen = parseYuan(row?.feeYuanText ?? '');
      expect(feeFen).toBeGreaterThan(0);
      const credit = flow.rows.find((r) => r.businessId === paid.transactionId);
      expect(credit).toMatchObject({ direction: 'income', amountFen: 1234 - feeFen, voucherNo: outTradeNo });
      expect(flow.summary.entryCount).toBe(flow.rows.length);
    } finally {
      p.close();
      await sim.control.setKeyMode('direct', 'certificate');
    }
  });
});

describe('project adapter: merchant API certificate rotation (*_NEXT)', () => {
  // The direct merchant applies for a new API certificate while the current one stays valid.
  const keys = generateTestKeyPair();
  const serial = randomSerial();
  const certificatePem = makeTestCertificate(keys, serial, 'simulated direct merchant (new)');
  let notify: NotifyEndpoint;
  let provider: PaymentProvider & { close(): void };
  const rotating = () => ({
    ...envFor('direct', 'both', notify.url),
    WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: keys.privateKeyPem,
    WECHATPAY_MERCHANT_CERTIFICATE_NEXT: certificatePem,
  });

  beforeAll(async () => {
    await sim.control.setKeyMode('direct', 'switching');
    notify = await startNotifyEndpoint(() => provider);
  });
  afterAll(async () => {
    provider?.close();
    await notify?.close();
  });

  const create = async (p: PaymentProvider, outTradeNo: string) =>
    p.createJsapiPayment({
      outTradeNo,
      description: '安心小店-轮换证书',
      payableFen: fen(200),
      payerOpenid: 'o_contract_user',
      expiresAtMs: (await virtualNow()) + 30 * 60_000,
    });

  it('signs with the new pair: refused while WeChat does not know the new certificate, then pays end to end', async () => {
    provider = createWechatPayV3Provider(parseWechatPayV3Config(rotating()), systemDeps);
    // Not registered yet: the simulator refuses the new serial (the Authorization header carries it).
    const refused = await providerError(create(provider, nextNo('K')));
    expect(refused.message).toMatch(/SIGN_ERROR|serial/i);

    await sim.control.addMerchantCertificate('direct', certificatePem);
    const outTradeNo = nextNo('K');
    const created = await create(provider, outTradeNo);
    const rp = created.requestPayment;
    const message = Buffer.from(
      requestPaymentMessage(identity.direct.appid, rp.timeStamp, rp.nonceStr, rp.package),
    );
    const paySign = Buffer.from(rp.paySign, 'base64');
    // paySign is made with the new key too, not with the old one.
    expect(verify('sha256', message, certificatePem, paySign)).toBe(true);
    expect(verify('sha256', message, identity.direct.merchantCertificatePem, paySign)).toBe(false);

    const paid = await sim.control.pay(outTradeNo, { mchid: identity.direct.mchid });
    await sim.control.advance(0);
    expect(
      notify.events.some((e) => e.kind === 'payment.succeeded' && e.transaction.outTradeNo === outTradeNo),
    ).toBe(true);
    const q = await provider.queryPayment(outTradeNo);
    expect(q.kind === 'found' && q.transaction).toMatchObject({
      state: 'SUCCESS',
      transactionId: paid.transactionId,
    });
  });

  it('rolls back to the old pair by removing the *_NEXT settings: still accepted while both are registered', async () => {
    const old = createWechatPayV3Provider(
      parseWechatPayV3Config(envFor('direct', 'both', notify.url)),
      systemDeps,
    );
    try {
      const outTradeNo = nextNo('K');
      const created = await create(old, outTradeNo);
      const rp = created.requestPayment;
      const message = Buffer.from(
        requestPaymentMessage(identity.direct.appid, rp.timeStamp, rp.nonceStr, rp.package),
      );
      expect(
        verify('sha256', message, identity.direct.merchantCertificatePem, Buffer.from(rp.paySign, 'base64')),
      ).toBe(true);
      await expect(old.queryPayment(outTradeNo)).resolves.toMatchObject({ kind: 'found' });
    } finally {
      old.close();
    }
  });
});
