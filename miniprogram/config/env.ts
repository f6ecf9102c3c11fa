/**
 * How the mini program reaches its cloud functions. `cloud` is production (wx.cloud.callFunction in your cloud
 * environment). `local` previews in DevTools against the local stack started by `npm start`: calls go over
 * wx.request to the local gateway (tick "Do not verify domain names" in DevTools' Details → Local Settings).
 */
export interface ClientEnv {
  transport: 'cloud' | 'local';
  /** Cloud environment id for wx.cloud.init (production). */
  cloudEnv: string;
  /** The local gateway URL printed by `npm start` (see .data/dev-stack.json → gatewayUrl). */
  localGatewayUrl: string;
  /** The OPENID the local gateway attributes calls to (the local stand-in for the WeChat login). */
  localOpenid: string;
}

export const clientEnv: ClientEnv = {
  transport: 'local',
  cloudEnv: 'your-cloud-env-id',
  localGatewayUrl: 'http://127.0.0.1:7300',
  localOpenid: 'o-dev-shopper',
};
