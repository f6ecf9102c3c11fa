// The fulfilment machine beside the payment one (docs/adr/0009): where the goods are on their way to the shopper. One
// transition table, like order-state.ts; a state read back is validated against it (an unknown state is refused).
import { DomainError } from './errors';

/** Every fulfilment state (typings/contracts/fulfilment.ts FulfilmentState names the same strings). */
export const FULFILMENT_STATES = [
  'NOT_PAID',
  'AWAITING_SHIPMENT',
  'SHIPPED',
  'READY_FOR_PICKUP',
  'PICKED_UP',
  'DELIVERED',
  'RECEIVED',
  'COMPLETED',
  'CANCELLED',
] as const;

export type FulfilmentStateName = (typeof FULFILMENT_STATES)[number];

/** Everything that can happen to an order's fulfilment. */
export const FULFILMENT_EVENTS = [
  /** The payment arrived (express and pickup wait for staff). */
  'PAID',
  /** The payment arrived for virtual goods: delivered at payment. */
  'PAID_VIRTUAL',
  /** Staff shipped the parcels (express). */
  'SHIP',
  /** Staff put the goods at the pickup point. */
  'READY_FOR_PICKUP',
  /** The shopper took the goods at the pickup point (staff record it). */
  'PICKED_UP',
  /** The payer confirmed receipt and WeChat's order state agrees. */
  'CONFIRM_RECEIPT',
  /** The completion job, at completeAtMs. */
  'COMPLETE',
  /** Closed unpaid, or refunded in full before the goods left. */
  'CANCEL',
] as const;

export type FulfilmentEvent = (typeof FULFILMENT_EVENTS)[number];

/** THE fulfilment transition table: state → event → next state. A pair that is not here is illegal. */
export const FULFILMENT_TRANSITIONS = {
  NOT_PAID: { PAID: 'AWAITING_SHIPMENT', PAID_VIRTUAL: 'DELIVERED', CANCEL: 'CANCELLED' },
  AWAITING_SHIPMENT: { SHIP: 'SHIPPED', READY_FOR_PICKUP: 'READY_FOR_PICKUP', CANCEL: 'CANCELLED' },
  READY_FOR_PICKUP: { PICKED_UP: 'PICKED_UP', CANCEL: 'CANCELLED' },
  SHIPPED: { CONFIRM_RECEIPT: 'RECEIVED', COMPLETE: 'COMPLETED' },
  RECEIVED: { COMPLETE: 'COMPLETED' },
  PICKED_UP: { COMPLETE: 'COMPLETED' },
  DELIVERED: { COMPLETE: 'COMPLETED' },
  COMPLETED: {},
  CANCELLED: {},
} as const satisfies Readonly<
  Record<FulfilmentStateName, Readonly<Partial<Record<FulfilmentEvent, FulfilmentStateName>>>>
>;

const table: Readonly<
  Record<FulfilmentStateName, Readonly<Partial<Record<FulfilmentEvent, FulfilmentStateName>>>>
> = FULFILMENT_TRANSITIONS;
for (const row of Object.values(table)) Object.freeze(row);
Object.freeze(table);

/** Stable codes of this machine. */
export const FulfilmentErrorCodes = {
  ILLEGAL_TRANSITION: 'FULFIL.ILLEGAL_TRANSITION',
  UNKNOWN_STATE: 'FULFIL.UNKNOWN_STATE',
} as const;

export function isFulfilmentState(value: unknown): value is FulfilmentStateName {
  return typeof value === 'string' && (FULFILMENT_STATES as readonly string[]).includes(value);
}

export function isFulfilmentEvent(value: unknown): value is FulfilmentEvent {
  return typeof value === 'string' && (FULFILMENT_EVENTS as readonly string[]).includes(value);
}

/** Reads a stored state; throws FULFIL.UNKNOWN_STATE for anything that is not one (never guessed). */
export function parseFulfilmentState(value: unknown): FulfilmentStateName {
  if (!isFulfilmentState(value)) {
    throw new DomainError(
      FulfilmentErrorCodes.UNKNOWN_STATE,
      `unknown fulfilment state: ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return value;
}

/** The next state, or undefined when the table has no such transition. */
export function nextFulfilmentState(
  state: FulfilmentStateName,
  event: FulfilmentEvent,
): FulfilmentStateName | undefined {
  if (!isFulfilmentState(state) || !isFulfilmentEvent(event)) return undefined;
  return table[state][event];
}

/** The next state of `state` on `event`; throws FULFIL.ILLEGAL_TRANSITION (details: from, event) if there is none. */
export function fulfilmentTransition(
  state: FulfilmentStateName,
  event: FulfilmentEvent,
): FulfilmentStateName {
  const next = nextFulfilmentState(state, event);
  if (next === undefined) {
    throw new DomainError(
      FulfilmentErrorCodes.ILLEGAL_TRANSITION,
      `fulfilment in ${String(state)} cannot take ${String(event)}`,
      { from: state, event },
    );
  }
  return next;
}

/** The goods have left the shop (the completion clock runs from here). */
export function goodsLeft(state: FulfilmentStateName): boolean {
  return nextFulfilmentState(state, 'COMPLETE') !== undefined || state === 'COMPLETED';
}

/** Nothing left the shop yet and it still may: a full refund now cancels the fulfilment. */
export function cancellable(state: FulfilmentStateName): boolean {
  return nextFulfilmentState(state, 'CANCEL') !== undefined;
}
