// `npm run doctor -- --online` and the WeChat server APIs (AppSecret → access token → is_trade_managed,
// tcb/databasecollectionget), against the local stack's stand-in at <gateway>/_devcloud/wxapi: the stack passes as it
// is started (the positive control), and each way it can be wrong is named with its fix. No secret or token is printed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDevStackFile } from '../../devcloud/stack/stack';
import { localAppSecretFile } from '../../devcloud/openapi/wechat-http-api';
import { startTestStack, type TestStack } from '../../test/support/stack';
import { runDoctor } from './doctor';
import { localStackEnv } from './local-stack';
import type { CheckResult } from './result';
import { connectWechatApi, WechatApiEnv } from './wechat-api';

const ROOT = join(__dirname, '..', '..');

function byId(results: readonly CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no ${id} in ${results.map((x) => x.id).join(', ')}`);
  return r;
}

async function doctorJson(args: string[], env: Record<string, string | undefined> = {}) {
  const { code, output } = await runDoctor([...args, '--json'], env);
  return { code, output, results: (JSON.parse(output) as { results: CheckResult[] }).results };
}

/** Sets the emulated AppSecret IP allowlist (null: none). */
async function allowlist(stack: TestStack, ips: string[] | null): Promise<void> {
  const res = await fetch(`${stack.gatewayUrl}/_devcloud/wxapi/ip-allowlist`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ips }),
  });
  expect(res.status).toBe(200);
}

const wxIds = ['online.appsecret', 'online.trade-managed', 'online.database', 'online.database-rules'];
const wxOnly = (results: CheckResult[]) =>
  results.filter((r) => wxIds.includes(r.id)).map((r) => [r.id, r.severity]);

describe('npm run doctor -- --local-stack --online: 发货信息管理 and the cloud database', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  let secret: string;
  beforeAll(async () => {
    stack = await startTestStack();
    writeDevStackFile(join(stack.dataDir, 'dev-stack.json'), stack);
    env = localStackEnv(stack.dataDir);
    secret = readFileSync(localAppSecretFile(stack.dataDir), 'utf8').trim();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('passes the local stack as started (positive control), and prints neither the AppSecret nor the token', async () => {
    const { code, output, results } = await doctorJson(['--local-stack', stack.dataDir, '--online']);
    expect(wxOnly(results)).toEqual([
      ['online.appsecret', 'pass'],
      ['online.trade-managed', 'pass'],
      ['online.database', 'pass'],
      ['online.database-rules', 'cannot-tell'],
    ]);
    expect(results.filter((r) => r.severity === 'fail')).toEqual([]);
    expect(code).toBe(0);
    // The stable token answers the same token while it is valid: this is the one the doctor was given.
    const api = await connectWechatApi({
      baseUrl: env[WechatApiEnv.BASE_URL],
      appid: stack.sim.identity.direct.appid,
      secret,
    });
    const plain = await runDoctor(['--local-stack', stack.dataDir, '--online'], {});
    for (const out of [output, plain.output]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(api.token);
    }
    expect(plain.output).toMatch(/\[PASS\] online\.trade-managed/);
    expect(byId(results, 'online.database-rules').fixEn).toMatch(/payment_key_unique/);
  });

  it('fails online.trade-managed with the fix when 发货信息管理 is switched off', async () => {
    await stack.trade.setManaged(false);
    try {
      const { code, results } = await doctorJson(['--local-stack', stack.dataDir, '--online']);
      const r = byId(results, 'online.trade-managed');
      expect(r.severity).toBe('fail');
      expect(r.detailEn).toMatch(/is_trade_managed answered false/);
      expect(r.detailEn).toMatch(/money stays frozen/);
      expect(r.fixZh).toContain('交易 → 发货信息管理');
      expect(code).toBe(1);
    } finally {
      await stack.trade.setManaged(true);
    }
  });

  it('names a wrong AppSecret (40125), and the token-less checks say cannot-tell', async () => {
    const wrong = 'f'.repeat(32);
    const { code, output, results } = await doctorJson(['--online'], {
      ...env,
      [WechatApiEnv.APPSECRET]: wrong,
    });
    const r = byId(results, 'online.appsecret');
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/40125/);
    expect(r.fixZh).toContain('开发管理 → 开发设置 → 开发者ID');
    expect(byId(results, 'online.trade-managed').severity).toBe('cannot-tell');
    expect(byId(results, 'online.database').severity).toBe('cannot-tell');
    expect(code).toBe(1);
    expect(output).not.toContain(wrong);
  });

  it('names an IP missing from the AppSecret IP allowlist (40164)', async () => {
    await allowlist(stack, ['203.0.113.9']);
    try {
      const { results } = await doctorJson(['--online'], env);
      const r = byId(results, 'online.appsecret');
      expect(r.severity).toBe('fail');
      expect(r.title).toMatch(/40164/);
      expect(r.detailEn).toMatch(/127\.0\.0\.1/);
      expect(r.fixEn).toMatch(/IP白名单/);
    } finally {
      await allowlist(stack, null);
    }
  });

  it('names an AppID that is not the mini program’s (40013)', async () => {
    const { results } = await doctorJson(['--online'], {
      ...env,
      [WechatApiEnv.APPID]: 'wx00000000000000ff',
    });
    const r = byId(results, 'online.appsecret');
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/40013/);
    expect(r.fixEn).toMatch(/WECHAT_APPID/);
  });

  it('names a cloud environment that is not the mini program’s', async () => {
    const { results } = await doctorJson(['--online'], { ...env, [WechatApiEnv.CLOUD_ENV]: 'other-env-1' });
    const r = byId(results, 'online.database');
    expect(r.severity).toBe('fail');
    expect(r.fixEn).toMatch(/WECHAT_CLOUD_ENV/);
  });

  it('without WECHAT_APPSECRET: cannot-tell, with how to check by hand', async () => {
    const { [WechatApiEnv.APPSECRET]: _gone, ...without } = env;
    const { code, results } = await doctorJson(['--online'], without);
    expect(wxOnly(results)).toEqual([
      ['online.trade-managed', 'cannot-tell'],
      ['online.database', 'cannot-tell'],
    ]);
    expect(byId(results, 'online.trade-managed').fixEn).toMatch(/Check by hand: .*发货信息管理/);
    expect(byId(results, 'online.database').fixEn).toMatch(/数据库/);
    expect(code).toBe(0);
  });
});

describe('npm run doctor -- --local-stack --online: a cloud database that lacks a collection and an index', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doctor-db-'));
    const declared = JSON.parse(readFileSync(join(ROOT, 'data', 'collections.json'), 'utf8')) as {
      collections: { name: string; indexes: unknown[] }[];
    };
    // The environment someone set up by hand: refund_requests never created, skus without its index.
    declared.collections = declared.collections
      .filter((c) => c.name !== 'refund_requests')
      .map((c) => (c.name === 'skus' ? { ...c, indexes: [] } : c));
    const file = join(dir, 'collections.json');
    writeFileSync(file, JSON.stringify(declared));
    stack = await startTestStack({ collectionsFile: file });
    writeDevStackFile(join(stack.dataDir, 'dev-stack.json'), stack);
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails online.database naming the missing collection and the missing index, with what to create', async () => {
    const { code, results } = await doctorJson(['--local-stack', stack.dataDir, '--online']);
    const r = byId(results, 'online.database');
    expect(r.severity).toBe('fail');
    expect(r.detailEn).toMatch(/collection refund_requests is missing/);
    expect(r.detailEn).toMatch(/collection skus has 1 indexes \(at least 2 expected, _id included\)/);
    expect(r.fixEn).toMatch(/数据库 → 添加集合/);
    expect(r.fixEn).toMatch(/skus: productId\(productId asc\)/);
    expect(byId(results, 'online.trade-managed').severity).toBe('pass');
    expect(code).toBe(1);
  });
});

describe('npm run doctor -- --function-env: the AppSecret is not a function setting', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'doctor-fnenv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails naming the function whose settings carry WECHAT_APPSECRET, and prints no secret', async () => {
    const leaked = randomBytes(16).toString('hex');
    writeFileSync(join(dir, 'pay.env'), 'APP_ENV=production\n');
    writeFileSync(join(dir, 'reconcile.env'), `APP_ENV=production\nWECHAT_APPSECRET=${leaked}\n`);
    const args = [
      '--function-env',
      `pay=${join(dir, 'pay.env')}`,
      '--function-env',
      `reconcile=${join(dir, 'reconcile.env')}`,
    ];
    const { results, output } = await doctorJson(args);
    const r = byId(results, 'functions.no-appsecret');
    expect(r.severity).toBe('fail');
    expect(r.detailEn).toMatch(/^reconcile carry WECHAT_APPSECRET/);
    expect(output).not.toContain(leaked);
    const plain = await runDoctor(args, {});
    expect(plain.output).not.toContain(leaked);
    writeFileSync(join(dir, 'reconcile.env'), 'APP_ENV=production\n');
    expect(byId((await doctorJson(args)).results, 'functions.no-appsecret').severity).toBe('pass');
  });
});
