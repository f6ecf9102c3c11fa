// Paying the shopper by hand what WeChat refunded to the merchant's card: staff's confirmation closes what the
// order and the refund owe offline.
import { DomainError } from '../domain/errors';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import type { RefundDoc } from './order.model';
import { REFUND_CAS_ATTEMPTS, ledgerEntryOf, ledgerFields, ledgerOf, withEntry } from './refund-ledger';

/**
 * Staff confirm they paid the shopper by hand what WeChat refunded to the merchant's card: the refund and the order
 * stop owing it, and its attention record is resolved. Idempotent (a second confirmation answers the first).
 */
export async function confirmOfflinePayout(
  d: CoreDeps,
  outRefundNo: string,
  by: string,
  note: string | null,
): Promise<RefundDoc> {
  for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
    const doc = await d.refunds.get(outRefundNo);
    if (!doc) throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'no such refund');
    const owed = doc.offlinePayout ?? null;
    if (doc.status !== 'SUCCESS' || owed === null) {
      throw new DomainError(
        AppErrorCodes.REFUND_NOT_ALLOWED,
        'nothing is owed offline for this refund (only a refund WeChat paid to the merchant card is)',
        { status: doc.status },
      );
    }
    const now = d.clock.now();
    if (owed.paidAtMs !== null) {
      await d.attention.resolve(`refund-owed-offline:${outRefundNo}`, owed.paidBy ?? by, now);
      return doc;
    }
    const order = await d.orders.get(doc.outTradeNo);
    if (!order || order.payment === null)
      throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such paid order');
    const offlinePayout = { ...owed, paidAtMs: now, paidBy: by, note };
    const ledger = await ledgerOf(d.refunds, order);
    const entry = ledger.find((e) => e.outRefundNo === outRefundNo) ?? ledgerEntryOf(doc);
    const all = withEntry(ledger, { ...entry, owedOffline: false });
    const ok = await d.orders.updateWithRefund(order, { ...ledgerFields(all), updatedAtMs: now }, doc, {
      offlinePayout,
      updatedAtMs: now,
    });
    if (ok) {
      await d.attention.resolve(`refund-owed-offline:${outRefundNo}`, by, now);
      d.log.info('refund.offline_payout_confirmed', { outRefundNo, by });
      return {
        ...doc,
        offlinePayout,
        updatedAtMs: now,
        orderVersion: order.version + 1,
        version: doc.version + 1,
      };
    }
  }
  throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while the payout was confirmed');
}
