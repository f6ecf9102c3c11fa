// `npm run bench [-- --quick] [--runs N] [--out FILE] [--json FILE]`: measures the machine's bounds and the system in
// the same run and writes docs/PERFORMANCE.md (see that file for what each figure is). --quick is a small smoke
// version (npm test runs it through scripts/bench/bench.test.ts, into a temp file; no timing is asserted anywhere).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FULL, QUICK, runBench, type BenchResult } from './lib/run';
import { keptNotesOf, renderReport } from './lib/report';
import { measureLatency } from './lib/latency';
import { CLOUD_LATENCY, formatLatency, parseLatency, type LatencyModel } from '../../devcloud/latency';

const ROOT = resolve(__dirname, '..', '..');

/** Options of the command. */
export interface BenchOptions {
  quick: boolean;
  runs: number;
  out: string;
  json?: string;
  /** Build first (default); npm test's smoke run skips it because jest's global setup just built. */
  build?: boolean;
  /** The latency phase's model (--latency SPEC; default the cloud's), null to skip it (--latency off). */
  latency?: LatencyModel | null;
}

/** Shoppers of the latency phase (one after another). */
const LATENCY_SAMPLES = { full: 40, quick: 3 };
/** Shoppers of its unmeasured warm-up (./lib/latency.ts). */
const LATENCY_WARMUP = { full: 160, quick: 2 };

/** Parses the command line; throws naming a bad argument. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { quick: false, runs: 1, out: join(ROOT, 'docs', 'PERFORMANCE.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${String(a)} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1 || v > 5) throw new Error('--runs needs an integer 1–5');
      o.runs = v;
    } else if (a === '--out') o.out = resolve(value());
    else if (a === '--json') o.json = resolve(value());
    else if (a === '--latency') o.latency = parseLatency(value());
    else
      throw new Error(
        `unknown argument "${String(a)}" (options: --quick --runs N --out FILE --json FILE --latency cloud|off|db=MS,pay=MS,call=MS,jitter=F)`,
      );
  }
  return o;
}

/** Runs the bench as asked and writes the report; answers the runs. */
export async function bench(o: BenchOptions, log: (line: string) => void): Promise<BenchResult[]> {
  const runs: BenchResult[] = [];
  for (let i = 0; i < o.runs; i++) {
    log(`bench: run ${i + 1} of ${o.runs}${o.quick ? ' (quick)' : ''}`);
    const size = { ...(o.quick ? QUICK : FULL), build: o.build ?? true };
    const run = await runBench(size, (line) => log(`  ${line}`));
    const model = o.latency === undefined ? CLOUD_LATENCY : o.latency;
    if (model !== null)
      run.latency = await measureLatency(
        model,
        o.quick ? LATENCY_SAMPLES.quick : LATENCY_SAMPLES.full,
        (line) => log(`  ${line}`),
        o.quick ? LATENCY_WARMUP.quick : LATENCY_WARMUP.full,
      );
    runs.push(run);
  }
  const kept = existsSync(o.out) ? keptNotesOf(readFileSync(o.out, 'utf8')) : '';
  const args = [
    ...(o.quick ? ['--quick'] : o.runs > 1 ? ['--runs', String(o.runs)] : []),
    ...(o.latency === undefined ? [] : ['--latency', o.latency === null ? 'off' : formatLatency(o.latency)]),
  ];
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  writeFileSync(o.out, renderReport(runs, kept, command));
  // Formatted as the repository's prettier check wants it (the doc is committed and linted like any other file); in a
  // child process because prettier loads its plugins with dynamic import, which jest's module system refuses.
  execFileSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), '--write', '--log-level', 'warn', o.out],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(runs, null, 2)}\n`);
  log(`bench: wrote ${o.out}`);
  return runs;
}

if (require.main === module) {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(2);
  }
  bench(opts, (line) => console.log(line)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
