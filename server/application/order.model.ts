import type { DeliverySnapshot } from '../domain/delivery';
import type { FulfilmentStateName } from '../domain/fulfilment-state';
import type { Fen } from '../domain/money';
import type { OrderState, RefundStatus } from '../domain/order-state';
import type { PricedLine } from '../domain/pricing';
import type { JobState } from './job-queue';
import type { RequestPaymentParams } from './ports/payment-provider.port';
import type { OrderMessages } from './subscribe-messages';

/** The prepay created at the provider for an order, kept so a second "pay" tap reuses it while it is valid. */
export interface PrepayRecord {
  prepayId: string;
  /** After this instant (epoch ms) the prepay cannot be paid; a new one is made (same out_trade_no). */
  expiresAtMs: number;
  requestPayment: RequestPaymentParams;
  createdAtMs: number;
}

/**
 * The Native (QR) or H5 order created at the provider (docs/adr/0012): WeChat answers a URL instead of a prepay_id. Kept
 * in `OrderRecord.prepay` like a JSAPI prepay, so the close job, the sync job and every query know WeChat has an order.
 */
export interface PayUrlRecord {
  channel: 'native' | 'h5';
  /** code_url (weixin://wxpay/bizpayurl?pr=…, shown as a QR code) or h5_url (where the payer's browser goes). */
  payUrl: string;
  /** After this instant (epoch ms) the URL cannot be paid; creating again (same out_trade_no) answers a fresh one. */
  expiresAtMs: number;
  createdAtMs: number;
}

/** Which WeChat Pay product the order is paid through. Absent on a stored order: 'jsapi' (the mini program). */
export type OrderChannel = 'jsapi' | 'native' | 'h5';

/** The payment as WeChat reported it (verified notification or signed query answer). */
export interface PaymentRecord {
  transactionId: string;
  /** What WeChat says was charged for the order (amount.total), in fen; equals the order's payableFen. */
  paidFen: Fen;
  successTimeMs: number;
  /** Where the truth came from. */
  source: 'notification' | 'query' | 'cloudpay-callback' | 'demo';
  appliedAtMs: number;
}

/** Whether the provider-side order has been closed too (the local close may run ahead of it: 5-minute guard). */
export type ProviderCloseState = 'not-needed' | 'pending' | 'closed';

/**
 * An order as stored in the `orders` collection (`_id` = outTradeNo). Amounts in fen, times in epoch ms. Every
 * change is a compare-and-set on `version` (and usually `status`).
 */
