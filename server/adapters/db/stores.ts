import type { CoreDeps } from '../../application/core.deps';
import { DbAttentionStore } from './attention.repository';
import { DbCartStore } from './cart.repository';
import { DbCatalogReader } from './catalog.repository';
import type { CloudDb } from './cloud-db';
import { DbOrderStore } from './order.repository';
import { DbReconcileReportStore } from './reconcile-report.repository';
import { DbRefundStore } from './refund.repository';
import { DbStockStore } from './stock.repository';

/** The payment core's stores on one database (the composition root and the adapter tests wire the same set). */
export type DbStores = Pick<
  CoreDeps,
  'orders' | 'refunds' | 'stock' | 'reports' | 'attention' | 'catalog' | 'carts'
>;

/** Every repository the payment core uses, on `db`; `nowMs` is the business clock the cart stamps its changes with. */
export function dbStores(db: CloudDb, nowMs: () => number): DbStores {
  return {
    orders: new DbOrderStore(db),
    refunds: new DbRefundStore(db),
    stock: new DbStockStore(db),
    reports: new DbReconcileReportStore(db),
    attention: new DbAttentionStore(db),
    catalog: new DbCatalogReader(db),
    carts: new DbCartStore(db, nowMs),
  };
}
