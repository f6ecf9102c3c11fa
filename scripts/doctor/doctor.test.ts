// The doctor CLI: reads process.env or --env-file, prints bilingual text or --json, exits by severity, never prints a
// secret.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor } from './doctor';
import { correctEnv, doctorKeys, RELEASE_CATALOG } from './doctor.testkit';
import type { DoctorKeys } from './doctor.testkit';
import { parseEnvFile } from './env-file';
import { maskSecrets, secretsOf } from './report';
import type { CheckResult } from './result';

let k: DoctorKeys;
let dir: string;
beforeAll(() => {
  k = doctorKeys();
  dir = mkdtempSync(join(tmpdir(), 'doctor-'));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(RELEASE_CATALOG));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes env as an env file the way people do: PEM on one line with \n escapes, values in double quotes. */
function envFile(name: string, env: Record<string, string>): string {
  const text = Object.entries(env)
    .map(([key, v]) => `${key}="${v.replace(/\n/g, '\\n')}"`)
    .join('\n');
  const file = join(dir, name);
  writeFileSync(file, `# doctor test\n${text}\n`);
  return file;
}

function secretFragments(): string[] {
  const body = (pem: string) => pem.split('\n').filter((l) => l.length >= 16 && !l.includes('-----'));
  return [k.apiV3Key, ...body(k.merchant.privateKeyPem), ...body(k.merchantCertificatePem)];
}

describe('npm run doctor', () => {
  it('passes a correct --env-file with exit 0 and prints no secret', async () => {
    const file = envFile('good.env', correctEnv(k));
    const { code, output } = await runDoctor(
      ['--env-file', file, '--catalog', join(dir, 'catalog.json')],
      {},
    );
    expect(output).toMatch(/fail 0, cannot-tell 0/);
    expect(code).toBe(0);
    for (const s of secretFragments()) expect(output).not.toContain(s);
  });

  it('reads process.env when no file is given', async () => {
    const { output } = await runDoctor(['--json'], correctEnv(k));
    const parsed = JSON.parse(output) as { exitCode: number; results: CheckResult[] };
    expect(parsed.results.find((r) => r.id === 'adapter.config')?.severity).toBe('pass');
  });

  it('exits 1 with --json naming a failed check, and prints no secret even from a broken setting', async () => {
    const broken = {
      ...correctEnv(k),
      WECHATPAY_APIV3_KEY: k.apiV3Key.slice(0, 31),
      WECHATPAY_MERCHANT_PRIVATE_KEY: k.merchant.privateKeyPem.replace(/\n/g, ' '),
    };
    const { code, output } = await runDoctor(['--json', '--env-file', envFile('bad.env', broken)], {});
    expect(code).toBe(1);
    const parsed = JSON.parse(output) as { exitCode: number; results: CheckResult[] };
    expect(parsed.exitCode).toBe(1);
    const failed = parsed.results.filter((r) => r.severity === 'fail').map((r) => r.id);
    expect(failed).toEqual(expect.arrayContaining(['apiv3-key.length', 'pem.merchant-private-key']));
    for (const s of [...secretFragments(), k.apiV3Key.slice(0, 31)]) expect(output).not.toContain(s);
  });

  it('masks a secret even if a message were to carry one', () => {
    const env = correctEnv(k);
    const leak = `key ${k.apiV3Key} pem ${k.merchant.privateKeyPem.split('\n')[3] ?? ''}`;
    const masked = maskSecrets(leak, secretsOf(env));
    expect(masked).not.toContain(k.apiV3Key);
    expect(masked).toBe('key [secret] pem [secret]');
  });

  it('exits 2 on a usage error', async () => {
    expect((await runDoctor(['--nope'], {})).code).toBe(2);
    expect((await runDoctor(['--env-file', join(dir, 'missing.env')], {})).code).toBe(2);
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, comments, export and one pair of quotes; leaves \\n escapes to the adapter', () => {
    expect(parseEnvFile('# c\n\nexport A=1\nB="x\\ny"\nC=\'q\'\nD=a=b\n')).toEqual({
      A: '1',
      B: 'x\\ny',
      C: 'q',
      D: 'a=b',
    });
  });
  it('names the line number, not its content, of a bad line', () => {
    expect(() => parseEnvFile('A=1\nSECRETVALUE\n')).toThrow('line 2 is not KEY=VALUE');
  });
});
