// Requests and answers of the `order`, `pay` and `refund` cloud functions. Money is integer fen, times epoch ms.
import type { DeliveryKind, DeliveryView, FulfilmentView, PickupPointView } from './fulfilment';

/** Order states (server/domain/order-state.ts is the one transition table). */
export type OrderStatus =
  | 'AWAITING_PAYMENT'
  | 'PAID'
  | 'CLOSED_BY_USER'
  | 'CLOSED_BY_TIMEOUT'
  | 'PAID_AFTER_CLOSE'
  | 'REFUND_PROCESSING'
  | 'PARTIALLY_REFUNDED'
  | 'REFUNDED'
  | 'REFUND_FAILED';

/**
 * Which group of orders an order belongs to, for the shopper (the order list's tabs): `awaiting` payment, `paid` (a
 * sale), `closed` without money, `refund` (money arrived and is going or has gone back, in part or in full).
 */
export type OrderPhase = 'awaiting' | 'paid' | 'closed' | 'refund';

/** One order line as priced by the server when the order was placed. */
export interface OrderLineView {
  skuId: string;
  productId: string;
  title: string;
  spec: string;
  /**
   * The product's picture when the order was priced (kept with the order, like title and spec: a later catalog change
   * does not alter it); null when the product had none or the order predates kept pictures. Absent from older clients'
   * fixtures: treat like null.
   */
  imageUrl?: string | null;
  unitPriceFen: number;
  quantity: number;
  lineTotalFen: number;
}

/** An order as its owner sees it. */
export interface OrderView {
  outTradeNo: string;
  status: OrderStatus;
  lines: OrderLineView[];
  /** The goods' value. */
  totalFen: number;
  /** What WeChat Pay charges (1 fen for a tester order). */
  payableFen: number;
  isTestOrder: boolean;
  /** Paid through the demo provider: no real money moved. */
  simulated: boolean;
  createdAtMs: number;
  expiresAtMs: number;
  paidAtMs: number | null;
  refundedFen: number;
  /**
   * Part of refundedFen WeChat paid to the shop's bank card: the shop pays it to the shopper by hand (not yet
   * confirmed). 0 normally.
   */
  refundOwedOfflineFen: number;
  /** Derived by the server from `status`, so no page keeps its own list of statuses. */
  phase: OrderPhase;
  /** WeChat has had the shopper's money for this order at some point (paid, or paid and being / been refunded). */
  moneyArrived: boolean;
  /**
   * The order may still change without the shopper doing anything (payment window open, a refund under way or waiting
   * for staff): a page showing it keeps asking.
   */
  mayStillChange: boolean;
  /** The shopper may start (or resume) payment now. */
  canPay: boolean;
  /** The shopper may cancel now. */
  canCancel: boolean;
  /** The delivery chosen at checkout (null on orders placed before delivery was recorded: "no address recorded"). */
  delivery: DeliveryView | null;
  /** Where the goods are (derived on the server, so no page keeps a list of fulfilment states). */
  fulfilment: FulfilmentView;
  /**
   * The shopper may put the order's goods back in the cart (order.again): the order is closed or was paid. Never while
   * it awaits payment (that order is paid instead).
   */
  canBuyAgain: boolean;
  /**
   * The server's business clock when this view was made: a countdown to `expiresAtMs` counts from here (plus the time
   * elapsed on the phone since), never from the phone's own clock.
   */
  serverNowMs: number;
}

/** The exact parameters for wx.requestPayment. */
export interface RequestPaymentView {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA' | 'MD5';
  paySign: string;
}

/** Answer of pay.start. */
export interface StartPaymentView {
  outTradeNo: string;
  payableFen: number;
  /** Pass to wx.requestPayment; its result is only a hint: ask pay.sync (or order.get) for the truth. */
  requestPayment: RequestPaymentView;
  /** True with the demo provider: show the simulated cashier instead of wx.requestPayment. */
  simulated: boolean;
}

/** One line the confirm page showed: what it asks order.checkout to charge for (never a price). */
export interface CheckoutLineRequest {
  skuId: string;
  quantity: number;
}

/** What order.checkout would charge now: ORDER.PRICE_CHANGED's `details`, for the confirm page to show again. */
export interface CheckoutQuoteView {
  lines: OrderLineView[];
  totalFen: number;
  /** The tester amount for a tester. */
  payableFen: number;
  isTestOrder: boolean;
  /** The delivery kinds every selected line allows (pickup only when the shop has a pickup point). */
  deliveryKinds: DeliveryKind[];
  /** The shop's pickup point (null: pickup not offered). */
  pickupPoint: PickupPointView | null;
}

