import type { OrderRecord } from '../../application/order.model';
import type { RefundRequestStore } from '../../application/ports/refund-request.port';
import type { RefundRequestRecord } from '../../application/refund-request.model';
import { parseRefundRequestState } from '../../domain/refund-request-state';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError, isTransactionConflict } from './cloud-db';
import { Collections, MAX_PAGE } from './collections';
import { RollbackReason, fromDoc, rollbackReasonOf, toDoc, toUpdateData } from './records';

const ID = 'requestId';

/** A stored request as a record, its state checked (REFUND_REQUEST.UNKNOWN_STATE otherwise). */
function requestOf(doc: Record<string, unknown>): RefundRequestRecord {
  const r = fromDoc<RefundRequestRecord>(doc, ID);
  parseRefundRequestState(r.state);
  return r;
}

/**
 * Refund requests in `refund_requests` (`_id` = requestId; (outTradeNo, requestKey) unique). A new request is
 * inserted in one transaction with the compare-and-set of its order (docs/adr/0011).
 */
export class DbRefundRequestStore implements RefundRequestStore {
  constructor(private readonly db: CloudDb) {}

  private get requests() {
    return this.db.collection(Collections.refundRequests);
  }

  async get(requestId: string): Promise<RefundRequestRecord | null> {
    const { data } = await this.requests.where({ _id: requestId }).limit(1).get();
    return data[0] ? requestOf(data[0]) : null;
  }

  async findByKey(outTradeNo: string, requestKey: string): Promise<RefundRequestRecord | null> {
    const { data } = await this.requests.where({ outTradeNo, requestKey }).limit(1).get();
    return data[0] ? requestOf(data[0]) : null;
  }

  async latestForOrder(outTradeNo: string): Promise<RefundRequestRecord | null> {
    const { data } = await this.requests.where({ outTradeNo }).orderBy('createdAtMs', 'desc').limit(1).get();
    return data[0] ? requestOf(data[0]) : null;
  }

  async listByStates(
    states: readonly RefundRequestRecord['state'][],
    limit: number,
    afterCreatedAtMs?: number,
  ): Promise<RefundRequestRecord[]> {
    const _ = this.db.command;
    const where: Record<string, unknown> = { state: _.in([...states]) };
    if (afterCreatedAtMs !== undefined) where.createdAtMs = _.gt(afterCreatedAtMs);
    const { data } = await this.requests
      .where(where)
      .orderBy('createdAtMs', 'asc')
      .limit(Math.min(limit, MAX_PAGE))
      .get();
    return data.map((d) => requestOf(d));
  }

  async insertWithOrder(
    order: OrderRecord,
    request: RefundRequestRecord,
  ): Promise<'ok' | 'conflict' | 'duplicate'> {
    try {
      await this.db.runTransaction(async (t) => {
        const { data } = await t.collection(Collections.orders).doc(order.outTradeNo).get();
        if (!data || data.version !== order.version) throw new RollbackReason('conflict');
        await t
          .collection(Collections.orders)
          .doc(order.outTradeNo)
          .update({
            data: toUpdateData(this.db, {
              openRefundRequestId: request.requestId,
              version: order.version + 1,
            }),
          });
        const requests = t.collection(Collections.refundRequests);
        if (!requests.add) throw new Error('this database cannot add documents inside a transaction');
        await requests.add({ data: toDoc(request, ID) });
      });
      return 'ok';
    } catch (e) {
      if (rollbackReasonOf(e)?.kind === 'conflict' || isTransactionConflict(e)) return 'conflict';
      if (isDuplicateKeyError(e)) return 'duplicate';
      throw e;
    }
  }

  async update(
    current: RefundRequestRecord,
    patch: Partial<RefundRequestRecord>,
  ): Promise<RefundRequestRecord | null> {
    const next = { ...patch, version: current.version + 1 };
    const { requestId: _id, ...data } = next;
    const { stats } = await this.requests
      .where({ _id: current.requestId, version: current.version })
      .update({ data: toUpdateData(this.db, data) });
    return stats.updated === 1 ? { ...current, ...next } : null;
  }
}
