import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections } from './collections';

/**
 * At most one pass per key per interval, shared by every instance of a function (`throttles`, `_id` = key,
 * `nextAtMs` = when the next pass is allowed). One conditional update — a compare-and-set on the time — and, the
 * first time a key is seen, one insert whose unique _id settles a race between two instances.
 */
export class DbThrottle {
  constructor(
    private readonly db: CloudDb,
    private readonly now: () => number,
  ) {}

  /** True when the caller may proceed now (and the key is then closed for `intervalMs`). */
  async tryPass(key: string, intervalMs: number): Promise<boolean> {
    const now = this.now();
    const throttles = this.db.collection(Collections.throttles);
    const { stats } = await throttles
      .where({ _id: key, nextAtMs: this.db.command.lte(now) })
      .update({ data: { nextAtMs: now + intervalMs } });
    if (stats.updated === 1) return true;
    try {
      await throttles.add({ data: { _id: key, nextAtMs: now + intervalMs, firstAtMs: now } });
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }
}
