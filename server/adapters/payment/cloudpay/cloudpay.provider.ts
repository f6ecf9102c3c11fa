// The cloudPay provider: the PaymentProvider port over `cloud.cloudPay` (WeChat Pay API v2 through Cloud
// Development's private channel). Answers arrive through that channel, not over the internet, so they carry no
// signature we could check: their authenticity is the channel's. Notifications do not exist here: a successful payment
// invokes a cloud function instead (see ../../functions/paycallback.handlers.ts), which any client can call too.
import type {
  ClosePaymentResult,
  CreateH5PaymentInput,
  CreateJsapiPaymentInput,
  CreateNativePaymentInput,
  CreateRefundInput,
  FundFlowBill,
  H5Payment,
  JsapiPayment,
  NativePayment,
  PaymentNotificationEvent,
  PaymentProvider,
  PaymentQueryResult,
  PaymentState,
  PaymentTransaction,
  Refund,
  RefundQueryResult,
  RefundStatus,
  TradeBill,
} from '../../../application/ports/payment-provider.port';
import {
  NotificationRejectedError,
  ProviderError,
  ProviderErrorCodes,
} from '../../../application/ports/payment-provider.errors';
import { ZERO_FEN } from '../../../domain/money';
import {
  PAYMENT_STATES,
  charCount,
  checkFen,
  checkOpenid,
  checkOutRefundNo,
  checkOutTradeNo,
  invalid,
} from '../port-input';
import type { CloudPayApi } from './cloudpay.api';
import type { CloudPayConfig } from './cloudpay.config';
import type { Answer, CallKind } from './cloudpay.wire';
import {
  badAnswer,
  communicated,
  fenField,
  formatBeijingCompact,
  listField,
  parseBeijingCompact,
  parseBeijingSpaced,
  resultErrorCode,
  resultFailure,
  sdkFailure,
  str,
} from './cloudpay.wire';

/** The clock and nonce source the provider needs (injected so tests and the local stack control them). */
export interface CloudPayDeps {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** A fresh random nonce of 1–32 characters of [0-9A-Za-z] for every call. */
  nonce(): string;
}

const NONCE = /^[0-9A-Za-z]{1,32}$/;
// A prepay_id lives 2 hours (v2 and v3 alike).
const PREPAY_TTL_MS = 2 * 3600_000;
const MAX_EXPIRY_MS = 90 * 24 * 3600_000;
const KNOWN_PAYMENT_STATES: ReadonlySet<string> = new Set<PaymentState>(PAYMENT_STATES);
// v2 refund_status values → the port's statuses (CHANGE: the money could not go back to the payer's account).
const REFUND_STATUSES: Readonly<Record<string, RefundStatus>> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  REFUNDCLOSE: 'CLOSED',
  CHANGE: 'ABNORMAL',
};

function unsupported(operation: string, why: string): ProviderError {
  return new ProviderError(ProviderErrorCodes.UNSUPPORTED, `cloudPay cannot ${operation}: ${why}`, 'fatal', {
    operation,
  });
}

/** The PaymentProvider over cloudPay: JSAPI payments, query, close, refunds. Money in fen, times epoch ms. */
export class CloudPayProvider implements PaymentProvider {
  readonly id = 'cloudpay';

  constructor(
    private readonly api: CloudPayApi,
    private readonly config: CloudPayConfig,
    private readonly deps: CloudPayDeps,
  ) {}

  private nonce(): string {
    const n = this.deps.nonce();
    // A broken nonce source would make every call fail at WeChat with a confusing format error.
    if (!NONCE.test(n)) throw new Error('CloudPayDeps.nonce() must return 1–32 characters of [0-9A-Za-z]');
    return n;
  }

  // The nonce is drawn before the call, so a broken nonce source is not mistaken for a failed SDK call.
  private async call<T>(
    operation: string,
    kind: CallKind,
    send: (nonceStr: string) => Promise<T>,
  ): Promise<Answer> {
    const nonceStr = this.nonce();
    let raw: T;
    try {
      raw = await send(nonceStr);
    } catch (e) {
      throw sdkFailure(operation, kind, e);
    }
    return communicated(operation, kind, raw);
  }

