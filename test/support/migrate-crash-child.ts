// Child process for the migration crash test: runs the paymentKey migration on a stack data dir (argv[2]) as
// `npm run migrate` does (unique indexes deferred) and SIGKILLs itself right after the write number argv[3] reached
// the datafile: a run that died halfway.
import { loadCollectionsConfig } from '../../devcloud/db/collections-config';
import type { CloudDb } from '../../server/adapters/db/cloud-db';
import { migrateOrderPaymentKeys } from '../../server/adapters/db/payment-key.migration';
import { join } from 'node:path';
import { openCloudDb } from './old-data';

async function main(): Promise<void> {
  const [dataDir, killAfter] = process.argv.slice(2);
  if (dataDir === undefined || killAfter === undefined)
    throw new Error('usage: migrate-crash-child.ts <dataDir> <writes>');
  let writes = 0;
  const collections = loadCollectionsConfig(
    join(__dirname, '..', '..', 'data', 'collections.json'),
  ).collections;
  const { db } = await openCloudDb(dataDir, collections, {
    deferUniqueIndexes: true,
    onCommitPhase: (phase) => {
      if (phase === 'applied' && ++writes === Number(killAfter)) process.kill(process.pid, 'SIGKILL');
    },
  });
  await migrateOrderPaymentKeys(db as unknown as CloudDb);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
