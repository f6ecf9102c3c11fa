// How an order's delivery and fulfilment read (docs/adr/0009): the stored record, or what an older order without one
// means; and the views pages and staff see. Every reader of an order's fulfilment goes through fulfilmentOf, so a
// refunded order reads CANCELLED even when the refund write did not set it.
import { cancellable, fulfilmentTransition, parseFulfilmentState } from '../domain/fulfilment-state';
import type { FulfilmentStateName } from '../domain/fulfilment-state';
import { hasReceivedPayment, isClosedUnpaid, mustRefundInFull } from '../domain/order-state';
import type { OrderState } from '../domain/order-state';
import type {
  DeliveryView,
  FulfilmentState,
  FulfilmentView,
  ShippingUploadView,
} from '../../typings/contracts/fulfilment';
import type { FulfilmentRecord, OrderRecord, ShippingUploadRecord } from './order.model';
import { queuedAt, settled } from './job-queue';

type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
/** The domain's states are exactly the contract's (compile-time). */
export const FULFILMENT_STATES_MATCH_CONTRACT: Same<FulfilmentStateName, FulfilmentState> = true;

/** A fresh order's fulfilment. */
export function notPaidFulfilment(): FulfilmentRecord {
  return {
    state: 'NOT_PAID',
    parcels: [],
    shippedAtMs: null,
    receivedAtMs: null,
    completedAtMs: null,
    completeAtMs: null,
  };
}

/** A fresh order's shipping upload: nothing to upload. */
export function noShippingUpload(): ShippingUploadRecord {
  return { job: settled(null), uploads: 0, history: [], state: 'none', lastError: null };
}

/** The payment status makes the goods never go: closed unpaid, refunded in full, or money that arrived after close. */
function moneySaysCancel(status: OrderState): boolean {
  return isClosedUnpaid(status) || status === 'REFUNDED' || mustRefundInFull(status);
}

/**
 * The order's fulfilment as it stands: the stored one (its state validated: an unknown one throws), or for an older
 * order NOT_PAID / AWAITING_SHIPMENT from its payment status; a fulfilment whose goods have not left reads CANCELLED
 * once the money says so (closed, refunded in full before shipping), so a refunded order is never shipped.
 */
export function fulfilmentOf(order: OrderRecord): FulfilmentRecord {
  const stored = order.fulfilment;
  const base: FulfilmentRecord = stored
    ? { ...stored, state: parseFulfilmentState(stored.state) }
    : {
        ...notPaidFulfilment(),
        state: hasReceivedPayment(order.status) ? 'AWAITING_SHIPMENT' : 'NOT_PAID',
      };
  if (cancellable(base.state) && moneySaysCancel(order.status)) return { ...base, state: 'CANCELLED' };
  return base;
}

/** The order's shipping upload record (an older order: none). */
export function shippingUploadOf(order: OrderRecord): ShippingUploadRecord {
  return order.shippingUpload ?? noShippingUpload();
}

/** The delivery as the shopper and staff see it. */
export function toDeliveryView(order: OrderRecord): DeliveryView | null {
  const d = order.delivery;
  if (!d) return null;
  return {
    kind: d.kind,
    address: d.address ? { ...d.address } : null,
    pickupPoint: d.pickupPoint ? { ...d.pickupPoint } : null,
    remark: d.remark,
  };
}

/** Where the goods are, as the pages see it. */
export function toFulfilmentView(order: OrderRecord): FulfilmentView {
  const f = fulfilmentOf(order);
  const transactionId = order.payment?.transactionId ?? null;
  const canConfirm = f.state === 'SHIPPED' && transactionId !== null;
  return {
    state: f.state,
    parcels: f.parcels.map((p) => ({ ...p })),
    shippedAtMs: f.shippedAtMs,
    receivedAtMs: f.receivedAtMs,
    completedAtMs: f.completedAtMs,
    completeAtMs: f.state === 'COMPLETED' || f.state === 'CANCELLED' ? null : f.completeAtMs,
    canConfirmReceipt: canConfirm,
    confirmReceiptExtraData: canConfirm && transactionId !== null ? { transaction_id: transactionId } : null,
  };
}

/** The shipping upload as staff see it. */
export function toShippingUploadView(order: OrderRecord): ShippingUploadView {
  const u = shippingUploadOf(order);
  const last = u.history[u.history.length - 1];
  return {
    state: u.state,
    uploads: u.uploads,
    lastUploadedAtMs: last?.atMs ?? null,
    lastError: u.lastError,
  };
}

/**
 * What the payment write that makes an order PAID also writes (docs/adr/0009: the same write, no extra round trip):
 * the PAID event — AWAITING_SHIPMENT for express and pickup; for virtual goods DELIVERED, the completion queued and
 * the shipping upload (logistics_type 3) queued. Nothing for money that is not a sale (PAID_AFTER_CLOSE).
 */
export function paidFulfilmentPatch(
  order: OrderRecord,
  nextStatus: OrderState,
  nowMs: number,
  autoCompleteMs: number,
): Partial<Pick<OrderRecord, 'fulfilment' | 'completeJob' | 'shippingUpload'>> {
  if (nextStatus !== 'PAID') return {};
  const f = fulfilmentOf({ ...order, status: 'AWAITING_PAYMENT' });
  // A counter sale (docs/adr/0012) is handed over at the counter, virtual goods at payment: both are delivered when paid,
  // in nobody's to-ship list, completed after the usual days.
  const counterSale = order.channel === 'native';
  if (!counterSale && order.delivery?.kind !== 'virtual') {
    return { fulfilment: { ...f, state: fulfilmentTransition(f.state, 'PAID') } };
  }
  const completeAtMs = nowMs + autoCompleteMs;
  return {
    fulfilment: {
      ...f,
      state: fulfilmentTransition(f.state, 'PAID_VIRTUAL'),
      shippedAtMs: nowMs,
      completeAtMs,
    },
    completeJob: queuedAt(completeAtMs),
    // Virtual goods are uploaded to 发货信息管理 (logistics_type 3); a counter sale is not a mini program payment.
    ...(counterSale
      ? {}
      : { shippingUpload: { ...shippingUploadOf(order), job: queuedAt(nowMs), state: 'queued' as const } }),
  };
}
