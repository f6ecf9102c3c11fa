import { DomainError, ErrorCodes } from './errors';
import type { Fen } from './money';
import { ZERO_FEN, addFen, fen, subtractFen } from './money';
import type { OrderEvent, RefundStatus } from './order-state';

/** What refund-policy needs to know of one refund of an order: its amount in fen and its status. */
export interface RefundRecord {
  readonly amountFen: Fen;
  readonly status: RefundStatus;
}

/** WeChat accepts refunds up to one year after payment; 365 days, in milliseconds. */
export const REFUND_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Statuses whose amount is spoken for. ABNORMAL counts too: an abnormal refund is retried (same out_refund_no,
 * same amount), not replaced, so a new refund for the same money would pay the shopper twice.
 */
const RESERVING: ReadonlySet<RefundStatus> = new Set<RefundStatus>(['PROCESSING', 'SUCCESS', 'ABNORMAL']);

/** Sum of refunds with a reserving status (PROCESSING, SUCCESS, ABNORMAL), in fen. */
export function reservedRefundFen(refunds: readonly RefundRecord[]): Fen {
  return refunds.reduce(
    (sum, r) => (RESERVING.has(r.status) ? addFen(sum, fen(r.amountFen)) : sum),
    ZERO_FEN,
  );
}

/** Sum of refunds WeChat reported SUCCESS, in fen: money that is back with the shopper. */
export function refundedFen(refunds: readonly RefundRecord[]): Fen {
  return refunds.reduce((sum, r) => (r.status === 'SUCCESS' ? addFen(sum, fen(r.amountFen)) : sum), ZERO_FEN);
}

/**
 * What may still be refunded, in fen: paid − reserved (PROCESSING + SUCCESS + ABNORMAL). Throws
 * REFUND.LEDGER_INCONSISTENT when the records already reserve more than was paid (corrupt data: stop, don't guess).
 */
export function refundableFen(paidFen: Fen, refunds: readonly RefundRecord[]): Fen {
  const paid = fen(paidFen);
  const reserved = reservedRefundFen(refunds);
  if (reserved > paid) {
    throw new DomainError(
      ErrorCodes.REFUND_LEDGER_INCONSISTENT,
      `refunds reserve ${reserved} fen but only ${paid} fen was paid`,
      { paidFen: paid, reservedFen: reserved },
    );
  }
  return subtractFen(paid, reserved);
}

/** Options for assertRefundAmount. `fullOnly`: the amount must be everything refundable (PAID_AFTER_CLOSE). */
export interface RefundAmountOptions {
  readonly fullOnly?: boolean;
}

/**
 * Validates a new refund's amount (fen) against the order: an integer >= 1 (REFUND.AMOUNT_INVALID), at most the
 * refundable amount (REFUND.EXCEEDS_REFUNDABLE, details: requestedFen, refundableFen), exactly it with fullOnly
 * (REFUND.AMOUNT_INVALID). Returns the amount as Fen.
 */
export function assertRefundAmount(
  paidFen: Fen,
  refunds: readonly RefundRecord[],
  requestedFen: number,
  options: RefundAmountOptions = {},
): Fen {
  if (typeof requestedFen !== 'number' || !Number.isSafeInteger(requestedFen) || requestedFen < 1) {
    throw new DomainError(
      ErrorCodes.REFUND_AMOUNT_INVALID,
      'a refund must be a whole number of fen, at least 1',
      {
        requestedFen: typeof requestedFen === 'number' ? requestedFen : String(requestedFen),
      },
    );
  }
  const refundable = refundableFen(paidFen, refunds);
  if (requestedFen > refundable) {
    throw new DomainError(
      ErrorCodes.REFUND_EXCEEDS_REFUNDABLE,
      `cannot refund ${requestedFen} fen: only ${refundable} fen is refundable`,
      { requestedFen, refundableFen: refundable },
    );
  }
  if (options.fullOnly === true && requestedFen !== refundable) {
    throw new DomainError(
      ErrorCodes.REFUND_AMOUNT_INVALID,
      `this order must be refunded in full: ${refundable} fen, not ${requestedFen}`,
      { requestedFen, refundableFen: refundable },
    );
  }
  return fen(requestedFen);
}

/**
 * Throws REFUND.WINDOW_EXPIRED when `nowMs` is more than REFUND_WINDOW_MS after `paidAtMs` (both epoch ms;
 * TIME.INVALID when not finite).
 */
export function assertWithinRefundWindow(paidAtMs: number, nowMs: number): void {
  if (!Number.isFinite(paidAtMs) || !Number.isFinite(nowMs)) {
    throw new DomainError(
      ErrorCodes.TIME_INVALID,
      'the refund window needs finite payment and current times (epoch ms)',
    );
  }
  if (nowMs - paidAtMs > REFUND_WINDOW_MS) {
    throw new DomainError(
      ErrorCodes.REFUND_WINDOW_EXPIRED,
      'WeChat Pay refunds only within one year of payment',
      {
        paidAtMs,
      },
    );
  }
}

/**
 * The order event after a refund changed status, from all of the order's refunds in creation order (the changed
 * one included, already updated). null = no order transition (others still PROCESSING, or no refunds). Else:
 * everything paid returned → REFUND_SUCCEEDED_FULL; an ABNORMAL refund, or the newest refund CLOSED (a closed
 * refund is answered by requesting a newer one) → REFUND_FAILED; some money returned → REFUND_SUCCEEDED_PARTIAL.
 */
export function orderEventForRefunds(paidFen: Fen, refunds: readonly RefundRecord[]): OrderEvent | null {
  if (refunds.length === 0) return null;
  if (refundedFen(refunds) === fen(paidFen)) return 'REFUND_SUCCEEDED_FULL';
  if (refunds.some((r) => r.status === 'PROCESSING')) return null;
  const newest = refunds[refunds.length - 1];
  if (refunds.some((r) => r.status === 'ABNORMAL') || newest?.status === 'CLOSED') return 'REFUND_FAILED';
  return refundedFen(refunds) > 0 ? 'REFUND_SUCCEEDED_PARTIAL' : 'REFUND_FAILED';
}
