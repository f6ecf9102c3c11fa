/**
 * How the mini program reaches its cloud functions. `cloud` is production (wx.cloud.callFunction in your cloud
 * environment). `local` previews in DevTools against the local stack started by `npm start`: calls go over
 * wx.request to the local gateway (tick "Do not verify domain names" in DevTools' Details → Local Settings), payments
 * go through a simulated cashier that drives the local WeChat Pay simulator, and a developer can switch between a few
 * shopper identities. Everything local-only is reached only when `transport === 'local'` (README: "Cloud build").
 */
export interface ClientEnv {
  transport: 'cloud' | 'local';
  /** Cloud environment id for wx.cloud.init (production). */
  cloudEnv: string;
  /** The local gateway URL printed by `npm start` (see .data/dev-stack.json → gatewayUrl). */
  localGatewayUrl: string;
  /** The local WeChat Pay simulator URL printed by `npm start` (.data/dev-stack.json → simulatorUrl). */
  localSimulatorUrl: string;
  /** The OPENID the local gateway attributes calls to until a developer picks another identity. */
  localOpenid: string;
  /** The shop name the cashier shows. */
  shopName: string;
}

export const clientEnv: ClientEnv = {
  transport: 'local',
  cloudEnv: 'your-cloud-env-id',
  localGatewayUrl: 'http://127.0.0.1:7300',
  localSimulatorUrl: 'http://127.0.0.1:7301',
  localOpenid: 'o-dev-shopper',
  shopName: '安心小店',
};

/**
 * Who a developer can act as in local mode: o-dev-tester is the local stack's tester (测试订单), o-dev-staff is in its
 * SHOP_ADMIN_OPENIDS (店员: the 商家后台 entry and the staff pages; the server decides, not this list).
 */
export const LOCAL_IDENTITIES: ReadonlyArray<{ openid: string; name: string }> = [
  { openid: 'o-dev-shopper', name: '小安（顾客 A）' },
  { openid: 'o-dev-shopper-2', name: '小心（顾客 B）' },
  { openid: 'o-dev-tester', name: '测试员（测试订单）' },
  { openid: 'o-dev-staff', name: '店员（商家后台）' },
];
