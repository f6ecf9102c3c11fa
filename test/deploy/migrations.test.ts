// The deploy's data migrations through WeChat's HTTP API, against the local stack's stand-in (<gateway>/_devcloud/wxapi:
// stable_token, tcb/invokecloudfunction, which runs the real `reconcile` bundle with SOURCE wx_http and no user). Orders
// without their paymentKey are written through the admin database; the deploy gives them their key batch by batch,
// resumes where a run stopped, stops for orders a person must look at, and fails with a clear message. A shopper
// sending the same event is refused. The access token is never printed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localAppSecretFile, LOCAL_CLOUD_ENV_ID } from '../../devcloud/openapi/wechat-http-api';
import { migrationStateFile } from '../../scripts/deploy/deploy';
import { MIGRATIONS } from '../../scripts/deploy/migrations';
import { runDeployMigrations, type MigrationRunOptions } from '../../scripts/deploy/run-migrations';
import { connectWechatApi } from '../../scripts/doctor/wechat-api';
import { paymentKeyFor } from '../../server/adapters/db/order.repository';
import { startTestStack, type TestStack } from '../support/stack';

const ROOT = join(__dirname, '..', '..');

let stack: TestStack;
let dir: string;
let secret: string;
let appid: string;
let apiUrl: string;
let seq = 0;

beforeAll(async () => {
  stack = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'deploy-migrate-'));
  secret = readFileSync(localAppSecretFile(stack.dataDir), 'utf8').trim();
  appid = stack.sim.identity.direct.appid;
  apiUrl = `${stack.gatewayUrl}/_devcloud/wxapi`;
  // Orders that already hold their key (written by the new functions).
  for (let i = 0; i < 5; i++) await addOrder({ keyed: true });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const orders = () => stack.cloud.db.collection('orders');

/** An order as the admin database holds it; without `keyed`, as the old code wrote it (no paymentKey). */
async function addOrder(o: { keyed?: boolean; payment?: unknown } = {}): Promise<string> {
  const id = `MIG${String(++seq).padStart(4, '0')}`;
  const payment = o.payment ?? null;
  await orders().add({
    data: {
      _id: id,
      openid: 'o-old-shopper',
      clientRequestKey: `k-${id}`,
      version: 1,
      status: 'CLOSED',
      payment,
      ...(o.keyed ? { paymentKey: paymentKeyFor({ outTradeNo: id, payment: null }) } : {}),
    },
  });
  return id;
}

async function keyOf(id: string): Promise<unknown> {
  const { data } = await orders().where({ _id: id }).get();
  return (data[0] as { paymentKey?: unknown } | undefined)?.paymentKey;
}

function options(over: Partial<MigrationRunOptions> = {}) {
  const lines: string[] = [];
  const o: MigrationRunOptions = {
    appid,
    cloudEnv: LOCAL_CLOUD_ENV_ID,
    migrations: MIGRATIONS,
    env: { WECHAT_APPSECRET: secret, WECHAT_API_BASE_URL: apiUrl },
    stateFile: join(dir, `state-${++seq}.json`),
    log: (l) => lines.push(l),
    batchSize: 2,
    ...over,
  };
  return { o, lines };
}

/** The token the stand-in issues (the stable token is the same while valid). */
async function currentToken(): Promise<string> {
  return (await connectWechatApi({ baseUrl: apiUrl, appid, secret })).token;
}

