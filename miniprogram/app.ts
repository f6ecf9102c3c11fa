import { clientEnv } from './config/env';
import { deliverReceiptViewResult } from './services/receipt';

/**
 * Applies a new version as soon as WeChat has downloaded it: otherwise a phone keeps running the old code (e.g. an
 * old payment flow) until the next cold start, which can be days away. The shopper chooses when: a restart in the
 * middle of a payment would drop the page that is waiting for the result.
 */
export function watchForUpdate(): void {
  if (typeof wx.getUpdateManager !== 'function') return;
  const manager = wx.getUpdateManager();
  manager.onUpdateReady(() => {
    void wx
      .showModal({
        title: '发现新版本',
        content: '新版本已准备好，重启小程序即可使用',
        confirmText: '重启',
        cancelText: '稍后',
      })
      .then((r) => {
        if (r.confirm) manager.applyUpdate();
      });
  });
}

App<WechatMiniprogram.IAnyObject>({
  onLaunch() {
    if (clientEnv.transport === 'cloud') {
      wx.cloud.init({ env: clientEnv.cloudEnv, traceUser: true });
    }
    watchForUpdate();
  },
  onShow(options: WechatMiniprogram.App.LaunchShowOption) {
    // Coming back from WeChat's confirm-receipt view: its result goes to the order page that opened it.
    deliverReceiptViewResult(options);
  },
});
