// Cloud function bundle sizes and cold-load times, each load timed in a fresh Node process. A bundle is required with
// wx-server-sdk already loaded, so its figure is its own cost beyond wx-server-sdk's: the real SDK when one is installed
// (findWxServerSdk), else a do-nothing stand-in that first loads the Node built-ins the real SDK's require + init loads
// (SDK_BUILTINS), which a bundle would otherwise pay for in its own figure (node:https alone compiles in ~12 ms).
// Either way the collector runs before the clock starts, so the SDK's garbage is not charged to the bundle.
// wx-server-sdk's own cost (require + init, as every function's first line does) is measured separately when a real
// copy is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './load';

/** One bundle's figures. */
export interface BundleFigures {
  name: string;
  bytes: number;
  /** Median over fresh processes of the wall time to require the bundle (wx-server-sdk stand-in already loaded). */
  loadMs: number;
  /** The same loads' CPU time (less sensitive than wall time to other work on a shared machine). */
  loadCpuMs: number;
}

/** wx-server-sdk's own figures (null when it is not installed anywhere the bench looks). */
export interface SdkFigures {
  /** Median wall time of require('wx-server-sdk') + init(). */
  loadMs: number;
  dir: string;
}

/**
 * The Node built-ins wx-server-sdk 4.0.2 has loaded once `require('wx-server-sdk')` and `init()` return (its
 * dependencies' HTTP, TLS, HTTP/2 and zlib clients among them), read from process.moduleLoadList on Node 20; the global
 * fetch is touched too (it loads undici). On the platform a bundle finds them loaded: the stand-in loads them first.
 */
export const SDK_BUILTINS = [
  'string_decoder',
  'stream',
  'stream/promises',
  'diagnostics_channel',
  'net',
  'http',
  'tls',
  'https',
  'crypto',
  'assert',
  'zlib',
  'http2',
  'perf_hooks',
  'util/types',
  'worker_threads',
  'tty',
  'dns',
] as const;

const PROBE = String.raw`
const Module = require('module');
const [bundle, sdkDir, builtins] = process.argv.slice(1);
const ns = () => process.hrtime.bigint();
let sdk;
const t0 = ns();
if (sdkDir) {
  sdk = require(require.resolve('wx-server-sdk', { paths: [sdkDir] }));
  sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV });
} else {
  for (const name of builtins.split(',')) require(name);
  void globalThis.fetch;
  sdk = { DYNAMIC_CURRENT_ENV: Symbol('env'), init() {}, database() { return {}; }, getWXContext() { return {}; } };
}
const t1 = ns();
globalThis.gc();
const key = '/__bench__/wx-server-sdk.js';
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'wx-server-sdk' ? key : resolve.call(this, request, ...rest);
};
const m = new Module(key);
m.filename = key;
m.exports = sdk;
m.loaded = true;
require.cache[key] = m;
const c2 = process.cpuUsage();
const t2 = ns();
if (bundle) require(bundle);
const t3 = ns();
const c3 = process.cpuUsage(c2);
process.stdout.write(JSON.stringify({
  sdkMs: Number(t1 - t0) / 1e6,
  bundleMs: Number(t3 - t2) / 1e6,
  bundleCpuMs: (c3.user + c3.system) / 1000,
}));
`;

interface Probe {
  sdkMs: number;
  bundleMs: number;
  bundleCpuMs: number;
}

function probe(bundle: string, sdkDir: string | undefined): Probe {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '-e', PROBE, bundle, sdkDir ?? '', SDK_BUILTINS.join(',')],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as Probe;
}

/**
 * Where a real wx-server-sdk can be loaded from: $WX_SERVER_SDK_DIR (a folder whose node_modules has it, e.g. made with
 * `npm install --prefix <dir> wx-server-sdk@4.0.2`), else the project's own node_modules; undefined when neither has it.
 */
export function findWxServerSdk(root: string): string | undefined {
  for (const dir of [process.env.WX_SERVER_SDK_DIR, root]) {
    if (
      dir !== undefined &&
      dir !== '' &&
      existsSync(join(dir, 'node_modules', 'wx-server-sdk', 'package.json'))
    )
      return dir;
  }
  return undefined;
}

/** Sizes and load times of every built bundle under `functionsDir`; `runs` fresh processes per bundle. */
export function measureBundles(
  functionsDir: string,
  runs: number,
  sdkDir: string | undefined,
): { bundles: BundleFigures[]; sdk: SdkFigures | null } {
  const bundles: BundleFigures[] = [];
  for (const name of readdirSync(functionsDir).sort()) {
    const file = join(functionsDir, name, 'index.js');
    if (!existsSync(file)) continue;
    const probes: Probe[] = [];
    for (let i = 0; i < runs; i++) probes.push(probe(file, undefined));
    bundles.push({
      name,
      bytes: statSync(file).size,
      loadMs: percentile(
        probes.map((p) => p.bundleMs),
        50,
      ),
      loadCpuMs: percentile(
        probes.map((p) => p.bundleCpuMs),
        50,
      ),
    });
  }
  let sdk: SdkFigures | null = null;
  if (sdkDir !== undefined) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(probe('', sdkDir).sdkMs);
    sdk = { loadMs: percentile(times, 50), dir: sdkDir };
  }
  return { bundles, sdk };
}
