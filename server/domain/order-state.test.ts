import fc from 'fast-check';
import { DomainError, ErrorCodes, isDomainError } from './errors';
import type { OrderEvent, OrderState, RefundStatus } from './order-state';
import {
  ORDER_EVENTS,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  REFUND_EVENTS,
  REFUND_STATUSES,
  REFUND_TRANSITIONS,
  allowedRefundEvents,
  canCancel,
  hasReceivedPayment,
  hasUnsettledRefund,
  isClosedUnpaid,
  isOrderState,
  isPayable,
  isRefundFinal,
  mayChangeUnprompted,
  mustRefundInFull,
  nextOrderState,
  nextRefundStatus,
  orderPhase,
  ORDER_PHASES,
  canBuyAgain,
  isOrderPhase,
  statesInPhase,
  parseOrderState,
  transition,
} from './order-state';

/** The events `state` accepts, in ORDER_EVENTS order, read from the table through nextOrderState. */
function eventsOf(state: OrderState): OrderEvent[] {
  return ORDER_EVENTS.filter((event) => nextOrderState(state, event) !== undefined);
}

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const table = ORDER_TRANSITIONS as Record<string, Record<string, string | undefined>>;
const refundTable = REFUND_TRANSITIONS as Record<string, Record<string, string | undefined>>;

