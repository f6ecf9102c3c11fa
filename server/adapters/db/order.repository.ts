import type { OrderStore } from '../../application/ports/order.port';
import type { OrderRecord, PaymentRecord, RefundDoc } from '../../application/order.model';
import { parseOrderState } from '../../domain/order-state';
import type { StockChange } from '../../domain/stock';
import type { CloudDb, DbTransaction } from './cloud-db';
import { isDuplicateKeyError, isTransactionConflict } from './cloud-db';
import { Collections, MAX_PAGE } from './collections';
import { fetchAll } from './query';
import { RollbackReason, fromDoc, rollbackReasonOf, toDoc, toUpdateData } from './records';

const ID = 'outTradeNo';

/**
 * `paymentKey` carries the unique index that keeps one transaction_id from paying two orders (data/collections.json).
 * The cloud has no sparse indexes — a missing field counts as null, and two nulls collide — so an unpaid order holds a
 * placeholder that is unique by itself until its payment replaces it.
 */
function paymentKeyOf(transactionId: string): string {
  return `tx:${transactionId}`;
}

/**
 * The `paymentKey` an order must hold: `tx:<transaction_id>` once paid, `unpaid:<outTradeNo>` before. Every order
 * written here gets it, and the paymentKey migration (payment-key.migration.ts) gives it to orders from before.
 */
export function paymentKeyFor(order: {
  outTradeNo: string;
  payment: { transactionId: string } | null;
}): string {
  return order.payment ? paymentKeyOf(order.payment.transactionId) : `unpaid:${order.outTradeNo}`;
}

function orderDoc(order: OrderRecord): Record<string, unknown> {
  return { ...toDoc(order, ID), paymentKey: paymentKeyFor(order) };
}

/**
 * A stored order as a record, its state checked against the domain's states: a document whose status is not one
 * (a hand edit, a bug elsewhere) fails loudly here (ORDER.UNKNOWN_STATE) instead of driving a transition.
 */
function orderOf(doc: Record<string, unknown>): OrderRecord {
  const { paymentKey: _key, ...rest } = doc;
  const order = fromDoc<OrderRecord>(rest, ID);
  parseOrderState(order.status);
  return order;
}
/** Runs of a contended transaction (each itself re-run by the SDK on conflict) before the caller is told to retry. */
const TRANSACTION_RUNS = 6;

/**
 * Runs a transaction, running it again after a short random pause when it keeps losing write conflicts (many
 * shoppers buying the last items). Answers 'contended' when it never got through: the caller retries or says so.
 */
async function transact(db: CloudDb, fn: (t: DbTransaction) => Promise<void>): Promise<'done' | 'contended'> {
  for (let run = 0; run < TRANSACTION_RUNS; run++) {
    try {
      await db.runTransaction(fn);
      return 'done';
    } catch (e) {
      if (!isTransactionConflict(e)) throw e;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20 * (run + 1))));
    }
  }
  return 'contended';
}

/** Orders in the `orders` collection (`_id` = outTradeNo); multi-document changes run in transactions. */
export class DbOrderStore implements OrderStore {
  constructor(private readonly db: CloudDb) {}

  private get orders() {
    return this.db.collection(Collections.orders);
  }

  async get(outTradeNo: string): Promise<OrderRecord | null> {
    const { data } = await this.orders.where({ _id: outTradeNo }).limit(1).get();
    return data[0] ? orderOf(data[0]) : null;
  }

  async findByClientKey(openid: string, clientRequestKey: string): Promise<OrderRecord | null> {
    const { data } = await this.orders.where({ openid, clientRequestKey }).limit(1).get();
    return data[0] ? orderOf(data[0]) : null;
  }

  async countAwaiting(openid: string, createdAfterMs: number): Promise<number> {
    const _ = this.db.command;
    const { total } = await this.orders
      .where({ openid, status: 'AWAITING_PAYMENT', createdAtMs: _.gt(createdAfterMs) })
      .count();
    return total;
  }

  async countAwaitingFrom(payerClientIp: string, createdAfterMs: number): Promise<number> {
    const _ = this.db.command;
    const { data } = await this.orders
      .where({ payerClientIp, createdAtMs: _.gt(createdAfterMs) })
      .orderBy('createdAtMs', 'desc')
      .field({ status: true })
      .limit(MAX_PAGE)
      .get();
    return data.filter((d) => d.status === 'AWAITING_PAYMENT').length;
  }

  async listByOpenid(
    openid: string,
    limit: number,
    beforeMs?: number,
    statuses?: readonly OrderRecord['status'][],
  ): Promise<OrderRecord[]> {
    const _ = this.db.command;
    const where: Record<string, unknown> = { openid };
    if (statuses !== undefined) where.status = _.in([...statuses]);
    if (beforeMs !== undefined) where.createdAtMs = _.lt(beforeMs);
    const { data } = await this.orders.where(where).orderBy('createdAtMs', 'desc').limit(limit).get();
    return data.map((d) => orderOf(d));
  }

