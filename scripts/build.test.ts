// The bundler's stand-ins for the parts of wechatpay-node-v3 our code path never uses: the library still loads, and
// if a change ever routed a call into one of them, it fails loudly instead of silently using an unchecked client.
import { build } from 'esbuild';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTION_NODE_TARGET, buildMiniprogramNpm, stubMessage, unusedLibraryStubs } from './build';

interface PayLike {
  transactions_jsapi(params: Record<string, unknown>): Promise<unknown>;
  getSN(cert: Buffer): string;
}

const realStringify = JSON.stringify.bind(JSON);

async function bundledLibrary(): Promise<new (o: Record<string, unknown>) => PayLike> {
  const out = await build({
    stdin: { contents: "module.exports = require('wechatpay-node-v3');", resolveDir: join(__dirname, '..') },
    bundle: true,
    platform: 'node',
    target: FUNCTION_NODE_TARGET,
    format: 'cjs',
    write: false,
    plugins: [unusedLibraryStubs],
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]?.text ?? '';
  expect(code).not.toMatch(/node_modules\/(superagent|formidable|mime|@fidm|tweetnacl)\//);
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the bundle like the cloud's CommonJS loader
  new Function('module', 'exports', 'require', code)(mod, mod.exports, require);
  return (mod.exports['default'] ?? mod.exports) as new (o: Record<string, unknown>) => PayLike;
}

describe('unused library stubs', () => {
  it('lets wechatpay-node-v3 load, and throws if its own HTTP client or certificate parser is ever reached', async () => {
    const Pay = await bundledLibrary();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pay = new Pay({
      appid: 'wx0000000000000001',
      mchid: '1230000109',
      serial_no: 'ABC123',
      publicKey: Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })),
      privateKey: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    });
    // Without our createHttp seam the library would send with superagent: the stub refuses. The library turns any
    // failure into a result object (losing the message), so the error is caught on its way through JSON.stringify.
    const seen: unknown[] = [];
    const stringify = jest.spyOn(JSON, 'stringify').mockImplementation((value: unknown) => {
      seen.push(value);
      return realStringify(value);
    });
    let result: unknown;
    try {
      result = await pay.transactions_jsapi({
        description: 'x',
        out_trade_no: 'T1',
        notify_url: 'https://example.com/n',
        amount: { total: 1 },
        payer: { openid: 'o1' },
      });
    } finally {
      stringify.mockRestore();
    }
    expect(result).toMatchObject({ status: undefined });
    expect(seen.some((v) => v instanceof Error && v.message === stubMessage('superagent'))).toBe(true);
    expect(() => pay.getSN(Buffer.from('not a certificate'))).toThrow(stubMessage('@fidm/x509'));
  });
});

describe('the mini program npm folders', () => {
  it("puts a staff-only dependency in the staff subpackage's miniprogram_npm, never in the main package", () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxshop-mpnpm-'));
    try {
      cpSync(join(__dirname, '..', 'miniprogram', 'app.json'), join(dir, 'app.json'));
      cpSync(join(__dirname, '..', 'miniprogram', 'package.json'), join(dir, 'package.json'));
      mkdirSync(join(dir, 'staff'));
      cpSync(
        join(__dirname, '..', 'miniprogram', 'staff', 'package.json'),
        join(dir, 'staff', 'package.json'),
      );
      buildMiniprogramNpm(dir);
      expect(existsSync(join(dir, 'miniprogram_npm', 'tdesign-miniprogram', 'button', 'button.js'))).toBe(
        true,
      );
      expect(existsSync(join(dir, 'staff', 'miniprogram_npm', 'qrcode-generator', 'index.js'))).toBe(true);
      expect(existsSync(join(dir, 'miniprogram_npm', 'qrcode-generator'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
