// The local stand-in for `cloud.cloudPay`: WeChat Pay API v2 semantics behind the same camelCase JSON surface, with a
// durable store, a payer ("pay"), and the payment callback that invokes a cloud function until it answers errcode 0.
// It is an oracle for the adapter in server/adapters/payment/cloudpay and shares no code with it. Dev-only: nothing
// in server/ or cloudfunctions/ may import it (layer rules), and it is never bundled.
//
// Answers: { errCode: 0, errMsg: "cloudPay.<method>:ok", returnCode, returnMsg, … } like the SDK. A refused request
// has returnCode FAIL (binding, format); a business failure has resultCode FAIL with the v2 code in errCode (the SDK
// field name) and its description in errCodeDes. A broken call (not an object) rejects like the SDK does.
import { randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { CloudPayStore } from './json-store';
import { md5Sign } from './md5-sign';

/** Who the stand-in is: the mini program, Cloud Development's service-provider mch_id, the bound sub-merchant. */
export interface LocalCloudPayIdentity {
  /** The mini program's appid (answered as both appid and subAppid, as production does for cloudPay). */
  appid: string;
  /** The service provider's merchant number (Cloud Development's in production). */
  mchId: string;
  /** The one merchant number bound to this environment; any other is refused with "受理关系不存在". */
  subMchId: string;
}

/** Calls a cloud function by name with an event and resolves with its return value (the gateway provides it). */
export type InvokeFunction = (name: string, event: Record<string, unknown>) => Promise<unknown>;

/** Options of {@link createLocalCloudPay}. Durations in milliseconds. */
export interface LocalCloudPayOptions {
  store: CloudPayStore;
  invokeFunction: InvokeFunction;
  /** Epoch ms; the stand-in reads time only through this. */
  now: () => number;
  identity: LocalCloudPayIdentity;
  /** The v2 API key that signs paySign and answers (MD5 rule in md5-sign.ts). Never logged. */
  mchKey: string;
  /** Callback retry delays before scaling; default {@link V2_NOTIFY_RETRY_SCHEDULE_MS}. Attempts = 1 + its length. */
  retryScheduleMs?: readonly number[];
  /** Multiplies the retry delays: 1 is real time, tests use e.g. 0.001. Default 1. */
  timeScale?: number;
  /** A refund is SUCCESS this long after acceptance (applied when next read); default 60 s; Infinity: only settleRefund(). */
  refundSettleAfterMs?: number;
  /** closeOrder sooner than this after unifiedOrder answers SYSTEMERROR (call again later); default 5 minutes. */
  closeGuardMs?: number;
  log?: (line: string) => void;
}

/** v2's notification retry schedule (15s 15s 30s 3m 10m 20m 30m 30m 30m 60m 3h 3h 3h 6h 6h), in ms. */
export const V2_NOTIFY_RETRY_SCHEDULE_MS: readonly number[] = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
].map((s) => s * 1000);

