import type { CreateOrderOutcome, OrderStore } from '../../application/ports/order.port';
import type { OrderRecord, RefundDoc } from '../../application/order.model';
import type { StockChange } from '../../domain/stock';
import type { CloudDb, DbTransaction } from './cloud-db';
import { isDuplicateKeyError, isTransactionConflict } from './cloud-db';
import { Collections } from './collections';
import { fetchAll } from './query';
import { RollbackReason, fromDoc, rollbackReasonOf, toDoc, toUpdateData } from './records';

const ID = 'outTradeNo';
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
    return data[0] ? fromDoc<OrderRecord>(data[0], ID) : null;
  }

  async findByClientKey(openid: string, clientRequestKey: string): Promise<OrderRecord | null> {
    const { data } = await this.orders.where({ openid, clientRequestKey }).limit(1).get();
    return data[0] ? fromDoc<OrderRecord>(data[0], ID) : null;
  }

  async listByOpenid(openid: string, limit: number, beforeMs?: number): Promise<OrderRecord[]> {
    const _ = this.db.command;
    const where = beforeMs === undefined ? { openid } : { openid, createdAtMs: _.lt(beforeMs) };
    const { data } = await this.orders.where(where).orderBy('createdAtMs', 'desc').limit(limit).get();
    return data.map((d) => fromDoc<OrderRecord>(d, ID));
  }

  async createWithReservation(order: OrderRecord, plan: readonly StockChange[]): Promise<CreateOrderOutcome> {
    try {
      const ran = await transact(this.db, async (t) => {
        for (const { skuId, quantity } of plan) {
          const stock = await readStock(t, skuId);
          if (stock < quantity) throw new RollbackReason('out-of-stock', { skuId, available: stock });
          await t
            .collection(Collections.skus)
            .doc(skuId)
            .update({ data: { stock: stock - quantity } });
        }
        const orders = t.collection(Collections.orders);
        if (!orders.add) throw new Error('this database cannot add documents inside a transaction');
        await orders.add({ data: toDoc(order, ID) });
      });
      return ran === 'done' ? { kind: 'created' } : { kind: 'busy' };
    } catch (e) {
      const reason = rollbackReasonOf(e);
      if (reason?.kind === 'out-of-stock') {
        return {
          kind: 'out-of-stock',
          skuId: String(reason.details.skuId),
          available: Number(reason.details.available),
        };
      }
      if (isDuplicateKeyError(e)) return { kind: 'duplicate' };
      throw e;
    }
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
        await refunds.add({ data: toDoc(refund, 'outRefundNo') });
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
          .update({ data: toUpdateData(this.db, { ...refundPatch, version: currentRefund.version + 1 }) });
      });
      return ran === 'done';
    } catch (e) {
      if (rollbackReasonOf(e)?.kind === 'conflict') return false;
      throw e;
    }
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

  async listPaidBetween(fromMs: number, toMs: number): Promise<OrderRecord[]> {
    const _ = this.db.command;
    // A day's payments can exceed one page: all of them, however many (the bill lists every one).
    const docs = await fetchAll(
      this.orders.where({ 'payment.successTimeMs': _.and(_.gte(fromMs), _.lt(toMs)) }),
      Number.POSITIVE_INFINITY,
    );
    return docs.map((d) => fromDoc<OrderRecord>(d, ID));
  }

  private async list(
    where: Record<string, unknown>,
    orderField: string,
    limit: number,
  ): Promise<OrderRecord[]> {
    const { data } = await this.orders.where(where).orderBy(orderField, 'asc').limit(limit).get();
    return data.map((d) => fromDoc<OrderRecord>(d, ID));
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