  async insert(order: OrderRecord): Promise<'created' | 'duplicate'> {
    try {
      await this.orders.add({ data: orderDoc(order) });
      return 'created';
    } catch (e) {
      if (isDuplicateKeyError(e)) return 'duplicate';
      throw e;
    }
  }

  async recordPayment(
    current: OrderRecord,
    patch: Partial<OrderRecord> & { payment: PaymentRecord },
  ): Promise<OrderRecord | null | 'transaction-taken'> {
    const next = { ...patch, version: current.version + 1 };
    try {
      const { stats } = await this.orders
        .where({ _id: current.outTradeNo, version: current.version })
        .update({
          data: { ...toUpdateData(this.db, next), paymentKey: paymentKeyOf(patch.payment.transactionId) },
        });
      return stats.updated === 1 ? { ...current, ...next } : null;
    } catch (e) {
      if (isDuplicateKeyError(e)) return 'transaction-taken';
      throw e;
    }
  }

  async existing(outTradeNos: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const _ = this.db.command;
    for (let i = 0; i < outTradeNos.length; i += MAX_PAGE) {
      const chunk = outTradeNos.slice(i, i + MAX_PAGE);
      const { data } = await this.orders
        .where({ _id: _.in([...chunk]) })
        .field({ _id: true })
        .limit(MAX_PAGE)
        .get();
      for (const d of data) found.add(String(d._id));
    }
    return found;
  }

  async update(current: OrderRecord, patch: Partial<OrderRecord>): Promise<OrderRecord | null> {
    const next = { ...patch, version: current.version + 1 };
    const { stats } = await this.orders
      .where({ _id: current.outTradeNo, version: current.version })
      .update({ data: toUpdateData(this.db, next) });
    return stats.updated === 1 ? { ...current, ...next } : null;
  }

  async updateAndReleaseStock(
    current: OrderRecord,
    patch: Partial<OrderRecord>,
    plan: readonly StockChange[],
  ): Promise<OrderRecord | null> {
    const next = { ...patch, stockReleased: true, version: current.version + 1 };
    try {
      const ran = await transact(this.db, async (t) => {
        await casInTransaction(t, Collections.orders, current.outTradeNo, current.version, (doc) => {
          if (doc.stockReleased === true) throw new RollbackReason('conflict');
        });
        await t
          .collection(Collections.orders)
          .doc(current.outTradeNo)
          .update({ data: toUpdateData(this.db, next) });
        for (const { skuId, quantity } of plan) {
          const stock = await readStock(t, skuId).catch(() => null);
          // A SKU deleted from the catalog since the order was placed has no stock to return to.
          if (stock === null) continue;
          await t
            .collection(Collections.skus)
            .doc(skuId)
            .update({ data: { stock: stock + quantity } });
        }
      });
      return ran === 'done' ? { ...current, ...next } : null;
    } catch (e) {
      if (rollbackReasonOf(e)?.kind === 'conflict') return null;
      throw e;
    }
  }

  async reserveRefund(
    current: OrderRecord,
    orderPatch: Partial<OrderRecord>,
    refund: RefundDoc,
  ): Promise<'ok' | 'conflict' | 'duplicate'> {
    try {
      const ran = await transact(this.db, async (t) => {
        await casInTransaction(t, Collections.orders, current.outTradeNo, current.version);
        await t
          .collection(Collections.orders)
          .doc(current.outTradeNo)
          .update({ data: toUpdateData(this.db, { ...orderPatch, version: current.version + 1 }) });
        const refunds = t.collection(Collections.refunds);
        if (!refunds.add) throw new Error('this database cannot add documents inside a transaction');
        await refunds.add({ data: toDoc({ ...refund, orderVersion: current.version + 1 }, 'outRefundNo') });
      });
      return ran === 'done' ? 'ok' : 'conflict';
    } catch (e) {
      if (rollbackReasonOf(e)?.kind === 'conflict') return 'conflict';
      if (isDuplicateKeyError(e)) return 'duplicate';
      throw e;
    }
  }

  async updateWithRefund(
    current: OrderRecord,
    orderPatch: Partial<OrderRecord>,
    currentRefund: RefundDoc,
    refundPatch: Partial<RefundDoc>,
  ): Promise<boolean> {
    try {
      const ran = await transact(this.db, async (t) => {
        await casInTransaction(t, Collections.orders, current.outTradeNo, current.version);
        await casInTransaction(t, Collections.refunds, currentRefund.outRefundNo, currentRefund.version);
        await t
          .collection(Collections.orders)
          .doc(current.outTradeNo)
          .update({ data: toUpdateData(this.db, { ...orderPatch, version: current.version + 1 }) });
        await t
          .collection(Collections.refunds)
          .doc(currentRefund.outRefundNo)
          .update({
            data: toUpdateData(this.db, {
              ...refundPatch,
              orderVersion: current.version + 1,
              version: currentRefund.version + 1,
            }),
          });
      });
      return ran === 'done';
    } catch (e) {
      if (rollbackReasonOf(e)?.kind === 'conflict') return false;
      throw e;
    }
  }

