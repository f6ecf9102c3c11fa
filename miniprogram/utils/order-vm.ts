import type { OrderStatus, OrderView } from '../../typings/contracts/order';
import { fulfilmentLook } from './fulfilment';
import { fenToYuanText } from './money';
import { amountLabel, statusLook, testBadgeText, type StatusLook } from './order-status';
import { beijingTimeText } from './time';

/** What the order pages show of an order. */
export interface OrderVM {
  outTradeNo: string;
  status: OrderStatus;
  label: string;
  tone: StatusLook['tone'];
  icon: string;
  note: string;
  lines: Array<{
    skuId: string;
    title: string;
    spec: string;
    /** The picture kept with the order ('' = the placeholder: none, or an order from before pictures were kept). */
    imageUrl: string;
    quantity: number;
    unitPriceText: string;
    lineTotalText: string;
  }>;
  /** Where the goods are (待发货, 已发货 …), '' when there is nothing to say (unpaid, closed unpaid). */
  shipLabel: string;
  /** The order page's header: a paid order whose goods moved says where they are (已发货 …), else the payment status. */
  headLabel: string;
  headNote: string;
  /** "云南小粒咖啡豆 等 2 件" for list cards. */
  summary: string;
  totalText: string;
  payableText: string;
  /** 实付 / 应付, or '' when no amount should be named (closed without payment). */
  amountLabel: string;
  /** Nothing left to pay or wait for on this page: it offers the ways out (home, my orders). */
  settled: boolean;
  /** The amount charged differs from the goods' value (tester orders). */
  payableDiffers: boolean;
  testBadge: string;
  simulated: boolean;
  createdText: string;
  paidText: string;
  refundedText: string;
  canPay: boolean;
  canCancel: boolean;
  /** 再来一单 is offered (the server's word: closed or paid). */
  canBuyAgain: boolean;
  /** The server's word that the order may still change on its own: the page keeps asking while it is shown. */
  mayStillChange: boolean;
}

/** Most thumbnails an order list card shows (its first lines'). */
export const CARD_THUMBS = 3;

/** An order list card's pictures: the first lines' (up to CARD_THUMBS; '' = placeholder) and "共 N 件" (units). */
export function cardThumbs(o: OrderView): {
  thumbs: Array<{ skuId: string; src: string }>;
  countText: string;
} {
  const count = o.lines.reduce((n, l) => n + l.quantity, 0);
  return {
    thumbs: o.lines.slice(0, CARD_THUMBS).map((l) => ({ skuId: l.skuId, src: l.imageUrl ?? '' })),
    countText: `共 ${count} 件`,
  };
}

export function toOrderVM(o: OrderView): OrderVM {
  const look = statusLook(o.status, o.refundedFen, o.refundOwedOfflineFen);
  const first = o.lines[0]?.title ?? '';
  // Orders read before the server answered fulfilment (an older function version) simply say nothing about it.
  const ship = o.fulfilment ? fulfilmentLook(o.fulfilment, o.delivery?.kind ?? null, o) : null;
  // Right after payment the header says 已支付 (the card below says 待发货); once the goods move, the header follows them.
  const shipInHead = ship !== null && o.status === 'PAID' && o.fulfilment.state !== 'AWAITING_SHIPMENT';
  return {
    outTradeNo: o.outTradeNo,
    status: o.status,
    label: look.label,
    tone: look.tone,
    icon: look.icon,
    note: look.note,
    shipLabel: ship?.label ?? '',
    headLabel: shipInHead ? ship.label : look.label,
    headNote: shipInHead ? ship.note : look.note,
    lines: o.lines.map((l) => ({
      skuId: l.skuId,
      title: l.title,
      spec: l.spec,
      imageUrl: l.imageUrl ?? '',
      quantity: l.quantity,
      unitPriceText: fenToYuanText(l.unitPriceFen),
      lineTotalText: fenToYuanText(l.lineTotalFen),
    })),
    summary: o.lines.length > 1 ? `${first} 等 ${o.lines.length} 种商品` : first,
    totalText: fenToYuanText(o.totalFen),
    payableText: fenToYuanText(o.payableFen),
    amountLabel: amountLabel(o),
    settled: o.phase !== 'awaiting',
    payableDiffers: o.payableFen !== o.totalFen,
    testBadge: testBadgeText(o),
    simulated: o.simulated,
    createdText: beijingTimeText(o.createdAtMs),
    paidText: o.paidAtMs === null ? '' : beijingTimeText(o.paidAtMs),
    refundedText: o.refundedFen > 0 ? fenToYuanText(o.refundedFen) : '',
    canPay: o.canPay,
    canCancel: o.canCancel,
    canBuyAgain: o.canBuyAgain,
    mayStillChange: o.mayStillChange,
  };
}

/**
 * The setData patch that turns `prev` into `next` under `prefix`: only fields that changed, so a poll that finds
 * nothing new sends nothing and a status change sends a few short strings, never the lines again.
 */
export function patchFor(prefix: string, prev: OrderVM | null, next: OrderVM): Record<string, unknown> {
  if (prev === null || prev.outTradeNo !== next.outTradeNo) return { [prefix]: next };
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(next) as Array<keyof OrderVM>) {
    if (JSON.stringify(prev[key]) !== JSON.stringify(next[key])) patch[`${prefix}.${key}`] = next[key];
  }
  return patch;
}