  async createJsapiPayment(input: CreateJsapiPaymentInput): Promise<JsapiPayment> {
    const op = 'createJsapiPayment';
    const outTradeNo = checkOutTradeNo(op, input.outTradeNo);
    const totalFee = checkFen(op, 'payableFen', input.payableFen, 1);
    if (
      typeof input.description !== 'string' ||
      charCount(input.description) < 1 ||
      charCount(input.description) > 127
    ) {
      invalid(op, 'description must be a string of 1–127 characters');
    }
    checkOpenid(op, input.payerOpenid);
    // v2 attach is String(127): one shorter than v3's limit that the port states.
    if (input.attach !== undefined && (typeof input.attach !== 'string' || charCount(input.attach) > 127)) {
      invalid(op, 'attach must be a string of at most 127 characters for cloudPay (v2)');
    }
    const now = this.deps.nowMs();
    const expiresAtMs = input.expiresAtMs;
    if (typeof expiresAtMs !== 'number' || !Number.isSafeInteger(expiresAtMs)) {
      invalid(op, 'expiresAtMs must be an integer epoch-ms instant');
    }
    if (expiresAtMs <= now) invalid(op, 'expiresAtMs must be in the future');
    if (expiresAtMs > now + MAX_EXPIRY_MS) invalid(op, 'expiresAtMs must be within 90 days');

    const a = await this.call(op, 'write', (nonceStr) =>
      this.api.unifiedOrder({
        body: input.description,
        outTradeNo,
        spbillCreateIp: this.config.spbillCreateIp,
        subMchId: this.config.subMchId,
        totalFee,
        envId: this.config.envId,
        functionName: this.config.callbackFunctionName,
        nonceStr,
        tradeType: 'JSAPI',
        // v2: a sub_openid needs its sub_appid; the payer's openid is under the mini program's appid.
        subAppid: this.config.appid,
        subOpenid: input.payerOpenid,
        timeExpire: formatBeijingCompact(expiresAtMs),
        ...(input.attach !== undefined ? { attach: input.attach } : {}),
      }),
    );
    if (a.resultCode !== 'SUCCESS') throw resultFailure(op, a);
    const payment = a.payment;
    if (typeof payment !== 'object' || payment === null) throw badAnswer(op, 'write', 'payment is missing');
    const p = payment as Answer;
    const pkg = str(p, 'package');
    const timeStamp = str(p, 'timeStamp');
    const nonceStr = str(p, 'nonceStr');
    const paySign = str(p, 'paySign');
    if (pkg === undefined || !pkg.startsWith('prepay_id=') || pkg.length <= 'prepay_id='.length) {
      throw badAnswer(op, 'write', 'payment.package is not "prepay_id=…"');
    }
    if (timeStamp === undefined || !/^\d{1,12}$/.test(timeStamp))
      throw badAnswer(op, 'write', 'payment.timeStamp is not epoch seconds');
    if (nonceStr === undefined || paySign === undefined)
      throw badAnswer(op, 'write', 'payment.nonceStr or paySign is missing');
    if (p.signType !== 'MD5') throw badAnswer(op, 'write', 'payment.signType is not MD5');
    const appId = str(p, 'appId');
    // wx.requestPayment fails unless the prepay belongs to this mini program; better to say so here.
    if (appId !== undefined && appId !== this.config.appid) {
      throw badAnswer(op, 'write', 'payment.appId is not the configured mini program');
    }
    const prepayId = pkg.slice('prepay_id='.length);
    return {
      prepayId,
      // cloudPay does not say when a reused prepay_id was first issued: this is an upper bound.
      prepayExpiresAtMs: Math.min(now + PREPAY_TTL_MS, expiresAtMs),
      requestPayment: { timeStamp, nonceStr, package: pkg, signType: 'MD5', paySign },
    };
  }

  createNativePayment(_input: CreateNativePaymentInput): Promise<NativePayment> {
    return Promise.reject(unsupported('createNativePayment', 'it pays inside the mini program only (JSAPI)'));
  }

  createH5Payment(_input: CreateH5PaymentInput): Promise<H5Payment> {
    return Promise.reject(unsupported('createH5Payment', 'it pays inside the mini program only (JSAPI)'));
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    const op = 'queryPayment';
    const no = checkOutTradeNo(op, outTradeNo);
    const a = await this.call(op, 'read', (nonceStr) =>
      this.api.queryOrder({ subMchId: this.config.subMchId, outTradeNo: no, nonceStr }),
    );
    if (a.resultCode !== 'SUCCESS') {
      if (resultErrorCode(a) === 'ORDERNOTEXIST') return { kind: 'not-found', outTradeNo: no };
      throw resultFailure(op, a);
    }
    return { kind: 'found', transaction: this.toTransaction(op, no, a) };
  }

