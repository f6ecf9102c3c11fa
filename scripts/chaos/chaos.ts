// `npm run chaos [-- --seed N --orders N]`: a seeded chaos run through a local stack started for it (see
// scripts/chaos/README.md). Prints the figures; exits 1 when an invariant is violated, naming the order.
import { buildFunctions } from '../build';
import { parseCli } from './args';
import { startLocalChaosStack } from './lib/local';
import { formatReport, runChaos } from './lib/run';

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2), { orders: 1000 });
  // The stack runs the built bundles: build them from this checkout, as npm start does.
  await buildFunctions();
  console.log(`chaos: seed ${cli.seed}, ${cli.orders} orders (repeat with --seed ${cli.seed})`);
  const local = await startLocalChaosStack({ orders: cli.orders, logLevel: cli.logLevel });
  try {
    const report = await runChaos(local.client, {
      seed: cli.seed,
      orders: cli.orders,
      concurrency: cli.concurrency,
      log: (line) => console.log(`  … ${line}`),
    });
    console.log(cli.json ? JSON.stringify(report, null, 2) : formatReport(report));
    if (report.violations.length > 0) {
      console.error(
        `chaos: ${report.violations.length} invariant violation(s); reproduce with --seed ${cli.seed} --orders ${cli.orders}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await local.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
