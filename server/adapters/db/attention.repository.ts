import type { AttentionRecord, AttentionStore } from '../../application/ports/attention.port';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections, MAX_PAGE } from './collections';
import { fromDoc, toDoc } from './records';

/** "Needs attention" records in `attention` (`_id` = the record's idempotency key). */
export class DbAttentionStore implements AttentionStore {
  constructor(private readonly db: CloudDb) {}

  private get attention() {
    return this.db.collection(Collections.attention);
  }

  async record(item: AttentionRecord): Promise<'new' | 'seen'> {
    try {
      await this.attention.add({ data: toDoc(item, 'id') });
      return 'new';
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
    await this.attention
      .where({ _id: item.id })
      .update({ data: { deliveries: this.db.command.inc(1), lastSeenAtMs: item.lastSeenAtMs } });
    return 'seen';
  }

  async list(limit: number, beforeMs?: number): Promise<AttentionRecord[]> {
    const where = beforeMs === undefined ? {} : { firstSeenAtMs: this.db.command.lt(beforeMs) };
    const { data } = await this.attention
      .where(where)
      .orderBy('firstSeenAtMs', 'desc')
      .limit(Math.min(Math.max(limit, 1), MAX_PAGE))
      .get();
    return data.map((d) => fromDoc<AttentionRecord>(d, 'id'));
  }

  async resolve(id: string, by: string, atMs: number): Promise<boolean> {
    // Compare-and-set on "still open": two people resolving at once resolve it once. Records from before this field
    // existed have no resolvedAtMs at all, hence the `in [null, absent]` guard.
    const _ = this.db.command;
    const res = await this.attention
      .where({ _id: id, resolvedAtMs: _.or(_.eq(null), _.exists(false)) })
      .update({ data: { resolvedAtMs: atMs, resolvedBy: by } });
    return res.stats.updated === 1;
  }
}
