import { DomainError, ErrorCodes } from './errors';
import type { Fen } from './money';
import { ZERO_FEN, addFen } from './money';
import type { OrderState, RefundStatus } from './order-state';
import { hasReceivedPayment, isClosedUnpaid, isRefundStatusReachable } from './order-state';

/** One local order the bill period should account for (created or paid in it). */
export interface LocalOrderRecord {
  readonly outTradeNo: string;
  /** What we asked WeChat to charge, in fen (payableFen: 1 for a tester order, not the goods' total). */
  readonly payableFen: Fen;
  readonly state: OrderState;
  /** WeChat's transaction_id, once the payment is recorded. */
  readonly transactionId?: string;
}

/** One local refund the bill period should account for: one WeChat accepted that day, in whatever status it is now. */
export interface LocalRefundRecord {
  readonly outRefundNo: string;
  readonly outTradeNo: string;
  readonly amountFen: Fen;
  readonly status: RefundStatus;
}

/**
 * One row of a WeChat trade bill, read by the bill parser (which alone knows WeChat's bill words). Payment rows have
 * tradeState SUCCESS and chargedFen (订单金额); refund rows have tradeState REFUND, outRefundNo, refundFen (退款金额)
 * and the refund's status on its acceptance day as refundSnapshot.
 */
export interface BillRow {
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly tradeState: string;
  /** What WeChat charged for the order, in fen. */
  readonly chargedFen: Fen;
  readonly outRefundNo?: string;
  readonly refundFen?: Fen;
  /** The refund status as the bill printed it: only reported, never interpreted here. */
  readonly refundStatus?: string;
  /** refundStatus as a RefundStatus; absent when the bill printed none or a word the parser does not know. */
  readonly refundSnapshot?: RefundStatus;
}

/** What reconciliation compares. */
export interface ReconcileInput {
  readonly orders: readonly LocalOrderRecord[];
  readonly refunds?: readonly LocalRefundRecord[];
  readonly billRows: readonly BillRow[];
}

/** How local records and the bill disagree. */
export type DiscrepancyKind =
  /** WeChat has a payment or refund we have no record of. */
  | 'MISSING_HERE'
  /** We think money moved (paid), or WeChat accepted a refund that day, and the bill has no such row. */
  | 'MISSING_THERE'
  /** Both sides have it, with different amounts. */
  | 'AMOUNT_MISMATCH'
  /** Both sides have it, and disagree on what happened (e.g. closed here, paid at WeChat). */
  | 'STATUS_MISMATCH'
  /** We recorded a different transaction_id than the bill shows. */
  | 'TRANSACTION_ID_MISMATCH'
  /** The bill has more than one payment row for one out_trade_no, or more than one row for one out_refund_no. */
  | 'DUPLICATE_IN_BILL';

/** One disagreement, with both sides' view where known (amounts in fen). */
export interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly subject: 'payment' | 'refund';
  readonly outTradeNo: string;
  readonly outRefundNo?: string;
  readonly localFen?: Fen;
  readonly wechatFen?: Fen;
  readonly localState?: string;
  readonly wechatState?: string;
  readonly message: string;
}

/** The outcome: discrepancies sorted by outTradeNo, subject, outRefundNo, kind; counts; totals in fen. */
export interface ReconcileReport {
  readonly discrepancies: readonly Discrepancy[];
  readonly matchedPayments: number;
  readonly matchedRefunds: number;
  readonly totals: {
    readonly billPaymentFen: Fen;
    readonly billRefundFen: Fen;
    readonly localPaymentFen: Fen;
    readonly localRefundFen: Fen;
  };
}

function invalid(message: string): DomainError {
  return new DomainError(ErrorCodes.RECONCILE_INVALID_INPUT, message);
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (typeof k !== 'string' || k === '') throw invalid(`every ${what} needs a non-empty id`);
    if (map.has(k)) throw invalid(`${what} ${k} appears twice in the local records`);
    map.set(k, item);
  }
  return map;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/**
 * Compares local orders and refunds with a trade bill's rows and lists every disagreement: MISSING_HERE,
 * MISSING_THERE, AMOUNT_MISMATCH, STATUS_MISMATCH, TRANSACTION_ID_MISMATCH, DUPLICATE_IN_BILL. Pure: the caller
 * picks the records of the bill's period (payments that succeeded that day; refunds WeChat accepted that day, in any
 * status — the bill lists a refund on its acceptance day with that day's status, its refundSnapshot). Throws RECONCILE.INVALID_INPUT for duplicate local ids or bad amounts.
 */