const PREPAY_TTL_MS = 2 * 3600_000;
const MIN_EXPIRY_MS = 60_000;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*@]{1,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
const COMPACT_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const BEIJING_MS = 8 * 3600_000;

/** A fault the next call of one method meets (one-shot), for tests and the dev console. */
export type LocalCloudPayFault =
  /** The SDK call rejects (network, permission): nothing happens at "WeChat". */
  | { kind: 'throw'; errCode?: number; errMsg?: string }
  /** resultCode FAIL, errCode SYSTEMERROR: nothing happens; v2 says call again with the same parameters. */
  | { kind: 'system-error' }
  /** returnCode FAIL with this message (e.g. "签名失败"): nothing happens. */
  | { kind: 'return-fail'; returnMsg: string }
  /** queryRefund answers SUCCESS with every list empty, as production has been seen to do. */
  | { kind: 'empty-refund-lists' }
  /** The call takes effect, then the SDK call rejects anyway (the answer was lost on the way back). */
  | { kind: 'lose-answer' };

/** The methods faults can be injected into. */
export type LocalCloudPayMethod = 'unifiedOrder' | 'queryOrder' | 'closeOrder' | 'refund' | 'queryRefund';

/** A misuse of the control surface (paying a closed order, settling an unknown refund …). */
export class LocalCloudPayError extends Error {
  override readonly name = 'LocalCloudPayError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the payment callback of an order stands. */
export interface CallbackStatus {
  attempts: number;
  acknowledged: boolean;
  /** True once the retry schedule is exhausted without an errcode 0. */
  gaveUp: boolean;
  lastError: string | null;
}

/** What {@link LocalCloudPay.pay} reports: the payment, and how its first callback delivery went. */
export interface LocalPayment {
  outTradeNo: string;
  transactionId: string;
  /** "yyyyMMddHHmmss", Beijing time. */
  timeEnd: string;
  totalFee: number;
  callback: CallbackStatus;
}

/** An order as the stand-in holds it (for the dev console and tests). Money in fen. */
export interface LocalOrderView {
  outTradeNo: string;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  totalFee: number;
  prepayId: string;
  transactionId: string | null;
  timeEnd: string | null;
  functionName: string;
  callback: CallbackStatus;
}

interface OrderRec {
  kind: 'order';
  outTradeNo: string;
  body: string;
  totalFee: number;
  attach: string | null;
  subOpenid: string | null;
  openid: string | null;
  expiresAtMs: number | null;
  envId: string;
  functionName: string;
  /** The parameters a repeat unifiedOrder must match (v2: same out_trade_no, same order). */
  fingerprint: string;
  prepayId: string;
  prepayCreatedAtMs: number;
  createdAtMs: number;
  state: LocalOrderView['state'];
  transactionId: string | null;
  timeEnd: string | null;
  callback: CallbackStatus;
}

type RefundState = 'PROCESSING' | 'SUCCESS' | 'REFUNDCLOSE' | 'CHANGE';

interface RefundRec {
  kind: 'refund';
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  refundId: string;
  refundFee: number;
  totalFee: number;
  createdAtMs: number;
  status: RefundState;
  /** "yyyy-MM-dd HH:mm:ss", Beijing time. */
  successTime: string | null;
}

type Params = Readonly<Record<string, unknown>>;
type AnswerFields = Record<string, unknown>;

const orderKey = (no: string) => `order/${no}`;
const refundKey = (no: string) => `refund/${no}`;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function beijingParts(ms: number): [string, string, string, string, string, string] {
  const d = new Date(ms + BEIJING_MS);
  return [
    pad(d.getUTCFullYear(), 4),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    pad(d.getUTCHours()),
    pad(d.getUTCMinutes()),
    pad(d.getUTCSeconds()),
  ];
}

/** "yyyyMMddHHmmss" in Beijing time (v2 time_end / time_expire). */
export function beijingCompact(ms: number): string {
  return beijingParts(ms).join('');
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time (v2 refund_success_time). */
export function beijingSpaced(ms: number): string {
  const [y, mo, d, h, mi, s] = beijingParts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

function parseCompact(text: string): number | undefined {
  const m = COMPACT_TIME.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5]) - BEIJING_MS;
  return beijingCompact(ms) === text ? ms : undefined;
}

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

function randomNonce(): string {
  return randomBytes(16).toString('hex');
}

function chars(s: string): number {
  return [...s].length;
}

function isRecord(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asOrder(v: unknown): OrderRec | undefined {
  return isRecord(v) && v.kind === 'order' ? (v as unknown as OrderRec) : undefined;
}

function asRefund(v: unknown): RefundRec | undefined {
  return isRecord(v) && v.kind === 'refund' ? (v as unknown as RefundRec) : undefined;
}

function sdkReject(
  method: string,
  errCode: number,
  message: string,
): Error & { errCode: number; errMsg: string } {
  const errMsg = `cloudPay.${method}:fail ${message}`;
  return Object.assign(new Error(errMsg), { errCode, errMsg });
}

/** The local cloudPay: the five cloudPay methods plus a control surface. Build it with {@link createLocalCloudPay}. */
export class LocalCloudPay {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly faults = new Map<LocalCloudPayMethod, LocalCloudPayFault[]>();
  private readonly callCounts = new Map<LocalCloudPayMethod, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly schedule: readonly number[];
  private readonly timeScale: number;
  private readonly refundSettleAfterMs: number;
  private readonly closeGuardMs: number;

  constructor(private readonly o: LocalCloudPayOptions) {
    if (typeof o.mchKey !== 'string' || o.mchKey.length < 8)
      throw new Error('LocalCloudPay: mchKey must be a string of at least 8 characters');
    for (const [k, v] of Object.entries(o.identity)) {
      if (typeof v !== 'string' || v === '')
        throw new Error(`LocalCloudPay: identity.${k} must be a non-empty string`);
    }
    this.schedule = o.retryScheduleMs ?? V2_NOTIFY_RETRY_SCHEDULE_MS;
    this.timeScale = o.timeScale ?? 1;
    if (!(this.timeScale >= 0) || !Number.isFinite(this.timeScale))
      throw new Error('LocalCloudPay: timeScale must be a finite number ≥ 0');
    this.refundSettleAfterMs = o.refundSettleAfterMs ?? 60_000;
    this.closeGuardMs = o.closeGuardMs ?? 5 * 60_000;
  }

  // ---- the cloudPay surface --------------------------------------------------------------------------------------

  /** v2 unifiedOrder (JSAPI): creates the order or, for the same parameters, answers its prepay again. */
  unifiedOrder(params: unknown): Promise<AnswerFields> {
    return this.api('unifiedOrder', params, async (p) => {
      const lack = this.lacking(p, [
        'body',
        'outTradeNo',
        'spbillCreateIp',
        'subMchId',
        'totalFee',
        'envId',
        'functionName',
        'nonceStr',
      ]);
      if (lack) return lack;
      const bound = this.binding(p);
      if (bound) return bound;
      const bad = formatProblem(p, {
        body: (v) => typeof v === 'string' && chars(v) >= 1 && chars(v) <= 128,
        outTradeNo: (v) => typeof v === 'string' && OUT_TRADE_NO.test(v),
        spbillCreateIp: (v) => typeof v === 'string' && isIP(v) !== 0,
        totalFee: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
        envId: (v) => typeof v === 'string' && v.length <= 64,
        functionName: (v) => typeof v === 'string' && FUNCTION_NAME.test(v),
        nonceStr: (v) => typeof v === 'string' && v.length <= 32,
        tradeType: (v) => v === undefined || v === 'JSAPI',
        attach: (v) => v === undefined || (typeof v === 'string' && chars(v) <= 127),
        subOpenid: (v) => v === undefined || (typeof v === 'string' && v.length <= 128),
        openid: (v) => v === undefined || (typeof v === 'string' && v.length <= 128),
        feeType: (v) => v === undefined || v === 'CNY',
        timeExpire: (v) => v === undefined || (typeof v === 'string' && parseCompact(v) !== undefined),
      });
      if (bad) return this.returnFail(`参数格式校验错误: ${bad}`);
      if (p.subOpenid !== undefined && p.subAppid === undefined) {
        return this.resultFail('INVALID_REQUEST', '参数错误: 传 sub_openid 时必须传 sub_appid');
      }
      const now = this.o.now();
      const expiresAtMs = typeof p.timeExpire === 'string' ? (parseCompact(p.timeExpire) ?? null) : null;
      // Compared in whole seconds, as time_expire has no milliseconds.
      if (expiresAtMs !== null && expiresAtMs < Math.floor(now / 1000) * 1000 + MIN_EXPIRY_MS) {
        return this.resultFail('INVALID_REQUEST', 'time_expire 时间过短');
      }
      const outTradeNo = p.outTradeNo as string;
      const fingerprint = JSON.stringify([
        p.body,
        p.totalFee,
        p.attach ?? null,
        p.subOpenid ?? null,
        p.openid ?? null,
        p.timeExpire ?? null,
        p.envId,
        p.functionName,
      ]);
      let rec = asOrder(await this.o.store.get(orderKey(outTradeNo)));
      if (rec) {
        if (rec.state === 'SUCCESS' || rec.state === 'REFUND')
          return this.resultFail('ORDERPAID', '该订单已支付');
        if (rec.state === 'CLOSED') return this.resultFail('ORDERCLOSED', '该订单已关闭');
        if (rec.fingerprint !== fingerprint) return this.resultFail('INVALID_REQUEST', '201 商户订单号重复');
        if (now - rec.prepayCreatedAtMs >= PREPAY_TTL_MS) {
          rec = { ...rec, prepayId: this.newPrepayId(now), prepayCreatedAtMs: now };
          await this.o.store.put(orderKey(outTradeNo), rec);
        }
      } else {
        rec = {
          kind: 'order',
          outTradeNo,
          body: p.body as string,
          totalFee: p.totalFee as number,
          attach: (p.attach as string | undefined) ?? null,
          subOpenid: (p.subOpenid as string | undefined) ?? null,
          openid: (p.openid as string | undefined) ?? null,
          expiresAtMs,
          envId: p.envId as string,
          functionName: p.functionName as string,
          fingerprint,
          prepayId: this.newPrepayId(now),
          prepayCreatedAtMs: now,
          createdAtMs: now,
          state: 'NOTPAY',
          transactionId: null,
          timeEnd: null,
          callback: { attempts: 0, acknowledged: false, gaveUp: false, lastError: null },
        };
        await this.o.store.put(orderKey(outTradeNo), rec);
        this.log(`unifiedOrder ${outTradeNo}: ${rec.totalFee} fen, callback ${rec.functionName}`);
      }
      return {
        ...this.success(),
        tradeType: 'JSAPI',
        prepayId: rec.prepayId,
        payment: this.payment(rec.prepayId, now),
      };
    });
  }

  /** v2 orderquery: the payment fields only for paid orders (SUCCESS, REFUND), as v2 documents. */
  queryOrder(params: unknown): Promise<AnswerFields> {
    return this.api('queryOrder', params, async (p) => {
      const ref = await this.orderRef(p);
      if ('answer' in ref) return ref.answer;
      const rec = ref.order;
      const base = {
        ...this.success(),
        outTradeNo: rec.outTradeNo,
        tradeState: rec.state,
        tradeStateDesc: {
          NOTPAY: '订单未支付',
          SUCCESS: '支付成功',
          CLOSED: '订单已关闭',
          REFUND: '订单发生过退款',
        }[rec.state],
        ...(rec.attach !== null ? { attach: rec.attach } : {}),
      };
      if (rec.state !== 'SUCCESS' && rec.state !== 'REFUND') return base;
      return { ...base, ...this.paidFields(rec) };
    });
  }

  /** v2 closeorder: ORDERPAID for a paid order, ORDERCLOSED when closed already, SYSTEMERROR inside the close guard. */
  closeOrder(params: unknown): Promise<AnswerFields> {
    return this.api('closeOrder', params, async (p) => {
      const ref = await this.orderRef(p);
      if ('answer' in ref) return ref.answer;
      const rec = ref.order;
      if (rec.state === 'SUCCESS' || rec.state === 'REFUND')
        return this.resultFail('ORDERPAID', '订单已支付，不能发起关单');
      if (rec.state === 'CLOSED') return this.resultFail('ORDERCLOSED', '订单已关闭，无法重复关闭');
      // v2 asks for 5 minutes between ordering and closing; how production refuses is undocumented. SYSTEMERROR's
      // documented handling (call again later) is the right one for the caller, so that is what is answered.
      if (this.o.now() - rec.createdAtMs < this.closeGuardMs)
        return this.resultFail('SYSTEMERROR', '订单生成后不足5分钟，请稍后再关单');
      await this.o.store.put(orderKey(rec.outTradeNo), { ...rec, state: 'CLOSED' });
      this.log(`closeOrder ${rec.outTradeNo}`);
      return this.success();
    });
  }

  /** v2 refund: accepts (PROCESSING); the same outRefundNo with the same amounts answers the same refund again. */
  refund(params: unknown): Promise<AnswerFields> {
    return this.api('refund', params, async (p) => {
      const lack = this.lacking(p, ['subMchId', 'nonceStr', 'outRefundNo', 'totalFee', 'refundFee']);
      if (lack) return lack;
      if (p.outTradeNo === undefined && p.transactionId === undefined)
        return this.resultFail('LACK_PARAMS', '缺少参数 out_trade_no 或 transaction_id');
      const bound = this.binding(p);
      if (bound) return bound;
      const bad = formatProblem(p, {
        outRefundNo: (v) => typeof v === 'string' && OUT_REFUND_NO.test(v),
        totalFee: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
        refundFee: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
        refundDesc: (v) => v === undefined || (typeof v === 'string' && chars(v) <= 80),
        functionName: (v) => v === undefined || (typeof v === 'string' && FUNCTION_NAME.test(v)),
        nonceStr: (v) => typeof v === 'string' && v.length <= 32,
      });
      if (bad) return this.returnFail(`参数格式校验错误: ${bad}`);
      const order = await this.findOrder(p);
      if (!order) return this.resultFail('ORDERNOTEXIST', '订单号不存在');
      if (order.state !== 'SUCCESS' && order.state !== 'REFUND')
        return this.resultFail('ERROR', '订单状态错误: 订单未支付，不能退款');
      const outRefundNo = p.outRefundNo as string;
      const refundFee = p.refundFee as number;
      const totalFee = p.totalFee as number;
      if (totalFee !== order.totalFee) return this.resultFail('PARAM_ERROR', 'total_fee 与订单金额不一致');
      const existing = asRefund(await this.o.store.get(refundKey(outRefundNo)));
      if (existing) {
        if (
          existing.outTradeNo !== order.outTradeNo ||
          existing.refundFee !== refundFee ||
          existing.totalFee !== totalFee
        ) {
          return this.resultFail('REFUND_FEE_MISMATCH', '订单金额或退款金额与之前请求不一致，请核实后再试');
        }
        return this.refundAnswer(existing);
      }
      const others = (await this.refundsOf(order.outTradeNo)).filter((r) => r.status !== 'REFUNDCLOSE');
      const refunded = others.reduce((sum, r) => sum + r.refundFee, 0);
      if (refunded + refundFee > order.totalFee) return this.resultFail('ERROR', '累计退款金额大于支付金额');
      const now = this.o.now();
      const rec: RefundRec = {
        kind: 'refund',
        outRefundNo,
        outTradeNo: order.outTradeNo,
        transactionId: order.transactionId ?? '',
        refundId: `50${beijingCompact(now).slice(0, 8)}${randomDigits(19)}`,
        refundFee,
        totalFee,
        createdAtMs: now,
        status: 'PROCESSING',
        successTime: null,
      };
      await this.o.store.put(refundKey(outRefundNo), rec);
      if (order.state !== 'REFUND')
        await this.o.store.put(orderKey(order.outTradeNo), { ...order, state: 'REFUND' });
      this.log(`refund ${outRefundNo} of ${order.outTradeNo}: ${refundFee} fen`);
      return this.refundAnswer(rec);
    });
  }

  /** v2 refundquery in production's list form (outRefundNoList, refundStatusList, …); by refund or by order. */
  queryRefund(params: unknown): Promise<AnswerFields> {
    return this.api('queryRefund', params, async (p, fault) => {
      const lack = this.lacking(p, ['subMchId', 'nonceStr']);
      if (lack) return lack;
      const bound = this.binding(p);
      if (bound) return bound;
      let refunds: RefundRec[];
      if (typeof p.outRefundNo === 'string') {
        const r = asRefund(await this.o.store.get(refundKey(p.outRefundNo)));
        refunds = r ? [r] : [];
      } else if (typeof p.refundId === 'string') {
        refunds = (await this.allRefunds()).filter((r) => r.refundId === p.refundId);
      } else if (typeof p.outTradeNo === 'string' || typeof p.transactionId === 'string') {
        const order = await this.findOrder(p);
        refunds = order ? await this.refundsOf(order.outTradeNo) : [];
      } else {
        return this.resultFail(
          'LACK_PARAMS',
          '缺少参数 out_refund_no、out_trade_no、transaction_id 或 refund_id',
        );
      }
      if (refunds.length === 0) return this.resultFail('REFUNDNOTEXIST', '退款订单查询失败');
      refunds = await Promise.all(refunds.map((r) => this.settleIfDue(r)));
      const first = refunds[0] as RefundRec;
      const order = asOrder(await this.o.store.get(orderKey(first.outTradeNo)));
      const shown = fault?.kind === 'empty-refund-lists' ? [] : refunds;
      return {
        ...this.success(),
        transactionId: first.transactionId,
        outTradeNo: first.outTradeNo,
        totalFee: first.totalFee,
        cashFee: order?.totalFee ?? first.totalFee,
        refundCount: refunds.length,
        outRefundNoList: shown.map((r) => r.outRefundNo),
        refundIdList: shown.map((r) => r.refundId),
        refundFeeList: shown.map((r) => r.refundFee),
        settlementRefundFeeList: shown.map((r) => r.refundFee),
        refundStatusList: shown.map((r) => r.status),
        refundRecvAccoutList: shown.map(() => '支付用户零钱'),
        refundSuccessTimeList: shown.map((r) => r.successTime ?? ''),
      };
    });
  }

  // ---- control surface (tests, dev console) ---------------------------------------------------------------------

  /**
   * What functions get as `cloud.cloudPay`: the five methods only. The control surface (pay, faults, close) stays
   * with the local cloud, as WeChat's side of the channel is out of a function's reach in production. With `allowed`
   * (the calling function's config.json `permissions.openapi`), any other method is refused as the platform does.
   */
  sdkFacade(
    allowed?: ReadonlySet<string>,
  ): Readonly<Record<LocalCloudPayMethod, (params: unknown) => Promise<AnswerFields>>> {
    // Like the platform: a function may call only the cloudPay APIs its config.json lists under permissions.openapi
    // ("cloudPay.refund", …); anything else is refused before it reaches WeChat (errCode -604101).
    const guard =
      (method: LocalCloudPayMethod, run: (p: unknown) => Promise<AnswerFields>) =>
      (p: unknown): Promise<AnswerFields> =>
        allowed === undefined || allowed.has(`cloudPay.${method}`)
          ? run(p)
          : Promise.reject(
              sdkReject(method, -604101, 'function has no permission to call this API (config.json openapi)'),
            );
    return Object.freeze({
      unifiedOrder: guard('unifiedOrder', (p) => this.unifiedOrder(p)),
      queryOrder: guard('queryOrder', (p) => this.queryOrder(p)),
      closeOrder: guard('closeOrder', (p) => this.closeOrder(p)),
      refund: guard('refund', (p) => this.refund(p)),
      queryRefund: guard('queryRefund', (p) => this.queryRefund(p)),
    });
  }

  /** How many times functions called each method since start (what "calls to WeChat" means on this channel). */
  calls(): Readonly<Record<LocalCloudPayMethod, number>> {
    const methods: LocalCloudPayMethod[] = [
      'unifiedOrder',
      'queryOrder',
      'closeOrder',
      'refund',
      'queryRefund',
    ];
    return Object.fromEntries(methods.map((m) => [m, this.callCounts.get(m) ?? 0])) as Record<
      LocalCloudPayMethod,
      number
    >;
  }

  /** Makes the next call of `method` meet `fault` (faults queue up per method and are used once each). */
  injectFault(method: LocalCloudPayMethod, fault: LocalCloudPayFault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  /**
   * The payer pays: NOTPAY → SUCCESS with a transaction id and time_end, then the callback function named at
   * unifiedOrder is invoked (awaited once; retried in the background on the schedule until it answers errcode 0).
   */
  async pay(outTradeNo: string): Promise<LocalPayment> {
    const paid = await this.exclusive(async () => {
      this.assertOpen();
      const rec = asOrder(await this.o.store.get(orderKey(outTradeNo)));
      if (!rec) throw new LocalCloudPayError('ORDERNOTEXIST', `no order ${outTradeNo} at the local cloudPay`);
      if (rec.state !== 'NOTPAY')
        throw new LocalCloudPayError('NOT_PAYABLE', `order ${outTradeNo} is ${rec.state}, not NOTPAY`);
      const now = this.o.now();
      if (rec.expiresAtMs !== null && now > rec.expiresAtMs)
        throw new LocalCloudPayError('ORDER_EXPIRED', `order ${outTradeNo} expired (time_expire passed)`);
      const next: OrderRec = {
        ...rec,
        state: 'SUCCESS',
        transactionId: `4200${beijingCompact(now).slice(0, 8)}${randomDigits(16)}`,
        timeEnd: beijingCompact(now),
      };
      await this.o.store.put(orderKey(outTradeNo), next);
      this.log(`pay ${outTradeNo}: ${next.totalFee} fen, transaction ${next.transactionId}`);
      return next;
    });
    await this.track(this.deliver(outTradeNo));
    const after = asOrder(await this.o.store.get(orderKey(outTradeNo))) ?? paid;
    return {
      outTradeNo,
      transactionId: paid.transactionId ?? '',
      timeEnd: paid.timeEnd ?? '',
      totalFee: paid.totalFee,
      callback: { ...after.callback },
    };
  }

  /**
   * What wx.requestPayment does with the parameters: checks the MD5 paySign (over appId, timeStamp, nonceStr, package,
   * signType) with the mini program's appid and that the prepay_id is current, then pays.
   */
  async requestPayment(params: {
    timeStamp: string;
    nonceStr: string;
    package: string;
    signType: string;
    paySign: string;
  }): Promise<LocalPayment> {
    const expected = md5Sign(
      {
        appId: this.o.identity.appid,
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
      },
      this.o.mchKey,
    );
    if (params.signType !== 'MD5' || params.paySign !== expected) {
      throw new LocalCloudPayError('SIGN_ERROR', 'requestPayment:fail 支付验证签名失败');
    }
    const prepayId = params.package.replace(/^prepay_id=/, '');
    const order = (await this.allOrders()).find((o) => o.prepayId === prepayId);
    if (!order || this.o.now() - order.prepayCreatedAtMs >= PREPAY_TTL_MS) {
      throw new LocalCloudPayError('PREPAY_EXPIRED', 'requestPayment:fail prepay_id 不存在或已过期');
    }
    return this.pay(order.outTradeNo);
  }

  /** Settles a refund now: SUCCESS by default, or REFUNDCLOSE / CHANGE (money could not go back). */
  settleRefund(outRefundNo: string, status: Exclude<RefundState, 'PROCESSING'> = 'SUCCESS'): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      const rec = asRefund(await this.o.store.get(refundKey(outRefundNo)));
      if (!rec)
        throw new LocalCloudPayError('REFUNDNOTEXIST', `no refund ${outRefundNo} at the local cloudPay`);
      if (rec.status !== 'PROCESSING')
        throw new LocalCloudPayError('REFUND_SETTLED', `refund ${outRefundNo} is ${rec.status} already`);
      const now = this.o.now();
      await this.o.store.put(refundKey(outRefundNo), {
        ...rec,
        status,
        successTime: status === 'SUCCESS' ? beijingSpaced(now) : null,
      });
    });
  }

  /** The order as the stand-in holds it, or undefined. */
  async order(outTradeNo: string): Promise<LocalOrderView | undefined> {
    const rec = asOrder(await this.o.store.get(orderKey(outTradeNo)));
    if (!rec) return undefined;
    const { outTradeNo: no, state, totalFee, prepayId, transactionId, timeEnd, functionName, callback } = rec;
    return {
      outTradeNo: no,
      state,
      totalFee,
      prepayId,
      transactionId,
      timeEnd,
      functionName,
      callback: { ...callback },
    };
  }

  /** Re-schedules callbacks of paid orders that were never acknowledged (after a restart of the local cloud). */
  async resumeDeliveries(): Promise<number> {
    this.assertOpen();
    let n = 0;
    for (const rec of await this.allOrders()) {
      const c = rec.callback;
      if (rec.transactionId !== null && !c.acknowledged && !c.gaveUp && !this.timers.has(rec.outTradeNo)) {
        this.later(rec.outTradeNo, 0);
        n++;
      }
    }
    return n;
  }

  /** Resolves when no callback delivery is running or scheduled. */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduled callback retries, waits for running ones; every later call rejects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
    await this.exclusive(() => undefined);
    this.wakeIdle();
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private log(line: string): void {
    this.o.log?.(`[devcloud cloudPay] ${line}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new LocalCloudPayError('CLOSED', 'the local cloudPay is closed');
  }

  // Every operation runs alone, so "read, decide, write" is atomic (a pay cannot interleave with a close).
  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(() => fn());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private api(
    method: LocalCloudPayMethod,
    params: unknown,
    handle: (p: Params, fault: LocalCloudPayFault | undefined) => Promise<AnswerFields>,
  ): Promise<AnswerFields> {
    const finish = (answer: AnswerFields): AnswerFields => {
      const errMsg = `cloudPay.${method}:ok`;
      // v2 signs only answers that passed the communication level; the nested payment object is never signed.
      if (answer.returnCode === 'FAIL') return { errCode: 0, errMsg, ...answer };
      const { payment: _payment, ...flat } = answer;
      return { ...answer, sign: md5Sign(flat, this.o.mchKey), errCode: answer.errCode ?? 0, errMsg };
    };
    this.callCounts.set(method, (this.callCounts.get(method) ?? 0) + 1);
    return this.exclusive(async () => {
      if (this.closed) throw sdkReject(method, -1, 'the local cloudPay is closed');
      if (!isRecord(params)) throw sdkReject(method, -1, 'invalid parameters: an object is required');
      const fault = this.faults.get(method)?.shift();
      if (fault?.kind === 'throw')
        throw sdkReject(method, fault.errCode ?? -501001, fault.errMsg ?? 'request failed (injected fault)');
      if (fault?.kind === 'system-error')
        return finish(this.resultFail('SYSTEMERROR', '系统繁忙，请稍后再试'));
      if (fault?.kind === 'return-fail') return finish(this.returnFail(fault.returnMsg));
      const answer = finish(await handle(params, fault));
      if (fault?.kind === 'lose-answer')
        throw sdkReject(method, -501001, 'the answer was lost (injected fault)');
      return answer;
    });
  }

  private success(): AnswerFields {
    const { appid, mchId, subMchId } = this.o.identity;
    return {
      returnCode: 'SUCCESS',
      returnMsg: 'OK',
      appid,
      mchId,
      subAppid: appid,
      subMchId,
      nonceStr: randomNonce(),
      resultCode: 'SUCCESS',
    };
  }

  private returnFail(returnMsg: string): AnswerFields {
    return { returnCode: 'FAIL', returnMsg };
  }

  private resultFail(code: string, des: string): AnswerFields {
    return { ...this.success(), resultCode: 'FAIL', errCode: code, errCodeDes: des };
  }

  private lacking(p: Params, fields: readonly string[]): AnswerFields | undefined {
    const missing = fields.find((f) => p[f] === undefined || p[f] === null || p[f] === '');
    return missing === undefined ? undefined : this.resultFail('LACK_PARAMS', `缺少参数 ${missing}`);
  }

  private binding(p: Params): AnswerFields | undefined {
    if (p.subMchId !== this.o.identity.subMchId) return this.returnFail('受理关系不存在');
    if (p.subAppid !== undefined && p.subAppid !== this.o.identity.appid)
      return this.returnFail('sub_mch_id与sub_appid不匹配');
    return undefined;
  }

  private async orderRef(p: Params): Promise<{ order: OrderRec } | { answer: AnswerFields }> {
    const lack = this.lacking(p, ['subMchId', 'nonceStr']);
    if (lack) return { answer: lack };
    if (p.outTradeNo === undefined && p.transactionId === undefined) {
      return { answer: this.resultFail('LACK_PARAMS', '缺少参数 out_trade_no 或 transaction_id') };
    }
    const bound = this.binding(p);
    if (bound) return { answer: bound };
    const order = await this.findOrder(p);
    return order ? { order } : { answer: this.resultFail('ORDERNOTEXIST', '此交易订单号不存在') };
  }

  private async findOrder(p: Params): Promise<OrderRec | undefined> {
    if (typeof p.transactionId === 'string' && p.transactionId !== '') {
      return (await this.allOrders()).find((o) => o.transactionId === p.transactionId);
    }
    return typeof p.outTradeNo === 'string'
      ? asOrder(await this.o.store.get(orderKey(p.outTradeNo)))
      : undefined;
  }

  private async allOrders(): Promise<OrderRec[]> {
    return (await this.o.store.list('order/')).flatMap(([, v]) => asOrder(v) ?? []);
  }

  private async allRefunds(): Promise<RefundRec[]> {
    return (await this.o.store.list('refund/')).flatMap(([, v]) => asRefund(v) ?? []);
  }

  private async refundsOf(outTradeNo: string): Promise<RefundRec[]> {
    return (await this.allRefunds())
      .filter((r) => r.outTradeNo === outTradeNo)
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  private async settleIfDue(r: RefundRec): Promise<RefundRec> {
    if (r.status !== 'PROCESSING' || this.o.now() - r.createdAtMs < this.refundSettleAfterMs) return r;
    const settled: RefundRec = {
      ...r,
      status: 'SUCCESS',
      successTime: beijingSpaced(r.createdAtMs + this.refundSettleAfterMs),
    };
    await this.o.store.put(refundKey(r.outRefundNo), settled);
    return settled;
  }

  private refundAnswer(r: RefundRec): AnswerFields {
    return {
      ...this.success(),
      transactionId: r.transactionId,
      outTradeNo: r.outTradeNo,
      outRefundNo: r.outRefundNo,
      refundId: r.refundId,
      refundFee: r.refundFee,
      settlementRefundFee: r.refundFee,
      totalFee: r.totalFee,
      cashFee: r.totalFee,
      cashRefundFee: r.refundFee,
    };
  }

  private paidFields(rec: OrderRec): AnswerFields {
    return {
      ...(rec.openid !== null ? { openid: rec.openid } : {}),
      ...(rec.subOpenid !== null ? { subOpenid: rec.subOpenid } : {}),
      isSubscribe: 'N',
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      totalFee: rec.totalFee,
      feeType: 'CNY',
      cashFee: rec.totalFee,
      transactionId: rec.transactionId,
      timeEnd: rec.timeEnd,
    };
  }

  private newPrepayId(now: number): string {
    return `wx${beijingCompact(now)}${randomBytes(10).toString('hex')}`;
  }

  private payment(prepayId: string, now: number): AnswerFields {
    const unsigned = {
      appId: this.o.identity.appid,
      timeStamp: String(Math.floor(now / 1000)),
      nonceStr: randomNonce(),
      package: `prepay_id=${prepayId}`,
      signType: 'MD5',
    };
    return { ...unsigned, paySign: md5Sign(unsigned, this.o.mchKey) };
  }

  // The event the callback function receives: v2's payment notification fields, camelCased (documented sample).
  private callbackEvent(rec: OrderRec): Record<string, unknown> {
    const { appid, mchId, subMchId } = this.o.identity;
    return {
      returnCode: 'SUCCESS',
      appid,
      mchId,
      subAppid: appid,
      subMchId,
      nonceStr: randomNonce(),
      resultCode: 'SUCCESS',
      ...(rec.subOpenid !== null ? { subOpenid: rec.subOpenid, subIsSubscribe: 'N' } : {}),
      ...(rec.openid !== null ? { openid: rec.openid } : {}),
      isSubscribe: 'N',
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      totalFee: rec.totalFee,
      feeType: 'CNY',
      cashFee: rec.totalFee,
      transactionId: rec.transactionId,
      outTradeNo: rec.outTradeNo,
      ...(rec.attach !== null ? { attach: rec.attach } : {}),
      timeEnd: rec.timeEnd,
    };
  }

  private track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    return p.finally(() => {
      this.inflight.delete(p);
      this.wakeIdle();
    });
  }

  private wakeIdle(): void {
    if (this.timers.size > 0 || this.inflight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private later(outTradeNo: string, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(outTradeNo);
      void this.track(this.deliver(outTradeNo));
    }, delayMs * this.timeScale);
    this.timers.set(outTradeNo, timer);
  }

  // One delivery attempt; schedules the next one unless acknowledged, closed, or the schedule is used up.
  private async deliver(outTradeNo: string): Promise<void> {
    if (this.closed) return;
    const rec = asOrder(await this.o.store.get(orderKey(outTradeNo)));
    if (!rec || rec.transactionId === null || rec.callback.acknowledged) return;
    let acknowledged = false;
    let lastError: string | null = null;
    try {
      const answer = await this.o.invokeFunction(rec.functionName, this.callbackEvent(rec));
      acknowledged = isRecord(answer) && answer.errcode === 0;
      if (!acknowledged) lastError = `answered ${JSON.stringify(answer)?.slice(0, 200) ?? String(answer)}`;
    } catch (e) {
      lastError = `invocation failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300);
    }
    const attempts = rec.callback.attempts + 1;
    const nextDelay = acknowledged ? undefined : this.schedule[attempts - 1];
    const callback: CallbackStatus = {
      attempts,
      acknowledged,
      gaveUp: !acknowledged && nextDelay === undefined,
      lastError,
    };
    await this.exclusive(async () => {
      const fresh = asOrder(await this.o.store.get(orderKey(outTradeNo)));
      if (fresh) await this.o.store.put(orderKey(outTradeNo), { ...fresh, callback });
    });
    this.log(
      `callback ${rec.functionName} for ${outTradeNo}: attempt ${attempts}, ${acknowledged ? 'acknowledged' : (lastError ?? 'not acknowledged')}`,
    );
    if (nextDelay !== undefined) this.later(outTradeNo, nextDelay);
  }
}