  private toTransaction(op: string, outTradeNo: string, a: Answer): PaymentTransaction {
    const state = a.tradeState;
    if (typeof state !== 'string' || !KNOWN_PAYMENT_STATES.has(state))
      throw badAnswer(op, 'read', 'tradeState is missing or unknown');
    const answeredNo = str(a, 'outTradeNo');
    if (answeredNo !== undefined && answeredNo !== outTradeNo)
      throw badAnswer(op, 'read', 'the answer is about another order');
    const paid = state === 'SUCCESS' || state === 'REFUND';
    const total = fenField(a, 'totalFee');
    const transactionId = str(a, 'transactionId');
    const successTimeMs = parseBeijingCompact(a.timeEnd);
    if (paid) {
      if (total === undefined || total < 1)
        throw badAnswer(op, 'read', 'a paid order without a valid totalFee');
      if (transactionId === undefined) throw badAnswer(op, 'read', 'a paid order without transactionId');
      if (successTimeMs === undefined) throw badAnswer(op, 'read', 'a paid order without a valid timeEnd');
    }
    const cash = fenField(a, 'cashFee');
    const subMchId = str(a, 'subMchId');
    const subAppid = str(a, 'subAppid');
    const payer = str(a, 'subOpenid') ?? str(a, 'openid');
    const attach = str(a, 'attach');
    const tradeType = str(a, 'tradeType');
    return {
      outTradeNo,
      state: state as PaymentState,
      ...(transactionId !== undefined ? { transactionId } : {}),
      // v2 reports no amounts for unpaid orders; the payment core ignores amounts of states that are not paid.
      chargedFen: total ?? ZERO_FEN,
      ...(paid && cash !== undefined ? { payerTotalFen: cash } : {}),
      ...(paid && successTimeMs !== undefined ? { successTimeMs } : {}),
      // Normalised to the shop's identity (see merchantIdentity): Cloud Development's own appid and mch_id are
      // WeChat's. A missing field stays missing so the payment core's identity check refuses the payment.
      appid: subAppid ?? str(a, 'appid') ?? '',
      mchid: subMchId ?? '',
      ...(subMchId !== undefined ? { subMchid: subMchId } : {}),
      ...(subAppid !== undefined ? { subAppid } : {}),
      ...(payer !== undefined ? { payerOpenid: payer } : {}),
      ...(attach !== undefined ? { attach } : {}),
      ...(tradeType !== undefined ? { tradeType } : {}),
    };
  }

  async closePayment(outTradeNo: string): Promise<ClosePaymentResult> {
    const op = 'closePayment';
    const no = checkOutTradeNo(op, outTradeNo);
    // Closing twice is harmless, so a close that may or may not have landed is simply repeated.
    const a = await this.call(op, 'idempotent-write', (nonceStr) =>
      this.api.closeOrder({ subMchId: this.config.subMchId, outTradeNo: no, nonceStr }),
    );
    if (a.resultCode === 'SUCCESS') return { outcome: 'closed' };
    const code = resultErrorCode(a);
    if (code === 'ORDERPAID') return { outcome: 'already-paid' };
    if (code === 'ORDERCLOSED') return { outcome: 'closed' };
    // An order WeChat never created cannot be paid either: that is all a close has to achieve.
    if (code === 'ORDERNOTEXIST') return { outcome: 'closed' };
    throw resultFailure(op, a);
  }

  /** No notify_url: the result comes back through the callback function (cloudPay) or at once (demo). */
  refundNotifyUrl(): null {
    return null;
  }

