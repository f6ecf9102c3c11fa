// The payment provider port: what the payment core needs from a payment service provider, and nothing else.
// Implemented by the WeChat Pay APIv3 adapter (direct and partner), a cloudPay adapter and a demo provider.
// Interfaces and types only; the error classes live in payment-provider.errors.ts. See docs/adr/0004.
import type { Fen } from '../../domain/money';

/** WeChat's trade_state values. NOTPAY is not final; REVOKED, USERPAYING and PAYERROR only occur for 付款码 payments. */
export type PaymentState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** A refund's state: PROCESSING is not final; SUCCESS, CLOSED and ABNORMAL are what WeChat settles on. */
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

/** Fields every "create a payment order" call takes. Money in fen, times epoch milliseconds. */
export interface CreatePaymentBase {
  /** Our order number: 6–32 of [0-9A-Za-z_-|*], unique per merchant; reusing it with the same fields is idempotent. */
  outTradeNo: string;
  /** Shown to the payer: 1–127 characters. */
  description: string;
  /**
   * What WeChat is to charge, at least 1 fen: the order's payableFen under the order's name (for a tester order 1 fen,
   * not the goods' totalFen).
   */
  payableFen: Fen;
  /** After this instant (epoch ms) the order can no longer be paid; must be in the future and within 90 days. */
  expiresAtMs: number;
  /** Echoed back in queries and notifications; at most 128 characters. */
  attach?: string;
}

/** Input of {@link PaymentOrders.createJsapiPayment}. */
export interface CreateJsapiPaymentInput extends CreatePaymentBase {
  /** The payer's openid under the mini program's appid (from getWXContext, never from the client). */
  payerOpenid: string;
}

/** Input of {@link PaymentOrders.createNativePayment}. */
export type CreateNativePaymentInput = CreatePaymentBase;

/** Input of {@link PaymentOrders.createH5Payment}. */
export interface CreateH5PaymentInput extends CreatePaymentBase {
  /** The payer's client IP address (IPv4 or IPv6) as the server saw it. */
  payerClientIp: string;
  /** The H5 scene type; 'Wap' when omitted. */
  h5Type?: 'Wap' | 'iOS' | 'Android';
}

/** Exactly the parameters wx.requestPayment takes (signType is not covered by paySign). */
export interface RequestPaymentParams {
  /** Epoch seconds as a decimal string. */
  timeStamp: string;
  nonceStr: string;
  /** "prepay_id=…". */
  package: string;
  /** 'RSA' for WeChat Pay APIv3; 'MD5' only for legacy cloudPay (API v2) payments. */
  signType: 'RSA' | 'MD5';
  /** APIv3: base64 SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n` with the order's appid. */
  paySign: string;
}

/** Result of {@link PaymentOrders.createJsapiPayment}. */
export interface JsapiPayment {
  prepayId: string;
  /** After this instant (epoch ms) requestPayment with this prepay_id can no longer succeed. */
  prepayExpiresAtMs: number;
  requestPayment: RequestPaymentParams;
}

/** Result of {@link PaymentOrders.createNativePayment}: the weixin:// URL to render as a QR code. */
export interface NativePayment {
  codeUrl: string;
}

/** Result of {@link PaymentOrders.createH5Payment}: the URL to send the payer's browser to. */
export interface H5Payment {
  h5Url: string;
}

/** A payment as the provider knows it: from a signed query answer or a verified notification. */
export interface PaymentTransaction {
  outTradeNo: string;
  state: PaymentState;
  /** The provider's transaction id; present once paid. */
  transactionId?: string;
  /**
   * What WeChat charges for the order (amount.total, 订单金额), in fen: what the payer is charged once the state is
   * SUCCESS. A payment matches our order only when it equals the order's payableFen; once applied it is stored as
   * the order's payment.paidFen.
   */
  chargedFen: Fen;
  /** What the payer actually paid in fen (total minus coupons); present once paid. */
  payerTotalFen?: Fen;
  /** When the payment succeeded (epoch ms). */
  successTimeMs?: number;
  /** The appid the order belongs to (partner mode: the service provider's sp_appid). */
  appid: string;
  /** The merchant the order belongs to (partner mode: the service provider's sp_mchid). */
  mchid: string;
  /** Partner mode: the sub-merchant that receives the money. */
  subMchid?: string;
  /** Partner mode: the sub-merchant's appid when the order was created with one. */
  subAppid?: string;
  /** The payer's openid under the appid used to pay, when the provider reports it. */
  payerOpenid?: string;
  attach?: string;
  /** JSAPI, NATIVE, MWEB, … as the provider reports it. */
  tradeType?: string;
}

