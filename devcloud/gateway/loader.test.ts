import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WxServerSdk } from '../sdk/types';
import { tempDir } from '../test-support/temp';
import { FunctionError, FunctionRegistry, parseFunctionConfig } from './loader';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function writeFunction(name: string, source: string, config: unknown = {}): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), source);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return join(dir, 'index.js');
}

const fakeSdk = (name: string) => ({ marker: `sdk-for-${name}` }) as unknown as WxServerSdk;

describe('FunctionRegistry', () => {
  it('hands each bundle its own wx-server-sdk instance and keeps module state between warm invocations', async () => {
    writeFunction(
      'counter',
      `const sdk = require('wx-server-sdk'); let n = 0; exports.main = async () => ({ n: ++n, sdk: sdk.marker });`,
    );
    const registry = new FunctionRegistry({ functionsDir: tmp.dir, env: {}, makeSdk: fakeSdk });
    const main = registry.load('counter').main;
    expect(await main({}, {})).toEqual({ n: 1, sdk: 'sdk-for-counter' });
    expect(await registry.load('counter').main({}, {})).toEqual({ n: 2, sdk: 'sdk-for-counter' });
  });

  it("compiles bundles in the caller's realm, so their Dates and Errors pass instanceof checks", async () => {
    writeFunction(
      'realm',
      `exports.main = async (e) => { if (e.fail) throw new Error('x'); return { at: new Date(0), list: [1] }; };`,
    );
    const main = new FunctionRegistry({ functionsDir: tmp.dir, env: {}, makeSdk: fakeSdk }).load(
      'realm',
    ).main;
    const result = (await main({}, {})) as { at: unknown; list: unknown };
    expect(result.at).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    await expect(main({ fail: true }, {})).rejects.toBeInstanceOf(Error);
  });

  it('reloads a bundle that was rebuilt (cold start)', async () => {
    const file = writeFunction('v', `exports.main = async () => 'v1';`);
    const registry = new FunctionRegistry({ functionsDir: tmp.dir, env: {}, makeSdk: fakeSdk });
    expect(await registry.load('v').main({}, {})).toBe('v1');
    writeFileSync(file, `exports.main = async () => 'v2-rebuilt';`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await registry.load('v').main({}, {})).toBe('v2-rebuilt');
  });

  it('gives every function its own copy of the configured env as process.env', async () => {
    writeFunction(
      'writer',
      `exports.main = async () => { process.env.SHARED = 'changed'; return process.env.SHARED; };`,
    );
    writeFunction(
      'reader',
      `exports.main = async () => ({ shared: process.env.SHARED, path: process.env.PATH ?? null });`,
    );
    const registry = new FunctionRegistry({
      functionsDir: tmp.dir,
      env: { SHARED: 'configured' },
      makeSdk: fakeSdk,
    });
    expect(await registry.load('writer').main({}, {})).toBe('changed');
    expect(await registry.load('reader').main({}, {})).toEqual({ shared: 'configured', path: null });
    expect(process.env.SHARED).toBeUndefined();
  });

  it('refuses modules other than wx-server-sdk and Node built-ins, naming the module', async () => {
    writeFunction('deps', `exports.main = async (e) => typeof require(e.id);`);
    const main = new FunctionRegistry({ functionsDir: tmp.dir, env: {}, makeSdk: fakeSdk }).load('deps').main;
    expect(await main({ id: 'node:crypto' }, {})).toBe('object');
    expect(await main({ id: 'crypto' }, {})).toBe('object');
    await expect(main({ id: 'axios' }, {})).rejects.toThrow(/requires "axios", which is not in its bundle/);
  });

  it('lists function folders and explains missing, unbuilt and broken functions', () => {
    writeFunction('ok', `exports.main = async () => 1;`);
    writeFunction('nomain', `exports.handler = async () => 1;`);
    mkdirSync(join(tmp.dir, 'unbuilt', 'src'), { recursive: true });
    mkdirSync(join(tmp.dir, 'not-a-function'));
    const registry = new FunctionRegistry({ functionsDir: tmp.dir, env: {}, makeSdk: fakeSdk });
    expect(registry.list()).toEqual(['nomain', 'ok', 'unbuilt']);
    const code = (name: string) => {
      try {
        registry.load(name);
        return 'loaded';
      } catch (e) {
        return e instanceof FunctionError ? `${e.code}: ${e.message}` : String(e);
      }
    };
    expect(code('ok')).toBe('loaded');
    expect(code('nomain')).toMatch(/^DEVCLOUD\.FUNCTION_LOAD_FAILED: .*does not export main/);
    expect(code('unbuilt')).toMatch(/^DEVCLOUD\.FUNCTION_NOT_BUILT: .*run `npm run build`/);
    expect(code('ghost')).toMatch(/^DEVCLOUD\.FUNCTION_NOT_FOUND/);
    expect(code('../etc')).toMatch(/^DEVCLOUD\.FUNCTION_NOT_FOUND: invalid function name/);
  });
});

describe('parseFunctionConfig', () => {
  it('reads the timer trigger and the timeout', () => {
    const cfg = parseFunctionConfig(
      { timeout: 20, triggers: [{ name: 'closeExpired', type: 'timer', config: '0 */5 * * * * *' }] },
      'closeExpired',
      'config.json',
    );
    expect(cfg.timeoutMs).toBe(20_000);
    expect(cfg.triggers.map((t) => [t.functionName, t.name, t.config])).toEqual([
      ['closeExpired', 'closeExpired', '0 */5 * * * * *'],
    ]);
    expect(parseFunctionConfig({}, 'f', 'config.json')).toEqual({ triggers: [], timeoutMs: 3000 });
  });

  it.each([
    [
      {
        triggers: [
          { name: 'a', type: 'timer', config: '* * * * * * *' },
          { name: 'b', type: 'timer', config: '* * * * * * *' },
        ],
      },
      /one trigger per function/,
    ],
    [{ triggers: [{ name: 'a', type: 'cos', config: '' }] }, /type must be "timer"/],
    [{ triggers: [{ name: '1a', type: 'timer', config: '* * * * * * *' }] }, /name must start with a letter/],
    [
      { triggers: [{ name: 'a', type: 'timer', config: '*/5 * * * *' }] },
      /triggers\[0\]\.config: cron .* has 5 fields/,
    ],
    [{ timeout: 0 }, /"timeout" must be a number of seconds/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseFunctionConfig(raw, 'f', 'config.json')).toThrow(message);
  });
});