describe('npm run deploy: the data migrations through tcb/invokecloudfunction', () => {
  it('refuses the migration event from a shopper (wx_client + OPENID) and over HTTP access: nothing is migrated', async () => {
    const id = await addOrder();
    const res = await stack.gateway.fnEvent(
      'reconcile',
      { migration: 'order-payment-keys', maxOrders: 500 },
      'o-dev-shopper',
    );
    expect(JSON.stringify(res.body)).toContain('AUTH.OPERATOR_ONLY');
    // Through the HTTP access service (SOURCE wx_http too) the event is the platform's request object: refused.
    await fetch(`${stack.gatewayUrl}/http/reconcile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ migration: 'order-payment-keys', maxOrders: 500 }),
    });
    expect(await keyOf(id)).toBeUndefined();
  });

  it('gives every order its key in batches with progress, then proves a clean pass: complete', async () => {
    const id = (
      await orders()
        .where({ paymentKey: stack.cloud.db.command.exists(false) })
        .get()
    ).data[0]?._id as string;
    expect(id).toBeDefined();
    const { o, lines } = options();
    expect(await runDeployMigrations(o)).toEqual({ status: 'complete' });
    expect(await keyOf(id)).toBe(`unpaid:${id}`);
    const total = (await orders().count()).total;
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^deploy: migration order-payment-keys \(migrate pass\) batch 1: 2 of ~\d+ orders read/,
        ),
        expect.stringMatching(
          new RegExp(`\\(verify pass\\) batch \\d+: ${total} of ~${total} orders read, 0 updated$`),
        ),
        'deploy: migration order-payment-keys complete — now create the unique index payment_key_unique (docs/MIGRATIONS.md)',
      ]),
    );
    expect(lines.filter((l) => /\(migrate pass\)/.test(l)).some((l) => / 1 updated$/.test(l))).toBe(true);
    expect(existsSync(o.stateFile)).toBe(false);
    const token = await currentToken();
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('stops when its call budget is spent and the next run resumes where it stopped', async () => {
    const id = await addOrder();
    const first = options({ maxCalls: 2 });
    const r1 = await runDeployMigrations(first.o);
    expect(r1.status).toBe('incomplete');
    expect(r1.status === 'incomplete' && r1.reason).toMatch(
      /stopped after 2 calls .*--migrate-only to continue/,
    );
    const saved = JSON.parse(readFileSync(first.o.stateFile, 'utf8')) as {
      steps: Record<string, { pass: string; after: string | null }>;
    };
    const after = saved.steps['order-payment-keys']?.after;
    expect(after).toMatch(/^MIG/);
    const second = options({ stateFile: first.o.stateFile });
    expect(await runDeployMigrations(second.o)).toEqual({ status: 'complete' });
    expect(second.lines[0]).toBe(
      `deploy: migration order-payment-keys: resuming the migrate pass after ${after}`,
    );
    expect(await keyOf(id)).toBe(`unpaid:${id}`);
  });

  it('stops, incomplete, for an order a person must look at (a payment without transaction id), naming it', async () => {
    const id = await addOrder({ payment: { amountFen: 1 } });
    try {
      const { o } = options();
      const r = await runDeployMigrations(o);
      expect(r.status).toBe('incomplete');
      expect(r.status === 'incomplete' && r.reason).toContain(`1 orders need a person (${id})`);
      expect(r.status === 'incomplete' && r.reason).toMatch(
        /docs\/MIGRATIONS\.md.*do not create the index before/,
      );
    } finally {
      await orders().doc(id).remove();
    }
  });

  it('fails with a clear message: a wrong AppSecret, a cloud env WeChat refuses, a function that refuses', async () => {
    await expect(
      runDeployMigrations(
        options({ env: { WECHAT_APPSECRET: 'e'.repeat(32), WECHAT_API_BASE_URL: apiUrl } }).o,
      ),
    ).rejects.toThrow(/could not get an access token: The AppSecret is wrong \(40125\)\. Fix: .*开发设置/);
    await expect(runDeployMigrations(options({ cloudEnv: 'other-env-1' }).o)).rejects.toThrow(
      /invoking reconcile for migration order-payment-keys failed \(errcode 40097 .*\); the position is saved/,
    );
    const unknown = [{ ...MIGRATIONS[0]!, id: 'no-such-migration' }];
    const refused = runDeployMigrations(options({ migrations: unknown }).o);
    await expect(refused).rejects.toThrow(
      /reconcile refused the migration \(MIGRATION\.BAD_REQUEST: unknown migration/,
    );
    const token = await currentToken();
    await refused.catch((e: Error) => expect(e.message).not.toContain(token));
  });

  it('without WECHAT_APPSECRET answers manual (the deploy prints the manual step)', async () => {
    expect(await runDeployMigrations(options({ env: {} }).o)).toEqual({ status: 'manual' });
  });
});

/** Runs `npm run deploy` without blocking this process (the stack answers from it). */
function deployCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), join(ROOT, 'scripts', 'deploy', 'index.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('npm run deploy -- --migrate-only', () => {
  let config: string;
  beforeAll(() => {
    const c = JSON.parse(readFileSync(join(ROOT, 'deploy.config.example.json'), 'utf8')) as Record<
      string,
      any
    >;
    c.appid = appid;
    c.envs.trial.cloudEnv = LOCAL_CLOUD_ENV_ID;
    c.privateKeyPath = 'upload.key';
    config = join(dir, 'deploy.config.json');
    writeFileSync(config, JSON.stringify(c));
  });

  it('runs the migrations to complete and exits 0, printing progress and never the token', async () => {
    const id = await addOrder();
    const out = join(dir, 'out-ok');
    const r = await deployCli(['--env', 'trial', '--migrate-only', '--config', config, '--out', out], {
      WECHAT_APPSECRET: secret,
      WECHAT_API_BASE_URL: apiUrl,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/migrate pass\) batch 1:/);
    expect(r.out).toContain('deploy: data migrations complete.');
    expect(await keyOf(id)).toBe(`unpaid:${id}`);
    expect(existsSync(migrationStateFile(out))).toBe(false);
    expect(r.out).not.toContain(await currentToken());
    expect(r.out).not.toContain(secret);
  });

  it('after uploading (miniprogram-ci replaced at its boundary) runs the migrations: functions first, then complete', async () => {
    const id = await addOrder();
    const fake = join(dir, 'fake-ci.js');
    writeFileSync(
      fake,
      `class Project { constructor() {} }
const uploadFunction = async () => ({ filesCount: 3, packSize: 1024 });
const createTimeTrigger = async () => 'ok';
const upload = async () => ({});
const preview = async () => ({});
module.exports = { Project, upload, preview, cloud: { uploadFunction, createTimeTrigger } };
`,
    );
    writeFileSync(join(dir, 'upload.key'), 'not a real key\n');
    const r = await deployCli(
      ['--env', 'trial', '--config', config, '--out', join(dir, 'out-full'), '--no-compile'],
      { DEPLOY_CI_MODULE: fake, WECHAT_APPSECRET: secret, WECHAT_API_BASE_URL: apiUrl },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const uploaded = r.out.indexOf('deploy: function reconcile uploaded');
    const firstBatch = r.out.indexOf('deploy: migration order-payment-keys (migrate pass) batch 1');
    expect(uploaded).toBeGreaterThan(-1);
    expect(firstBatch).toBeGreaterThan(uploaded);
    expect(r.out).toContain('deploy: data migrations complete.');
    expect(await keyOf(id)).toBe(`unpaid:${id}`);
  });

  it('exits 1 naming the fix when the AppSecret is wrong, and prints no secret', async () => {
    const wrong = 'd'.repeat(32);
    const r = await deployCli(
      ['--env', 'trial', '--migrate-only', '--config', config, '--out', join(dir, 'o2')],
      {
        WECHAT_APPSECRET: wrong,
        WECHAT_API_BASE_URL: apiUrl,
      },
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'deploy failed: running the data migrations failed: could not get an access token: The AppSecret is wrong (40125).',
    );
    expect(r.out + r.err).not.toContain(wrong);
  });

  it('refuses --migrate-only without WECHAT_APPSECRET', async () => {
    const r = await deployCli(['--env', 'trial', '--migrate-only', '--config', config], {
      WECHAT_APPSECRET: '',
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/deploy refused: --migrate-only needs WECHAT_APPSECRET/);
  });
});
