// Runs the local cloud on its own: `tsx devcloud/cli.ts [options]`. Prints one JSON line on stdout when ready
// ({"event":"devcloud.ready","url":...,"pid":...}); logs go to stderr. Stops cleanly on SIGINT/SIGTERM.
//   --data-dir <dir>         state (default .data/cloud; the database is <dir>/db)
//   --functions-dir <dir>    built functions (default cloudfunctions)
//   --collections <file>     collections declaration (default data/collections.json)
//   --port <n>               gateway port (default 7300; 0 = any free port)
//   --host <addr>            gateway interface (default 127.0.0.1)
//   --env KEY=VALUE          function configuration (repeatable)
//   --env-file <file.json>   function configuration as a JSON object of strings
//   --no-timers              do not run timer triggers on schedule (they can still be fired on demand)
import { readFileSync } from 'node:fs';
import { startDevCloud, type DevCloudOptions } from './index';

/** Parses the command line into startDevCloud options; throws naming the bad argument. */
export function parseArgs(argv: readonly string[]): DevCloudOptions {
  const opts: DevCloudOptions = {
    dataDir: '.data/cloud',
    functionsDir: 'cloudfunctions',
    collectionsFile: 'data/collections.json',
    port: 7300,
    env: {},
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    switch (flag) {
      case '--data-dir':
        opts.dataDir = value(i++, flag);
        break;
      case '--functions-dir':
        opts.functionsDir = value(i++, flag);
        break;
      case '--collections':
        opts.collectionsFile = value(i++, flag);
        break;
      case '--port': {
        const port = Number(value(i++, flag));
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
        opts.port = port;
        break;
      }
      case '--host':
        opts.host = value(i++, flag);
        break;
      case '--env': {
        const pair = value(i++, flag);
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`--env expects KEY=VALUE, got "${pair.split('=')[0] ?? ''}..."`);
        opts.env[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      case '--env-file': {
        const file = value(i++, flag);
        const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
          throw new Error(`${file} must hold a JSON object`);
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== 'string') throw new Error(`${file}: "${k}" must be a string`);
          opts.env[k] = v;
        }
        break;
      }
      case '--no-timers':
        opts.timers = false;
        break;
      default:
        throw new Error(`unknown argument "${flag}"`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // A function's floating promise or stray throw must not take the whole local cloud down (in the cloud it would
  // only kill that function's instance).
  process.on('unhandledRejection', (e) => log(`[devcloud] unhandled rejection in a function: ${String(e)}`));
  process.on('uncaughtException', (e) =>
    log(`[devcloud] uncaught exception in a function: ${e.stack ?? e.message}`),
  );
  const cloud = await startDevCloud({ ...parseArgs(process.argv.slice(2)), log });
  process.stdout.write(`${JSON.stringify({ event: 'devcloud.ready', url: cloud.url, pid: process.pid })}\n`);
  const stop = () => {
    cloud.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`[devcloud] close failed: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`devcloud failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
