// The local cloudPay's public shapes: how it is built, the faults it can be given, and what its control surface reports.
import type { CloudPayStore } from './json-store';

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

/** A paid order as WeChat's other services see it (the local 发货信息管理 reads these). Money in fen, times epoch ms. */
export interface LocalPaidOrder {
  outTradeNo: string;
  transactionId: string;
  /** The payer: sub_openid (under the mini program) or openid. */
  payerOpenid: string;
  /** The shop's merchant (sub_mch_id) and Cloud Development's provider (mch_id). */
  subMchId: string;
  mchId: string;
  totalFee: number;
  /** Successful refunds so far. */
  refundedFee: number;
  body: string;
  createdAtMs: number;
  paidAtMs: number;
}
