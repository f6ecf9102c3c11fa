// `npm run deploy`, offline. The dry run builds and stages everything for real and lists it; a configuration or a
// package that could reach the local stack is refused before anything is uploaded; the upload goes through
// miniprogram-ci, replaced here — and only here, at its module boundary (DEPLOY_CI_MODULE) — by fakes that succeed,
// fail, or fail the way miniprogram-ci does offline (an unhandled rejection of its own).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionNames } from '../../scripts/build';
import { DeployRefused, planDeploy } from '../../scripts/deploy/deploy';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'deploy.config.example.json');
const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function deploy(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['--require', require.resolve('tsx/cjs'), join(ROOT, 'scripts', 'deploy', 'index.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A config whose upload key exists (a throwaway file: the fakes never read it). */
function realConfig(dir: string, edit: (c: Record<string, any>) => void = () => undefined): string {
  const c = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  c.privateKeyPath = 'upload.key';
  writeFileSync(join(dir, 'upload.key'), 'not a real key\n');
  edit(c);
  const file = join(dir, 'deploy.config.json');
  writeFileSync(file, JSON.stringify(c));
  return file;
}

/** A module with miniprogram-ci's shape; `body` defines uploadFunction, createTimeTrigger, upload, preview. */
function fakeCi(dir: string, body: string): string {
  const file = join(dir, 'fake-miniprogram-ci.js');
  writeFileSync(
    file,
    `const fs = require('node:fs');
const log = (call) => fs.appendFileSync(${JSON.stringify(join(dir, 'calls.jsonl'))}, JSON.stringify(call) + '\\n');
class Project { constructor(o) { log({ call: 'Project', appid: o.appid, projectPath: o.projectPath }); } }
${body}
module.exports = { Project, upload, preview, cloud: { uploadFunction, createTimeTrigger } };
`,
  );
  return file;
}
const calls = (dir: string) =>
  readFileSync(join(dir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** Loading it fails the command: proof that a dry run never loads miniprogram-ci. */
const NO_CI = { DEPLOY_CI_MODULE: '/nonexistent/miniprogram-ci-must-not-load' };

describe('npm run deploy -- --dry-run', () => {
  it('lists every function with its size and settings, the package, migrations and version — and uploads nothing', () => {
    const out = temp('deploy-dry-');
    const r = deploy(
      ['--env', 'trial', '--dry-run', '--config', EXAMPLE, '--out', out, '--desc', '首发', '--no-compile'],
      NO_CI,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('deploy plan: trial → cloud env shop-trial-7f3a9c, appid wx0123456789abcdef');
    const names = functionNames();
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of names) expect(r.out).toMatch(new RegExp(`\\n  ${n} +index\\.js \\d+\\.\\d KiB, 3 files`));
    expect(r.out).toContain('triggers: everyMinute timer "0 * * * * * *"');
    expect(r.out).toContain('openapi: wxa.sec.order.getOrder');
    expect(r.out).toContain('WECHATPAY_APIV3_KEY=***');
    expect(r.out).not.toContain('set-this-on-the-server-only');
    expect(r.out).toMatch(/mini program package: \d+ files, \d+\.\d KiB/);
    expect(r.out).toMatch(/subpackage order: \d+ files/);
    expect(r.out).toContain('order-payment-keys on orders');
    expect(r.out).toContain('version 0.1.0, description "首发"');
    expect(r.out).toContain('dry run — nothing was uploaded');
  });

  it('refuses a placeholder env id before building anything', () => {
    const dir = temp('deploy-placeholder-');
    const config = realConfig(dir, (c) => (c.envs.trial.cloudEnv = 'your-cloud-env-id'));
    const r = deploy(['--env', 'trial', '--dry-run', '--config', config, '--out', join(dir, 'out')], NO_CI);
    expect(r.code).toBe(1);
    expect(r.err).toContain('deploy refused:');
    expect(r.err).toContain('envs.trial.cloudEnv "your-cloud-env-id" is a placeholder');
    expect(r.out).not.toContain('deploy plan');
  });

  it("refuses a package whose sources force transport 'local'", async () => {
    const src = temp('deploy-src-');
    cpSync(join(ROOT, 'miniprogram'), src, {
      recursive: true,
      filter: (p) => !p.includes('miniprogram_npm'),
    });
    const envFile = join(src, 'config', 'env.ts');
    writeFileSync(
      envFile,
      readFileSync(envFile, 'utf8').replace('transport: BUILD_ENV.transport,', "transport: 'local',"),
    );
    const plan = planDeploy({
      target: 'trial',
      dryRun: true,
      configFile: EXAMPLE,
      outDir: temp('deploy-out-'),
      compile: false,
      sourceDir: src,
      log: () => undefined,
    });
    await expect(plan).rejects.toThrow(DeployRefused);
    await expect(plan).rejects.toThrow(/config\/env\.ts:\d+ forces transport 'local'/);
  });

  it('refuses --env local and unknown options', () => {
    expect(deploy(['--env', 'local', '--dry-run'], NO_CI).err).toContain('--env must be trial or release');
    expect(deploy(['--env', 'trial', '--dryrun'], NO_CI).err).toContain('unknown option --dryrun');
  });
});

describe('npm run deploy (miniprogram-ci replaced at its boundary)', () => {
  it('uploads each function, its timer triggers, the version, and makes the preview QR code', () => {
    const dir = temp('deploy-ok-');
    const ci = fakeCi(
      dir,
      `const uploadFunction = async (o) => { log({ call: 'uploadFunction', env: o.env, name: o.name, files: fs.readdirSync(o.path).sort(), remoteNpmInstall: o.remoteNpmInstall }); return { filesCount: 3, packSize: 1024 }; };
const createTimeTrigger = async (o) => { log({ call: 'createTimeTrigger', env: o.envId, name: o.functionName, triggers: o.triggersConfig }); return 'ok'; };
const upload = async (o) => { log({ call: 'upload', version: o.version, desc: o.desc }); return {}; };
const preview = async (o) => { log({ call: 'preview', dest: o.qrcodeOutputDest }); return {}; };`,
    );
    const r = deploy(
      [
        '--env',
        'release',
        '--config',
        realConfig(dir),
        '--out',
        join(dir, 'out'),
        '--version',
        '1.2.3',
        '--no-compile',
      ],
      // No AppSecret on this machine: the data migrations are printed as the step to do by hand.
      { DEPLOY_CI_MODULE: ci, WECHAT_APPSECRET: '' },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('then run the data migrations listed above');
    expect(r.out).toContain('order-payment-keys on orders (function reconcile)');
    const c = calls(dir);
    expect(c[0]).toEqual({
      call: 'Project',
      appid: 'wx0123456789abcdef',
      projectPath: join(dir, 'out', 'project'),
    });
    const fns = c.filter((x) => x.call === 'uploadFunction');
    expect(fns.map((x) => x.name)).toEqual(functionNames());
    for (const f of fns)
      expect(f).toMatchObject({
        env: 'shop-release-2b8d41',
        files: ['config.json', 'index.js', 'package.json'],
        remoteNpmInstall: true,
      });
    expect(c.filter((x) => x.call === 'createTimeTrigger')).toEqual([
      expect.objectContaining({ name: 'closeExpired', env: 'shop-release-2b8d41' }),
      expect.objectContaining({ name: 'reconcile' }),
    ]);
    expect(c.at(-2)).toEqual({
      call: 'upload',
      version: '1.2.3',
      desc: expect.stringContaining('release build'),
    });
    expect(c.at(-1)).toEqual({ call: 'preview', dest: join(dir, 'out', 'preview-qrcode.jpg') });
    expect(r.out).toContain('Set in the cloud console');
  });

  it('fails with a clear message when the network fails the way miniprogram-ci does (its own unhandled rejection)', () => {
    const dir = temp('deploy-net-');
    const ci = fakeCi(
      dir,
      `// Offline, miniprogram-ci rejects a promise nobody awaits, and the call itself never settles.
const uploadFunction = (o) => { log({ call: 'uploadFunction', name: o.name }); Promise.reject(new Error('getaddrinfo ENOTFOUND servicewechat.com')); return new Promise(() => {}); };
const createTimeTrigger = async () => 'ok';
const upload = async () => ({});
const preview = async () => ({});`,
    );
    const r = deploy(
      ['--env', 'trial', '--config', realConfig(dir), '--out', join(dir, 'out'), '--no-compile'],
      {
        DEPLOY_CI_MODULE: ci,
      },
    );
    expect(r.code).toBe(1);
    // The first function uploaded (in name order) is the step that failed.
    expect(r.err).toMatch(
      /deploy failed: uploading cloud function channelPay failed: getaddrinfo ENOTFOUND servicewechat\.com/,
    );
    expect(r.err).toContain('IP allowlist');
    expect(calls(dir).filter((x) => x.call === 'uploadFunction')).toHaveLength(1);
  });

  it('fails with the step named when an upload rejects, and needs the upload key to exist', () => {
    const dir = temp('deploy-reject-');
    const ci = fakeCi(
      dir,
      `const uploadFunction = async () => ({ filesCount: 3, packSize: 1 });
const createTimeTrigger = async () => 'ok';
const upload = async () => { throw Object.assign(new Error('invalid ip: 203.0.113.9, reference: 1'), { code: 20003 }); };
const preview = async () => ({});`,
    );
    const r = deploy(
      ['--env', 'trial', '--config', realConfig(dir), '--out', join(dir, 'out'), '--no-compile'],
      {
        DEPLOY_CI_MODULE: ci,
      },
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('deploy failed: uploading the mini program failed: invalid ip: 203.0.113.9');
    const noKey = deploy(
      [
        '--env',
        'trial',
        '--config',
        realConfig(dir, (c) => (c.privateKeyPath = 'missing.key')),
        '--no-compile',
      ],
      NO_CI,
    );
    expect(noKey.code).toBe(1);
    expect(noKey.err).toMatch(/deploy refused: the upload key .*missing\.key does not exist/);
  });
});