export interface OrderRecord extends OrderMessages {
  outTradeNo: string;
  /**
   * The owner: the shopper's OPENID. A Native or H5 order has no shopper (docs/adr/0012): its owner is a channel key
   * (`native:<staff OPENID>`, `h5:web`) that no caller's OPENID can equal, so no shopper's order.get/listMine sees it.
   */
  openid: string;
  /** Absent: 'jsapi'. Native (counter QR) and H5 (web checkout) orders say so (docs/adr/0012). */
  channel?: OrderChannel;
  /** Native: the staff member (OPENID) who created the order at the counter. */
  createdBy?: string;
  /** H5: the payer's IP the order was created from (the platform's record): the web checkout's per-IP limit counts it. */
  payerClientIp?: string;
  /** The client's idempotency key for "place order" (a double tap makes one order). */
  clientRequestKey: string;
  status: OrderState;
  version: number;
  lines: PricedLine[];
  /** The goods' real value. */
  totalFen: Fen;
  /** What the provider charges: totalFen, or 1 fen for a tester order. */
  payableFen: Fen;
  isTestOrder: boolean;
  /**
   * The build the order was placed from, as subscribeMessage.send's miniprogramState (checkout's envVersion:
   * develop → developer, trial → trial, release → formal). Absent: not reported (messages open the release build).
   */
  placedFrom?: MiniprogramState;
  /** Paid through the demo provider: no real money moved. */
  simulated: boolean;
  providerId: string;
  description: string;
  createdAtMs: number;
  /** After this instant the order is no longer payable and the close job closes it. */
  expiresAtMs: number;
  updatedAtMs: number;
  /** JSAPI: the prepay; Native / H5: the pay URL (docs/adr/0012). Null until WeChat has the order. */
  prepay: PrepayRecord | PayUrlRecord | null;
  payment: PaymentRecord | null;
  /** Sum of refunds PROCESSING, SUCCESS or ABNORMAL: the compare-and-set guard that keeps refunds ≤ paid. */
  refundReservedFen: Fen;
  /** Sum of refunds WeChat reported SUCCESS. */
  refundedFen: Fen;
  /**
   * Part of refundedFen that WeChat paid to the merchant's own bank card (an ABNORMAL refund retried with
   * MERCHANT_BANK_CARD) and the shop has not yet confirmed paying the shopper by hand. Absent on older orders: 0.
   */
  refundOwedOfflineFen?: Fen;
  /**
   * The order's refunds as far as money is concerned, in the order they were reserved (docs/adr/0008): the three
   * amounts above and the refund part of `status` are computed from it, and it is written in the same write as they
   * are, so the order alone is the truth about refunded money. WeChat takes at most 50 refunds per payment. Absent on
   * orders whose refunds predate it: built from their refund documents and written with the order's next refund change.
   */
  refundLedger?: RefundLedgerEntry[];
  closedAtMs: number | null;
  providerClose: ProviderCloseState;
  /** Stock given back (exactly once) after a close. */
  stockReleased: boolean;
  /**
   * The close job's queue: due at expiry; after a local close whose WeChat close is still pending, due when WeChat's
   * 5-minute guard (counted from the prepay) has passed; settled once nothing is left to close (or the order is paid).
   */
  closeJob: JobState;
  /**
   * The reconcile job's "lost notification" queue: while AWAITING_PAYMENT, due a while after the prepay; settled at
   * expiry (the close job queries before it closes).
   */
  syncJob: JobState;
  /**
   * The delivery chosen at checkout, as it was then (docs/adr/0009). Absent or null on orders placed before delivery
   * was recorded (staff see "no address recorded").
   */
  delivery?: DeliverySnapshot | null;
  /**
   * Where the goods are (the fulfilment machine, server/domain/fulfilment-state.ts). Absent on orders stored before
   * it: read as NOT_PAID or AWAITING_SHIPMENT from the payment status (fulfilment-view.ts fulfilmentOf).
   */
  fulfilment?: FulfilmentRecord;
  /** WeChat's 发货信息管理 record of the shipment: a queue on the order (jobs/shipping-upload.job.ts). */
  shippingUpload?: ShippingUploadRecord;
  /** The completion job's queue: due at fulfilment.completeAtMs (jobs/complete.job.ts). */
  completeJob?: JobState;
  /**
   * The order's open refund request (docs/adr/0011), set by compare-and-set on `version` together with the request's
   * insert: at most one is open per order. Cleared when it closes; one that points to a closed request is not open.
   */
  openRefundRequestId?: string | null;
}

/** One parcel as shipped (expressCompany: a delivery id of SHOP_EXPRESS_COMPANIES). */
export interface ParcelRecord {
  expressCompany: string;
  /** The carrier's name as configured when shipped (shown to the shopper). */
  expressName: string;
  trackingNo: string;
}

/** The fulfilment part of an order. Times in epoch ms. */
export interface FulfilmentRecord {
  state: FulfilmentStateName;
  parcels: ParcelRecord[];
  shippedAtMs: number | null;
  /** Received (confirmed with WeChat) or picked up. */
  receivedAtMs: number | null;
  completedAtMs: number | null;
  /** When the completion job completes the order (set when the goods leave). */
  completeAtMs: number | null;
}

/** One successful upload to WeChat (at most 2: the first and one change). */
export interface ShippingUploadEntry {
  /** upload_time as sent (RFC 3339, Beijing time). */
  uploadTime: string;
  atMs: number;
  logisticsType: 1 | 2 | 3 | 4;
  parcels: ParcelRecord[];
}

/** The shipping upload's queue and history on the order. */
export interface ShippingUploadRecord {
  job: JobState;
  /** Successful uploads. */
  uploads: number;
  /** ≤ 2 entries, oldest first. */
  history: ShippingUploadEntry[];
  state: 'none' | 'queued' | 'uploaded' | 'failed' | 'not-managed' | 'not-applicable';
  lastError: string | null;
}