  async listPaidTestOrders(limit: number): Promise<OrderRecord[]> {
    return this.list({ status: 'PAID', isTestOrder: true }, 'updatedAtMs', limit);
  }

  async listByStatus(status: OrderRecord['status'], limit: number): Promise<OrderRecord[]> {
    return this.list({ status }, 'updatedAtMs', limit);
  }

  async listCloseDue(nowMs: number, limit: number): Promise<OrderRecord[]> {
    return this.list(
      { 'closeJob.state': 'queued', 'closeJob.nextAttemptAtMs': this.db.command.lte(nowMs) },
      'closeJob.nextAttemptAtMs',
      limit,
    );
  }

  async listSyncDue(nowMs: number, limit: number): Promise<OrderRecord[]> {
    return this.list(
      { status: 'AWAITING_PAYMENT', 'syncJob.nextAttemptAtMs': this.db.command.lte(nowMs) },
      'syncJob.nextAttemptAtMs',
      limit,
    );
  }

  async listByFulfilment(
    state: string,
    limit: number,
    from?: { paidAtMs: number; outTradeNo?: string },
  ): Promise<OrderRecord[]> {
    const _ = this.db.command;
    // WeChat reports payment times to the second: many orders share one, so the order number breaks ties.
    const page = async (where: Record<string, unknown>, n: number): Promise<OrderRecord[]> => {
      const { data } = await this.orders
        .where({ 'fulfilment.state': state, ...where })
        .orderBy('payment.successTimeMs', 'asc')
        .orderBy('_id', 'asc')
        .limit(n)
        .get();
      return data.map((d) => orderOf(d));
    };
    if (from === undefined) return page({}, limit);
    if (from.outTradeNo === undefined) return page({ 'payment.successTimeMs': _.gte(from.paidAtMs) }, limit);
    // Strictly after the cursor: the rest of its second, then the later seconds.
    const sameSecond = await page(
      { 'payment.successTimeMs': from.paidAtMs, _id: _.gt(from.outTradeNo) },
      limit,
    );
    if (sameSecond.length >= limit) return sameSecond;
    return [
      ...sameSecond,
      ...(await page({ 'payment.successTimeMs': _.gt(from.paidAtMs) }, limit - sameSecond.length)),
    ];
  }

  async listShippingUploadDue(nowMs: number, limit: number): Promise<OrderRecord[]> {
    return this.list(
      {
        'shippingUpload.job.state': 'queued',
        'shippingUpload.job.nextAttemptAtMs': this.db.command.lte(nowMs),
      },
      'shippingUpload.job.nextAttemptAtMs',
      limit,
    );
  }

  async listCompleteDue(nowMs: number, limit: number): Promise<OrderRecord[]> {
    return this.list(
      { 'completeJob.state': 'queued', 'completeJob.nextAttemptAtMs': this.db.command.lte(nowMs) },
      'completeJob.nextAttemptAtMs',
      limit,
    );
  }

  async listMessageDue(nowMs: number, limit: number): Promise<OrderRecord[]> {
    return this.list(
      { 'messageJob.state': 'queued', 'messageJob.nextAttemptAtMs': this.db.command.lte(nowMs) },
      'messageJob.nextAttemptAtMs',
      limit,
    );
  }

  async listPaidBetween(fromMs: number, toMs: number): Promise<OrderRecord[]> {
    const _ = this.db.command;
    // A day's payments can exceed one page: all of them, however many (the bill lists every one).
    const docs = await fetchAll(
      this.orders.where({ 'payment.successTimeMs': _.and(_.gte(fromMs), _.lt(toMs)) }),
      Number.POSITIVE_INFINITY,
    );
    return docs.map((d) => orderOf(d));
  }

  private async list(
    where: Record<string, unknown>,
    orderField: string,
    limit: number,
  ): Promise<OrderRecord[]> {
    const { data } = await this.orders.where(where).orderBy(orderField, 'asc').limit(limit).get();
    return data.map((d) => orderOf(d));
  }
}

async function readStock(t: DbTransaction, skuId: string): Promise<number> {
  const { data } = await t.collection(Collections.skus).doc(skuId).get();
  const stock = data?.stock;
  if (typeof stock !== 'number') throw new Error(`sku ${skuId} has no stock field`);
  return stock;
}

/** Reads a document inside a transaction and rolls back with 'conflict' unless its version is `expected`. */
async function casInTransaction(
  t: DbTransaction,
  collection: string,
  id: string,
  expected: number,
  check?: (doc: Record<string, unknown>) => void,
): Promise<void> {
  const { data } = await t.collection(collection).doc(id).get();
  if (!data || data.version !== expected) throw new RollbackReason('conflict');
  check?.(data);
}
