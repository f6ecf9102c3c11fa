// Contract: an independent WeChat Pay client (wechatpay-axios-plugin, strict response verification ON) creates,
// queries, closes and refunds orders against the simulator in both key modes, direct and partner.
// CLIENTS is a table: add the project's own client (wechatpay-node-v3 based) as one more entry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosResponse } from 'axios';
import { Decorator } from 'wechatpay-axios-plugin';
import { generateIdentity, startSimulator } from '../../simulator';
import type { KeyMode, MerchantMode, SimIdentity, SimulatorHandle } from '../../simulator';
import { startReceiver, type Receiver } from '../../simulator/test-support/notify-receiver';

/**
 * A failed call, normalised: `api` = WeChat answered an error {code}; `unverified` = the client refused an answer
 * whose signature it could not verify; `transport` = anything else.
 */
class ContractError extends Error {
  constructor(
    readonly kind: 'api' | 'unverified' | 'transport',
    readonly status: number | undefined,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface CreateInput {
  outTradeNo: string;
  totalFen: number;
  description: string;
  notifyUrl: string;
  openid: string;
}

interface TradeView {
  tradeState: string;
  transactionId?: string;
  totalFen: number;
  outTradeNo: string;
}

/** What every client in the table can do, in the project's vocabulary (fen, camelCase). */
interface ContractOps {
  createJsapi(p: CreateInput): Promise<{ prepayId: string }>;
  queryByOutTradeNo(outTradeNo: string): Promise<TradeView>;
  queryByTransactionId(transactionId: string): Promise<TradeView>;
  close(outTradeNo: string): Promise<void>;
  refund(p: {
    outTradeNo: string;
    outRefundNo: string;
    refundFen: number;
    totalFen: number;
    notifyUrl?: string;
  }): Promise<{
    status: string;
    refundId: string;
  }>;
  queryRefund(outRefundNo: string): Promise<{ status: string; refundFen: number }>;
}

/** One client implementation under contract. */
interface ContractClient {
  name: string;
  /** Whether this client can work in this family/key mode at all (e.g. a client without PUB_KEY_ID support). */
  supports(family: MerchantMode, keyMode: KeyMode): boolean;
  make(o: { baseUrl: string; identity: SimIdentity; family: MerchantMode; keyMode: KeyMode }): ContractOps;
}

// ------------------------------------------------------------------ wechatpay-axios-plugin entry

function trustedKeys(identity: SimIdentity, keyMode: KeyMode): Record<string, string> {
  const p = identity.platform;
  if (keyMode === 'certificate') return { [p.certificate.serial]: p.certificate.certificatePem };
  if (keyMode === 'publicKey') return { [p.publicKey.publicKeyId]: p.publicKey.publicKeyPem };
  return {
    [p.certificate.serial]: p.certificate.certificatePem,
    [p.publicKey.publicKeyId]: p.publicKey.publicKeyPem,
  };
}

interface AxiosLikeError {
  code?: unknown;
  message?: unknown;
  response?: { status?: number; data?: unknown };
}

function axiosError(e: unknown): ContractError {
  const err = (e ?? {}) as AxiosLikeError;
  const code = typeof err.code === 'string' ? err.code : 'UNKNOWN';
  const status = err.response?.status;
  // The plugin's verifier reports EV3_RES_* (missing headers, stale timestamp, unknown serial, bad signature).
  if (code.startsWith('EV3_RES_')) return new ContractError('unverified', status, code, String(err.message));
  const data = err.response?.data as { code?: unknown; message?: unknown } | undefined;
  if (data && typeof data === 'object' && typeof data.code === 'string') {
    return new ContractError('api', status, data.code, typeof data.message === 'string' ? data.message : '');
  }
  return new ContractError('transport', status, code, String(err.message ?? e));
}

interface TradeJson {
  out_trade_no: string;
  trade_state: string;
  transaction_id?: string;
  amount: { total: number };
}

interface RefundJson {
  refund_id: string;
  status: string;
  amount: { refund: number };
}

const axiosPlugin: ContractClient = {
  name: 'wechatpay-axios-plugin 0.9.6',
  supports: () => true,
  make({ baseUrl, identity, family, keyMode }) {
    const m = family === 'direct' ? identity.direct : identity.partner;
    const mchid = family === 'direct' ? identity.direct.mchid : identity.partner.spMchid;
    const keys = trustedKeys(identity, keyMode);
    const client = new Decorator({
      mchid,
      serial: m.merchantSerial,
      privateKey: m.merchantPrivateKeyPem,
      certs: keys,
      baseURL: `${baseUrl}/`,
      timeout: 10_000,
      // Ask for the key this client holds (required for PUB_KEY_ID mode in production).
      headers: { 'Wechatpay-Serial': Object.keys(keys)[0] },
    });
    async function req<T>(
      path: string,
      method: 'get' | 'post',
      data?: unknown,
      config: Record<string, unknown> = {},
    ): Promise<AxiosResponse<T>> {
      try {
        return await client.request<T>(path, method, data, config);
      } catch (e) {
        throw axiosError(e);
      }
    }
    const trade = (d: TradeJson): TradeView => ({
      tradeState: d.trade_state,
      ...(d.transaction_id !== undefined ? { transactionId: d.transaction_id } : {}),
      totalFen: d.amount.total,
      outTradeNo: d.out_trade_no,
    });
    const queryParams =
      family === 'direct' ? { mchid } : { sp_mchid: mchid, sub_mchid: identity.partner.subMchid };
    const prefix = family === 'direct' ? 'v3/pay/transactions' : 'v3/pay/partner/transactions';
    return {
      async createJsapi(p) {
        const body =
          family === 'direct'
            ? {
                appid: identity.direct.appid,
                mchid,
                description: p.description,
                out_trade_no: p.outTradeNo,
                notify_url: p.notifyUrl,
                amount: { total: p.totalFen, currency: 'CNY' },
                payer: { openid: p.openid },
              }
            : {
                sp_appid: identity.partner.spAppid,
                sp_mchid: mchid,
                sub_appid: identity.partner.subAppid,
                sub_mchid: identity.partner.subMchid,
                description: p.description,
                out_trade_no: p.outTradeNo,
                notify_url: p.notifyUrl,
                amount: { total: p.totalFen, currency: 'CNY' },
                payer: { sub_openid: p.openid },
              };
        const r = await req<{ prepay_id: string }>(`${prefix}/jsapi`, 'post', body);
        return { prepayId: r.data.prepay_id };
      },
      async queryByOutTradeNo(no) {
        const r = await req<TradeJson>(`${prefix}/out-trade-no/{out_trade_no}`, 'get', undefined, {
          params: queryParams,
          out_trade_no: no,
        });
        return trade(r.data);
      },
      async queryByTransactionId(id) {
        const r = await req<TradeJson>(`${prefix}/id/{transaction_id}`, 'get', undefined, {
          params: queryParams,
          transaction_id: id,
        });
        return trade(r.data);
      },
      async close(no) {
        const body =
          family === 'direct' ? { mchid } : { sp_mchid: mchid, sub_mchid: identity.partner.subMchid };
        const r = await req<string>(`${prefix}/out-trade-no/{out_trade_no}/close`, 'post', body, {
          out_trade_no: no,
        });
        if (r.status !== 204)
          throw new ContractError('transport', r.status, 'UNEXPECTED', `close answered ${r.status}`);
      },
      async refund(p) {
        const body: Record<string, unknown> = {
          out_trade_no: p.outTradeNo,
          out_refund_no: p.outRefundNo,
          amount: { refund: p.refundFen, total: p.totalFen, currency: 'CNY' },
        };
        if (p.notifyUrl) body.notify_url = p.notifyUrl;
        if (family === 'partner') body.sub_mchid = identity.partner.subMchid;
        const r = await req<RefundJson>('v3/refund/domestic/refunds', 'post', body);
        return { status: r.data.status, refundId: r.data.refund_id };
      },
      async queryRefund(no) {
        const r = await req<RefundJson>('v3/refund/domestic/refunds/{out_refund_no}', 'get', undefined, {
          out_refund_no: no,
          ...(family === 'partner' ? { params: { sub_mchid: identity.partner.subMchid } } : {}),
        });
        return { status: r.data.status, refundFen: r.data.amount.refund };
      },
    };
  },
};

/** The table: one entry per client implementation under contract. */
const CLIENTS: ContractClient[] = [axiosPlugin];

// ------------------------------------------------------------------ the contract

const FAMILIES: MerchantMode[] = ['direct', 'partner'];
const KEY_MODES: KeyMode[] = ['certificate', 'publicKey'];
const FIVE_MINUTES = 5 * 60_000;

let identity: SimIdentity;
let sim: SimulatorHandle;
let dir: string;
let seq = 0;

beforeAll(async () => {
  identity = await generateIdentity();
  dir = mkdtempSync(join(tmpdir(), 'sim-contract-'));
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

async function expectError(p: Promise<unknown>, status: number | undefined, code: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ContractError);
  const err = caught as ContractError;
  expect({ kind: err.kind, status: err.status, code: err.code }).toEqual({ kind: 'api', status, code });
}

describe.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, clientDef) => {
  describe.each(FAMILIES.flatMap((f) => KEY_MODES.map((k) => [f, k] as const)))(
    '%s merchant, %s key mode',
    (family, keyMode) => {
      let ops: ContractOps;
      let receiver: Receiver;
      const ref = (): { mchid?: string; subMchid?: string } =>
        family === 'direct' ? { mchid: identity.direct.mchid } : { subMchid: identity.partner.subMchid };

      beforeAll(async () => {
        await sim.control.setKeyMode(family, keyMode);
        ops = clientDef.make({ baseUrl: sim.url, identity, family, keyMode });
        const m = family === 'direct' ? identity.direct : identity.partner;
        receiver = await startReceiver({ trustedKeys: trustedKeys(identity, keyMode), apiV3Key: m.apiV3Key });
      });
      afterAll(async () => {
        await receiver?.close();
      });

      const skip = !clientDef.supports(family, keyMode);
      const maybe = skip ? it.skip : it;

      maybe('creates idempotently, refuses an early close, closes after 5 minutes', async () => {
        const outTradeNo = nextNo('C');
        const input = {
          outTradeNo,
          totalFen: 1,
          description: '测试商品',
          notifyUrl: receiver.url,
          openid: 'o_contract_user',
        };
        const first = await ops.createJsapi(input);
        expect(first.prepayId).toMatch(/^wx\d{14}/);
        expect((await ops.createJsapi(input)).prepayId).toBe(first.prepayId);
        await expectError(ops.createJsapi({ ...input, totalFen: 2 }), 403, 'OUT_TRADE_NO_USED');
        expect(await ops.queryByOutTradeNo(outTradeNo)).toMatchObject({
          tradeState: 'NOTPAY',
          totalFen: 1,
          outTradeNo,
        });
        await expectError(ops.close(outTradeNo), 403, 'RULE_LIMIT');
        await sim.control.advance(FIVE_MINUTES);
        await ops.close(outTradeNo);
        expect((await ops.queryByOutTradeNo(outTradeNo)).tradeState).toBe('CLOSED');
        await ops.close(outTradeNo); // closing again is harmless
        await expectError(ops.createJsapi(input), 400, 'ORDER_CLOSED');
      });

      maybe(
        'sees a payment, refuses to close it, refunds it asynchronously and notifies verifiably',
        async () => {
          const outTradeNo = nextNo('P');
          await ops.createJsapi({
            outTradeNo,
            totalFen: 300,
            description: '测试商品',
            notifyUrl: receiver.url,
            openid: 'o_contract_user',
          });
          const paid = await sim.control.pay(outTradeNo, ref());
          await sim.control.advance(0); // runs the due first delivery and waits for it
          const byNo = await ops.queryByOutTradeNo(outTradeNo);
          expect(byNo).toMatchObject({
            tradeState: 'SUCCESS',
            transactionId: paid.transactionId,
            totalFen: 300,
          });
          expect(await ops.queryByTransactionId(paid.transactionId ?? '')).toEqual(byNo);
          await sim.control.advance(FIVE_MINUTES);
          await expectError(ops.close(outTradeNo), 403, 'TRADE_ERROR');

          const cb = receiver.received.find((r) => r.resource?.out_trade_no === outTradeNo);
          expect(cb).toMatchObject({ signatureValid: true, timestampFresh: true, answeredStatus: 204 });
          expect(cb?.envelope?.event_type).toBe('TRANSACTION.SUCCESS');
          expect(cb?.resource).toMatchObject({
            trade_state: 'SUCCESS',
            transaction_id: paid.transactionId,
            amount: { total: 300 },
          });

          const outRefundNo = nextNo('R');
          const refund = await ops.refund({
            outTradeNo,
            outRefundNo,
            refundFen: 100,
            totalFen: 300,
            notifyUrl: receiver.url,
          });
          expect(refund.status).toBe('PROCESSING');
          expect(
            (
              await ops.refund({
                outTradeNo,
                outRefundNo,
                refundFen: 100,
                totalFen: 300,
                notifyUrl: receiver.url,
              })
            ).refundId,
          ).toBe(refund.refundId);
          await expectError(
            ops.refund({ outTradeNo, outRefundNo: nextNo('R'), refundFen: 201, totalFen: 300 }),
            403,
            'NOT_ENOUGH',
          );
          expect(await ops.queryRefund(outRefundNo)).toEqual({ status: 'PROCESSING', refundFen: 100 });
          expect((await ops.queryByOutTradeNo(outTradeNo)).tradeState).toBe('REFUND');
          await sim.control.advance(60_000);
          expect((await ops.queryRefund(outRefundNo)).status).toBe('SUCCESS');
          const refundCb = receiver.received.find((r) => r.resource?.out_refund_no === outRefundNo);
          expect(refundCb).toMatchObject({ signatureValid: true, answeredStatus: 204 });
          expect(refundCb?.envelope?.event_type).toBe('REFUND.SUCCESS');
          expect(refundCb?.resource).toMatchObject({
            refund_status: 'SUCCESS',
            amount: { refund: 100, total: 300 },
          });
        },
      );

      maybe('answers 404 ORDER_NOT_EXIST for an unknown order', async () => {
        await expectError(ops.queryByOutTradeNo(nextNo('N')), 404, 'ORDER_NOT_EXIST');
      });
    },
  );

  it('refuses (strict verification) an answer signed with a key the client does not hold', async () => {
    await sim.control.setKeyMode('direct', 'publicKey');
    // A client that only trusts the platform certificate while the merchant is public-key only.
    const ops = clientDef.make({ baseUrl: sim.url, identity, family: 'direct', keyMode: 'certificate' });
    let caught: unknown;
    try {
      await ops.createJsapi({
        outTradeNo: nextNo('V'),
        totalFen: 1,
        description: 'x',
        notifyUrl: 'https://example.com/n',
        openid: 'o',
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ContractError);
    expect((caught as ContractError).kind).toBe('unverified');
    await sim.control.setKeyMode('direct', 'certificate');
    await expect(
      ops.createJsapi({
        outTradeNo: nextNo('V'),
        totalFen: 1,
        description: 'x',
        notifyUrl: 'https://example.com/n',
        openid: 'o',
      }),
    ).resolves.toHaveProperty('prepayId');
  });
});
