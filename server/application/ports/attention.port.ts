import type { Fen } from '../../domain/money';
import type { AttentionKind, AttentionView } from '../../../typings/contracts/order';

/** What needs a person (the kinds are described where the contract defines them, typings/contracts/order.ts). */
export type { AttentionKind };

/**
 * A "needs attention" record in the `attention` collection: money WeChat really moved (the notification or query
 * verified) that needs a person — nobody here accounts for it, or the shop still owes it. A person decides; until then
 * it stays listed (resolvedAtMs null). Its id is the idempotency key: `payment:<transaction_id>` (one per WeChat
 * transaction, however often it is delivered), `refund:<notification id>` (one per refund notification), or
 * `<kind>:<out_refund_no | out_trade_no>` for the records the jobs and the refund path raise. It is what staff see
 * (AttentionView), with the amount as Fen.
 */
export interface AttentionRecord extends Omit<AttentionView, 'amountFen'> {
  amountFen: Fen;
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