/** Result of {@link PaymentOrders.queryPayment}: the provider's truth, or the order is unknown to it. */
export type PaymentQueryResult =
  { kind: 'found'; transaction: PaymentTransaction } | { kind: 'not-found'; outTradeNo: string };

/**
 * Result of {@link PaymentOrders.closePayment}. 'closed': the provider accepted the close (or it was already closed,
 * or it has no such order: nothing can be paid);
 * 'already-paid': the provider refuses the close the way it refuses paid orders — query it and apply the payment
 * (a query that still says NOTPAY means: close again later). Closing too soon after creating (WeChat: within 5
 * minutes) throws ProviderError with retryability 'retry'.
 */
export type ClosePaymentResult = { outcome: 'closed' } | { outcome: 'already-paid' };

/** Input of {@link PaymentRefunds.createRefund}. Money in fen. */
export interface CreateRefundInput {
  outTradeNo: string;
  /** Our refund number: 1–64 of [0-9A-Za-z_-|*@]; reusing it is idempotent. */
  outRefundNo: string;
  /** How much to give back: at least 1 fen and no more than paidFen. */
  refundFen: Fen;
  /**
   * The order's paid amount in fen (the payment's chargedFen, stored as payment.paidFen), sent as WeChat's
   * amount.total, which WeChat checks against the payment. Never the order's goods totalFen.
   */
  paidFen: Fen;
  /** Shown to the payer: at most 80 characters. */
  reason?: string;
  /**
   * The notify_url to send. Absent: the provider's configured one ({@link PaymentRefunds.refundNotifyUrl}). A
   * resubmission passes what the first send carried, so a deploy that changed the configured URL cannot make WeChat
   * refuse the same out_refund_no as "参数不一致".
   */
  notifyUrl?: string;
}

/**
 * Where a retried ABNORMAL refund goes: USER_BANK_CARD, the payer's bank card (bank type, card number and holder's
 * name needed); MERCHANT_BANK_CARD, the merchant's own card (the merchant then pays the shopper back offline).
 */
export type AbnormalRefundType = 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD';

/** Input of {@link PaymentRefunds.applyAbnormalRefund}. */
export interface ApplyAbnormalRefundInput {
  /** The provider's refund id of the ABNORMAL refund. */
  refundId: string;
  outRefundNo: string;
  type: AbnormalRefundType;
  /** USER_BANK_CARD only: the bank's code as WeChat names it, e.g. ICBC_DEBIT. */
  bankType?: string;
  /** USER_BANK_CARD only: the card number (sent encrypted, never logged). */
  bankAccount?: string;
  /** USER_BANK_CARD only: the card holder's name (sent encrypted, never logged). */
  realName?: string;
}

/** A refund as the provider knows it. Money in fen, times epoch ms. */
export interface Refund {
  outTradeNo: string;
  outRefundNo: string;
  refundId: string;
  transactionId?: string;
  status: RefundStatus;
  /** How much this refund gives back (amount.refund). */
  refundFen: Fen;
  /** The paid amount of the order it refunds (amount.total), as in {@link CreateRefundInput.paidFen}. */
  paidFen: Fen;
  /** What goes back to the payer (refund minus coupon share), when reported. */
  payerRefundFen?: Fen;
  successTimeMs?: number;
  createTimeMs?: number;
  /**
   * Where the money went (WeChat's user_received_account, e.g. "支付用户零钱", "招商银行信用卡0403", or
   * "商户银行卡（由商户线下退给用户）" after an abnormal refund retried to the merchant's card), when reported.
   */
  receivedAccount?: string;
}

