import { DomainError, ErrorCodes } from './errors';

/** Every state an order can be in (docs/adr/0003-order-state-machine.md says why each is distinct). */
export const ORDER_STATES = [
  'AWAITING_PAYMENT',
  'PAID',
  'CLOSED_BY_USER',
  'CLOSED_BY_TIMEOUT',
  'PAID_AFTER_CLOSE',
  'REFUND_PROCESSING',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'REFUND_FAILED',
] as const;

/** An order's state. Stored as this exact string; every change is a compare-and-set on it. */
export type OrderState = (typeof ORDER_STATES)[number];

/** Everything that can happen to an order. */
export const ORDER_EVENTS = [
  /** WeChat says the money arrived (verified notification or signed query answer with trade_state SUCCESS). */
  'PAYMENT_SUCCEEDED',
  /** The shopper cancelled before paying. */
  'USER_CANCELLED',
  /** The payment window passed without payment (the close job closed it). */
  'EXPIRED',
  /** A new refund was created for this order (its out_refund_no is new). */
  'REFUND_REQUESTED',
  /** An ABNORMAL refund was submitted again. */
  'REFUND_RETRIED',
  /** Refunds settled with money returned, but less than was paid. */
  'REFUND_SUCCEEDED_PARTIAL',
  /** Refunds settled and everything paid has been returned. */
  'REFUND_SUCCEEDED_FULL',
  /** Refunds settled and one needs a person: ABNORMAL at WeChat, or the latest one CLOSED. */
  'REFUND_FAILED',
] as const;

/** One thing that happened to an order. */
export type OrderEvent = (typeof ORDER_EVENTS)[number];

/**
 * THE order transition table: state → event → next state. A pair that is not here is illegal. Self-loops are
 * real-life cases (a second refund while one is processing), not duplicates: a duplicate PAYMENT_SUCCEEDED is
 * recognised with hasReceivedPayment() and answered without a transition.
 */
export const ORDER_TRANSITIONS = {
  AWAITING_PAYMENT: {
    PAYMENT_SUCCEEDED: 'PAID',
    USER_CANCELLED: 'CLOSED_BY_USER',
    EXPIRED: 'CLOSED_BY_TIMEOUT',
  },
  PAID: {
    REFUND_REQUESTED: 'REFUND_PROCESSING',
  },
  // A closed order can still receive money: the shopper paid just before the close reached WeChat, or the close
  // call failed. That money is not a sale: it must go back.
  CLOSED_BY_USER: {
    PAYMENT_SUCCEEDED: 'PAID_AFTER_CLOSE',
  },
  CLOSED_BY_TIMEOUT: {
    PAYMENT_SUCCEEDED: 'PAID_AFTER_CLOSE',
  },
  PAID_AFTER_CLOSE: {
    REFUND_REQUESTED: 'REFUND_PROCESSING',
  },
  REFUND_PROCESSING: {
    REFUND_REQUESTED: 'REFUND_PROCESSING',
    REFUND_RETRIED: 'REFUND_PROCESSING',
    REFUND_SUCCEEDED_PARTIAL: 'PARTIALLY_REFUNDED',
    REFUND_SUCCEEDED_FULL: 'REFUNDED',
    REFUND_FAILED: 'REFUND_FAILED',
  },
  // Settled reports can still arrive here: a refund closed locally that WeChat in fact paid (see
  // isMoneyMovedAfterClose) changes what was refunded after the order had settled.
  PARTIALLY_REFUNDED: {
    REFUND_REQUESTED: 'REFUND_PROCESSING',
    REFUND_SUCCEEDED_PARTIAL: 'PARTIALLY_REFUNDED',
    REFUND_SUCCEEDED_FULL: 'REFUNDED',
    REFUND_FAILED: 'REFUND_FAILED',
  },
  REFUNDED: {},
  // Waits for a person: retry the ABNORMAL refund, request a new one after a CLOSED one, or WeChat reports that an
  // ABNORMAL refund was settled by hand in the merchant platform (SUCCESS).
  REFUND_FAILED: {
    REFUND_REQUESTED: 'REFUND_PROCESSING',
    REFUND_RETRIED: 'REFUND_PROCESSING',
    REFUND_SUCCEEDED_PARTIAL: 'PARTIALLY_REFUNDED',
    REFUND_SUCCEEDED_FULL: 'REFUNDED',
    REFUND_FAILED: 'REFUND_FAILED',
  },
} as const satisfies Readonly<Record<OrderState, Readonly<Partial<Record<OrderEvent, OrderState>>>>>;

const orderTable: Readonly<Record<OrderState, Readonly<Partial<Record<OrderEvent, OrderState>>>>> =
  deepFreeze(ORDER_TRANSITIONS);

/** Freezes a two-level table so that no caller can edit the rules at run time. */
function deepFreeze<T extends object>(table: T): T {
  for (const row of Object.values(table)) Object.freeze(row);
  return Object.freeze(table);
}

