import type { ReconcileReportStore } from '../../application/ports/order.port';
import type { Metrics } from '../../application/ports/runtime.port';
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections } from './collections';

/** Reconciliation reports in `reconcile_reports` (`_id` = "trade-YYYY-MM-DD"). */
export class DbReconcileReportStore implements ReconcileReportStore {
  constructor(private readonly db: CloudDb) {}

  async save(id: string, report: Record<string, unknown>): Promise<void> {
    await this.db.collection(Collections.reconcileReports).doc(id).set({ data: report });
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    const { data } = await this.db.collection(Collections.reconcileReports).where({ _id: id }).limit(1).get();
    return data[0] ?? null;
  }
}

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
