import type { ReconcileReportStore } from '../../application/ports/order.port';
import type { CloudDb } from './cloud-db';
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
