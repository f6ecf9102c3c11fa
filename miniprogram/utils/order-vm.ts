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
  /** The server's word that the order may still change on its own: the page keeps asking while it is shown. */
  mayStillChange: boolean;
}

export function toOrderVM(o: OrderView): OrderVM {
  const look = statusLook(o.status, o.refundedFen, o.refundOwedOfflineFen);
  const count = o.lines.reduce((n, l) => n + l.quantity, 0);
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
      quantity: l.quantity,
      unitPriceText: fenToYuanText(l.unitPriceFen),
      lineTotalText: fenToYuanText(l.lineTotalFen),
    })),
    summary: o.lines.length > 1 ? `${first} 等 ${count} 件` : `${first} × ${count}`,
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
