// The data migrations a deploy brings along (docs/MIGRATIONS.md), in the order they run. Each is idempotent and
// resumable; in the cloud it runs with a function's own database handle, before the index it prepares is created.
export interface MigrationStep {
  id: string;
  collection: string;
  module: string;
  /** What must wait until the migration answers complete. */
  before: string;
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    id: 'order-payment-keys',
    collection: 'orders',
    module: 'server/adapters/db/payment-key.migration.ts',
    before: 'creating the unique index payment_key_unique (docs/MIGRATIONS.md)',
  },
];
