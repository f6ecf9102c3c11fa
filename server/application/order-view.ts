import {
  canCancel,
  hasReceivedPayment,
  isPayable,
  mayChangeUnprompted,
  orderPhase,
} from '../domain/order-state';
import type { OrderView } from '../../typings/contracts/order';
import type { OrderRecord } from './order.model';

/** The owner's view of an order at `nowMs` (an expired order is not payable even before the close job ran). */
export function toOrderView(o: OrderRecord, nowMs: number): OrderView {
  const open = isPayable(o.status) && o.expiresAtMs > nowMs;
  return {
    outTradeNo: o.outTradeNo,
    status: o.status,
    lines: o.lines.map((l) => ({
      skuId: l.skuId,
      productId: l.productId,
      title: l.title,
      spec: l.spec,
      unitPriceFen: l.unitPriceFen,
      quantity: l.quantity,
      lineTotalFen: l.lineTotalFen,
    })),
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
    serverNowMs: nowMs,
  };
}
