/**
 * @jest-environment ./test/miniprogram/jsdom-node-env.js
 */
// The pages with the build constants `npm run deploy -- --env release` generates (config/build-env.ts as staged):
// the 本地联调 banner never appears — whatever identity a developer once stored — and neither does the dev panel;
// trial and develop builds still say where they run.
import { createHarness } from './harness';
import { useTestStack } from '../support/stack';

jest.mock('../../miniprogram/config/build-env', () => {
  const { evalBuildEnvSource } = jest.requireActual('../../scripts/deploy/package-check');
  const { cloudBuildEnvSource } = jest.requireActual('../../scripts/deploy/stage');
  return { BUILD_ENV: evalBuildEnvSource(cloudBuildEnvSource('release', 'shop-release-2b8d41')) };
});

const h = createHarness({ checkSetDataBudget: true });
const stack = useTestStack();
const ME = 'o-release-shopper';

// Read before the harness points the cloud calls at the test stack: what the release build itself says.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { clientEnv, LOCAL_IDENTITIES } = require('../../miniprogram/config/env');
const built = { ...clientEnv };

beforeAll(() => {
  // The transport is the build's own (the harness only routes its cloud calls to the test stack).
  h.configure({ transport: built.transport, gatewayUrl: stack.gatewayUrl });
  h.actAs(ME);
  // A developer's phone that once previewed locally still has a local identity stored.
  h.ctl.storage.set('dev.openid', 'o-dev-staff');
});
afterEach(() => h.unloadAll());

describe('a release build', () => {
  it('is a cloud build for its environment with no local identity', () => {
    expect(built).toMatchObject({
      transport: 'cloud',
      cloudEnv: 'shop-release-2b8d41',
      localGatewayUrl: '',
      localSimulatorUrl: '',
      localOpenid: '',
    });
    // Not even the banner's words are in the package.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require('../../miniprogram/config/build-env').BUILD_ENV.localBanner).toBe('');
    expect(LOCAL_IDENTITIES).toEqual([]);
  });

  it.each(['release', 'trial', 'develop'] as const)(
    'never renders the 本地联调 banner (envVersion %s)',
    async (envVersion) => {
      h.ctl.envVersion = envVersion;
      const page = await h.load('pages/goods/index');
      await page.waitForText('云南小粒咖啡豆');
      expect(page.text()).not.toContain('本地联调');
      expect(page.text()).not.toContain('模拟支付');
      if (envVersion === 'release') expect(page.has('.env-banner')).toBe(false);
      if (envVersion === 'trial') expect(page.text()).toContain('体验版 · 支付为真实扣款');
      if (envVersion === 'develop') expect(page.text()).toContain('开发版 · 云开发环境');
    },
  );

  it('has no dev panel on 我的订单', async () => {
    h.ctl.envVersion = 'release';
    const orders = await h.load('pages/orders/index');
    await orders.waitFor('loaded', (d) => d.loaded && !d.loading);
    expect(orders.text()).not.toContain('开发者面板');
    expect(orders.text()).not.toContain('本地联调');
  });
});
