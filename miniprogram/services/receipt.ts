// Confirm receipt (docs/adr/0009): WeChat's own confirm view (wx.openBusinessView 'weappOrderConfirm') answers
// through App.onShow — referrerInfo.appId is WeChat's order-confirm app and extraData.status success | fail | cancel.
// The answer is routed to the page that opened the view; the page then asks the server (order.confirmReceipt), which
// checks WeChat's order state itself: the view's word is never enough to call an order received.
import type { FulfilmentView } from '../../typings/contracts/fulfilment';
import { clientEnv } from '../config/env';
import { localOpenid } from './identity';

/** The appId WeChat's confirm-receipt view comes back from. */
export const CONFIRM_VIEW_APPID = 'wx1183b055aeec94d1';

/** What the confirm view said (only a hint). */
export type ReceiptViewResult = 'success' | 'fail' | 'cancel';

/** The view could not be opened. */
export interface ReceiptViewError {
  failed: string;
}

interface BusinessViewOptions {
  businessType: string;
  extraData: unknown;
  fail?: (err: { errMsg?: string }) => void;
}

let waiting: { outTradeNo: string; resolve: (r: ReceiptViewResult) => void } | null = null;

/**
 * App.onShow's options, handed over by app.ts: the confirm view's result goes to the page waiting for it. Answers
 * whether it was the confirm view's (anything else is ignored).
 */
export function deliverReceiptViewResult(options: {
  referrerInfo?: { appId?: string; extraData?: unknown };
}): boolean {
  const ref = options.referrerInfo;
  if (!ref || ref.appId !== CONFIRM_VIEW_APPID) return false;
  const extra = (ref.extraData ?? {}) as { status?: unknown };
  const status: ReceiptViewResult =
    extra.status === 'success' ? 'success' : extra.status === 'cancel' ? 'cancel' : 'fail';
  const w = waiting;
  waiting = null;
  w?.resolve(status);
  return w !== null;
}

/**
 * The page showed again and App.onShow brought no result from the view (the shopper left it another way): the wait
 * ends as 'fail' — the page then asks the server, which knows whether WeChat recorded a confirmation.
 */
export function endUnansweredReceiptView(): void {
  const w = waiting;
  waiting = null;
  w?.resolve('fail');
}

/**
 * Opens WeChat's confirm view for one order and waits for its result. In a local preview WeChat's view does not
 * exist: a modal stands in for it and the local stack's emulation of WeChat's order plays the payer's confirmation.
 */
export function openReceiptView(
  outTradeNo: string,
  extraData: NonNullable<FulfilmentView['confirmReceiptExtraData']>,
): Promise<ReceiptViewResult | ReceiptViewError> {
  return new Promise((resolve) => {
    // A view opened earlier that never answered (the shopper left another way) is forgotten.
    waiting = { outTradeNo, resolve };
    if (clientEnv.transport === 'local') {
      void localConfirmView(extraData).then((r) => {
        if ('failed' in r) {
          waiting = null;
          resolve(r);
        } else
          deliverReceiptViewResult({
            referrerInfo: { appId: CONFIRM_VIEW_APPID, extraData: { status: r.status } },
          });
      });
      return;
    }
    // Not in the wx typings: WeChat's business views (base library ≥ 2.6.0).
    const open = (wx as unknown as { openBusinessView?: (o: BusinessViewOptions) => void }).openBusinessView;
    if (typeof open !== 'function') {
      waiting = null;
      resolve({ failed: '当前微信版本过低，请升级微信后再确认收货' });
      return;
    }
    open({
      businessType: 'weappOrderConfirm',
      extraData,
      fail: (err: { errMsg?: string }) => {
        waiting = null;
        resolve({ failed: err.errMsg ?? 'openBusinessView failed' });
      },
    });
  });
}

/** Local preview: a modal plays WeChat's confirm view; 确认收货 confirms at the local emulation of WeChat's order. */
async function localConfirmView(
  extraData: NonNullable<FulfilmentView['confirmReceiptExtraData']>,
): Promise<{ status: ReceiptViewResult } | ReceiptViewError> {
  const answer = await wx.showModal({
    title: '确认收货（本地模拟）',
    content: '本地联调：代替微信的确认收货页面。确认后由本地模拟的微信订单记录"已确认收货"。',
    confirmText: '确认收货',
    cancelText: '取消',
  });
  if (!answer.confirm) return { status: 'cancel' };
  return new Promise((resolve) => {
    wx.request({
      url: `${clientEnv.localGatewayUrl}${LOCAL_CONFIRM_ROUTE}`,
      method: 'POST',
      // The same extraData WeChat's view takes; the caller as for /fn (only the payer may confirm: it is checked).
      data: extraData,
      header: { 'content-type': 'application/json', 'x-wx-openid': localOpenid() },
      success: (res) =>
        resolve({ status: res.statusCode >= 200 && res.statusCode < 300 ? 'success' : 'fail' }),
      fail: () => resolve({ status: 'fail' }),
    });
  });
}

/**
 * The local stack's stand-in for the payer confirming in WeChat's view (devcloud/trade/routes.ts, loopback callers
 * only: DevTools on the developer's machine): shipped (2) → confirmed (3) in the local 发货信息管理.
 */
export const LOCAL_CONFIRM_ROUTE = '/_devcloud/trade/confirm-receipt';
