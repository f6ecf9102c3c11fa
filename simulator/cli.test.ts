// `npm run sim`: starts, prints its URL and only public identity data, answers, and stops cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SimControl } from './control-client';
import type { SimIdentity } from './index';

let dir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('starts on the given port, prints no secrets and exits 0 on SIGTERM', async () => {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(__dirname, 'cli.ts'), '--port', '0', '--data-dir', dir],
    {
      cwd: resolve(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let out = '';
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no URL printed within 20 s:\n${out}`)), 20_000);
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /WeChat Pay simulator listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    proc.on('exit', () => rej(new Error(`exited early:\n${out}`)));
  });
  expect(await new SimControl(url).health()).toMatchObject({ ok: true });
  const identity = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as SimIdentity;
  expect(out).toContain(identity.direct.mchid);
  expect(out).toContain(identity.platform.publicKey.publicKeyId);
  expect(out).not.toContain('PRIVATE KEY');
  expect(out).not.toContain(identity.direct.apiV3Key);
  expect(out).not.toContain(identity.partner.apiV3Key);
  const code = await new Promise<number | null>((res) => {
    proc.on('exit', (c) => res(c));
    proc.kill('SIGTERM');
  });
  expect(code).toBe(0);
});