/** Every state reachable from `start` by following the table. */
function reachable(start: string, t: Record<string, Record<string, string | undefined>>): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const next of Object.values(t[s] ?? {})) {
      if (next !== undefined && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe('order transition table', () => {
  it('has nine distinct states and one row per state, nothing else', () => {
    expect(new Set(ORDER_STATES).size).toBe(ORDER_STATES.length);
    expect(ORDER_STATES).toHaveLength(9);
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATES].sort());
    expect(new Set(ORDER_EVENTS).size).toBe(ORDER_EVENTS.length);
  });

  it('only names known events and known target states', () => {
    for (const row of Object.values(table)) {
      for (const [event, next] of Object.entries(row)) {
        expect(ORDER_EVENTS).toContain(event);
        expect(ORDER_STATES).toContain(next);
      }
    }
  });

  it('every (state, event) pair is either in the table or refused with ORDER.ILLEGAL_TRANSITION', () => {
    let legal = 0;
    let illegal = 0;
    for (const state of ORDER_STATES) {
      for (const event of ORDER_EVENTS) {
        const expected = table[state]?.[event];
        if (expected !== undefined) {
          expect(transition(state, event)).toBe(expected);
          expect(eventsOf(state)).toContain(event);
          legal += 1;
        } else {
          const e = refusal(() => transition(state, event));
          expect(e.code).toBe(ErrorCodes.ORDER_ILLEGAL_TRANSITION);
          expect(e.details).toEqual({ from: state, event });
          expect(eventsOf(state)).not.toContain(event);
          illegal += 1;
        }
      }
    }
    expect(legal + illegal).toBe(ORDER_STATES.length * ORDER_EVENTS.length);
    expect(legal).toBe(Object.values(table).reduce((n, row) => n + Object.keys(row).length, 0));
  });

  it('refuses unknown states and events, including Object.prototype names, with the same code', () => {
    for (const [state, event] of [
      ['toString', 'PAYMENT_SUCCEEDED'],
      ['constructor', 'REFUND_REQUESTED'],
      ['AWAITING_PAYMENT', 'toString'],
      ['AWAITING_PAYMENT', '__proto__'],
      ['PAID', 'REFUND'],
      ['paid', 'REFUND_REQUESTED'],
    ]) {
      expect(refusal(() => transition(state as OrderState, event as OrderEvent)).code).toBe(
        ErrorCodes.ORDER_ILLEGAL_TRANSITION,
      );
    }
  });

  it('cannot be edited at run time', () => {
    expect(Object.isFrozen(ORDER_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(ORDER_TRANSITIONS.AWAITING_PAYMENT)).toBe(true);
    expect(() => {
      (table['REFUNDED'] as Record<string, string>)['PAYMENT_SUCCEEDED'] = 'PAID';
    }).toThrow(TypeError);
    expect(refusal(() => transition('REFUNDED', 'PAYMENT_SUCCEEDED')).code).toBe(
      ErrorCodes.ORDER_ILLEGAL_TRANSITION,
    );
  });

  it('reaches every state from AWAITING_PAYMENT (no unreachable state)', () => {
    expect([...reachable('AWAITING_PAYMENT', table)].sort()).toEqual([...ORDER_STATES].sort());
  });

  it('every state can reach a resting state (no trap that needs a database edit to leave)', () => {
    const resting: OrderState[] = [
      'PAID',
      'CLOSED_BY_USER',
      'CLOSED_BY_TIMEOUT',
      'PARTIALLY_REFUNDED',
      'REFUNDED',
    ];
    for (const state of ORDER_STATES) {
      const r = reachable(state, table);
      expect(resting.some((s) => r.has(s))).toBe(true);
    }
  });

  it('final states take no event at all, so no payment event either', () => {
    const finals = ORDER_STATES.filter((state) => eventsOf(state).length === 0);
    expect(finals).toEqual(['REFUNDED']);
    for (const state of finals) {
      expect(eventsOf(state)).toEqual([]);
      expect(nextOrderState(state, 'PAYMENT_SUCCEEDED')).toBeUndefined();
    }
  });

  it('money never un-arrives: no path from a paid state back to an unpaid one', () => {
    for (const state of ORDER_STATES.filter(hasReceivedPayment)) {
      for (const s of reachable(state, table)) {
        expect(hasReceivedPayment(s as OrderState)).toBe(true);
      }
    }
    // and money for a closed order never becomes a normal sale
    expect(reachable('PAID_AFTER_CLOSE', table).has('PAID')).toBe(false);
  });

  it('only PAYMENT_SUCCEEDED moves an order from unpaid to paid', () => {
    for (const state of ORDER_STATES.filter((s) => !hasReceivedPayment(s))) {
      for (const event of eventsOf(state)) {
        const next = transition(state, event);
        if (hasReceivedPayment(next)) expect(event).toBe('PAYMENT_SUCCEEDED');
      }
    }
  });
});

describe('real-life order histories', () => {
  it('pays, then refunds in full', () => {
    let s: OrderState = 'AWAITING_PAYMENT';
    s = transition(s, 'PAYMENT_SUCCEEDED');
    expect(s).toBe('PAID');
    s = transition(s, 'REFUND_REQUESTED');
    expect(s).toBe('REFUND_PROCESSING');
    expect(transition(s, 'REFUND_SUCCEEDED_FULL')).toBe('REFUNDED');
  });

  it('a payment notification for a cancelled or expired order → PAID_AFTER_CLOSE, which must be refunded', () => {
    for (const closing of ['USER_CANCELLED', 'EXPIRED'] as const) {
      const closed = transition('AWAITING_PAYMENT', closing);
      expect(isClosedUnpaid(closed)).toBe(true);
      const late = transition(closed, 'PAYMENT_SUCCEEDED');
      expect(late).toBe('PAID_AFTER_CLOSE');
      expect(mustRefundInFull(late)).toBe(true);
      expect(eventsOf(late)).toEqual(['REFUND_REQUESTED']);
    }
    expect(transition('AWAITING_PAYMENT', 'USER_CANCELLED')).toBe('CLOSED_BY_USER');
    expect(transition('AWAITING_PAYMENT', 'EXPIRED')).toBe('CLOSED_BY_TIMEOUT');
  });

  it('a closed order cannot be cancelled or expired again, nor reopened for payment', () => {
    for (const s of ['CLOSED_BY_USER', 'CLOSED_BY_TIMEOUT'] as const) {
      expect(refusal(() => transition(s, 'USER_CANCELLED')).code).toBe(ErrorCodes.ORDER_ILLEGAL_TRANSITION);
      expect(refusal(() => transition(s, 'EXPIRED')).code).toBe(ErrorCodes.ORDER_ILLEGAL_TRANSITION);
      expect(isPayable(s)).toBe(false);
    }
  });

  it('a paid order cannot be cancelled or expired: it is refunded instead', () => {
    expect(refusal(() => transition('PAID', 'USER_CANCELLED')).code).toBe(
      ErrorCodes.ORDER_ILLEGAL_TRANSITION,
    );
    expect(refusal(() => transition('PAID', 'EXPIRED')).code).toBe(ErrorCodes.ORDER_ILLEGAL_TRANSITION);
  });

  it('a second refund may be requested while one is processing', () => {
    expect(transition('REFUND_PROCESSING', 'REFUND_REQUESTED')).toBe('REFUND_PROCESSING');
  });

  it('a partially refunded order may be refunded again, up to full', () => {
    let s = transition('REFUND_PROCESSING', 'REFUND_SUCCEEDED_PARTIAL');
    expect(s).toBe('PARTIALLY_REFUNDED');
    s = transition(s, 'REFUND_REQUESTED');
    expect(transition(s, 'REFUND_SUCCEEDED_FULL')).toBe('REFUNDED');
  });

  it('a failed refund is retried, or replaced by a new one, or settled by hand', () => {
    const failed = transition('REFUND_PROCESSING', 'REFUND_FAILED');
    expect(failed).toBe('REFUND_FAILED');
    expect(transition(failed, 'REFUND_RETRIED')).toBe('REFUND_PROCESSING');
    expect(transition(failed, 'REFUND_REQUESTED')).toBe('REFUND_PROCESSING');
    expect(transition(failed, 'REFUND_SUCCEEDED_FULL')).toBe('REFUNDED');
    expect(transition(failed, 'REFUND_SUCCEEDED_PARTIAL')).toBe('PARTIALLY_REFUNDED');
  });

  it('refund outcomes cannot arrive for an order that has no refund under way', () => {
    for (const s of ['AWAITING_PAYMENT', 'PAID', 'PAID_AFTER_CLOSE', 'REFUNDED'] as const) {
      for (const e of [
        'REFUND_SUCCEEDED_PARTIAL',
        'REFUND_SUCCEEDED_FULL',
        'REFUND_FAILED',
        'REFUND_RETRIED',
      ] as const) {
        expect(refusal(() => transition(s, e)).code).toBe(ErrorCodes.ORDER_ILLEGAL_TRANSITION);
      }
    }
  });

  it('a partly refunded order still takes a settled report: a refund closed here that WeChat paid after all', () => {
    expect(transition('PARTIALLY_REFUNDED', 'REFUND_SUCCEEDED_FULL')).toBe('REFUNDED');
    expect(transition('PARTIALLY_REFUNDED', 'REFUND_SUCCEEDED_PARTIAL')).toBe('PARTIALLY_REFUNDED');
    expect(transition('PARTIALLY_REFUNDED', 'REFUND_FAILED')).toBe('REFUND_FAILED');
    expect(refusal(() => transition('PARTIALLY_REFUNDED', 'REFUND_RETRIED')).code).toBe(
      ErrorCodes.ORDER_ILLEGAL_TRANSITION,
    );
  });

  it('a random walk only ever takes table edges, and a refusal names the pair (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_EVENTS), { maxLength: 30 }), (events) => {
        let s: OrderState = 'AWAITING_PAYMENT';
        for (const e of events) {
          const expected: string | undefined = table[s]?.[e];
          try {
            s = transition(s, e);
            if (s !== expected) return false;
          } catch (err) {
            if (expected !== undefined || !isDomainError(err, ErrorCodes.ORDER_ILLEGAL_TRANSITION))
              return false;
            if (err.details?.['from'] !== s || err.details['event'] !== e) return false;
          }
        }
        return true;
      }),
    );
  });
});

