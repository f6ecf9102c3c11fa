import type { SubscriptionStore } from '../../application/ports/subscribe-message.port';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections } from './collections';

const idOf = (openid: string, templateId: string) => `${openid}:${templateId}`;

/**
 * Subscription accepts (`subscriptions`, `_id` = "<openid>:<templateId>", `count`): one conditional increment per
 * accept (an insert the first time, whose unique _id settles a race), one conditional decrement (count > 0) per send.
 */
export class DbSubscriptionStore implements SubscriptionStore {
  constructor(private readonly db: CloudDb) {}

  private get col() {
    return this.db.collection(Collections.subscriptions);
  }

  async addAccepts(openid: string, templateIds: readonly string[], nowMs: number): Promise<void> {
    for (const templateId of templateIds) await this.addOne(openid, templateId, nowMs);
  }

  private async addOne(openid: string, templateId: string, nowMs: number): Promise<void> {
    const _id = idOf(openid, templateId);
    const inc = () =>
      this.col.where({ _id }).update({ data: { count: this.db.command.inc(1), updatedAtMs: nowMs } });
    if ((await inc()).stats.updated === 1) return;
    try {
      await this.col.add({ data: { _id, openid, templateId, count: 1, updatedAtMs: nowMs } });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      await inc(); // another call inserted it first
    }
  }

  async takeAccept(openid: string, templateId: string, nowMs: number): Promise<boolean> {
    const { stats } = await this.col
      .where({ _id: idOf(openid, templateId), count: this.db.command.gt(0) })
      .update({ data: { count: this.db.command.inc(-1), updatedAtMs: nowMs } });
    return stats.updated === 1;
  }

  async counts(openid: string, templateIds: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = Object.fromEntries(templateIds.map((t) => [t, 0]));
    if (templateIds.length === 0) return out;
    const { data } = await this.col
      .where({ _id: this.db.command.in(templateIds.map((t) => idOf(openid, t))) })
      .get();
    for (const doc of data) {
      const t = doc.templateId;
      if (typeof t === 'string' && t in out) out[t] = typeof doc.count === 'number' ? doc.count : 0;
    }
    return out;
  }
}