/** True when `value` is one of ORDER_STATES (own strings only: "toString" is not a state). */
export function isOrderState(value: unknown): value is OrderState {
  return typeof value === 'string' && (ORDER_STATES as readonly string[]).includes(value);
}

/** True when `value` is one of ORDER_EVENTS. */
export function isOrderEvent(value: unknown): value is OrderEvent {
  return typeof value === 'string' && (ORDER_EVENTS as readonly string[]).includes(value);
}

/** Reads a stored state; throws ORDER.UNKNOWN_STATE for anything that is not an OrderState. */
export function parseOrderState(value: unknown): OrderState {
  if (!isOrderState(value)) {
    throw new DomainError(
      ErrorCodes.ORDER_UNKNOWN_STATE,
      `unknown order state: ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return value;
}

/** The next state, or undefined when the table has no such transition (also for unknown states and events). */
export function nextOrderState(state: OrderState, event: OrderEvent): OrderState | undefined {
  if (!isOrderState(state) || !isOrderEvent(event)) return undefined;
  return orderTable[state][event];
}

/** The next state of `state` on `event`; throws ORDER.ILLEGAL_TRANSITION (details: from, event) if there is none. */
export function transition(state: OrderState, event: OrderEvent): OrderState {
  const next = nextOrderState(state, event);
  if (next === undefined) {
    throw new DomainError(
      ErrorCodes.ORDER_ILLEGAL_TRANSITION,
      `an order in ${String(state)} cannot take ${String(event)}`,
      {
        from: state,
        event,
      },
    );
  }
  return next;
}

/** Payable: a payment now would make a normal sale (PAYMENT_SUCCEEDED leads to PAID). */
export function isPayable(state: OrderState): boolean {
  return nextOrderState(state, 'PAYMENT_SUCCEEDED') === 'PAID';
}

/** The shopper may cancel it. */
export function canCancel(state: OrderState): boolean {
  return nextOrderState(state, 'USER_CANCELLED') !== undefined;
}

/** States reachable from `from` through the table, `from` included. */
function reachableFrom(from: readonly OrderState[]): Set<OrderState> {
  const seen = new Set<OrderState>(from);
  const queue = [...from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const event of ORDER_EVENTS) {
      const next = orderTable[state][event];
      if (next !== undefined && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

const PAID_STATES: ReadonlySet<OrderState> = reachableFrom(
  ORDER_STATES.map((s) => orderTable[s].PAYMENT_SUCCEEDED).filter((s): s is OrderState => s !== undefined),
);

/**
 * Money has arrived for this order at some point (every state reachable after PAYMENT_SUCCEEDED). A payment
 * notification for such an order is a duplicate: acknowledge it, change nothing.
 */
export function hasReceivedPayment(state: OrderState): boolean {
  return PAID_STATES.has(state);
}

/** Closed without money: cancelled or expired (a later payment moves it to PAID_AFTER_CLOSE). */
export function isClosedUnpaid(state: OrderState): boolean {
  return (
    !hasReceivedPayment(state) &&
    !isPayable(state) &&
    nextOrderState(state, 'PAYMENT_SUCCEEDED') !== undefined
  );
}

/** Any refund must return everything paid: the money arrived for an order that had been closed. */
export function mustRefundInFull(state: OrderState): boolean {
  return state === 'PAID_AFTER_CLOSE';
}

/** A refund of the order is not settled: on its way, or ABNORMAL and waiting for staff to retry it. */
export function hasUnsettledRefund(state: OrderState): boolean {
  return nextOrderState(state, 'REFUND_RETRIED') !== undefined;
}

/**
 * Something already in motion can change the order without the shopper: the payment window (a payment or the close
 * job), the automatic refund of a payment after close, or an unsettled refund.
 */
export function mayChangeUnprompted(state: OrderState): boolean {
  return isPayable(state) || mustRefundInFull(state) || hasUnsettledRefund(state);
}

/** Every group of orders a shopper sees (the order list's tabs). */
export const ORDER_PHASES = ['awaiting', 'paid', 'closed', 'refund'] as const;

/** The shopper's group of an order (the order list's tabs). */
export type OrderPhase = (typeof ORDER_PHASES)[number];

/** True when `value` is one of ORDER_PHASES. */
export function isOrderPhase(value: unknown): value is OrderPhase {
  return typeof value === 'string' && (ORDER_PHASES as readonly string[]).includes(value);
}

/**
 * The one definition of an order's phase: payable → awaiting; no money ever → closed; the sale itself → paid; any
 * other state with money arrived has money going back (or gone back) → refund.
 */
export function orderPhase(state: OrderState): OrderPhase {
  if (isPayable(state)) return 'awaiting';
  if (!hasReceivedPayment(state)) return 'closed';
  return state === 'PAID' ? 'paid' : 'refund';
}

/** The states of `phase`: {@link orderPhase} read backwards (a listing filters on these), never a second list. */
export function statesInPhase(phase: OrderPhase): OrderState[] {
  return ORDER_STATES.filter((s) => orderPhase(s) === phase);
}

/**
 * The shopper may put the order's goods back in the cart (order.again): once it left the payment window — closed
 * without money, or paid (refunded or not). An order still awaiting payment is paid, not bought a second time.
 */
export function canBuyAgain(state: OrderState): boolean {
  return orderPhase(state) !== 'awaiting';
}

// ---------------------------------------------------------------------------------------------------------------
// The refund's own machine: one refund (one out_refund_no) as WeChat reports it.

/** A refund's status, named as WeChat names them. */
export const REFUND_STATUSES = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'] as const;

/** One refund's status. PROCESSING is where every refund starts. */
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** What can happen to one refund: WeChat reports an outcome (notification or query), or we retry it. */
export const REFUND_EVENTS = ['REPORTED_SUCCESS', 'REPORTED_CLOSED', 'REPORTED_ABNORMAL', 'RETRIED'] as const;

/** One thing that happened to a refund. */
export type RefundEvent = (typeof REFUND_EVENTS)[number];

/**
 * THE refund transition table: status → event → next status. ABNORMAL (the shopper's card refused the money) is
 * retried with WeChat's abnormal-refund call, or settled by hand in the merchant platform and then reported SUCCESS.
 */
export const REFUND_TRANSITIONS = {
  PROCESSING: { REPORTED_SUCCESS: 'SUCCESS', REPORTED_CLOSED: 'CLOSED', REPORTED_ABNORMAL: 'ABNORMAL' },
  ABNORMAL: { RETRIED: 'PROCESSING', REPORTED_SUCCESS: 'SUCCESS' },
  SUCCESS: {},
  CLOSED: {},
} as const satisfies Readonly<Record<RefundStatus, Readonly<Partial<Record<RefundEvent, RefundStatus>>>>>;

const refundTable: Readonly<Record<RefundStatus, Readonly<Partial<Record<RefundEvent, RefundStatus>>>>> =
  deepFreeze(REFUND_TRANSITIONS);

/** True when `value` is one of REFUND_STATUSES. */
export function isRefundStatus(value: unknown): value is RefundStatus {
  return typeof value === 'string' && (REFUND_STATUSES as readonly string[]).includes(value);
}

/** Reads a stored refund status; throws REFUND.UNKNOWN_STATUS for anything that is not a RefundStatus. */
export function parseRefundStatus(value: unknown): RefundStatus {
  if (!isRefundStatus(value)) {
    throw new DomainError(
      ErrorCodes.REFUND_UNKNOWN_STATUS,
      `unknown refund status: ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return value;
}

/** True when `value` is one of REFUND_EVENTS. */
export function isRefundEvent(value: unknown): value is RefundEvent {
  return typeof value === 'string' && (REFUND_EVENTS as readonly string[]).includes(value);
}

/** The next refund status, or undefined when the table has no such transition. */
export function nextRefundStatus(status: RefundStatus, event: RefundEvent): RefundStatus | undefined {
  if (!isRefundStatus(status) || !isRefundEvent(event)) return undefined;
  return refundTable[status][event];
}

/** The events a refund in `status` accepts, in REFUND_EVENTS order. */
export function allowedRefundEvents(status: RefundStatus): RefundEvent[] {
  return REFUND_EVENTS.filter((event) => nextRefundStatus(status, event) !== undefined);
}

/**
 * True when a refund seen in status `from` can be in status `to` later (or still): the table's transitions, any number
 * of them. A trade bill's refund status is a snapshot of its acceptance day; a later local status that the snapshot can
 * lead to is no disagreement.
 */
export function isRefundStatusReachable(from: RefundStatus, to: RefundStatus): boolean {
  const seen = new Set<RefundStatus>([from]);
  const todo: RefundStatus[] = [from];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const next of Object.values(refundTable[s])) {
      if (next !== undefined && !seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen.has(to);
}

/**
 * True when WeChat reports money moving (SUCCESS, or ABNORMAL: paid out to a card that refused it) for a refund that is
 * CLOSED here. WeChat never reopens a refund it closed itself, so such a verified report means the close here was
 * wrong (before it was a rule to ask WeChat first, a refused resubmission closed a refund locally): the money moved and
 * must be accounted for, never dropped as stale.
 */
export function isMoneyMovedAfterClose(local: RefundStatus, reported: RefundStatus): boolean {
  return local === 'CLOSED' && (reported === 'SUCCESS' || reported === 'ABNORMAL');
}

/** Final: nothing more will happen to this refund (SUCCESS or CLOSED). */
export function isRefundFinal(status: RefundStatus): boolean {
  return allowedRefundEvents(status).length === 0;
}
