// Loads BUILT cloud function bundles (cloudfunctions/<name>/index.js, what DevTools uploads) and hands each one the
// local wx-server-sdk stand-in. A bundle runs in a CommonJS wrapper through node:vm with its own `require`: that maps
// 'wx-server-sdk' to the stand-in and Node built-ins to Node, and refuses anything else, because in the cloud only
// wx-server-sdk is installed next to the bundle. The wrapper also shadows `process` so each function sees only its own
// configured environment variables in process.env. Works the same under jest and tsx (no Module._resolveFilename hooks).
import { existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { types } from 'node:util';
import { runInThisContext } from 'node:vm';
import { isPlainObject } from '../db/values';
import type { WxServerSdk } from '../sdk/types';
import { parseCron, type CronSchedule } from './cron';

/** A timer trigger declared in a function's config.json. */
export interface TimerTrigger {
  functionName: string;
  name: string;
  config: string;
  schedule: CronSchedule;
}

/** What the local cloud reads from a function's config.json. */
export interface FunctionConfig {
  triggers: TimerTrigger[];
  /** Execution time limit in ms (config.json "timeout" in seconds; the cloud's default is 3 s). */
  timeoutMs: number;
}

/** A loaded function: its `main` and the bundle it came from. */
export interface LoadedFunction {
  name: string;
  bundlePath: string;
  main: (event: unknown, context: unknown) => unknown;
}

/** The cloud's default function timeout. */
export const DEFAULT_TIMEOUT_MS = 3000;

/** Base class of the loader's errors; `code` is stable and shown to callers. */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly code:
      'DEVCLOUD.FUNCTION_NOT_FOUND' | 'DEVCLOUD.FUNCTION_NOT_BUILT' | 'DEVCLOUD.FUNCTION_LOAD_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Names a function may have (the cloud allows letters, digits, "-" and "_"). */
export const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

/** Parses a function's config.json value; throws naming the file and the problem. */
export function parseFunctionConfig(raw: unknown, functionName: string, file: string): FunctionConfig {
  if (!isPlainObject(raw)) throw new Error(`${file}: must be a JSON object`);
  const timeoutRaw = raw.timeout;
  if (timeoutRaw !== undefined && (typeof timeoutRaw !== 'number' || !(timeoutRaw > 0) || timeoutRaw > 900)) {
    throw new Error(`${file}: "timeout" must be a number of seconds between 0 and 900`);
  }
  const triggersRaw = raw.triggers ?? [];
  if (!Array.isArray(triggersRaw)) throw new Error(`${file}: "triggers" must be an array`);
  if (triggersRaw.length > 1) {
    throw new Error(`${file}: WeChat allows one trigger per function, found ${triggersRaw.length}`);
  }
  const triggers = triggersRaw.map((t: unknown, i): TimerTrigger => {
    const at = `${file}: triggers[${i}]`;
    if (!isPlainObject(t)) throw new Error(`${at} must be an object {name, type: "timer", config}`);
    if (t.type !== 'timer')
      throw new Error(`${at}.type must be "timer" (the only trigger type), got ${JSON.stringify(t.type)}`);
    if (typeof t.name !== 'string' || !TRIGGER_NAME.test(t.name)) {
      throw new Error(`${at}.name must start with a letter and hold at most 60 letters, digits, "-" or "_"`);
    }
    if (typeof t.config !== 'string') throw new Error(`${at}.config must be a 7-field cron string`);
    let schedule: CronSchedule;
    try {
      schedule = parseCron(t.config);
    } catch (e) {
      throw new Error(`${at}.config: ${(e as Error).message}`);
    }
    return { functionName, name: t.name, config: t.config, schedule };
  });
  return {
    triggers,
    timeoutMs: typeof timeoutRaw === 'number' ? Math.round(timeoutRaw * 1000) : DEFAULT_TIMEOUT_MS,
  };
}

const WRAPPER_PARAMS = [
  'exports',
  'require',
  'module',
  '__filename',
  '__dirname',
  'process',
  'Date',
] as const;

/**
 * A Date constructor whose "now" (new Date(), Date.now()) is `now()`: the local stack runs functions on the
 * simulator's virtual business clock, so expiry and daily jobs can be tested by advancing time. Dates built from
 * explicit values behave as usual.
 */
export function clockedDate(now: () => number): DateConstructor {
  class ClockedDate extends Date {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return now();
    }
  }
  return ClockedDate as unknown as DateConstructor;
}

// Under jest, test code lives in a vm context of its own while runInThisContext compiles into Node's main context: a
// bundle's Dates, Errors and plain objects would then fail `instanceof` checks in the code that receives them (and the
// other way round). So the bundle is compiled in the realm of this module: through runInThisContext when that is the
// same realm (plain Node, tsx: exact file/line in stack traces), else through this realm's Function constructor.
const SAME_REALM = runInThisContext('Object') === Object;

