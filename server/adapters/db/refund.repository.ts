import type { RefundStore } from '../../application/ports/order.port';
import type { RefundDoc } from '../../application/order.model';
import { parseRefundStatus } from '../../domain/order-state';
import type { CloudDb } from './cloud-db';
import { Collections } from './collections';
import { fetchAll } from './query';
import { fromDoc, toUpdateData } from './records';

const ID = 'outRefundNo';

/** A stored refund as a record, its status checked against the domain's (REFUND.UNKNOWN_STATUS otherwise). */
function refundFromDoc(doc: Record<string, unknown>): RefundDoc {
  const refund = fromDoc<RefundDoc>(doc, ID);
  parseRefundStatus(refund.status);
  return refund;
}

/** Refunds in the `refunds` collection (`_id` = outRefundNo; requestKey unique). Inserts happen in OrderStore. */
export class DbRefundStore implements RefundStore {
  constructor(private readonly db: CloudDb) {}

  private get refunds() {
    return this.db.collection(Collections.refunds);
  }

  async get(outRefundNo: string): Promise<RefundDoc | null> {
    const { data } = await this.refunds.where({ _id: outRefundNo }).limit(1).get();
    return data[0] ? refundFromDoc(data[0]) : null;
  }

  async findByRequestKey(requestKey: string): Promise<RefundDoc | null> {
    const { data } = await this.refunds.where({ requestKey }).limit(1).get();
    return data[0] ? refundFromDoc(data[0]) : null;
  }

  async listByOrder(outTradeNo: string): Promise<RefundDoc[]> {
    const { data } = await this.refunds.where({ outTradeNo }).orderBy('createdAtMs', 'asc').limit(100).get();
    return data.map((d) => refundFromDoc(d));
  }

  async update(current: RefundDoc, patch: Partial<RefundDoc>): Promise<RefundDoc | null> {
    const next = { ...patch, version: current.version + 1 };
    const { stats } = await this.refunds
      .where({ _id: current.outRefundNo, version: current.version })
      .update({ data: toUpdateData(this.db, next) });
    return stats.updated === 1 ? { ...current, ...next } : null;
  }

  async levelWithOrder(
    outRefundNo: string,
    orderVersion: number,
    patch: Partial<RefundDoc>,
    opts: { accepted: boolean },
  ): Promise<boolean> {
    const _ = this.db.command;
    const where: Record<string, unknown> = {
      _id: outRefundNo,
      orderVersion: _.or(_.exists(false), _.lt(orderVersion)),
    };
    if (opts.accepted) where.acceptedAtMs = _.neq(null);
    const { version: _v, orderVersion: _o, outRefundNo: _n, ...rest } = patch;
    const { stats } = await this.refunds
      .where(where)
      .update({ data: { ...toUpdateData(this.db, rest), orderVersion, version: _.inc(1) } });
    return stats.updated === 1;
  }

  async listAcceptedBetween(fromMs: number, toMs: number): Promise<RefundDoc[]> {
    const _ = this.db.command;
    // A day's refunds can exceed one page: all of them, however many (the bill lists every one).
    const docs = await fetchAll(
      this.refunds.where({ acceptedAtMs: _.and(_.gte(fromMs), _.lt(toMs)) }),
      Number.POSITIVE_INFINITY,
    );
    return docs.map((d) => refundFromDoc(d));
  }

  async listFollowUpDue(nowMs: number, limit: number): Promise<RefundDoc[]> {
    const { data } = await this.refunds
      .where({ 'followUp.state': 'queued', 'followUp.nextAttemptAtMs': this.db.command.lte(nowMs) })
      .orderBy('followUp.nextAttemptAtMs', 'asc')
      .limit(limit)
      .get();
    return data.map((d) => refundFromDoc(d));
  }
}
