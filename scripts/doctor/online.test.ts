// --online against the local simulator: the local stack's configuration passes; a wrong serial, a wrong key, a wrong
// WeChat Pay public key and a wrong APIv3 key are each named.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackFunctionEnv } from '../../devcloud/stack/function-env';
import { generateIdentity, startSimulator } from '../../simulator';
import type { SimulatorHandle } from '../../simulator';
import { runDoctor } from './doctor';
import { explain401, onlineChecks } from './online';
import type { CheckResult } from './result';
import {
  generateTestKeyPair,
  makeTestCertificate,
  randomSerial,
} from '../../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';

let sim: SimulatorHandle;
let dir: string;
let env: Record<string, string>;
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerPrivatePem = stranger.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const strangerPublicPem = stranger.publicKey.export({ type: 'spki', format: 'pem' }) as string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-online-'));
  const identity = await generateIdentity();
  // Laid out like the local stack's data folder (npm start): dev-stack.json and simulator/identity.json.
  sim = await startSimulator({ dataDir: join(dir, 'simulator'), identity });
  const gatewayUrl = 'http://127.0.0.1:9';
  env = stackFunctionEnv({ identity, mode: 'direct', simulatorUrl: sim.url, gatewayUrl });
  writeFileSync(
    join(dir, 'dev-stack.json'),
    JSON.stringify({ gatewayUrl, simulatorUrl: sim.url, consoleUrl: null, mode: 'direct' }),
  );
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function byId(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no ${id} in ${results.map((x) => x.id).join(', ')}`);
  return r;
}

describe('npm run doctor -- --online against the simulator', () => {
  it("passes the local stack's configuration", async () => {
    const results = await onlineChecks(env);
    expect(results.map((r) => [r.id, r.severity])).toEqual([
      ['online.signed-request', 'pass'],
      ['online.response-signature', 'pass'],
      ['online.apiv3-key', 'pass'],
    ]);
  });

  it('passes in partner mode too, with a prepay for the sub-merchant’s mini program', async () => {
    const partner = stackFunctionEnv({
      identity: sim.identity,
      mode: 'partner',
      simulatorUrl: sim.url,
      gatewayUrl: 'http://127.0.0.1:9',
    });
    const results = await onlineChecks(partner, Date.now, { openid: 'oDoctorUser000001' });
    expect(results.map((r) => [r.id, r.severity])).toEqual([
      ['online.signed-request', 'pass'],
      ['online.response-signature', 'pass'],
      ['online.apiv3-key', 'pass'],
      ['online.prepay', 'pass'],
    ]);
  });

  it('names a wrong serial', async () => {
    const r = byId(
      await onlineChecks({
        ...env,
        WECHATPAY_MERCHANT_CERTIFICATE: '',
        WECHATPAY_MERCHANT_SERIAL: randomBytes(20).toString('hex').toUpperCase(),
      }),
      'online.signed-request',
    );
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/wrong-serial/);
    expect(r.detailEn).toMatch(/does not accept the certificate serial/);
  });

  it('names a wrong private key', async () => {
    const r = byId(
      await onlineChecks({
        ...env,
        WECHATPAY_MERCHANT_CERTIFICATE: '',
        WECHATPAY_MERCHANT_PRIVATE_KEY: strangerPrivatePem,
      }),
      'online.signed-request',
    );
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/wrong-key/);
    expect(r.fixEn).toMatch(/apiclient_key\.pem/);
  });

  it('names a WeChat Pay public key that is not WeChat Pay’s', async () => {
    await sim.control.setKeyMode('direct', 'publicKey');
    try {
      const results = await onlineChecks({
        ...env,
        WECHATPAY_PLATFORM_CERTIFICATES: '',
        WECHATPAY_PREFERRED_SERIAL: env['WECHATPAY_PUBLIC_KEY_ID'],
        WECHATPAY_PUBLIC_KEY: strangerPublicPem,
      });
      expect(byId(results, 'online.signed-request').severity).toBe('pass');
      const r = byId(results, 'online.response-signature');
      expect(r.severity).toBe('fail');
      expect(r.detailEn).toMatch(/not WeChat Pay's/);
    } finally {
      await sim.control.setKeyMode('direct', 'certificate');
    }
  });

  it('names a wrong APIv3 key (merchant on platform certificates)', async () => {
    const r = byId(
      await onlineChecks({ ...env, WECHATPAY_APIV3_KEY: randomBytes(16).toString('hex') }),
      'online.apiv3-key',
    );
    expect(r.severity).toBe('fail');
    expect(r.detailEn).toMatch(/APIv3 key: the key is wrong/);
  });

  it('a 1-fen prepay with an openid passes (closed, or left to expire unpaid)', async () => {
    const r = byId(await onlineChecks(env, Date.now, { openid: 'oDoctorUser000001' }), 'online.prepay');
    expect(r.severity).toBe('pass');
    expect(r.detailEn).toMatch(/closed again|unpaid, it expires at/);
  });

  it('names an AppID not bound to the merchant id', async () => {
    const r = byId(
      await onlineChecks({ ...env, WECHATPAY_APPID: 'wx00000000000000ff' }, Date.now, {
        openid: 'oDoctorUser000001',
      }),
      'online.prepay',
    );
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/APPID_MCHID_NOT_MATCH/);
    expect(r.fixEn).toMatch(/AppID账号管理/);
  });

  it('names JSAPI payment not enabled (NO_AUTH)', async () => {
    await sim.control.addFault({
      kind: 'api.error',
      path: '/v3/pay/transactions/jsapi',
      status: 403,
      code: 'NO_AUTH',
    });
    try {
      const r = byId(await onlineChecks(env, Date.now, { openid: 'oDoctorUser000001' }), 'online.prepay');
      expect(r.severity).toBe('fail');
      expect(r.title).toMatch(/NO_AUTH/);
      expect(r.fixEn).toMatch(/Enable JSAPI/);
    } finally {
      await sim.control.clearFaults();
    }
  });

  it('the CLI adds the online checks, exits 0 and prints no secret', async () => {
    const { code, output } = await runDoctor(['--online'], env);
    expect(output).toMatch(/online\.signed-request/);
    expect(output).not.toContain(env['WECHATPAY_APIV3_KEY']);
    expect(output).not.toContain((env['WECHATPAY_MERCHANT_PRIVATE_KEY'] ?? '').split('\n')[2]);
    // The local stack's configuration is a development one pointing at 127.0.0.1: warnings, no failures.
    expect(code).toBe(0);
  });
});

describe('npm run doctor -- --local-stack --online', () => {
  it("reads the local stack's data folder and passes against its simulator", async () => {
    const { code, output } = await runDoctor(['--local-stack', dir, '--online', '--json'], {});
    const parsed = JSON.parse(output) as { results: CheckResult[] };
    const online = parsed.results.filter((r) => r.id.startsWith('online.'));
    // The WeChat Pay checks pass; without the stack's AppSecret file the WeChat API checks cannot tell (wechat-api.test.ts).
    expect(online.map((r) => [r.id, r.severity])).toEqual([
      ['online.signed-request', 'pass'],
      ['online.response-signature', 'pass'],
      ['online.apiv3-key', 'pass'],
      ['online.trade-managed', 'cannot-tell'],
      ['online.database', 'cannot-tell'],
    ]);
    expect(parsed.results.filter((r) => r.severity === 'fail')).toEqual([]);
    expect(code).toBe(0);
    expect(output).not.toContain(env['WECHATPAY_APIV3_KEY']);
  });

  it('says how to start the stack when its data folder has none', async () => {
    const { code, output } = await runDoctor(['--local-stack', join(dir, 'nowhere')], {});
    expect(code).toBe(2);
    expect(output).toMatch(/npm start/);
  });
});

describe('explain401', () => {
  it.each([
    ['商户证书序列号有误，请使用签名私钥匹配的证书序列号', 'wrong-serial'],
    ['错误的签名，验签失败', 'wrong-key'],
    ['商户号不存在或未开通APIv3', 'wrong-mchid'],
    ['Http头Authorization中的timestamp与当前时间相差超过5分钟，请检查服务器时间', 'clock'],
  ])('%s → %s', (message, id) => {
    expect(explain401(message).id).toBe(id);
  });
});

describe('--online during a merchant key rotation (*_NEXT)', () => {
  let next: { privateKeyPem: string; serial: string; certificatePem: string };
  beforeAll(() => {
    const keys = generateTestKeyPair();
    const serial = randomSerial();
    next = {
      privateKeyPem: keys.privateKeyPem,
      serial,
      certificatePem: makeTestCertificate(keys, serial, sim.identity.direct.mchid),
    };
  });
  const rotating = (over: Record<string, string> = {}) => ({
    ...env,
    WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: next.privateKeyPem,
    WECHATPAY_MERCHANT_CERTIFICATE_NEXT: next.certificatePem,
    ...over,
  });

  it('names a next certificate WeChat Pay does not know yet, before it is switched on', async () => {
    const results = await onlineChecks(rotating());
    expect(byId(results, 'online.signed-request').severity).toBe('pass');
    const r = byId(results, 'online.signed-request-next');
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/wrong-serial/);
    expect(r.detailEn).toContain(next.serial);
    expect(r.fixEn).toMatch(/Remove the \*_NEXT settings/);
    // The APIv3 key is still proven, with the current pair.
    expect(byId(results, 'online.apiv3-key').severity).toBe('pass');
  });

  it('proves both pairs once WeChat Pay knows the new certificate', async () => {
    await sim.control.addMerchantCertificate('direct', next.certificatePem);
    const results = await onlineChecks(rotating(), Date.now, { openid: 'oDoctorUser000001' });
    expect(results.map((r) => [r.id, r.severity])).toEqual([
      ['online.signed-request', 'pass'],
      ['online.signed-request-next', 'pass'],
      ['online.response-signature', 'pass'],
      ['online.apiv3-key', 'pass'],
      ['online.prepay', 'pass'],
    ]);
    expect(byId(results, 'online.signed-request').detailEn).toContain(sim.identity.direct.merchantSerial);
    expect(byId(results, 'online.signed-request-next').detailEn).toContain(next.serial);
  });

  it('names a next key that is not the key of the next serial', async () => {
    const results = await onlineChecks(
      rotating({
        WECHATPAY_MERCHANT_PRIVATE_KEY_NEXT: strangerPrivatePem,
        WECHATPAY_MERCHANT_CERTIFICATE_NEXT: '',
        WECHATPAY_MERCHANT_SERIAL_NEXT: next.serial,
      }),
    );
    expect(byId(results, 'online.signed-request').severity).toBe('pass');
    const r = byId(results, 'online.signed-request-next');
    expect(r.severity).toBe('fail');
    expect(r.title).toMatch(/wrong-key/);
    expect(JSON.stringify(results)).not.toContain(strangerPrivatePem.split('\n')[1]);
  });
});