function compileWrapper(source: string, bundlePath: string): (...args: unknown[]) => void {
  if (SAME_REALM) {
    return runInThisContext(`(function (${WRAPPER_PARAMS.join(', ')}) {${source}\n})`, {
      filename: bundlePath,
    }) as (...args: unknown[]) => void;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating the bundle is the point; see above
  return new Function(...WRAPPER_PARAMS, `${source}\n//# sourceURL=${bundlePath}`) as (
    ...args: unknown[]
  ) => void;
}

/** What a file was when something was made from it: the thing is kept while the file's mtime and size stay the same. */
interface FileVersion {
  mtimeMs: number;
  size: number;
}

/** The file of function `name` as it is now (undefined when missing, or when `name` is no function name). */
function statOf(name: string, file: string): Stats | undefined {
  return FUNCTION_NAME.test(name) ? statSync(file, { throwIfNoEntry: false }) : undefined;
}

/** True when `cached` was made from the file as `now` says it still is. */
function unchanged(cached: FileVersion | undefined, now: Stats | undefined): cached is FileVersion {
  return (
    now !== undefined && cached !== undefined && cached.mtimeMs === now.mtimeMs && cached.size === now.size
  );
}

/** Options of {@link FunctionRegistry}. */
export interface RegistryOptions {
  functionsDir: string;
  /** Builds the wx-server-sdk stand-in for one function (called at each (re)load). */
  makeSdk: (functionName: string) => WxServerSdk;
  /** Environment variables every function sees as process.env (its configuration). */
  env: Readonly<Record<string, string>>;
  /** The functions' business clock (epoch ms) for Date; the real clock when absent. */
  now?: () => number;
}

/** Finds, configures and loads the functions of a functions directory; reloads a bundle when its file changes. */
export class FunctionRegistry {
  private readonly cache = new Map<string, FileVersion & { fn: LoadedFunction }>();
  private readonly configs = new Map<string, FileVersion & { config: FunctionConfig }>();

  constructor(private readonly opts: RegistryOptions) {}

  /** Function folder names (folders holding an index.js, a config.json or a src/). */
  list(): string[] {
    if (!existsSync(this.opts.functionsDir)) return [];
    return readdirSync(this.opts.functionsDir)
      .filter((n) => FUNCTION_NAME.test(n))
      .filter((n) => {
        const dir = join(this.opts.functionsDir, n);
        return (
          statSync(dir).isDirectory() &&
          ['index.js', 'config.json', 'src'].some((entry) => existsSync(join(dir, entry)))
        );
      })
      .sort();
  }

  private dirOf(name: string): string {
    if (!FUNCTION_NAME.test(name))
      throw new FunctionError('DEVCLOUD.FUNCTION_NOT_FOUND', `invalid function name "${name}"`);
    const dir = join(this.opts.functionsDir, name);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new FunctionError(
        'DEVCLOUD.FUNCTION_NOT_FOUND',
        `no cloud function named "${name}" in ${this.opts.functionsDir}`,
      );
    }
    return dir;
  }

  /**
   * The function's config.json (defaults when absent). Parsed once and kept while the file's mtime and size stay the
   * same: a warm invocation then costs one stat instead of a read, a JSON parse and a cron parse.
   */
  config(name: string): FunctionConfig {
    const file = join(this.opts.functionsDir, name, 'config.json');
    const st = statOf(name, file);
    const cached = this.configs.get(name);
    if (unchanged(cached, st)) return cached.config;
    this.dirOf(name);
    if (st === undefined) {
      this.configs.delete(name);
      return { triggers: [], timeoutMs: DEFAULT_TIMEOUT_MS };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const config = parseFunctionConfig(raw, name, file);
    this.configs.set(name, { mtimeMs: st.mtimeMs, size: st.size, config });
    return config;
  }

  /** Every timer trigger of every function. */
  timerTriggers(): TimerTrigger[] {
    return this.list().flatMap((n) => this.config(n).triggers);
  }

  /** The loaded function (cold start on first use or after the bundle changed: one stat per warm call). */
  load(name: string): LoadedFunction {
    const bundlePath = join(this.opts.functionsDir, name, 'index.js');
    const st = statOf(name, bundlePath);
    const cached = this.cache.get(name);
    if (unchanged(cached, st)) return cached.fn;
    this.dirOf(name);
    if (st === undefined) {
      throw new FunctionError(
        'DEVCLOUD.FUNCTION_NOT_BUILT',
        `cloud function "${name}" has no bundle at ${bundlePath}: run \`npm run build\` to bundle cloudfunctions/${name}/src`,
      );
    }
    const fn = this.evaluate(name, bundlePath);
    this.cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, fn });
    return fn;
  }

  private evaluate(name: string, bundlePath: string): LoadedFunction {
    const source = readFileSync(bundlePath, 'utf8').replace(/^#!.*/, '');
    const sdk = this.opts.makeSdk(name);
    const nodeRequire = createRequire(bundlePath);
    const fnRequire = (id: string): unknown => {
      if (id === 'wx-server-sdk') return sdk;
      if (isBuiltin(id)) return nodeRequire(id);
      throw new Error(
        `cloud function "${name}" requires "${id}", which is not in its bundle: in the cloud only wx-server-sdk is ` +
          'installed, so bundle every other dependency (npm run build)',
      );
    };
    const env = { ...this.opts.env };
    const fnProcess = new Proxy(process, {
      get(target, prop) {
        if (prop === 'env') return env;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const module = {
      exports: {} as Record<string, unknown>,
      filename: bundlePath,
      id: bundlePath,
      loaded: false,
    };
    try {
      const wrapper = compileWrapper(source, bundlePath);
      const fnDate = this.opts.now ? clockedDate(this.opts.now) : Date;
      wrapper(module.exports, fnRequire, module, bundlePath, join(bundlePath, '..'), fnProcess, fnDate);
    } catch (e) {
      throw new FunctionError(
        'DEVCLOUD.FUNCTION_LOAD_FAILED',
        `cloud function "${name}" failed to load from ${bundlePath}: ${types.isNativeError(e) ? e.message : String(e)}`,
      );
    }
    module.loaded = true;
    const exported = module.exports as { main?: unknown } | null;
    const main = typeof exported === 'object' && exported !== null ? exported.main : undefined;
    if (typeof main !== 'function') {
      throw new FunctionError(
        'DEVCLOUD.FUNCTION_LOAD_FAILED',
        `cloud function "${name}" does not export main(event, context)`,
      );
    }
    return { name, bundlePath, main: main as LoadedFunction['main'] };
  }
}
