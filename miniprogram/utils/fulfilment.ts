// Delivery and fulfilment in the shopper's words (docs/adr/0009): one derivation for the order page and the list cards.
import type {
  AddressView,
  DeliveryKind,
  DeliveryView,
  FulfilmentState,
  FulfilmentView,
} from '../../typings/contracts/fulfilment';
import type { OrderView } from '../../typings/contracts/order';
import { beijingTimeText } from './time';

export const DELIVERY_KIND_TEXT: Readonly<Record<DeliveryKind, string>> = {
  express: '快递配送',
  pickup: '到店自提',
  virtual: '虚拟商品',
};

/** How the fulfilment state reads: label, one sentence, and a tone for the colour. */
export interface FulfilmentLook {
  label: string;
  note: string;
  tone: 'warning' | 'success' | 'closed' | 'info';
}

/** Where the goods are, in words; null when there is nothing to say (not paid, or closed without payment). */
export function fulfilmentLook(
  f: Pick<FulfilmentView, 'state'>,
  kind: DeliveryKind | null,
  o: Pick<OrderView, 'moneyArrived' | 'status'>,
): FulfilmentLook | null {
  const s: FulfilmentState = f.state;
  switch (s) {
    case 'NOT_PAID':
      return null;
    case 'AWAITING_SHIPMENT':
      return kind === 'pickup'
        ? { label: '备货中', note: '商家正在备货，备好后即可到店自提', tone: 'warning' }
        : { label: '待发货', note: '商家正在备货，发货后这里会显示快递单号', tone: 'warning' };
    case 'SHIPPED':
      return { label: '已发货', note: '商品已交给快递，收到后请确认收货', tone: 'info' };
    case 'READY_FOR_PICKUP':
      return { label: '待自提', note: '商品已备好，请到自提点领取', tone: 'info' };
    case 'PICKED_UP':
      return { label: '已自提', note: '你已在自提点取走商品', tone: 'success' };
    case 'DELIVERED':
      return { label: '已发放', note: '虚拟商品已发放，无需配送', tone: 'success' };
    case 'RECEIVED':
      return { label: '已收货', note: '你已确认收货', tone: 'success' };
    case 'COMPLETED':
      return { label: '已完成', note: '订单已完成', tone: 'success' };
    case 'CANCELLED':
      // Closed unpaid: nothing to say. Paid: the goods will not be sent — refunded, or the refund is on its way.
      if (!o.moneyArrived) return null;
      return o.status === 'REFUNDED'
        ? { label: '未发货（已退款）', note: '订单在发货前已全额退款，不会发货', tone: 'closed' }
        : { label: '不发货（退款中）', note: '订单不会发货，款项正在原路退回', tone: 'closed' };
    default:
      return null;
  }
}

/** The order page's delivery block. */
export interface DeliveryVM {
  kind: DeliveryKind | null;
  kindText: string;
  /** express: name and phone, then the address line. */
  who: string;
  where: string;
  /** pickup: the point's hours. */
  hours: string;
  remark: string;
  /** Orders placed before delivery existed have none recorded. */
  missing: boolean;
}

export function addressViewLine(a: AddressView): string {
  return [a.province, a.city, a.district, a.detail].filter((s) => s !== '').join(' ');
}

export function deliveryVM(d: DeliveryView | null | undefined): DeliveryVM {
  if (!d) return { kind: null, kindText: '', who: '', where: '', hours: '', remark: '', missing: true };
  const base = { kind: d.kind, kindText: DELIVERY_KIND_TEXT[d.kind], remark: d.remark, missing: false };
  if (d.kind === 'express' && d.address) {
    return {
      ...base,
      who: `${d.address.name} ${d.address.phone}`,
      where: addressViewLine(d.address),
      hours: '',
    };
  }
  if (d.kind === 'pickup' && d.pickupPoint) {
    return { ...base, who: d.pickupPoint.name, where: d.pickupPoint.address, hours: d.pickupPoint.hours };
  }
  if (d.kind === 'virtual') return { ...base, who: '', where: '虚拟商品无需配送', hours: '' };
  return { ...base, who: '', where: '', hours: '' };
}

/** The order page's fulfilment block. */
export interface FulfilmentVM {
  state: FulfilmentState;
  label: string;
  note: string;
  tone: FulfilmentLook['tone'];
  parcels: Array<{ key: string; expressName: string; trackingNo: string }>;
  shippedText: string;
  receivedText: string;
  /** When the order completes by itself ('' when it will not). */
  completeText: string;
  canConfirmReceipt: boolean;
}

export function fulfilmentVM(
  o: Pick<OrderView, 'moneyArrived' | 'status'> & {
    delivery?: DeliveryView | null;
    fulfilment?: FulfilmentView | null;
  },
): FulfilmentVM | null {
  const f = o.fulfilment;
  if (!f) return null;
  const look = fulfilmentLook(f, o.delivery?.kind ?? null, o);
  if (!look) return null;
  return {
    state: f.state,
    label: look.label,
    note: look.note,
    tone: look.tone,
    parcels: f.parcels.map((p, i) => ({
      key: `${i}-${p.trackingNo}`,
      expressName: p.expressName,
      trackingNo: p.trackingNo,
    })),
    shippedText: f.shippedAtMs === null ? '' : beijingTimeText(f.shippedAtMs),
    receivedText: f.receivedAtMs === null ? '' : beijingTimeText(f.receivedAtMs),
    completeText: f.completeAtMs === null ? '' : beijingTimeText(f.completeAtMs),
    canConfirmReceipt: f.canConfirmReceipt && f.confirmReceiptExtraData !== null,
  };
}
