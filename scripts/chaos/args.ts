// Command-line options shared by `npm run chaos` and `npm run crash`.
import { randomSeed } from './lib/prng';

export interface CliOptions {
  seed: number;
  orders: number;
  concurrency: number;
  logLevel: string;
  json: boolean;
}

/** Parses --seed N, --orders N, --concurrency N, --log-level L, --json; throws naming a bad argument. */
export function parseCli(argv: readonly string[], defaults: { orders: number }): CliOptions {
  const o: CliOptions = {
    seed: randomSeed(),
    orders: defaults.orders,
    concurrency: 8,
    logLevel: 'silent',
    json: false,
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min)
      throw new Error(`${flag} needs an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--seed':
        o.seed = int(flag, argv[++i], 0);
        break;
      case '--orders':
        o.orders = int(flag, argv[++i], 1);
        break;
      case '--concurrency':
        o.concurrency = int(flag, argv[++i], 1);
        break;
      case '--log-level': {
        const v = argv[++i];
        if (v === undefined || !['info', 'warn', 'error', 'silent'].includes(v))
          throw new Error('--log-level needs info, warn, error or silent');
        o.logLevel = v;
        break;
      }
      case '--json':
        o.json = true;
        break;
      default:
        throw new Error(
          `unknown argument "${String(flag)}" (options: --seed N --orders N --concurrency N --log-level L --json)`,
        );
    }
  }
  return o;
}