/** Answer of order.checkout: the order placed (or placed before, same key) and its payment parameters. */
export interface CheckoutView {
  order: OrderView;
  payment: StartPaymentView;
}

/** A refund as an admin sees it. */
export interface RefundView {
  outRefundNo: string;
  outTradeNo: string;
  amountFen: number;
  status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
  reason: string;
  createdAtMs: number;
  successTimeMs: number | null;
  /** WeChat accepted it (false: recorded here, to be sent again with the same out_refund_no and parameters). */
  submitted: boolean;
  /** Where WeChat says the money went (user_received_account), once reported. */
  receivedAccount: string | null;
  /** WeChat paid it to the merchant's own card and the shop has not confirmed paying the shopper by hand yet. */
  owedOffline: boolean;
  /** When staff confirmed the offline payout (null: not needed, or still owed). */
  offlinePaidAtMs: number | null;
  /** The follow-up ran out of patience (a person is told; WeChat is still asked, slowly). */
  followUpGaveUp: boolean;
}

/**
 * What kind of record needs a person (docs/API.md "Needs attention"):
 * - 'payment-for-unknown-order': a verified payment for an order this shop has no record of;
 * - 'refund-for-unknown-refund': a verified refund notification about a refund it never requested;
 * - 'refund-after-close': WeChat reports SUCCESS or ABNORMAL for a refund that was closed here (money moved that the
 *   shop had freed): applied when the order could still hold it, else left for a person (the note says which);
 * - 'refund-owed-offline': an ABNORMAL refund retried to the merchant's own bank card succeeded: the shop must pay the
 *   shopper by hand, and a person confirms the payout (refund.confirmOfflinePayout);
 * - 'refund-unsettled': a refund still not final after the follow-up's patience ran out (still asked, slowly);
 * - 'close-unconfirmed': an expired order WeChat could not be asked about or closed for a long time (still asked);
 * - 'shipping-upload-failed': WeChat's 发货信息管理 refused or kept failing an order's shipping upload: staff look and
 *   upload again (staff.retryUpload).
 * - 'message-refused': WeChat refused a subscription message for good (47003 a field, 41030 page, 40037 template,
 *   40003 openid) or it could not be formatted: the template setting or the page needs fixing (never retried).
 * - 'shipping-reminded': WeChat pushed trade_manage_remind_shipping for a paid order not shipped in time (its money
 *   stays frozen until shipping is uploaded); resolved by the order's successful upload.
 * - 'shipping-api-reminded': WeChat pushed trade_manage_remind_access_api (the shipping API is not being called).
 * - 'refund-request-unrefunded': a refund request staff approved whose refund the refund path then refused (another
 *   refund took the money or was still being processed): approve it again once the order allows, or settle by hand.
 */
export type AttentionKind =
  | 'payment-for-unknown-order'
  | 'refund-for-unknown-refund'
  | 'refund-after-close'
  | 'refund-owed-offline'
  | 'refund-unsettled'
  | 'close-unconfirmed'
  | 'shipping-upload-failed'
  | 'message-refused'
  | 'refund-request-unrefunded'
  | 'shipping-reminded'
  | 'shipping-api-reminded';

/** A "needs attention" record as staff see it (refund.listAttention). */
export interface AttentionView {
  id: string;
  kind: AttentionKind;
  outTradeNo: string;
  transactionId: string | null;
  outRefundNo: string | null;
  refundId: string | null;
  amountFen: number;
  /** WeChat's state as reported (trade_state, or the refund status). */
  wechatState: string;
  /** The notification that first told us (null when a query or a job did). */
  notificationId: string | null;
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  deliveries: number;
  note?: string;
  /** null/absent: still open. */
  resolvedAtMs?: number | null;
  resolvedBy?: string | null;
}

/** refund.retryAbnormal's fields: card fields only with USER_BANK_CARD. */
export type RetryAbnormalFields =
  | {
      outRefundNo: string;
      type: 'USER_BANK_CARD';
      bankType: string;
      bankAccount: string;
      realName: string;
    }
  | { outRefundNo: string; type: 'MERCHANT_BANK_CARD' };
