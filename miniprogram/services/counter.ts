// The counter (收银台, docs/adr/0012): staff create a Native order whose payUrl the customer scans, then the page asks
// for it until WeChat reports the payment. Every action is checked on the server (SHOP_ADMIN_OPENIDS).
import type { ChannelLineRequest, ChannelOrderView } from '../../typings/contracts/channel';
import type { ApiResult } from '../../typings/contracts/envelope';
import { call } from './cloud';

/** The same key answers the same order, so a call that got no answer is safe to send again. */
export function createNative(
  clientRequestKey: string,
  lines: ChannelLineRequest[],
): Promise<ApiResult<ChannelOrderView>> {
  return call('channelPay', 'createNative', { clientRequestKey, lines }, { retry: true });
}

/** The order after asking WeChat (a payment it reports is applied): a read, safe to repeat. */
export function getNative(outTradeNo: string): Promise<ApiResult<ChannelOrderView>> {
  return call('channelPay', 'getNative', { outTradeNo }, { retry: true });
}

/** Closing an order twice answers the closed order: safe to repeat. */
export function cancelNative(outTradeNo: string): Promise<ApiResult<ChannelOrderView>> {
  return call('channelPay', 'cancelNative', { outTradeNo }, { retry: true });
}
