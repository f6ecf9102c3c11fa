// The order's refund ledger (docs/adr/0008): per refund the amount, status, owed-offline flag and last retry, kept on
// the order document so that the order's refunded, reserved and owed-offline amounts and its refund state are written
// from it in one write. Pure helpers plus the one read that builds a ledger for an order that has none yet.
import type { Fen } from '../domain/money';
import { ZERO_FEN, addFen } from '../domain/money';
import { refundedFen, reservedRefundFen } from '../domain/refund-policy';
import type { OrderRecord, RefundDoc, RefundLedgerEntry } from './order.model';
import type { RefundStore } from './ports/order.port';

/** How often a refund write is tried again after a concurrent writer changed the order or the refund first. */
export const REFUND_CAS_ATTEMPTS = 5;

/** WeChat paid it to the merchant's card and nobody has confirmed paying the shopper by hand yet. */
export function isOwedOffline(r: RefundDoc): boolean {
  return typeof r.offlinePayout?.owedSinceMs === 'number' && r.offlinePayout.paidAtMs === null;
}

/** A refund document's ledger entry (for an order whose ledger is built from its refund documents). */
export function ledgerEntryOf(r: RefundDoc): RefundLedgerEntry {
  return {
    outRefundNo: r.outRefundNo,
    amountFen: r.amountFen,
    status: r.status,
    owedOffline: r.status === 'SUCCESS' && isOwedOffline(r),
    retriedTo: r.lastAbnormalRetry?.type ?? null,
  };
}

/**
 * The order's ledger: the one it carries, or — for an order whose refunds predate the ledger — one built from its
 * refund documents (one read), to be written with the order's next refund change.
 */
export async function ledgerOf(refunds: RefundStore, order: OrderRecord): Promise<RefundLedgerEntry[]> {
  if (order.refundLedger !== undefined) return order.refundLedger;
  return (await refunds.listByOrder(order.outTradeNo)).map(ledgerEntryOf);
}

/** Sum of SUCCESS refunds paid to the merchant's card whose payout to the shopper is not confirmed yet, in fen. */
export function owedOfflineFen(ledger: readonly RefundLedgerEntry[]): Fen {
  return ledger.reduce(
    (sum, e) => (e.status === 'SUCCESS' && e.owedOffline ? addFen(sum, e.amountFen) : sum),
    ZERO_FEN,
  );
}

/** The ledger and every order amount computed from it: written together, so they can never disagree. */
export function ledgerFields(
  ledger: readonly RefundLedgerEntry[],
): Required<
  Pick<OrderRecord, 'refundLedger' | 'refundedFen' | 'refundReservedFen' | 'refundOwedOfflineFen'>
> {
  return {
    refundLedger: [...ledger],
    refundedFen: refundedFen(ledger),
    refundReservedFen: reservedRefundFen(ledger),
    refundOwedOfflineFen: owedOfflineFen(ledger),
  };
}

/** The ledger with `entry` in place of the entry of the same refund (appended when it has none). */
export function withEntry(
  ledger: readonly RefundLedgerEntry[],
  entry: RefundLedgerEntry,
): RefundLedgerEntry[] {
  const at = ledger.findIndex((e) => e.outRefundNo === entry.outRefundNo);
  return at < 0 ? [...ledger, entry] : ledger.map((e, i) => (i === at ? entry : e));
}
