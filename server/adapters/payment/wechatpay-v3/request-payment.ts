// The wx.requestPayment parameter builder (its own small file, as in wechatpay-go's jsapi package).
import type { RequestPaymentParams } from '../../../application/ports/payment-provider.port';

/** The text paySign covers: `appId\ntimeStamp\nnonceStr\npackage\n` (signType is not signed). */
export function requestPaymentMessage(
  appId: string,
  timeStamp: string,
  nonceStr: string,
  pkg: string,
): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

/**
 * Builds wx.requestPayment's parameters for `prepayId`. `appId` must be the appid the order was created with
 * (partner mode: sub_appid when set); `nowMs` and `nonceStr` come from the injected clock and random source.
 */
export function buildRequestPayment(
  appId: string,
  prepayId: string,
  nowMs: number,
  nonceStr: string,
  sign: (message: string) => string,
): RequestPaymentParams {
  const timeStamp = String(Math.floor(nowMs / 1000));
  const pkg = `prepay_id=${prepayId}`;
  return {
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA',
    paySign: sign(requestPaymentMessage(appId, timeStamp, nonceStr, pkg)),
  };
}
