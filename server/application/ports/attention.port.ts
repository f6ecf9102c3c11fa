import type { Fen } from '../../domain/money';

/**
 * What needs a person:
 * - 'payment-for-unknown-order': a verified payment for an order this shop has no record of;
 * - 'refund-for-unknown-refund': a verified refund notification about a refund it never requested;
 * - 'refund-after-close': WeChat reports SUCCESS or ABNORMAL for a refund that was closed here (money moved that the
 *   shop had freed): applied when the order could still hold it, else left for a person (`applied` says which);
 * - 'refund-owed-offline': an ABNORMAL refund retried to the merchant's own bank card succeeded: the shop must now pay
 *   the shopper by hand, and a person confirms the payout (refund.confirmOfflinePayout);
 * - 'refund-unsettled': a refund still not final after the follow-up's patience ran out (still asked, slowly);
 * - 'close-unconfirmed': an expired order WeChat could not be asked about or closed for a long time (still asked).
 */
export type AttentionKind =
  | 'payment-for-unknown-order'
  | 'refund-for-unknown-refund'
  | 'refund-after-close'
  | 'refund-owed-offline'
  | 'refund-unsettled'
  | 'close-unconfirmed';

/**
 * A "needs attention" record in the `attention` collection: money WeChat really moved (the notification or query
 * verified) that needs a person — nobody here accounts for it, or the shop still owes it. A person decides; until then
 * it stays listed (resolvedAtMs null). Amounts in fen, times epoch ms.
 */
export interface AttentionRecord {
  /**
   * Idempotency key: `payment:<transaction_id>` (one per WeChat transaction, however often it is delivered),
   * `refund:<notification id>` (one per refund notification), or `<kind>:<out_refund_no | out_trade_no>` for the
   * records the jobs and the refund path raise.
   */
  id: string;
  kind: AttentionKind;
  outTradeNo: string;
  transactionId: string | null;
  outRefundNo: string | null;
  refundId: string | null;
  amountFen: Fen;
  /** WeChat's state as reported (trade_state, or the refund status). */
  wechatState: string;
  /** The notification that first told us (null when a query or a job did). */
  notificationId: string | null;
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  /** How many deliveries (or job runs) reported it (WeChat retries an unanswered payment notification for 24 h). */
  deliveries: number;
  /** A short, secret-free explanation for the person (what happened, what to do). */
  note?: string;
  /** Set when a person (or the system, once the cause is settled) closed the record; null/absent: still open. */
  resolvedAtMs?: number | null;
  /** Who resolved it: a staff OPENID or "system:…". */
  resolvedBy?: string | null;
}

/** "Needs attention" records. */
export interface AttentionStore {
  /** Records the item, or counts one more delivery of it ('seen'); never two records for one id. */
  record(item: AttentionRecord): Promise<'new' | 'seen'>;
  /** The newest first, at most `limit` (≤ 100), first seen before `beforeMs` when given. */
  list(limit: number, beforeMs?: number): Promise<AttentionRecord[]>;
  /** Marks an open record resolved; false when there is no such record or it was resolved already. */
  resolve(id: string, by: string, atMs: number): Promise<boolean>;
}

/** An attention record's fields before the store's bookkeeping (first/last seen, deliveries). */
export type AttentionItem = Omit<AttentionRecord, 'firstSeenAtMs' | 'lastSeenAtMs' | 'deliveries'>;

/** Builds the record for `item` first seen at `nowMs`. */
export function attentionRecord(item: AttentionItem, nowMs: number): AttentionRecord {
  return {
    ...item,
    firstSeenAtMs: nowMs,
    lastSeenAtMs: nowMs,
    deliveries: 1,
    resolvedAtMs: null,
    resolvedBy: null,
  };
}
