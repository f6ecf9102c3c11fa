import type { Fen } from '../../domain/money';

/**
 * What kind of money nobody can match: a verified payment for an order this shop has no record of, or a verified
 * refund notification about a refund it never requested.
 */
export type AttentionKind = 'payment-for-unknown-order' | 'refund-for-unknown-refund';

/**
 * A "needs attention" record in the `attention` collection: money WeChat really moved (the notification verified)
 * that no order or refund here accounts for. A person decides (refund the payer, restore a lost record…); until then
 * it stays listed. Amounts in fen, times epoch ms.
 */
export interface AttentionRecord {
  /**
   * Idempotency key: `payment:<transaction_id>` (one per WeChat transaction, however often it is delivered) or
   * `refund:<notification id>` (one per refund notification).
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
  /** The notification that first told us. */
  notificationId: string;
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  /** How many deliveries reported it (WeChat retries an unanswered payment notification for 24 h). */
  deliveries: number;
}

/** "Needs attention" records. */
export interface AttentionStore {
  /** Records the item, or counts one more delivery of it ('seen'); never two records for one id. */
  record(item: AttentionRecord): Promise<'new' | 'seen'>;
  /** The newest first, at most `limit` (≤ 100), first seen before `beforeMs` when given. */
  list(limit: number, beforeMs?: number): Promise<AttentionRecord[]>;
}
