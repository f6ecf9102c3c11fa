// Refund requests (docs/adr/0011): what the shopper's order page and the staff review pages see. Money is integer fen,
// times epoch ms. Type-only.
import type { RefundView } from './order';
import type { StaffOrderView } from './staff';

/** The request's stored state (server/domain/refund-request-state.ts is the one transition table). */
export type RefundRequestState = 'PENDING' | 'AWAITING_RETURN' | 'APPROVED' | 'REJECTED' | 'WITHDRAWN';

/**
 * Where the request is, for the shopper: the stored state, with an APPROVED one told apart by its refund's outcome
 * (read from the order's refund ledger): REFUNDING (on its way), REFUNDED (WeChat says SUCCESS), REFUND_FAILED
 * (closed or abnormal at WeChat: the shop follows it up).
 */
export type RefundRequestProgress =
  'PENDING' | 'AWAITING_RETURN' | 'REFUNDING' | 'REFUNDED' | 'REFUND_FAILED' | 'REJECTED' | 'WITHDRAWN';

/** Refund (the goods have not left, or are virtual) or return-and-refund (the goods come back first). */
export type RefundRequestKind = 'refund' | 'return-refund';

/** A refund request as its shopper and the staff see it. */
export interface RefundRequestView {
  requestId: string;
  outTradeNo: string;
  kind: RefundRequestKind;
  amountFen: number;
  /** One of the shop's reasons (SHOP_REFUND_REASONS) as it read when asked. */
  reasonCode: string;
  /** The shopper's own words ('' = none). */
  reasonText: string;
  state: RefundRequestState;
  progress: RefundRequestProgress;
  /** Staff's reason for a rejection (shown to the shopper), else null. */
  rejectReason: string | null;
  /** The refund an approval made (null before). */
  outRefundNo: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  /** When staff approved, agreed to the return, or rejected (null while untouched). */
  decidedAtMs: number | null;
  /** The shopper may withdraw it now (PENDING or AWAITING_RETURN). */
  canWithdraw: boolean;
}

/** Why the shopper may not ask for a refund of this order now (order.refundRequestOptions). */
export type RefundRequestRefusal =
  | 'not-paid'
  | 'closed'
  | 'paid-after-close'
  | 'refund-in-progress'
  | 'refunded'
  | 'nothing-refundable'
  | 'window-closed'
  | 'already-open';

/** Answer of order.refundRequestOptions: the order's latest request and whether (and how) a new one may be made. */
export interface RefundRequestOptionsView {
  /** The order's latest request, whatever its state (null: never asked). */
  latest: RefundRequestView | null;
  canRequest: boolean;
  /** Why not (null when canRequest). */
  refusal: RefundRequestRefusal | null;
  /** The most a request may ask for now: paid − refunds already reserved (0 when nothing is). */
  maxFen: number;
  /** The shop's reasons, in order (the picker's list; the code is the text). */
  reasons: string[];
  /** What a request made now would be (null when none may be made). */
  kind: RefundRequestKind | null;
  /** When the window closes (null: open until the goods arrive, or no request possible). */
  windowEndsAtMs: number | null;
}

/** Answer of staff.getRefundRequest: the request, its order as staff see it, and the order's refunds so far. */
export interface StaffRefundRequestView {
  request: RefundRequestView;
  order: StaffOrderView;
  refunds: RefundView[];
}
