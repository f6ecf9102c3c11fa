/**
 * What a build is for: the one file that differs between the local preview and a cloud package. This committed
 * version is the local preview (`npm start`, DevTools against the local stack). `npm run deploy -- --env trial|release`
 * never edits it: it stages a copy of the mini program under .build/deploy/<env>/ and writes a cloud version of this
 * file there (scripts/deploy/stage.ts) — transport 'cloud', the env id from deploy.config.json, no local URLs and no
 * local identities — and `npm run mp:check -- --env <env>` / the deploy refuse a package whose file says otherwise.
 */
export interface BuildEnv {
  /** local = the local preview; trial / release = a package for that cloud environment. */
  target: 'local' | 'trial' | 'release';
  transport: 'cloud' | 'local';
  /** Cloud environment id for wx.cloud.init ('' in the local preview). */
  cloudEnv: string;
  /** The local gateway and simulator URLs printed by `npm start` ('' in a cloud build). */
  localGatewayUrl: string;
  localSimulatorUrl: string;
  /** The OPENID the local gateway attributes calls to until a developer picks another identity ('' in a cloud build). */
  localOpenid: string;
  /** The words of the local preview's banner ('' in a cloud build: the package does not even carry them). */
  localBanner: string;
  /**
   * Who a developer can act as in the local preview (none in a cloud build): o-dev-tester is the local stack's tester
   * (测试订单), o-dev-staff is in its SHOP_ADMIN_OPENIDS (店员: the 商家后台 entry; the server decides, not this list).
   */
  localIdentities: ReadonlyArray<{ openid: string; name: string }>;
}

export const BUILD_ENV: BuildEnv = {
  target: 'local',
  transport: 'local',
  cloudEnv: '',
  localGatewayUrl: 'http://127.0.0.1:7300',
  localSimulatorUrl: 'http://127.0.0.1:7301',
  localOpenid: 'o-dev-shopper',
  localBanner: '本地联调 · 模拟支付，不扣真钱',
  localIdentities: [
    { openid: 'o-dev-shopper', name: '小安（顾客 A）' },
    { openid: 'o-dev-shopper-2', name: '小心（顾客 B）' },
    { openid: 'o-dev-tester', name: '测试员（测试订单）' },
    { openid: 'o-dev-staff', name: '店员（商家后台）' },
  ],
};