export function reconcile(input: ReconcileInput): ReconcileReport {
  const orders = uniqueBy(input.orders, (o) => o.outTradeNo, 'order');
  const refunds = uniqueBy(input.refunds ?? [], (r) => r.outRefundNo, 'refund');
  const found: Discrepancy[] = [];
  let billPaymentFen = ZERO_FEN;
  let billRefundFen = ZERO_FEN;
  let localPaymentFen = ZERO_FEN;
  let localRefundFen = ZERO_FEN;

  const paymentRows: BillRow[] = [];
  const refundRows: BillRow[] = [];
  for (const row of input.billRows) {
    if (row.outTradeNo === '') throw invalid('every bill row needs an outTradeNo');
    if (row.tradeState === 'REFUND') refundRows.push(row);
    else if (row.tradeState === 'SUCCESS') paymentRows.push(row);
    else {
      const local = orders.get(row.outTradeNo);
      found.push({
        kind: local ? 'STATUS_MISMATCH' : 'MISSING_HERE',
        subject: 'payment',
        outTradeNo: row.outTradeNo,
        wechatState: row.tradeState,
        ...(local ? { localState: local.state } : {}),
        message: `the bill shows trade state ${row.tradeState}, which this shop does not expect`,
      });
    }
  }

  // Payments, keyed by out_trade_no.
  let matchedPayments = 0;
  const paymentsByNo = groupBy(paymentRows, (r) => r.outTradeNo);
  for (const [outTradeNo, rows] of paymentsByNo) {
    for (const row of rows) billPaymentFen = addFen(billPaymentFen, row.chargedFen);
    const [row] = rows;
    if (!row) continue;
    if (rows.length > 1) {
      found.push({
        kind: 'DUPLICATE_IN_BILL',
        subject: 'payment',
        outTradeNo,
        wechatFen: row.chargedFen,
        message: `the bill has ${rows.length} payment rows for one order`,
      });
    }
    const local = orders.get(outTradeNo);
    if (!local) {
      found.push({
        kind: 'MISSING_HERE',
        subject: 'payment',
        outTradeNo,
        wechatFen: row.chargedFen,
        wechatState: 'SUCCESS',
        message: 'WeChat took a payment for an order this shop has no record of',
      });
      continue;
    }
    let clean = true;
    if (!hasReceivedPayment(local.state)) {
      clean = false;
      found.push({
        kind: 'STATUS_MISMATCH',
        subject: 'payment',
        outTradeNo,
        localState: local.state,
        wechatState: 'SUCCESS',
        wechatFen: row.chargedFen,
        message: isClosedUnpaid(local.state)
          ? 'paid at WeChat but closed here: apply the payment (PAID_AFTER_CLOSE) and refund it'
          : 'paid at WeChat but not recorded here: apply the payment',
      });
    }
    if (row.chargedFen !== local.payableFen) {
      clean = false;
      found.push({
        kind: 'AMOUNT_MISMATCH',
        subject: 'payment',
        outTradeNo,
        localFen: local.payableFen,
        wechatFen: row.chargedFen,
        message: `charged ${row.chargedFen} fen at WeChat, ${local.payableFen} fen expected`,
      });
    }
    if (local.transactionId !== undefined && local.transactionId !== row.transactionId) {
      clean = false;
      found.push({
        kind: 'TRANSACTION_ID_MISMATCH',
        subject: 'payment',
        outTradeNo,
        message: `recorded transaction ${local.transactionId}, the bill shows ${row.transactionId}`,
      });
    }
    if (clean && rows.length === 1) matchedPayments += 1;
  }
  for (const [outTradeNo, local] of orders) {
    if (!hasReceivedPayment(local.state)) continue;
    localPaymentFen = addFen(localPaymentFen, local.payableFen);
    if (!paymentsByNo.has(outTradeNo)) {
      found.push({
        kind: 'MISSING_THERE',
        subject: 'payment',
        outTradeNo,
        localState: local.state,
        localFen: local.payableFen,
        message: 'recorded as paid here, but the bill has no payment for it',
      });
    }
  }

  // Refunds, keyed by out_refund_no.
  let matchedRefunds = 0;
  const refundsByNo = new Map<string, BillRow[]>();
  for (const row of refundRows) {
    const no = row.outRefundNo;
    if (no === undefined || no === '') throw invalid(`refund row of ${row.outTradeNo} has no outRefundNo`);
    if (row.refundFen === undefined) throw invalid(`refund row ${no} has no refundFen`);
    billRefundFen = addFen(billRefundFen, row.refundFen);
    const list = refundsByNo.get(no);
    if (list) list.push(row);
    else refundsByNo.set(no, [row]);
  }
  for (const [outRefundNo, rows] of refundsByNo) {
    const [row] = rows;
    if (!row) continue;
    const wechatFen = row.refundFen ?? ZERO_FEN;
    const base = { subject: 'refund' as const, outTradeNo: row.outTradeNo, outRefundNo };
    if (rows.length > 1) {
      found.push({
        ...base,
        kind: 'DUPLICATE_IN_BILL',
        wechatFen,
        message: `the bill has ${rows.length} rows for one refund`,
      });
    }
    const local = refunds.get(outRefundNo);
    if (!local) {
      found.push({
        ...base,
        kind: 'MISSING_HERE',
        wechatFen,
        message: 'WeChat shows a refund this shop has no record of',
      });
      continue;
    }
    let clean = true;
    if (local.outTradeNo !== row.outTradeNo) {
      clean = false;
      found.push({
        ...base,
        kind: 'STATUS_MISMATCH',
        message: `recorded for order ${local.outTradeNo}, the bill says order ${row.outTradeNo}`,
      });
    }
    if (local.amountFen !== wechatFen) {
      clean = false;
      found.push({
        ...base,
        kind: 'AMOUNT_MISMATCH',
        localFen: local.amountFen,
        wechatFen,
        message: `refunded ${wechatFen} fen at WeChat, ${local.amountFen} fen recorded`,
      });
    }
    // The bill's status is a snapshot of the acceptance day, never updated: only a local status it cannot lead to
    // disagrees (PROCESSING in the bill, SUCCESS here is the normal course). Current status is settled by query.
    const snapshot = row.refundSnapshot;
    if (
      row.refundStatus !== undefined &&
      (snapshot === undefined || !isRefundStatusReachable(snapshot, local.status))
    ) {
      clean = false;
      found.push({
        ...base,
        kind: 'STATUS_MISMATCH',
        localState: local.status,
        wechatState: row.refundStatus,
        message: `the bill's snapshot ${row.refundStatus} cannot lead to ${local.status} here`,
      });
    }
    if (clean && rows.length === 1) matchedRefunds += 1;
  }
  for (const [outRefundNo, local] of refunds) {
    localRefundFen = addFen(localRefundFen, local.amountFen);
    if (!refundsByNo.has(outRefundNo)) {
      found.push({
        kind: 'MISSING_THERE',
        subject: 'refund',
        outTradeNo: local.outTradeNo,
        outRefundNo,
        localState: local.status,
        localFen: local.amountFen,
        message: 'accepted by WeChat that day by our records, but the bill has no such refund',
      });
    }
  }

  const discrepancies = found.sort(
    (a, b) =>
      compare(a.outTradeNo, b.outTradeNo) ||
      compare(a.subject, b.subject) ||
      compare(a.outRefundNo ?? '', b.outRefundNo ?? '') ||
      compare(a.kind, b.kind),
  );
  return {
    discrepancies,
    matchedPayments,
    matchedRefunds,
    totals: { billPaymentFen, billRefundFen, localPaymentFen, localRefundFen },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