/** Result of {@link PaymentRefunds.queryRefund}. */
export type RefundQueryResult =
  { kind: 'found'; refund: Refund } | { kind: 'not-found'; outRefundNo: string };

/** An incoming notification exactly as received: header names in any case, and the raw body bytes (never re-serialised). */
export interface IncomingNotification {
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Uint8Array;
}

/**
 * A verified notification, normalised. Returned only after every check passed (docs/adr/0005); an event that did not
 * originate from a flow we handle becomes 'unsupported' (acknowledge it, change nothing).
 */
export type PaymentNotificationEvent =
  | { kind: 'payment.succeeded'; notificationId: string; transaction: PaymentTransaction }
  | {
      kind: 'refund.succeeded' | 'refund.closed' | 'refund.abnormal';
      notificationId: string;
      refund: Refund;
    }
  | { kind: 'unsupported'; notificationId: string; eventType: string };

/** Which trade bill: every trade, successful payments only, or refunds only. */
export type TradeBillType = 'ALL' | 'SUCCESS' | 'REFUND';

/** Which fund account's flow bill. */
export type FundFlowAccountType = 'BASIC' | 'OPERATION' | 'FEES';

/** One line of a trade bill. Amounts in fen; `columns` keeps every field as printed (backtick removed). */
export interface TradeBillRow {
  /** "YYYY-MM-DD HH:mm:ss" in Beijing time, as printed. */
  tradeTime: string;
  appid: string;
  mchid: string;
  subMchid?: string;
  transactionId: string;
  outTradeNo: string;
  openid?: string;
  tradeType?: string;
  /** SUCCESS, REFUND, REVOKED, … as printed. */
  tradeState: string;
  /** 应结订单金额: order amount minus non-settled coupons. */
  settlementTotalFen: Fen;
  /** 订单金额. */
  orderTotalFen?: Fen;
  couponFen?: Fen;
  refundId?: string;
  outRefundNo?: string;
  /** 退款金额 (settlement refund amount); 0 on payment lines. */
  refundFen?: Fen;
  /** 申请退款金额. */
  requestedRefundFen?: Fen;
  /** 退款状态 as printed: the v3 words or the v2-era REFUNDCLOSE and CHANGE. */
  refundStatus?: string;
  /**
   * refundStatus in the port's words (REFUNDCLOSE → CLOSED, CHANGE → ABNORMAL): the refund's status on the day WeChat
   * accepted it, never updated. Absent when nothing is printed or the word is one this shop does not know.
   */
  refundSnapshot?: RefundStatus;
  /** 手续费: printed with up to 5 decimals of yuan, so it is kept as text rather than rounded into fen. */
  feeYuanText?: string;
  /** 费率, e.g. "0.60%". */
  rate?: string;
  attach?: string;
  goodsName?: string;
  columns: Readonly<Record<string, string>>;
}

/** The summary line of a trade bill. Amounts in fen except the fee (see {@link TradeBillRow.feeYuanText}). */
export interface TradeBillSummary {
  tradeCount: number;
  settlementTotalFen: Fen;
  refundTotalFen: Fen;
  orderTotalFen?: Fen;
  requestedRefundTotalFen?: Fen;
  feeTotalYuanText?: string;
  columns: Readonly<Record<string, string>>;
}

/** A downloaded, integrity-checked and parsed trade bill for one day (Beijing time). */
export interface TradeBill {
  billDate: string;
  type: TradeBillType;
  rows: TradeBillRow[];
  summary: TradeBillSummary;
  /** SHA1 of the file as the provider published it (hex, lower case). */
  sha1: string;
}