  async createRefund(input: CreateRefundInput): Promise<Refund> {
    const op = 'createRefund';
    const outTradeNo = checkOutTradeNo(op, input.outTradeNo);
    checkOutRefundNo(op, input.outRefundNo);
    const totalFee = checkFen(op, 'paidFen', input.paidFen, 1);
    const refundFee = checkFen(op, 'refundFen', input.refundFen, 1);
    if (refundFee > totalFee) invalid(op, 'refundFen must not exceed paidFen');
    if (input.reason !== undefined && (typeof input.reason !== 'string' || charCount(input.reason) > 80)) {
      invalid(op, 'reason must be a string of at most 80 characters');
    }
    const a = await this.call(op, 'write', (nonceStr) =>
      this.api.refund({
        subMchId: this.config.subMchId,
        nonceStr,
        outTradeNo,
        outRefundNo: input.outRefundNo,
        totalFee,
        refundFee,
        ...(input.reason !== undefined && input.reason !== '' ? { refundDesc: input.reason } : {}),
        envId: this.config.envId,
        functionName: this.config.callbackFunctionName,
      }),
    );
    if (a.resultCode !== 'SUCCESS') throw resultFailure(op, a);
    const refundId = str(a, 'refundId');
    if (refundId === undefined) throw badAnswer(op, 'write', 'refundId is missing');
    const answeredRefundNo = str(a, 'outRefundNo');
    if (answeredRefundNo !== undefined && answeredRefundNo !== input.outRefundNo) {
      throw badAnswer(op, 'write', 'the answer is about another refund');
    }
    const answeredFee = fenField(a, 'refundFee');
    // Same out_refund_no with another amount would be a different refund than the one we recorded.
    if (answeredFee !== undefined && answeredFee !== refundFee)
      throw badAnswer(op, 'write', 'refundFee differs from the request');
    const transactionId = str(a, 'transactionId');
    const cashRefund = fenField(a, 'cashRefundFee');
    return {
      outTradeNo,
      outRefundNo: input.outRefundNo,
      refundId,
      ...(transactionId !== undefined ? { transactionId } : {}),
      // v2 answers acceptance only: the outcome comes from queryRefund.
      status: 'PROCESSING',
      refundFen: refundFee,
      paidFen: totalFee,
      ...(cashRefund !== undefined ? { payerRefundFen: cashRefund } : {}),
      createTimeMs: this.deps.nowMs(),
    };
  }

  async queryRefund(outRefundNo: string): Promise<RefundQueryResult> {
    const op = 'queryRefund';
    checkOutRefundNo(op, outRefundNo);
    const a = await this.call(op, 'read', (nonceStr) =>
      this.api.queryRefund({ subMchId: this.config.subMchId, nonceStr, outRefundNo }),
    );
    if (a.resultCode !== 'SUCCESS') {
      if (resultErrorCode(a) === 'REFUNDNOTEXIST') return { kind: 'not-found', outRefundNo };
      throw resultFailure(op, a);
    }
    const numbers = listField(a, 'outRefundNoList');
    const i = numbers.indexOf(outRefundNo);
    if (i < 0) {
      // Production has been seen answering SUCCESS with every list empty; only a later query can tell the state.
      throw badAnswer(
        op,
        'read',
        'the answer lists no refund with this outRefundNo (empty lists: ask again later)',
      );
    }
    const at = (field: string): unknown => listField(a, field)[i];
    const statusRaw = at('refundStatusList');
    const status = typeof statusRaw === 'string' ? REFUND_STATUSES[statusRaw] : undefined;
    if (status === undefined)
      throw badAnswer(op, 'read', 'refundStatusList has no known status for this refund');
    const refundId = at('refundIdList');
    if (typeof refundId !== 'string' || refundId === '')
      throw badAnswer(op, 'read', 'refundIdList has no id for this refund');
    const fee = fenField({ v: at('refundFeeList') }, 'v');
    if (fee === undefined || fee < 1)
      throw badAnswer(op, 'read', 'refundFeeList has no valid amount for this refund');
    const total = fenField(a, 'totalFee');
    if (total === undefined || total < 1) throw badAnswer(op, 'read', 'totalFee is missing');
    const outTradeNo = str(a, 'outTradeNo');
    if (outTradeNo === undefined) throw badAnswer(op, 'read', 'outTradeNo is missing');
    const successTimeMs = parseBeijingSpaced(at('refundSuccessTimeList'));
    const transactionId = str(a, 'transactionId');
    return {
      kind: 'found',
      refund: {
        outTradeNo,
        outRefundNo,
        refundId,
        ...(transactionId !== undefined ? { transactionId } : {}),
        status,
        refundFen: fee,
        paidFen: total,
        ...(status === 'SUCCESS' && successTimeMs !== undefined ? { successTimeMs } : {}),
      },
    };
  }

  verifyNotification(): Promise<PaymentNotificationEvent> {
    return Promise.reject(
      new NotificationRejectedError(
        'MALFORMED',
        'cloudPay sends no HTTP notifications: payment results arrive at the callback cloud function',
      ),
    );
  }

  applyAbnormalRefund(): Promise<Refund> {
    return Promise.reject(
      unsupported(
        'applyAbnormalRefund',
        'the private channel has no abnormal-refund call: settle the refund by hand in the merchant platform',
      ),
    );
  }

  downloadTradeBill(): Promise<TradeBill> {
    return Promise.reject(
      unsupported('downloadTradeBill', 'bills are not fetched through cloudPay by this adapter'),
    );
  }

  downloadFundFlowBill(): Promise<FundFlowBill> {
    return Promise.reject(
      unsupported('downloadFundFlowBill', 'bills are not fetched through cloudPay by this adapter'),
    );
  }
}
