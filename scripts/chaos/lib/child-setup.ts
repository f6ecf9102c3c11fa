// What a crash run's stack process does once it serves (a setup module of the harness's child stack): on the first
// start of a data dir it restocks the catalog for a run of `orders` orders; a start after a kill finds the marker and
// leaves the stock as the run left it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildSetup } from '../../../devcloud/harness';
import { prepareChaosCatalog } from './run';

export const setup: ChildSetup = async (stack, { spec }) => {
  const marker = join(spec.dataDir, 'chaos-catalog-prepared');
  if (!existsSync(marker)) {
    await prepareChaosCatalog(stack.cloud.db, Number(spec.setupArgs?.orders));
    writeFileSync(marker, 'yes\n');
  }
  return {};
};
