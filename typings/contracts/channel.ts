// Native (QR at the counter) and H5 (web checkout) orders of the `channelPay` function (docs/adr/0012). Type-only.
import type { OrderView } from './order';

/** One line a counter or web checkout asks for: only the SKU and the quantity are read (the price is the catalog's). */
export interface ChannelLineRequest {
  skuId: string;
  quantity: number;
}

/** How a Native or H5 order is paid. */
export type PayChannel = 'native' | 'h5';

/**
 * A Native or H5 order and how to pay it. `payUrl` is WeChat's code_url (`weixin://wxpay/bizpayurl?pr=…`, shown as a
 * QR code) or h5_url (where the payer's browser goes), null once the order cannot be paid any more; `payUrlExpiresAtMs`
 * when that URL stops working (ask again with the same key for a fresh one while the order is payable).
 */
export interface ChannelOrderView {
  channel: PayChannel;
  order: OrderView;
  payUrl: string | null;
  payUrlExpiresAtMs: number | null;
}