// The first field whose value breaks its rule, described for returnMsg (production only says "参数格式校验错误").
function formatProblem(
  p: Params,
  rules: Readonly<Record<string, (v: unknown) => boolean>>,
): string | undefined {
  for (const [field, ok] of Object.entries(rules)) {
    if (!ok(p[field])) return `${field} 格式错误`;
  }
  return undefined;
}

/** One invocation's outcome as the local cloud's runtime reports it (structurally; devcloud/gateway/runtime.ts). */
export type InvocationOutcomeLike =
  { ok: true; result: unknown } | { ok: false; failure: { code?: string; message?: string } };

/** Adapts an invoke that answers outcomes (the gateway's) to {@link InvokeFunction}: a failed invocation rejects. */
export function invokeFunctionFromOutcomes(
  invoke: (name: string, event: Record<string, unknown>) => Promise<InvocationOutcomeLike>,
): InvokeFunction {
  return async (name, event) => {
    const outcome = await invoke(name, event);
    if (outcome.ok) return outcome.result;
    throw new Error(
      `function ${name} failed: ${outcome.failure.code ?? 'ERROR'} ${outcome.failure.message ?? ''}`.trim(),
    );
  };
}

/** Builds the local cloudPay stand-in (see the header comment); `close()` it when done. */
export function createLocalCloudPay(options: LocalCloudPayOptions): LocalCloudPay {
  return new LocalCloudPay(options);
}
