// The data migrations a deploy brings along (docs/MIGRATIONS.md), in the order they run. Each is idempotent and
// resumable; in the cloud it runs with a function's own database handle, before the index it prepares is created.
// `npm run deploy` runs them through WeChat's HTTP API (tcb/invokecloudfunction) when WECHAT_APPSECRET is set
// (scripts/deploy/run-migrations.ts): `function` hosts the operator action, which refuses any other caller.
export interface MigrationStep {
  id: string;
  collection: string;
  module: string;
  /** The function whose operator action runs it, one batch per call (server/adapters/db/data-migrations.ts). */
  function: string;
  /** What must wait until the migration answers complete. */
  before: string;
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    id: 'order-payment-keys',
    collection: 'orders',
    module: 'server/adapters/db/payment-key.migration.ts',
    function: 'reconcile',
    before: 'creating the unique index payment_key_unique (docs/MIGRATIONS.md)',
  },
];
