import type { Fen } from '../domain/money';
import type { RefundRequestKind, RefundRequestStateName } from '../domain/refund-request-state';

/** A refund request as stored in `refund_requests` (`_id` = requestId). Every change is a compare-and-set on version. */
export interface RefundRequestRecord {
  /** "RR" + Beijing time yyyyMMddHHmmssSSS + 10 random base62 characters. */
  requestId: string;
  outTradeNo: string;
  /** The order's payer, who alone may withdraw it. */
  openid: string;
  /** The shopper's idempotency key (a double tap makes one request). */
  requestKey: string;
  kind: RefundRequestKind;
  amountFen: Fen;
  reasonCode: string;
  reasonText: string;
  state: RefundRequestStateName;
  rejectReason: string | null;
  /** The refund the approval made (requested with key "rr:<requestId>"). */
  outRefundNo: string | null;
  /**
   * Why the refund path refused the approved request's refund (absent/null: it did not): the refundable amount or the
   * order's state changed between the approval's check and its refund — another refund took the money first. Cleared
   * when a later approval makes the refund.
   */
  refundRefusal?: { code: string; message: string; atMs: number } | null;
  /** The staff OPENID that approved, agreed to the return, received the goods or rejected. */
  decidedBy: string | null;
  decidedAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
  version: number;
}
