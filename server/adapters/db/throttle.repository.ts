import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections, MAX_PAGE } from './collections';

/**
 * A throttle document whose next pass was allowed this long ago is dead: the next tryPass of its key passes anyway
 * (by inserting it again). Far above any interval used (payCallback: 10 s).
 */
export const THROTTLE_RETENTION_MS = 60 * 60_000;
/** Most throttle documents one sweep removes (one reconcile run): bounded work per run, ~144 000 a day. */
export const THROTTLE_SWEEP_MAX = 500;

/**
 * At most one pass per key per interval, shared by every instance of a function (`throttles`, `_id` = key,
 * `nextAtMs` = when the next pass is allowed). One conditional update — a compare-and-set on the time — and, the
 * first time a key is seen, one insert whose unique _id settles a race between two instances.
 *
 * One document per key, overwritten per pass — but keys are per order (payCallback: `paycallback:<outTradeNo>`), so
 * without {@link sweep} the collection keeps one dead document for every order ever called back.
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

  /**
   * Removes up to `max` documents whose next pass was allowed more than THROTTLE_RETENTION_MS ago, oldest first (index
   * `next_at`); answers how many. Each removal re-checks the time, so a key passed again meanwhile is kept; a removed
   * key's next tryPass inserts it again and passes, as it would have.
   */
  async sweep(max = THROTTLE_SWEEP_MAX): Promise<number> {
    const _ = this.db.command;
    const throttles = this.db.collection(Collections.throttles);
    const cutoff = this.now() - THROTTLE_RETENTION_MS;
    let removed = 0;
    for (let page = 0; page < Math.ceil(max / MAX_PAGE) && removed < max; page++) {
      const { data } = await throttles
        .where({ nextAtMs: _.lt(cutoff) })
        .orderBy('nextAtMs', 'asc')
        .field({ _id: true })
        .limit(Math.min(MAX_PAGE, max - removed))
        .get();
      if (data.length === 0) break;
      const { stats } = await throttles
        .where({ _id: _.in(data.map((d) => d._id)), nextAtMs: _.lt(cutoff) })
        .remove();
      removed += stats.removed;
      if (data.length < MAX_PAGE) break;
    }
    return removed;
  }
}
