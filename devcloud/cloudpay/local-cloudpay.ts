// The local stand-in for `cloud.cloudPay`: WeChat Pay API v2 semantics behind the same camelCase JSON surface, with a
// durable store, a payer ("pay"), and the payment callback that invokes a cloud function until it answers errcode 0.
// It is an oracle for the adapter in server/adapters/payment/cloudpay and shares no code with it. Dev-only: nothing
// in server/ or cloudfunctions/ may import it (layer rules), and it is never bundled.
//
// Answers: { errCode: 0, errMsg: "cloudPay.<method>:ok", returnCode, returnMsg, … } like the SDK. A refused request
// has returnCode FAIL (binding, format); a business failure has resultCode FAIL with the v2 code in errCode (the SDK
// field name) and its description in errCodeDes. A broken call (not an object) rejects like the SDK does.
//
// This file is the façade: the fault injection and the SDK envelope around the ledger (ledger.ts: orders, refunds and
// the five methods), the v2 wire format (v2-wire.ts) and callback delivery (callbacks.ts).
import { CallbackDelivery } from './callbacks';
import { withPermission } from '../sdk/cloud-call';
import { CloudPayLedger, type OrderRec, type RefundState } from './ledger';
import {
  LocalCloudPayError,
  V2_NOTIFY_RETRY_SCHEDULE_MS,
  type InvokeFunction,
  type LocalCloudPayFault,
  type LocalCloudPayMethod,
  type LocalCloudPayOptions,
  type LocalOrderView,
  type LocalPaidOrder,
  type LocalPayment,
} from './types';
import {
  beijingCompact,
  beijingSpaced,
  isRecord,
  parseCompact,
  randomDigits,
  sdkReject,
  V2Answers,
  type AnswerFields,
  type Params,
} from './v2-wire';

export type {
  CallbackStatus,
  InvokeFunction,
  LocalCloudPayFault,
  LocalCloudPayIdentity,
  LocalCloudPayMethod,
  LocalCloudPayOptions,
  LocalOrderView,
  LocalPaidOrder,
  LocalPayment,
} from './types';
export { LocalCloudPayError, V2_NOTIFY_RETRY_SCHEDULE_MS } from './types';
export { beijingCompact, beijingSpaced } from './v2-wire';

const METHODS: readonly LocalCloudPayMethod[] = [
  'unifiedOrder',
  'queryOrder',
  'closeOrder',
  'refund',
  'queryRefund',
];

/** The local cloudPay: the five cloudPay methods plus a control surface. Build it with {@link createLocalCloudPay}. */
export class LocalCloudPay {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly faults = new Map<LocalCloudPayMethod, LocalCloudPayFault[]>();
  private readonly callCounts = new Map<LocalCloudPayMethod, number>();
  private closed = false;
  private readonly answers: V2Answers;
  private readonly ledger: CloudPayLedger;
  private readonly callbacks: CallbackDelivery;

  constructor(private readonly o: LocalCloudPayOptions) {
    if (typeof o.mchKey !== 'string' || o.mchKey.length < 8)
      throw new Error('LocalCloudPay: mchKey must be a string of at least 8 characters');
    for (const [k, v] of Object.entries(o.identity)) {
      if (typeof v !== 'string' || v === '')
        throw new Error(`LocalCloudPay: identity.${k} must be a non-empty string`);
    }
    const timeScale = o.timeScale ?? 1;
    if (!(timeScale >= 0) || !Number.isFinite(timeScale))
      throw new Error('LocalCloudPay: timeScale must be a finite number ≥ 0');
    const log = (line: string): void => this.log(line);
    this.answers = new V2Answers(o.identity, o.mchKey);
    this.ledger = new CloudPayLedger({
      store: o.store,
      now: o.now,
      answers: this.answers,
      refundSettleAfterMs: o.refundSettleAfterMs ?? 60_000,
      closeGuardMs: o.closeGuardMs ?? 5 * 60_000,
      log,
    });
    this.callbacks = new CallbackDelivery({
      ledger: this.ledger,
      answers: this.answers,
      invokeFunction: o.invokeFunction,
      schedule: o.retryScheduleMs ?? V2_NOTIFY_RETRY_SCHEDULE_MS,
      timeScale,
      exclusive: (fn) => this.exclusive(fn),
      log,
    });
  }

  // ---- the cloudPay surface --------------------------------------------------------------------------------------

  /** v2 unifiedOrder (JSAPI): creates the order or, for the same parameters, answers its prepay again. */
  unifiedOrder(params: unknown): Promise<AnswerFields> {
    return this.api('unifiedOrder', params, (p) => this.ledger.unifiedOrder(p));
  }

  /** v2 orderquery: the payment fields only for paid orders (SUCCESS, REFUND), as v2 documents. */
  queryOrder(params: unknown): Promise<AnswerFields> {
    return this.api('queryOrder', params, (p) => this.ledger.queryOrder(p));
  }

  /** v2 closeorder: ORDERPAID for a paid order, ORDERCLOSED when closed already, SYSTEMERROR inside the close guard. */
  closeOrder(params: unknown): Promise<AnswerFields> {
    return this.api('closeOrder', params, (p) => this.ledger.closeOrder(p));
  }

  /** v2 refund: accepts (PROCESSING); the same outRefundNo with the same amounts answers the same refund again. */
  refund(params: unknown): Promise<AnswerFields> {
    return this.api('refund', params, (p) => this.ledger.refund(p));
  }

