import type { OrderRecord } from '../order.model';
import type { RefundRequestRecord } from '../refund-request.model';

/** Refund requests (`refund_requests`, `_id` = requestId), with the atomic operations the use cases rely on. */
export interface RefundRequestStore {
  get(requestId: string): Promise<RefundRequestRecord | null>;
  /** The request made with the shopper's key for this order, if any. */
  findByKey(outTradeNo: string, requestKey: string): Promise<RefundRequestRecord | null>;
  /** The order's newest request, if any. */
  latestForOrder(outTradeNo: string): Promise<RefundRequestRecord | null>;
  /** Requests in `states`, oldest first, created after `afterCreatedAtMs` when given, at most `limit`. */
  listByStates(
    states: readonly RefundRequestRecord['state'][],
    limit: number,
    afterCreatedAtMs?: number,
  ): Promise<RefundRequestRecord[]>;
  /**
   * Atomically: compare-and-set the order (version) with `openRefundRequestId = request.requestId` and insert the
   * request. 'conflict' when the order changed first; 'duplicate' when a request with that id or key exists.
   */
  insertWithOrder(order: OrderRecord, request: RefundRequestRecord): Promise<'ok' | 'conflict' | 'duplicate'>;
  /** Compare-and-set on version: the updated request, or null when someone changed it first. */
  update(
    current: RefundRequestRecord,
    patch: Partial<RefundRequestRecord>,
  ): Promise<RefundRequestRecord | null>;
}
