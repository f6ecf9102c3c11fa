import { BUILD_ENV } from './build-env';

/**
 * How the mini program reaches its cloud functions, chosen at build time (config/build-env.ts; README: "Going live —
 * build and deploy"). `cloud` is production (wx.cloud.callFunction in your cloud environment). `local` previews in
 * DevTools against the local stack started by `npm start`: calls go over wx.request to the local gateway (tick "Do not
 * verify domain names" in DevTools' Details → Local Settings), payments go through a simulated cashier that drives the
 * local WeChat Pay simulator, and a developer can switch between a few shopper identities. Everything local-only is
 * reached only when `transport === 'local'`, and a trial/release package carries no local URL or identity at all.
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
  transport: BUILD_ENV.transport,
  cloudEnv: BUILD_ENV.cloudEnv,
  localGatewayUrl: BUILD_ENV.localGatewayUrl,
  localSimulatorUrl: BUILD_ENV.localSimulatorUrl,
  localOpenid: BUILD_ENV.localOpenid,
  shopName: '安心小店',
};

/** Who a developer can act as in the local preview (empty in a cloud build: WeChat's login is the identity). */
export const LOCAL_IDENTITIES: ReadonlyArray<{ openid: string; name: string }> = BUILD_ENV.localIdentities;
