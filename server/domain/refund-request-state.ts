// The refund-request machine (docs/adr/0011): a shopper's request to have money back, beside the order's payment
// machine (order-state.ts) and its fulfilment (fulfilment-state.ts). One transition table; a state read back is
// validated against it (an unknown one is refused, never guessed). The refund an approval makes is the existing
// refund path's (refund.service.ts); whether its money is back is read from the order's ledger, not stored here.
import { DomainError } from './errors';

/** Every state a refund request can be in. */
export const REFUND_REQUEST_STATES = [
  /** Waiting for staff. */
  'PENDING',
  /** A return-and-refund staff agreed to: the shopper sends the goods back; staff mark them received. */
  'AWAITING_RETURN',
  /** Staff approved (or received the goods): the refund is requested with the request's own key. */
  'APPROVED',
  /** Staff said no, with a reason the shopper sees. */
  'REJECTED',
  /** The shopper took it back while it waited. */
  'WITHDRAWN',
] as const;

export type RefundRequestStateName = (typeof REFUND_REQUEST_STATES)[number];

/** Everything that can happen to a refund request. */
export const REFUND_REQUEST_EVENTS = [
  /** Staff approve a refund (goods not shipped, or virtual): the refund is requested. */
  'APPROVE_REFUND',
  /** Staff agree to a return-and-refund: the shopper sends the goods back. */
  'APPROVE_RETURN',
  /** Staff have the goods back: the refund is requested. */
  'RETURN_RECEIVED',
  'REJECT',
  'WITHDRAW',
] as const;

export type RefundRequestEvent = (typeof REFUND_REQUEST_EVENTS)[number];

/** THE refund-request transition table: state → event → next state. A pair that is not here is illegal. */
export const REFUND_REQUEST_TRANSITIONS = {
  PENDING: {
    APPROVE_REFUND: 'APPROVED',
    APPROVE_RETURN: 'AWAITING_RETURN',
    REJECT: 'REJECTED',
    WITHDRAW: 'WITHDRAWN',
  },
  AWAITING_RETURN: { RETURN_RECEIVED: 'APPROVED', REJECT: 'REJECTED', WITHDRAW: 'WITHDRAWN' },
  APPROVED: {},
  REJECTED: {},
  WITHDRAWN: {},
} as const satisfies Readonly<
  Record<RefundRequestStateName, Readonly<Partial<Record<RefundRequestEvent, RefundRequestStateName>>>>
>;

const table: Readonly<
  Record<RefundRequestStateName, Readonly<Partial<Record<RefundRequestEvent, RefundRequestStateName>>>>
> = REFUND_REQUEST_TRANSITIONS;
for (const row of Object.values(table)) Object.freeze(row);
Object.freeze(table);

/** Stable codes of the refund-request rules. Never rename, only add. */
export const RefundRequestErrorCodes = {
  ILLEGAL_TRANSITION: 'REFUND_REQUEST.ILLEGAL_TRANSITION',
  UNKNOWN_STATE: 'REFUND_REQUEST.UNKNOWN_STATE',
  NOT_FOUND: 'REFUND_REQUEST.NOT_FOUND',
  NOT_ALLOWED: 'REFUND_REQUEST.NOT_ALLOWED',
  ALREADY_OPEN: 'REFUND_REQUEST.ALREADY_OPEN',
  WINDOW_CLOSED: 'REFUND_REQUEST.WINDOW_CLOSED',
} as const;

export function isRefundRequestState(value: unknown): value is RefundRequestStateName {
  return typeof value === 'string' && (REFUND_REQUEST_STATES as readonly string[]).includes(value);
}

export function isRefundRequestEvent(value: unknown): value is RefundRequestEvent {
  return typeof value === 'string' && (REFUND_REQUEST_EVENTS as readonly string[]).includes(value);
}

/** Reads a stored state; throws REFUND_REQUEST.UNKNOWN_STATE for anything that is not one. */
export function parseRefundRequestState(value: unknown): RefundRequestStateName {
  if (!isRefundRequestState(value)) {
    throw new DomainError(
      RefundRequestErrorCodes.UNKNOWN_STATE,
      `unknown refund request state: ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return value;
}

/** The next state, or undefined when the table has no such transition. */
export function nextRefundRequestState(
  state: RefundRequestStateName,
  event: RefundRequestEvent,
): RefundRequestStateName | undefined {
  if (!isRefundRequestState(state) || !isRefundRequestEvent(event)) return undefined;
  return table[state][event];
}

/** The next state of `state` on `event`; throws REFUND_REQUEST.ILLEGAL_TRANSITION (details: from, event). */
export function refundRequestTransition(
  state: RefundRequestStateName,
  event: RefundRequestEvent,
): RefundRequestStateName {
  const next = nextRefundRequestState(state, event);
  if (next === undefined) {
    throw new DomainError(
      RefundRequestErrorCodes.ILLEGAL_TRANSITION,
      `a refund request in ${String(state)} cannot take ${String(event)}`,
      { from: state, event },
    );
  }
  return next;
}

/** Still waiting for someone (staff, or the goods): the order's one open request, which the shopper may withdraw. */
export function isOpenRefundRequest(state: RefundRequestStateName): boolean {
  return nextRefundRequestState(state, 'WITHDRAW') !== undefined;
}

/** Refund (nothing left the shop, or virtual goods) or return-and-refund (the goods must come back first). */
export type RefundRequestKind = 'refund' | 'return-refund';

/**
 * The kind a request is, from where the goods are: not yet left (awaiting shipment, waiting at the pickup point) or
 * virtual goods → refund; shipped, received, picked up, or completed physical goods → return-and-refund. null: no
 * goods to speak of (not paid, or cancelled).
 */
export function refundRequestKind(
  fulfilment: string,
  deliveryKind: 'express' | 'pickup' | 'virtual' | null,
): RefundRequestKind | null {
  switch (fulfilment) {
    case 'AWAITING_SHIPMENT':
    case 'READY_FOR_PICKUP':
    case 'DELIVERED':
      return 'refund';
    case 'SHIPPED':
    case 'RECEIVED':
    case 'PICKED_UP':
      return 'return-refund';
    case 'COMPLETED':
      return deliveryKind === 'virtual' ? 'refund' : 'return-refund';
    default:
      return null;
  }
}

/** One day in ms. */
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When the request window closes (epoch ms), or null while it is open without end: it counts `days` from when the
 * shopper had the goods (received or picked up; completed without a confirmation; virtual goods: payment). Before the
 * goods arrive a shopper may always ask.
 */
export function refundRequestWindowEndsAtMs(
  days: number,
  t: {
    paidAtMs: number;
    receivedAtMs: number | null;
    completedAtMs: number | null;
    virtual: boolean;
  },
): number | null {
  const start = t.virtual ? t.paidAtMs : (t.receivedAtMs ?? t.completedAtMs);
  return start === null ? null : start + days * DAY_MS;
}