describe('predicates derived from the table', () => {
  it('isPayable: only an order awaiting payment', () => {
    expect(ORDER_STATES.filter(isPayable)).toEqual(['AWAITING_PAYMENT']);
  });

  it('canCancel: only before payment', () => {
    expect(ORDER_STATES.filter(canCancel)).toEqual(['AWAITING_PAYMENT']);
  });

  it('a refund may be requested whenever money is held and no refund has made it final', () => {
    const refundable = ORDER_STATES.filter((s) => nextOrderState(s, 'REFUND_REQUESTED') !== undefined);
    expect(refundable).toEqual([
      'PAID',
      'PAID_AFTER_CLOSE',
      'REFUND_PROCESSING',
      'PARTIALLY_REFUNDED',
      'REFUND_FAILED',
    ]);
    for (const s of refundable) expect(hasReceivedPayment(s)).toBe(true);
  });

  it('hasReceivedPayment: PAID and everything after it', () => {
    expect(ORDER_STATES.filter(hasReceivedPayment)).toEqual([
      'PAID',
      'PAID_AFTER_CLOSE',
      'REFUND_PROCESSING',
      'PARTIALLY_REFUNDED',
      'REFUNDED',
      'REFUND_FAILED',
    ]);
  });

  it('isClosedUnpaid: the two closed states', () => {
    expect(ORDER_STATES.filter(isClosedUnpaid)).toEqual(['CLOSED_BY_USER', 'CLOSED_BY_TIMEOUT']);
  });

  // The phone groups orders by these answers (OrderView.phase / mayStillChange): pinned state by state, so a change to
  // the table that would move an order to another tab or stop the page watching it is a visible decision.
  it('orderPhase: every state in exactly the tab the shopper finds it under', () => {
    expect(Object.fromEntries(ORDER_STATES.map((s) => [s, orderPhase(s)]))).toEqual({
      AWAITING_PAYMENT: 'awaiting',
      PAID: 'paid',
      CLOSED_BY_USER: 'closed',
      CLOSED_BY_TIMEOUT: 'closed',
      PAID_AFTER_CLOSE: 'refund',
      REFUND_PROCESSING: 'refund',
      PARTIALLY_REFUNDED: 'refund',
      REFUNDED: 'refund',
      REFUND_FAILED: 'refund',
    });
    for (const s of ORDER_STATES)
      expect(orderPhase(s) === 'paid' || orderPhase(s) === 'refund').toBe(hasReceivedPayment(s));
  });

  it('statesInPhase reads orderPhase backwards: every state in exactly one phase', () => {
    expect(statesInPhase('awaiting')).toEqual(['AWAITING_PAYMENT']);
    expect(statesInPhase('closed')).toEqual(['CLOSED_BY_USER', 'CLOSED_BY_TIMEOUT']);
    expect(ORDER_PHASES.flatMap(statesInPhase).sort()).toEqual([...ORDER_STATES].sort());
    for (const p of ORDER_PHASES) for (const s of statesInPhase(p)) expect(orderPhase(s)).toBe(p);
    expect(isOrderPhase('refund')).toBe(true);
    expect(isOrderPhase('toString')).toBe(false);
  });

  it('canBuyAgain: every order out of the payment window, never one awaiting payment', () => {
    expect(ORDER_STATES.filter((s) => !canBuyAgain(s))).toEqual(['AWAITING_PAYMENT']);
  });

  it('hasUnsettledRefund: a refund on its way or waiting for staff', () => {
    expect(ORDER_STATES.filter(hasUnsettledRefund)).toEqual(['REFUND_PROCESSING', 'REFUND_FAILED']);
  });

  it('mayChangeUnprompted: the payment window, the automatic refund, an unsettled refund', () => {
    expect(ORDER_STATES.filter(mayChangeUnprompted)).toEqual([
      'AWAITING_PAYMENT',
      'PAID_AFTER_CLOSE',
      'REFUND_PROCESSING',
      'REFUND_FAILED',
    ]);
  });

  it('parseOrderState accepts exactly the states', () => {
    for (const s of ORDER_STATES) expect(parseOrderState(s)).toBe(s);
    for (const v of ['paid', 'toString', '', null, undefined, 3, { state: 'PAID' }]) {
      expect(isOrderState(v)).toBe(false);
      expect(refusal(() => parseOrderState(v)).code).toBe(ErrorCodes.ORDER_UNKNOWN_STATE);
    }
  });
});

