// `npm start`: builds the function bundles and miniprogram_npm, then runs the local stack (devcloud/start.ts) with the
// options given after `--` (--partner, --data-dir DIR, --time-scale N, --no-timers, --lan …). The build lives here so
// that the local cloud never depends on the build script.
import { failedToStart, runLocalStack } from '../devcloud/start';
import { buildFunctions, buildMiniprogramNpm } from './build';

async function main(): Promise<void> {
  console.log('[stack] building cloud function bundles and miniprogram_npm …');
  const sizes = await buildFunctions();
  buildMiniprogramNpm();
  console.log(`[stack] built ${Object.keys(sizes).length} functions: ${Object.keys(sizes).join(', ')}`);
  await runLocalStack(process.argv.slice(2));
}

main().catch(failedToStart);
