// WeChat's upload_shipping_info request built from an order, exactly as docs/adr/0009 says: which payment (order_key),
// how the goods go (logistics_type, unified or split), what is in each parcel, and when (upload_time, Beijing time,
// strictly later than the previous upload's). Pure: the caller passes the clock's instant.
import { beijingRfc3339 } from '../domain/beijing-time';
import { graphemesOf } from '../domain/text';
import type { MerchantIdentity } from './core.deps';
import { fulfilmentOf, shippingUploadOf } from './fulfilment-view';
import type { OrderRecord } from './order.model';
import type {
  ShippingListEntry,
  TradeOrderKey,
  UploadShippingInfoRequest,
} from './ports/trade-management.port';

/** WeChat's longest item_desc, in characters. */
export const MAX_ITEM_DESC_CHARS = 120;
/** WeChat takes at most this many parcels in one split upload. */
export const MAX_PARCELS = 15;
/** The carrier whose uploads need the receiver's (masked) phone. */
export const SF_EXPRESS = 'SF';

/**
 * Which payment WeChat should look at: by transaction id once known, else by merchant id + out_trade_no (in partner
 * mode the sub-merchant's id: the payment is the sub-merchant's).
 */
export function tradeOrderKey(order: OrderRecord, merchant: MerchantIdentity): TradeOrderKey {
  const transactionId = order.payment?.transactionId;
  if (transactionId) return { order_number_type: 2, transaction_id: transactionId };
  return { order_number_type: 1, mchid: merchant.subMchid ?? merchant.mchid, out_trade_no: order.outTradeNo };
}

/** What the order's lines are, for item_desc: "title spec×n、…", cut to 120 whole characters. */
export function itemDescription(order: Pick<OrderRecord, 'lines'>): string {
  const text = order.lines.map((l) => `${l.title} ${l.spec}×${l.quantity}`).join('、') || '商品';
  const chars = graphemesOf(text);
  return chars.length <= MAX_ITEM_DESC_CHARS ? text : chars.slice(0, MAX_ITEM_DESC_CHARS).join('');
}

/** The phone with every digit but the last 4 masked (spaces dropped): 13800138000 → *******8000. */
export function maskedPhone(phone: string): string {
  const compact = phone.replace(/\s+/g, '');
  const digits = compact.replace(/\D/g, '').length;
  let seen = 0;
  return compact.replace(/\d/g, (d) => (++seen <= digits - 4 ? '*' : d));
}

/** logistics_type: 1 express (also an older order without a delivery record), 3 virtual goods, 4 self-pickup. */
export function logisticsTypeOf(order: OrderRecord): 1 | 3 | 4 {
  const kind = order.delivery?.kind ?? 'express';
  return kind === 'virtual' ? 3 : kind === 'pickup' ? 4 : 1;
}

/** The upload's instant: now, or just after the previous upload (WeChat wants upload_time strictly later). */
export function uploadInstant(order: OrderRecord, nowMs: number): number {
  const { history } = shippingUploadOf(order);
  const last = history[history.length - 1];
  return last === undefined ? nowMs : Math.max(nowMs, last.atMs + 1_000);
}

/** The upload_shipping_info request for `order` at `atMs` (from {@link uploadInstant}). */
export function shippingRequest(
  order: OrderRecord,
  merchant: MerchantIdentity,
  atMs: number,
): UploadShippingInfoRequest {
  const logisticsType = logisticsTypeOf(order);
  const itemDesc = itemDescription(order);
  const parcels = fulfilmentOf(order).parcels;
  const phone = order.delivery?.address?.phone;
  const list: ShippingListEntry[] =
    logisticsType === 1
      ? parcels.map((p) => ({
          tracking_no: p.trackingNo,
          express_company: p.expressCompany,
          item_desc: itemDesc,
          ...(p.expressCompany === SF_EXPRESS && phone
            ? { contact: { receiver_contact: maskedPhone(phone) } }
            : {}),
        }))
      : [{ item_desc: itemDesc }];
  const split = logisticsType === 1 && list.length > 1;
  return {
    order_key: tradeOrderKey(order, merchant),
    logistics_type: logisticsType,
    delivery_mode: split ? 2 : 1,
    ...(split ? { is_all_delivered: true } : {}),
    shipping_list: list,
    upload_time: beijingRfc3339(atMs, 'millisecond'),
    payer: { openid: order.openid },
  };
}
