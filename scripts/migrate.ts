// `npm run migrate [-- --data-dir DIR]`: runs the data migrations (docs/MIGRATIONS.md) on the local stack's database
// (<DIR>/cloud/db, default .data) through the same database port the functions use, then checks the declared unique
// indexes hold. Stop `npm start` first (one process per data dir); `npm start` also runs them at every start.
// Exit code 0 when the data is complete, 1 when orders are left for a person (listed) or the run failed.
import { join, resolve } from 'node:path';
import { openDevDatabase } from '../devcloud';
import type { CloudDb } from '../server/adapters/db/cloud-db';
import {
  describePaymentKeyReport,
  migrateOrderPaymentKeys,
  type PaymentKeyMigrationReport,
} from '../server/adapters/db/payment-key.migration';

const ROOT = resolve(__dirname, '..');

/** Runs the migrations on the local cloud database under `dataDir` (the stack's data dir) and answers the report. */
export async function migrateLocalData(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<PaymentKeyMigrationReport> {
  let report: PaymentKeyMigrationReport | undefined;
  const handle = await openDevDatabase({
    dataDir: join(resolve(dataDir), 'cloud'),
    collectionsFile: join(ROOT, 'data', 'collections.json'),
    log,
    migrate: async (db) => {
      report = await migrateOrderPaymentKeys(db as unknown as CloudDb);
    },
  });
  await handle.close();
  if (report === undefined) throw new Error('the migration did not run');
  return report;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--data-dir');
  const dataDir = i >= 0 ? process.argv[i + 1] : undefined;
  if (i >= 0 && dataDir === undefined) throw new Error('--data-dir needs a directory');
  const report = await migrateLocalData(dataDir ?? join(ROOT, '.data'), (line) => console.error(line));
  console.log(`paymentKey migration: ${describePaymentKeyReport(report)}`);
  if (!report.complete) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`migration failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
