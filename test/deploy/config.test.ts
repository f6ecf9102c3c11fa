// deploy.config.json: the committed example is valid; placeholders, empty ids and malformed appids are refused with
// the field named; secrets are masked wherever settings are printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSecretName, maskEnv, validateDeployConfig } from '../../scripts/deploy/config';

const ROOT = join(__dirname, '..', '..');
const example = () =>
  JSON.parse(readFileSync(join(ROOT, 'deploy.config.example.json'), 'utf8')) as Record<string, any>;
const problemsOf = (raw: unknown) => {
  const r = validateDeployConfig(raw, ROOT);
  return r.ok ? [] : r.problems;
};

describe('deploy config', () => {
  it('accepts the committed example and resolves the upload key next to the file', () => {
    const r = validateDeployConfig(example(), ROOT);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.envs.trial.cloudEnv).toBe('shop-trial-7f3a9c');
    expect(r.config.privateKeyPath).toBe(join(ROOT, 'keys', 'private.wx0123456789abcdef.key'));
  });

  it('refuses an AppSecret in the file: it belongs in the deploy machine’s environment', () => {
    const c = example();
    c.appSecret = 'generated-at-test-time-not-a-secret';
    expect(problemsOf(c)).toEqual([
      expect.stringMatching(/^appSecret: the AppSecret never goes in this file — set WECHAT_APPSECRET/),
    ]);
  });

  it.each([
    ['your-cloud-env-id', /envs\.trial\.cloudEnv "your-cloud-env-id" is a placeholder/],
    ['', /envs\.trial\.cloudEnv is empty/],
    ['<trial env id>', /placeholder/],
    ['Prod_Env!', /is not a cloud environment id/],
  ])('refuses the trial env id %j', (cloudEnv, message) => {
    const c = example();
    c.envs.trial.cloudEnv = cloudEnv;
    expect(problemsOf(c)).toEqual([expect.stringMatching(message)]);
  });

  it('refuses a missing release environment and an unknown one', () => {
    const c = example();
    delete c.envs.release;
    c.envs.local = { cloudEnv: 'abcd' };
    expect(problemsOf(c)).toEqual([
      'envs.release.cloudEnv is empty',
      'envs.local: only trial and release are deployed (the local preview is npm start)',
    ]);
  });

  it.each([
    ['touristappid', /placeholder/],
    ['wx0000000000000000', /placeholder/],
    ['wx123', /"wx" followed by 16 hex digits/],
    ['WX0123456789ABCDEF', /"wx" followed by 16 hex digits/],
  ])('refuses the appid %j', (appid, message) => {
    const c = example();
    c.appid = appid;
    expect(problemsOf(c)).toEqual([expect.stringMatching(message)]);
  });

  it('needs the upload key path and string environment variables', () => {
    const c = example();
    delete c.privateKeyPath;
    c.functionEnv = { WECHATPAY_MCHID: 1900000001, lower: 'x' };
    expect(problemsOf(c)).toEqual([
      expect.stringContaining('privateKeyPath is missing'),
      'functionEnv.WECHATPAY_MCHID must be a string',
      'functionEnv.lower: names are UPPER_SNAKE_CASE',
    ]);
  });

  it('masks anything that looks secret', () => {
    expect(
      maskEnv({
        PAY_PROVIDER: 'wechatpay-v3',
        WECHATPAY_APIV3_KEY: 'k'.repeat(32),
        WECHATPAY_PRIVATE_KEY: '-----BEGIN',
        WECHATPAY_MCHID: '1900000001',
        SOME_TOKEN: 't',
      }),
    ).toEqual({
      PAY_PROVIDER: 'wechatpay-v3',
      WECHATPAY_APIV3_KEY: '***',
      WECHATPAY_PRIVATE_KEY: '***',
      WECHATPAY_MCHID: '1900000001',
      SOME_TOKEN: '***',
    });
    expect(isSecretName('WECHATPAY_PUBLIC_KEY_ID')).toBe(true);
  });
});
