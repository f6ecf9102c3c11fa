// Every built function bundle (what DevTools uploads) loads the way the cloud loads it — only wx-server-sdk and Node
// built-ins may be required — exports main, and carries none of the dev-only code.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectionsConfig } from '../devcloud/db/collections-config';
import { Engine } from '../devcloud/db/engine';
import { Store } from '../devcloud/db/store';
import { FunctionRegistry } from '../devcloud/gateway/loader';
import { createWxServerSdk } from '../devcloud/sdk/index';
import { WX_SERVER_SDK_VERSION, bundleInputs } from '../scripts/build';

const ROOT = join(__dirname, '..');
const FUNCTIONS = join(ROOT, 'cloudfunctions');
/** Issue 10's budget per bundle, wx-server-sdk excluded. */
const MAX_BUNDLE_BYTES = 300 * 1000;
const names = readdirSync(FUNCTIONS).filter((n) => statSync(join(FUNCTIONS, n)).isDirectory());

describe('cloud function bundles', () => {
  let dir: string;
  let store: Store;
  let registry: FunctionRegistry;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxshop-bundles-'));
    const { collections } = loadCollectionsConfig(join(ROOT, 'data', 'collections.json'));
    store = await Store.open({ dir, collections, log: () => undefined });
    const engine = new Engine(store);
    registry = new FunctionRegistry({
      functionsDir: FUNCTIONS,
      env: {},
      makeSdk: (functionName) => createWxServerSdk({ engine, envId: 'bundle-test', functionName }),
    });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('there is one bundle per function folder', () => {
    expect(names.sort()).toEqual(
      [
        'channelPay',
        'closeExpired',
        'msg',
        'order',
        'pay',
        'payCallback',
        'payNotify',
        'reconcile',
        'refund',
        'shop',
        'staff',
        'tradeEvents',
      ].sort(),
    );
  });

  it.each(names)('%s loads with only wx-server-sdk external and exports main', async (name) => {
    const fn = registry.load(name);
    expect(typeof fn.main).toBe('function');
    const pkg = JSON.parse(readFileSync(join(FUNCTIONS, name, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies).toEqual({ 'wx-server-sdk': WX_SERVER_SDK_VERSION });
    // What esbuild bundled (the built file is minified, so it is asked directly): no dev-only code, one composition root.
    const inputs = await bundleInputs(name);
    expect(inputs.filter((p) => /^(simulator|devcloud|test|scripts)\//.test(p))).toEqual([]);
    expect(inputs.some((p) => /^server\/composition(-shop|-msg)?\.ts$/.test(p))).toBe(true);
  });

  it.each(names)('%s is at most 300 KB and ships none of the library code it never runs', async (name) => {
    // wx-server-sdk is external (installed by the cloud), so the file size is everything else.
    expect(statSync(join(FUNCTIONS, name, 'index.js')).size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    const inputs = await bundleInputs(name);
    expect(
      inputs.filter((p) => /node_modules\/(superagent|formidable|mime|mime-db|@fidm|tweetnacl|qs)\//.test(p)),
    ).toEqual([]);
  });
});
