import { clientEnv } from './config/env';

App<WechatMiniprogram.IAnyObject>({
  onLaunch() {
    if (clientEnv.transport === 'cloud') {
      wx.cloud.init({ env: clientEnv.cloudEnv, traceUser: true });
    }
  },
});
