// WeChat's 发货信息管理 (order shipping / trade management) as the core needs it (docs/adr/0009). Adapters: the cloud
// call `wxa.sec.order.*` through wx-server-sdk's openapi, and the local cloud's emulation of the same calls with
// WeChat's rules and error codes. The request is WeChat's own shape (snake_case), so the adapter passes it through.

/** Which payment an upload or query is about: by transaction id (2) or by merchant id + out_trade_no (1). */
export type TradeOrderKey =
  | { order_number_type: 2; transaction_id: string }
  | { order_number_type: 1; mchid: string; out_trade_no: string };

/** One entry of `shipping_list`. */
export interface ShippingListEntry {
  /** Express only. */
  tracking_no?: string;
  /** Express only: a delivery id from WeChat's carrier list (e.g. "SF"). */
  express_company?: string;
  /** What is in it, ≤ 120 characters. */
  item_desc: string;
  /** Masked phone (all but the last 4 digits): required for SF Express. */
  contact?: { receiver_contact?: string; consignor_contact?: string };
}

/** The body of upload_shipping_info. */
export interface UploadShippingInfoRequest {
  order_key: TradeOrderKey;
  /** 1 express, 2 same-city, 3 virtual goods, 4 self-pickup. */
  logistics_type: 1 | 2 | 3 | 4;
  /** 1 unified (one entry), 2 split (express only, ≤ 15 entries). */
  delivery_mode: 1 | 2;
  /** Split mode only. */
  is_all_delivered?: boolean;
  shipping_list: ShippingListEntry[];
  /** RFC 3339, later than any earlier upload for the same payment. */
  upload_time: string;
  payer: { openid: string };
}

/**
 * get_order's order_state: 1 awaiting shipment, 2 shipped, 3 confirmed by the buyer, 4 settled, 5 refunded,
 * 6 funds awaiting settlement (confirmed).
 */
export type TradeOrderState = 1 | 2 | 3 | 4 | 5 | 6;

/** What get_order answers that the core uses. */
export interface TradeOrderInfo {
  orderState: TradeOrderState;
  transactionId: string;
  /** How many times shipping was uploaded for this payment (the first and at most one change). */
  uploadCount: number;
  payerOpenid: string;
}

/** WeChat refused or failed a trade-management call: `errcode` is WeChat's (e.g. 10060001), or -1 for no answer. */
export class TradeManagementError extends Error {
  override readonly name = 'TradeManagementError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${errcode} ${errmsg}`);
  }
}

/** WeChat's codes the core decides on. */
export const TradeErrcodes = {
  /** No answer (network, timeout): try again later. */
  NO_ANSWER: -1,
  /** Order (payment) not found: usually minutes after a payment; retried. */
  ORDER_NOT_FOUND: 10060001,
  /** The one change of shipping is used up. */
  REUPLOAD_USED_UP: 10060003,
  /** The payment refuses shipping (already completed, refunded, settled). */
  NOT_SHIPPABLE: 10060004,
  /** The openid is not the payer's. */
  NOT_PAYER: 10060031,
} as const;

/** 发货信息管理 for one app. */
export interface TradeManagement {
  /** Whether 发货信息管理 is switched on for the app (`is_trade_managed`). */
  isTradeManaged(): Promise<boolean>;
  /** Records (or changes, once) the shipment of one payment. Throws TradeManagementError. */
  uploadShippingInfo(request: UploadShippingInfoRequest): Promise<void>;
  /** WeChat's record of one payment's shipping and settlement. Throws TradeManagementError. */
  getOrder(key: TradeOrderKey): Promise<TradeOrderInfo>;
}

// ---- Trade-management message push (the `tradeEvents` function) ------------------------------------------------------
// WeChat pushes these to the app's message-push receiver (a cloud function here). Event names and fields as WeChat's
// 发货信息管理 page lists them ("相关消息推送"); times are Unix seconds, 0 or absent while unknown. A push is a hint: the
// core re-checks with get_order before it believes a state change, and applies each event idempotently.

/** Which payment an event is about (get_order's flat key fields). */
export interface TradeEventPaymentRef {
  transactionId: string;
  /** The merchant that took the payment. */
  merchantId: string;
  /** Partner mode: the sub-merchant; '' otherwise. */
  subMerchantId: string;
  /** The shop's out_trade_no. */
  merchantTradeNo: string;
}

/**
 * `trade_manage_order_settlement`: pushed when the goods are confirmed (by the buyer or automatically) with the
 * expected settlement time, and again at settlement with `settlementTimeMs`.
 */
export interface TradeOrderSettlementEvent extends TradeEventPaymentRef {
  kind: 'order-settlement';
  payTimeMs: number | null;
  shippedTimeMs: number | null;
  estimatedSettlementTimeMs: number | null;
  /** 1 confirmed by the buyer, 2 confirmed automatically; null when the push carries none. */
  confirmReceiveMethod: 1 | 2 | null;
  confirmReceiveTimeMs: number | null;
  settlementTimeMs: number | null;
  /** CreateTime of the push. */
  pushedAtMs: number;
}

/** `trade_manage_remind_shipping`: a paid order has not been shipped in time (WeChat reminds after ~48 h). */
export interface TradeRemindShippingEvent extends TradeEventPaymentRef {
  kind: 'remind-shipping';
  payTimeMs: number | null;
  msg: string;
  pushedAtMs: number;
}

/** `trade_manage_remind_access_api`: WeChat reminds the app to integrate the shipping API. */
export interface TradeRemindAccessApiEvent {
  kind: 'remind-access-api';
  msg: string;
  pushedAtMs: number;
}

export type TradeEvent = TradeOrderSettlementEvent | TradeRemindShippingEvent | TradeRemindAccessApiEvent;

/** Where `tradeEvents` hands a validated push (the fulfilment core implements it). Throwing makes the push fail. */
export interface TradeEventSink {
  onOrderSettlement(event: TradeOrderSettlementEvent): Promise<void>;
  onRemindShipping(event: TradeRemindShippingEvent): Promise<void>;
  onRemindAccessApi(event: TradeRemindAccessApiEvent): Promise<void>;
}