/** One line of a fund flow bill. Amounts in fen. */
export interface FundFlowBillRow {
  bookedAt: string;
  /** 微信支付业务单号: the transaction or refund id the movement belongs to. */
  businessId: string;
  fundFlowId: string;
  businessName: string;
  businessType: string;
  direction: 'income' | 'expense';
  amountFen: Fen;
  balanceFen: Fen;
  remark?: string;
  voucherNo?: string;
  columns: Readonly<Record<string, string>>;
}

/** The summary line of a fund flow bill. Amounts in fen. */
export interface FundFlowBillSummary {
  entryCount: number;
  incomeCount: number;
  incomeFen: Fen;
  expenseCount: number;
  expenseFen: Fen;
  columns: Readonly<Record<string, string>>;
}

/** A downloaded, integrity-checked and parsed fund flow bill for one day. */
export interface FundFlowBill {
  billDate: string;
  accountType: FundFlowAccountType;
  rows: FundFlowBillRow[];
  summary: FundFlowBillSummary;
  sha1: string;
}

/** Creating, querying and closing payment orders. Failures throw ProviderError (payment-provider.errors.ts). */
export interface PaymentOrders {
  /** Creates (or re-fetches, same outTradeNo + same fields) a mini program payment and signs wx.requestPayment's parameters. */
  createJsapiPayment(input: CreateJsapiPaymentInput): Promise<JsapiPayment>;
  /** Creates a QR-code payment. */
  createNativePayment(input: CreateNativePaymentInput): Promise<NativePayment>;
  /** Creates a mobile-browser payment. */
  createH5Payment(input: CreateH5PaymentInput): Promise<H5Payment>;
  /** Asks the provider for the truth about an order (a signed answer), or learns it does not know the order. */
  queryPayment(outTradeNo: string): Promise<PaymentQueryResult>;
  /** Closes an unpaid order so it can no longer be paid; a paid order is reported, not closed. */
  closePayment(outTradeNo: string): Promise<ClosePaymentResult>;
}

/** Refunds. Accepted is not done: a refund settles later (query or notification). */
export interface PaymentRefunds {
  /** The notify_url a refund sent now would carry (null: this provider sends none, e.g. cloudPay's callback function). */
  refundNotifyUrl(): string | null;
  /** Asks for a refund of part or all of a paid order; retrying with the same outRefundNo is idempotent. */
  createRefund(input: CreateRefundInput): Promise<Refund>;
  /** The refund's current state, or not-found. */
  queryRefund(outRefundNo: string): Promise<RefundQueryResult>;
  /**
   * Retries an ABNORMAL refund (WeChat: apply-abnormal-refund): answers the refund, PROCESSING again when accepted.
   * Providers without the operation throw ProviderError UNSUPPORTED.
   */
  applyAbnormalRefund(input: ApplyAbnormalRefundInput): Promise<Refund>;
}

/** Notifications (webhooks). */
export interface PaymentNotifications {
  /**
   * Verifies and decrypts a notification and returns the normalised event. Throws NotificationRejectedError (with a
   * reason code) unless every check passed; the caller must write nothing in that case.
   */
  verifyNotification(notification: IncomingNotification): Promise<PaymentNotificationEvent>;
}

/** Daily bills, for reconciliation. */
export interface PaymentBills {
  /** Downloads the trade bill of `billDate` ("YYYY-MM-DD", Beijing time), checks its hash and parses it (amounts in fen). */
  downloadTradeBill(billDate: string, type: TradeBillType): Promise<TradeBill>;
  /** Downloads the fund flow bill of `billDate`, checks its hash and parses it (amounts in fen). */
  downloadFundFlowBill(billDate: string, accountType: FundFlowAccountType): Promise<FundFlowBill>;
}

/**
 * A payment service provider. Every operation validates its input (ProviderError code INVALID_ARGUMENT, before any
 * request is sent) and answers in fen and epoch milliseconds. A provider that cannot do an operation throws
 * ProviderError code UNSUPPORTED.
 */
export interface PaymentProvider extends PaymentOrders, PaymentRefunds, PaymentNotifications, PaymentBills {
  /** A stable id for logs and the provider registry, e.g. "wechatpay-v3-direct". */
  readonly id: string;
}