  /** v2 refundquery in production's list form (outRefundNoList, refundStatusList, …); by refund or by order. */
  queryRefund(params: unknown): Promise<AnswerFields> {
    return this.api('queryRefund', params, (p, fault) =>
      this.ledger.queryRefund(p, fault?.kind === 'empty-refund-lists'),
    );
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
    const guard = (method: LocalCloudPayMethod, run: (p: unknown) => Promise<AnswerFields>) =>
      withPermission(allowed, `cloudPay.${method}`, `cloudPay.${method}`, run);
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
    return Object.fromEntries(METHODS.map((m) => [m, this.callCounts.get(m) ?? 0])) as Record<
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
      const rec = await this.ledger.order(outTradeNo);
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
      await this.ledger.putOrder(next);
      this.log(`pay ${outTradeNo}: ${next.totalFee} fen, transaction ${next.transactionId}`);
      return next;
    });
    await this.callbacks.deliverNow(outTradeNo);
    const after = (await this.ledger.order(outTradeNo)) ?? paid;
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
    if (!this.answers.paySignMatches(params)) {
      throw new LocalCloudPayError('SIGN_ERROR', 'requestPayment:fail 支付验证签名失败');
    }
    const prepayId = params.package.replace(/^prepay_id=/, '');
    const order = (await this.ledger.allOrders()).find((o) => o.prepayId === prepayId);
    if (!order || !this.ledger.prepayCurrent(order)) {
      throw new LocalCloudPayError('PREPAY_EXPIRED', 'requestPayment:fail prepay_id 不存在或已过期');
    }
    return this.pay(order.outTradeNo);
  }

  /** Settles a refund now: SUCCESS by default, or REFUNDCLOSE / CHANGE (money could not go back). */
  settleRefund(outRefundNo: string, status: Exclude<RefundState, 'PROCESSING'> = 'SUCCESS'): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      const rec = await this.ledger.refundRec(outRefundNo);
      if (!rec)
        throw new LocalCloudPayError('REFUNDNOTEXIST', `no refund ${outRefundNo} at the local cloudPay`);
      if (rec.status !== 'PROCESSING')
        throw new LocalCloudPayError('REFUND_SETTLED', `refund ${outRefundNo} is ${rec.status} already`);
      const now = this.o.now();
      await this.ledger.putRefund({
        ...rec,
        status,
        successTime: status === 'SUCCESS' ? beijingSpaced(now) : null,
      });
    });
  }

  /** The order as the stand-in holds it, or undefined. */
  async order(outTradeNo: string): Promise<LocalOrderView | undefined> {
    const rec = await this.ledger.order(outTradeNo);
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

  /** Paid orders (SUCCESS or REFUND) with their payer and refunds so far: what the local 发货信息管理 knows of them. */
  paidOrders(): Promise<LocalPaidOrder[]> {
    return this.exclusive(async () => {
      const out: LocalPaidOrder[] = [];
      for (const o of await this.ledger.allOrders()) {
        if ((o.state !== 'SUCCESS' && o.state !== 'REFUND') || o.transactionId === null) continue;
        const refunds = await this.ledger.refundsNow(o.outTradeNo);
        out.push({
          outTradeNo: o.outTradeNo,
          transactionId: o.transactionId,
          payerOpenid: o.subOpenid ?? o.openid ?? '',
          subMchId: this.o.identity.subMchId,
          mchId: this.o.identity.mchId,
          totalFee: o.totalFee,
          refundedFee: refunds.filter((r) => r.status === 'SUCCESS').reduce((sum, r) => sum + r.refundFee, 0),
          body: o.body,
          createdAtMs: o.createdAtMs,
          paidAtMs: (o.timeEnd === null ? undefined : parseCompact(o.timeEnd)) ?? o.createdAtMs,
        });
      }
      return out;
    });
  }

  /** Re-schedules callbacks of paid orders that were never acknowledged (after a restart of the local cloud). */
  resumeDeliveries(): Promise<number> {
    this.assertOpen();
    return this.callbacks.resume();
  }

  /** Resolves when no callback delivery is running or scheduled. */
  idle(): Promise<void> {
    return this.callbacks.idle();
  }

  /** Stops scheduled callback retries, waits for running ones; every later call rejects. */
  async close(): Promise<void> {
    this.closed = true;
    await this.callbacks.close();
    await this.exclusive(() => undefined);
    this.callbacks.wakeIdle();
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
    const finish = (answer: AnswerFields): AnswerFields => this.answers.finish(method, answer);
    this.callCounts.set(method, (this.callCounts.get(method) ?? 0) + 1);
    return this.exclusive(async () => {
      if (this.closed) throw sdkReject(method, -1, 'the local cloudPay is closed');
      if (!isRecord(params)) throw sdkReject(method, -1, 'invalid parameters: an object is required');
      const fault = this.faults.get(method)?.shift();
      if (fault?.kind === 'throw')
        throw sdkReject(method, fault.errCode ?? -501001, fault.errMsg ?? 'request failed (injected fault)');
      if (fault?.kind === 'system-error')
        return finish(this.answers.resultFail('SYSTEMERROR', '系统繁忙，请稍后再试'));
      if (fault?.kind === 'return-fail') return finish(this.answers.returnFail(fault.returnMsg));
      const answer = finish(await handle(params, fault));
      if (fault?.kind === 'lose-answer')
        throw sdkReject(method, -501001, 'the answer was lost (injected fault)');
      return answer;
    });
  }
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
