import {
  canCancel,
  hasReceivedPayment,
  isPayable,
  mayChangeUnprompted,
  orderPhase,
} from '../domain/order-state';
import type { PricedLine } from '../domain/pricing';
import type { OrderLineView, OrderView } from '../../typings/contracts/order';
import { toDeliveryView, toFulfilmentView } from './fulfilment-view';
import type { OrderRecord } from './order.model';

/** A priced line as the shopper sees it (the order's, or the confirm page's quote). */
export function toOrderLineView(l: PricedLine): OrderLineView {
  return {
    skuId: l.skuId,
    productId: l.productId,
    title: l.title,
    spec: l.spec,
    unitPriceFen: l.unitPriceFen,
    quantity: l.quantity,
    lineTotalFen: l.lineTotalFen,
  };
}

/** The owner's view of an order at `nowMs` (an expired order is not payable even before the close job ran). */
export function toOrderView(o: OrderRecord, nowMs: number): OrderView {
  const open = isPayable(o.status) && o.expiresAtMs > nowMs;
  return {
    outTradeNo: o.outTradeNo,
    status: o.status,
    lines: o.lines.map(toOrderLineView),
    totalFen: o.totalFen,
    payableFen: o.payableFen,
    isTestOrder: o.isTestOrder,
    simulated: o.simulated,
    createdAtMs: o.createdAtMs,
    expiresAtMs: o.expiresAtMs,
    paidAtMs: o.payment?.successTimeMs ?? null,
    refundedFen: o.refundedFen,
    refundOwedOfflineFen: o.refundOwedOfflineFen ?? 0,
    phase: orderPhase(o.status),
    moneyArrived: hasReceivedPayment(o.status),
    mayStillChange: mayChangeUnprompted(o.status),
    canPay: open,
    canCancel: open && canCancel(o.status),
    delivery: toDeliveryView(o),
    fulfilment: toFulfilmentView(o),
    serverNowMs: nowMs,
  };
}
