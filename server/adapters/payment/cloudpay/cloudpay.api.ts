// The subset of wx-server-sdk's `cloud.cloudPay` this adapter calls: WeChat Pay API v2 behind Cloud Development's
// private channel, with camelCased v2 field names and JSON instead of XML. No certificates, no request signing: the
// channel authenticates the calling function's environment. Field names and types follow the cloudPay reference
// pages and the answers developers have posted (which differ from those pages: see README.md, "What is faithful").
// Answer types are optional everywhere because they describe what may arrive; the provider checks every field it uses.

/** Fields every cloudPay answer may carry. */
export interface CloudPayAnswerBase {
  /** The SDK's own status: 0 on a completed call; some answers reuse the name for v2's err_code (a string). */
  errCode?: number | string;
  /** The SDK's message, e.g. "cloudPay.queryOrder:ok". */
  errMsg?: string;
  /** "SUCCESS", or "FAIL": the request was refused before any business logic ran. */
  returnCode?: string;
  /** Why returnCode is FAIL, e.g. "受理关系不存在", "签名失败", "参数格式校验错误". */
  returnMsg?: string;
  /** "SUCCESS", or "FAIL" with the reason in errCode (v2 err_code) and errCodeDes. */
  resultCode?: string;
  /** v2's err_code_des: the reason of resultCode FAIL. */
  errCodeDes?: string;
  /** The service provider's appid (Cloud Development's); may equal subAppid. */
  appid?: string;
  /** The service provider's merchant number (Cloud Development's, not the shop's). */
  mchId?: string;
  /** The mini program the order belongs to. */
  subAppid?: string;
  /** The shop's merchant number: the one that receives the money. */
  subMchId?: string;
  nonceStr?: string;
  sign?: string;
}

/** Parameters of `cloudPay.unifiedOrder`. Money in fen (integers). */
export interface CloudPayUnifiedOrderParams {
  /** Shown to the payer (v2 body, at most 128). */
  body: string;
  outTradeNo: string;
  /** The IP of the machine calling WeChat Pay (IPv4 or IPv6). */
  spbillCreateIp: string;
  subMchId: string;
  /** The order total in fen, an integer ≥ 1. */
  totalFee: number;
  /** The environment of the function that receives the payment callback. */
  envId: string;
  /** The cloud function that receives the payment callback. */
  functionName: string;
  /** At most 32 characters. */
  nonceStr: string;
  tradeType: 'JSAPI';
  subAppid?: string;
  /** The payer's openid under subAppid (v2: sub_openid requires sub_appid). */
  subOpenid?: string;
  openid?: string;
  attach?: string;
  /** "yyyyMMddHHmmss", Beijing time. */
  timeExpire?: string;
  feeType?: 'CNY';
}

/** The wx.requestPayment parameters inside a unifiedOrder answer; paySign is MD5 (v2 rule, see README.md). */
export interface CloudPayPaymentParams {
  appId?: string;
  timeStamp?: string;
  nonceStr?: string;
  package?: string;
  /** "MD5" for cloudPay. */
  signType?: string;
  paySign?: string;
}

/** Answer of `cloudPay.unifiedOrder`. */
export interface CloudPayUnifiedOrderResult extends CloudPayAnswerBase {
  tradeType?: string;
  prepayId?: string;
  payment?: CloudPayPaymentParams;
}

/** Parameters of `cloudPay.queryOrder` and `cloudPay.closeOrder`. */
export interface CloudPayOrderRefParams {
  subMchId: string;
  outTradeNo: string;
  nonceStr: string;
}

/** Answer of `cloudPay.queryOrder`: v2 returns the payment fields only for paid orders. Money in fen. */
export interface CloudPayQueryOrderResult extends CloudPayAnswerBase {
  outTradeNo?: string;
  /** SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR. */
  tradeState?: string;
  tradeStateDesc?: string;
  transactionId?: string;
  totalFee?: number;
  /** What the payer paid (total minus coupons). */
  cashFee?: number;
  feeType?: string;
  /** "yyyyMMddHHmmss", Beijing time. */
  timeEnd?: string;
  openid?: string;
  subOpenid?: string;
  tradeType?: string;
  bankType?: string;
  attach?: string;
}

/** Answer of `cloudPay.closeOrder`. */
export type CloudPayCloseOrderResult = CloudPayAnswerBase;

/** Parameters of `cloudPay.refund`. Money in fen. */
export interface CloudPayRefundParams {
  subMchId: string;
  nonceStr: string;
  outTradeNo: string;
  outRefundNo: string;
  /** The order total in fen. */
  totalFee: number;
  /** How much to give back, in fen. */
  refundFee: number;
  /** At most 80 characters. */
  refundDesc?: string;
  /** The refund result callback: same environment and function as payments. */
  envId: string;
  functionName: string;
}

/** Answer of `cloudPay.refund`: acceptance only, the refund settles later. Money in fen. */
export interface CloudPayRefundResult extends CloudPayAnswerBase {
  transactionId?: string;
  outTradeNo?: string;
  outRefundNo?: string;
  refundId?: string;
  refundFee?: number;
  totalFee?: number;
  cashFee?: number;
  cashRefundFee?: number;
}

/** Parameters of `cloudPay.queryRefund` (by our refund number). */
export interface CloudPayQueryRefundParams {
  subMchId: string;
  nonceStr: string;
  outRefundNo: string;
}

/**
 * Answer of `cloudPay.queryRefund`. Production answers per-refund values as parallel lists (`outRefundNoList`, …),
 * not v2's `refund_status_$n` fields. Times "yyyy-MM-dd HH:mm:ss" Beijing; money in fen.
 */
export interface CloudPayQueryRefundResult extends CloudPayAnswerBase {
  transactionId?: string;
  outTradeNo?: string;
  totalFee?: number;
  cashFee?: number;
  refundCount?: number;
  outRefundNoList?: string[];
  refundIdList?: string[];
  refundFeeList?: number[];
  /** SUCCESS, PROCESSING, REFUNDCLOSE, CHANGE. */
  refundStatusList?: string[];
  refundSuccessTimeList?: string[];
}

/** The `cloud.cloudPay` methods the adapter uses; the real SDK in the cloud, devcloud's stand-in locally. */
export interface CloudPayApi {
  unifiedOrder(params: CloudPayUnifiedOrderParams): Promise<CloudPayUnifiedOrderResult>;
  queryOrder(params: CloudPayOrderRefParams): Promise<CloudPayQueryOrderResult>;
  closeOrder(params: CloudPayOrderRefParams): Promise<CloudPayCloseOrderResult>;
  refund(params: CloudPayRefundParams): Promise<CloudPayRefundResult>;
  queryRefund(params: CloudPayQueryRefundParams): Promise<CloudPayQueryRefundResult>;
}
