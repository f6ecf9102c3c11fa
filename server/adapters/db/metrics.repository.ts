import type { Metrics } from '../../application/ports/runtime.port';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections } from './collections';

/** Counters in `metrics` (`_id` = counter name, `value` = count). A failure is logged, never thrown. */
export class DbMetrics implements Metrics {
  constructor(
    private readonly db: CloudDb,
    private readonly onError: (name: string, error: unknown) => void,
  ) {}

  async increment(name: string, by = 1): Promise<void> {
    const metrics = this.db.collection(Collections.metrics);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { stats } = await metrics
          .where({ _id: name })
          .update({ data: { value: this.db.command.inc(by) } });
        if (stats.updated === 1) return;
        try {
          await metrics.add({ data: { _id: name, value: by } });
          return;
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e;
        }
      }
    } catch (e) {
      this.onError(name, e);
    }
  }
}