/**
 * One refund in its order's ledger (OrderRecord.refundLedger): what the order's money is computed from. The refund
 * document (`refunds`) holds the rest and follows the ledger: see RefundDoc.orderVersion.
 */
export interface RefundLedgerEntry {
  outRefundNo: string;
  amountFen: Fen;
  status: RefundStatus;
  /** SUCCESS paid to the merchant's card, and nobody has confirmed paying the shopper by hand yet. */
  owedOffline: boolean;
  /** Where the latest retry after ABNORMAL sent the money (null: never retried). */
  retriedTo: 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD' | null;
}

/**
 * Exactly what the first send of a refund carried. Every resubmission (same out_refund_no) repeats it, so WeChat can
 * never answer "退款单号已存在，且与原退款请求参数不一致" because a deploy changed the notify URL or how reasons are cut.
 */
export interface RefundSubmission {
  /** The reason as sent (already cut to WeChat's limit), or null when none was sent. */
  reason: string | null;
  /** The notify_url as sent, or null when the provider sends none (cloudPay, demo). */
  notifyUrl: string | null;
  /** amount.total as sent: the order's paid amount, in fen (the port's CreateRefundInput.paidFen; the stored name stays). */
  totalFen: Fen;
}

/**
 * Money WeChat refunded to the merchant's own bank card (apply-abnormal-refund with MERCHANT_BANK_CARD): WeChat's side
 * is done (SUCCESS), but the shopper has nothing until the shop pays them by hand and a person confirms it.
 */
export interface OfflinePayout {
  owedSinceMs: number;
  /** When staff confirmed paying the shopper (null: still owed). */
  paidAtMs: number | null;
  paidBy: string | null;
  /** What staff wrote when confirming (how it was paid), cut to 200 characters. */
  note: string | null;
}

/** A refund as stored in the `refunds` collection (`_id` = outRefundNo). */
export interface RefundDoc {
  outRefundNo: string;
  outTradeNo: string;
  /** Idempotency key "<outTradeNo>:<key>": the same request never makes a second refund. */
  requestKey: string;
  amountFen: Fen;
  status: RefundStatus;
  reason: string;
  /** Who asked: an admin OPENID, or "system:auto-refund" / "system:tester-refund". */
  requestedBy: string;
  refundId: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  successTimeMs: number | null;
  /** The provider accepted the refund request (false: it must be (re)submitted with the same outRefundNo). */
  submitted: boolean;
  /** Why the provider refused it, when it did (a CLOSED refund we never got through). */
  failure: string | null;
  /** When WeChat accepted the refund (its create_time; epoch ms): the day whose trade bill lists it. */
  acceptedAtMs?: number | null;
  /** How many times staff retried it after ABNORMAL (apply-abnormal-refund). */
  abnormalRetries?: number;
  /** The latest retry after ABNORMAL: where the money was sent and when (reports older than this are checked). */
  lastAbnormalRetry?: { type: 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD'; atMs: number } | null;
  /** What the first send carried (absent on refunds recorded before it was kept: rebuilt as those sends were). */
  sent?: RefundSubmission | null;
  /** Where WeChat says the money went (user_received_account), once reported. */
  receivedAccount?: string | null;
  /** Set when the money went to the merchant's card and the shop owes the shopper (see OfflinePayout). */
  offlinePayout?: OfflinePayout | null;
  /**
   * The order version whose ledger entry this document's status was last made level with (absent on documents older
   * than the ledger). The order is written first; a document left behind by a crash (orderVersion older than the
   * order's, status not the ledger's) is brought level by the next report about it, and never by an older one.
   */
  orderVersion?: number;
  version: number;
  /**
   * The reconcile job's follow-up queue (resubmit an unsubmitted refund, query an unsettled one): due a minute after
   * creation, backing off while WeChat has no outcome; settled when the refund is final.
   */
  followUp: JobState;
}

/** Which build a subscription message's card opens (subscribeMessage.send's miniprogramState). */
export type MiniprogramState = 'developer' | 'trial' | 'formal';