describe('refund machine', () => {
  it('has one row per status and only known names', () => {
    expect(Object.keys(REFUND_TRANSITIONS).sort()).toEqual([...REFUND_STATUSES].sort());
    for (const row of Object.values(refundTable)) {
      for (const [event, next] of Object.entries(row)) {
        expect(REFUND_EVENTS).toContain(event);
        expect(REFUND_STATUSES).toContain(next);
      }
    }
    expect(Object.isFrozen(REFUND_TRANSITIONS.PROCESSING)).toBe(true);
  });

  it('every (status, event) pair is either in the table or has no next status', () => {
    for (const status of REFUND_STATUSES) {
      for (const event of REFUND_EVENTS) {
        expect(nextRefundStatus(status, event)).toBe(refundTable[status]?.[event]);
      }
    }
    expect(nextRefundStatus('toString' as RefundStatus, 'RETRIED')).toBeUndefined();
  });

  it('PROCESSING → SUCCESS | CLOSED | ABNORMAL; ABNORMAL is retried or settled; SUCCESS and CLOSED are final', () => {
    expect(nextRefundStatus('PROCESSING', 'REPORTED_SUCCESS')).toBe('SUCCESS');
    expect(nextRefundStatus('PROCESSING', 'REPORTED_CLOSED')).toBe('CLOSED');
    expect(nextRefundStatus('PROCESSING', 'REPORTED_ABNORMAL')).toBe('ABNORMAL');
    expect(nextRefundStatus('ABNORMAL', 'RETRIED')).toBe('PROCESSING');
    expect(nextRefundStatus('ABNORMAL', 'REPORTED_SUCCESS')).toBe('SUCCESS');
    expect(REFUND_STATUSES.filter(isRefundFinal)).toEqual(['SUCCESS', 'CLOSED']);
    expect(allowedRefundEvents('PROCESSING')).toEqual([
      'REPORTED_SUCCESS',
      'REPORTED_CLOSED',
      'REPORTED_ABNORMAL',
    ]);
    expect(nextRefundStatus('PROCESSING', 'RETRIED')).toBeUndefined();
    expect(nextRefundStatus('CLOSED', 'RETRIED')).toBeUndefined();
  });

  it('every status is reachable from PROCESSING', () => {
    expect([...reachable('PROCESSING', refundTable)].sort()).toEqual([...REFUND_STATUSES].sort());
  });
});
