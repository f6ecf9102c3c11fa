import type { StockChange } from '../../domain/stock';
import type { OrderRecord, PaymentRecord, RefundDoc } from '../order.model';

/** Orders, with the atomic operations the use cases rely on. */
export interface OrderStore {
  get(outTradeNo: string): Promise<OrderRecord | null>;
  findByClientKey(openid: string, clientRequestKey: string): Promise<OrderRecord | null>;
  /**
   * How many of `openid`'s orders await payment among those created after `createdAfterMs` (index openid + status +
   * createdAtMs; the web checkout's shop-wide limit, docs/adr/0012).
   */
  countAwaiting(openid: string, createdAfterMs: number): Promise<number>;
  /**
   * How many of the newest 100 orders created from `payerClientIp` after `createdAfterMs` await payment (index
   * payerClientIp + createdAtMs: H5 orders keep the address; the web checkout's per-address limit).
   */
  countAwaitingFrom(payerClientIp: string, createdAfterMs: number): Promise<number>;
  /**
   * The shopper's orders, newest first, at most `limit` (≤ 100), created before `beforeMs` when given, in one of
   * `statuses` when given (the database filters: index openid + status + createdAtMs).
   */
  listByOpenid(
    openid: string,
    limit: number,
    beforeMs?: number,
    statuses?: readonly OrderRecord['status'][],
  ): Promise<OrderRecord[]>;
  /**
   * Inserts a new order (its stock is already held: docs/adr/0007). 'duplicate' when an order with the same
   * (openid, clientRequestKey) or outTradeNo exists: nothing was written.
   */
  insert(order: OrderRecord): Promise<'created' | 'duplicate'>;
  /**
   * Compare-and-set (on version) that records a payment. 'transaction-taken' when another order already recorded
   * `patch.payment.transactionId` — refused by a unique index, nothing written: one payment never pays two orders.
   */
  recordPayment(
    current: OrderRecord,
    patch: Partial<OrderRecord> & { payment: PaymentRecord },
  ): Promise<OrderRecord | null | 'transaction-taken'>;
  /** Which of `outTradeNos` exist. */
  existing(outTradeNos: readonly string[]): Promise<Set<string>>;
  /**
   * Compare-and-set: applies `patch` (and version + 1) only if the stored order still has `current.version`.
   * Returns the updated order, or null when someone else changed it first.
   */
  update(current: OrderRecord, patch: Partial<OrderRecord>): Promise<OrderRecord | null>;
  /** Atomically: compare-and-set `patch` plus stockReleased=true on a not-yet-released order, and give `plan` back. */
  updateAndReleaseStock(
    current: OrderRecord,
    patch: Partial<OrderRecord>,
    plan: readonly StockChange[],
  ): Promise<OrderRecord | null>;
  /**
   * Atomically: compare-and-set the order (version) with `orderPatch` and insert `refund` (its orderVersion the order's
   * new version). 'duplicate' when a refund with the same outRefundNo or requestKey exists; 'conflict' when the order
   * changed first.
   */
  reserveRefund(
    current: OrderRecord,
    orderPatch: Partial<OrderRecord>,
    refund: RefundDoc,
  ): Promise<'ok' | 'conflict' | 'duplicate'>;
  /**
   * Atomically: compare-and-set both the order and one of its refunds (each on its version); the refund's orderVersion
   * becomes the order's new version.
   */
  updateWithRefund(
    current: OrderRecord,
    orderPatch: Partial<OrderRecord>,
    currentRefund: RefundDoc,
    refundPatch: Partial<RefundDoc>,
  ): Promise<boolean>;
  /** PAID tester orders (isTestOrder), oldest update first: the tester auto-refund's retry queue. */
  listPaidTestOrders(limit: number): Promise<OrderRecord[]>;
  /** Orders in `status`, oldest update first. */
  listByStatus(status: OrderRecord['status'], limit: number): Promise<OrderRecord[]>;
  /** The close job's queue: queued orders with closeJob.nextAttemptAtMs ≤ nowMs, earliest due first, at most `limit`. */
  listCloseDue(nowMs: number, limit: number): Promise<OrderRecord[]>;
  /** The sync queue: AWAITING_PAYMENT orders with syncJob.nextAttemptAtMs ≤ nowMs, earliest due first. */
  listSyncDue(nowMs: number, limit: number): Promise<OrderRecord[]>;
  /**
   * Orders whose stored fulfilment is `state`, oldest payment first (payment.successTimeMs, then outTradeNo): what
   * staff have to ship or hand over. `from`: paid at or after `paidAtMs`; with `outTradeNo` too, strictly after that
   * order in this sort (a cursor that moves on even when more than `limit` orders share one payment second).
   */
  listByFulfilment(
    state: string,
    limit: number,
    from?: { paidAtMs: number; outTradeNo?: string },
  ): Promise<OrderRecord[]>;
  /** The shipping upload queue: shippingUpload.job queued and due at nowMs, earliest due first. */
  listShippingUploadDue(nowMs: number, limit: number): Promise<OrderRecord[]>;
  /** The completion queue: completeJob queued and due at nowMs, earliest due first. */
  listCompleteDue(nowMs: number, limit: number): Promise<OrderRecord[]>;
  /** The message queue: queued orders with messageJob.nextAttemptAtMs ≤ nowMs, earliest due first (docs/adr/0010). */
  listMessageDue(nowMs: number, limit: number): Promise<OrderRecord[]>;
  /** Orders whose payment succeeded in [fromMs, toMs) (for the daily bill). */
  listPaidBetween(fromMs: number, toMs: number): Promise<OrderRecord[]>;
}

/** Refunds. */
export interface RefundStore {
  get(outRefundNo: string): Promise<RefundDoc | null>;
  /** The refund created for an idempotency key ("<outTradeNo>:<client key>"), if any. */
  findByRequestKey(requestKey: string): Promise<RefundDoc | null>;
  /** All refunds of an order in creation order. */
  listByOrder(outTradeNo: string): Promise<RefundDoc[]>;
  /** Compare-and-set on version; returns the updated refund or null. */
  update(current: RefundDoc, patch: Partial<RefundDoc>): Promise<RefundDoc | null>;
  /**
   * One conditional write, without a read, that brings a refund level with its order's ledger as written at
   * `orderVersion`: sets `patch`, orderVersion and version + 1 only while the stored refund reflects an older order
   * version (or none) — a later change is never undone — and, with `accepted`, only if WeChat's acceptance is recorded
   * (acceptedAtMs set). False when nothing matched: the caller reads the refund and decides.
   */
  levelWithOrder(
    outRefundNo: string,
    orderVersion: number,
    patch: Partial<RefundDoc>,
    opts: { accepted: boolean },
  ): Promise<boolean>;
  /** Refunds WeChat accepted in [fromMs, toMs), in any status, all of them (for the daily bill). */
  listAcceptedBetween(fromMs: number, toMs: number): Promise<RefundDoc[]>;
  /** The follow-up queue: queued refunds with followUp.nextAttemptAtMs ≤ nowMs (any status), earliest due first. */
  listFollowUpDue(nowMs: number, limit: number): Promise<RefundDoc[]>;
}

/** A stored reconciliation report (`_id` = "trade-YYYY-MM-DD"). */
export interface ReconcileReportStore {
  save(id: string, report: Record<string, unknown>): Promise<void>;
  get(id: string): Promise<Record<string, unknown> | null>;
}
