// A new order, awaiting payment, as it is first stored: one shape for checkout (the Mini Program, JSAPI) and for the
// counter and web shop (Native, H5; docs/adr/0012).
import type { DeliverySnapshot } from '../domain/delivery';
import { newOutTradeNo } from '../domain/ids';
import { ZERO_FEN } from '../domain/money';
import { paymentDescription } from '../domain/pricing';
import type { PricedOrder } from '../domain/pricing';
import type { PayChannel } from '../../typings/contracts/channel';
import type { CoreDeps } from './core.deps';
import { noShippingUpload, notPaidFulfilment } from './fulfilment-view';
import { SYNC_AFTER_MS, queuedAt, settled } from './job-queue';
import type { MiniprogramState, OrderRecord } from './order.model';

/** What differs from one new order to the next; an optional field left out stays absent from the record. */
export interface NewOrder {
  openid: string;
  /** Absent: a JSAPI order (checkout). */
  channel?: PayChannel;
  /** Native: the staff member who created it. */
  createdBy?: string;
  /** H5: the payer's IP it was created from. */
  payerClientIp?: string;
  clientRequestKey: string;
  priced: PricedOrder;
  isTestOrder: boolean;
  delivery: DeliverySnapshot | null;
  placedFrom?: MiniprogramState;
}

/** The record of an order placed at `now` (a fresh out_trade_no; its close and sync jobs queued). */
export function newOrderRecord(
  d: Pick<CoreDeps, 'random' | 'policy' | 'provider'>,
  now: number,
  o: NewOrder,
): OrderRecord {
  return {
    outTradeNo: newOutTradeNo(now, d.random.base62(10)),
    openid: o.openid,
    ...(o.channel === undefined ? {} : { channel: o.channel }),
    ...(o.createdBy === undefined ? {} : { createdBy: o.createdBy }),
    ...(o.payerClientIp === undefined ? {} : { payerClientIp: o.payerClientIp }),
    clientRequestKey: o.clientRequestKey,
    status: 'AWAITING_PAYMENT',
    version: 1,
    lines: [...o.priced.lines],
    totalFen: o.priced.totalFen,
    payableFen: o.priced.payableFen,
    isTestOrder: o.isTestOrder,
    simulated: d.policy.simulatedPayments,
    providerId: d.provider.id,
    description: paymentDescription(o.priced),
    createdAtMs: now,
    expiresAtMs: now + d.policy.orderTtlMs,
    updatedAtMs: now,
    prepay: null,
    payment: null,
    refundReservedFen: ZERO_FEN,
    refundedFen: ZERO_FEN,
    closedAtMs: null,
    providerClose: 'not-needed',
    stockReleased: false,
    closeJob: queuedAt(now + d.policy.orderTtlMs),
    syncJob: queuedAt(now + SYNC_AFTER_MS),
    delivery: o.delivery,
    fulfilment: notPaidFulfilment(),
    shippingUpload: noShippingUpload(),
    completeJob: settled(null),
    ...(o.placedFrom === undefined ? {} : { placedFrom: o.placedFrom }),
  };
}
