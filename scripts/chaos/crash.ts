// `npm run crash [-- --seed N --orders N]`: a chaos run against a stack in a child process, killed with SIGKILL twice
// during notification storms and restarted on the same data; then the invariants and the money-path counters.
import { buildFunctions } from '../build';
import { parseCli } from './args';
import { runCrash } from './lib/crash';
import { formatReport } from './lib/run';

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2), { orders: 400 });
  // The stack runs the built bundles: build them from this checkout, as npm start does.
  await buildFunctions();
  console.log(
    `crash: seed ${cli.seed}, ${cli.orders} orders, kill -9 twice (repeat with --seed ${cli.seed})`,
  );
  const report = await runCrash({
    seed: cli.seed,
    orders: cli.orders,
    concurrency: cli.concurrency,
    logLevel: cli.logLevel,
    log: (line) => console.log(`  … ${line}`),
  });
  if (cli.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(formatReport(report));
    for (const k of report.kills)
      console.log(
        `  kill -9:           round ${k.round + 1}, ${k.paidBeforeKill} payments made, ${k.notificationsPendingAtKill} notifications pending, back in ${k.restartMs} ms`,
      );
  }
  if (report.kills.length < 2) {
    console.error('crash: the stack was not killed twice (too few rounds: raise --orders)');
    return 1;
  }
  if (report.violations.length > 0) {
    console.error(
      `crash: ${report.violations.length} invariant violation(s); data kept in ${report.dataDir}; reproduce with --seed ${cli.seed} --orders ${cli.orders}`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
