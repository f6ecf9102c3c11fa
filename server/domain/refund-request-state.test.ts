import fc from 'fast-check';
import { DomainError } from './errors';
import type { RefundRequestEvent, RefundRequestStateName } from './refund-request-state';
import {
  REFUND_REQUEST_EVENTS,
  REFUND_REQUEST_STATES,
  REFUND_REQUEST_TRANSITIONS,
  isOpenRefundRequest,
  nextRefundRequestState,
  parseRefundRequestState,
  refundRequestKind,
  refundRequestTransition,
  refundRequestWindowEndsAtMs,
} from './refund-request-state';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const DAY = 24 * 60 * 60 * 1000;

describe('the refund-request transition table', () => {
  it.each<[RefundRequestStateName, RefundRequestEvent, RefundRequestStateName]>([
    ['PENDING', 'APPROVE_REFUND', 'APPROVED'],
    ['PENDING', 'APPROVE_RETURN', 'AWAITING_RETURN'],
    ['PENDING', 'REJECT', 'REJECTED'],
    ['PENDING', 'WITHDRAW', 'WITHDRAWN'],
    ['AWAITING_RETURN', 'RETURN_RECEIVED', 'APPROVED'],
    ['AWAITING_RETURN', 'REJECT', 'REJECTED'],
    ['AWAITING_RETURN', 'WITHDRAW', 'WITHDRAWN'],
  ])('%s + %s → %s', (from, event, to) => {
    expect(refundRequestTransition(from, event)).toBe(to);
  });

  it('has exactly those seven transitions: every other pair is refused with REFUND_REQUEST.ILLEGAL_TRANSITION', () => {
    const legal = REFUND_REQUEST_STATES.flatMap((s) =>
      REFUND_REQUEST_EVENTS.filter((e) => nextRefundRequestState(s, e) !== undefined).map((e) => `${s}+${e}`),
    );
    expect(legal).toHaveLength(7);
    const e = refusal(() => refundRequestTransition('PENDING', 'RETURN_RECEIVED'));
    expect(e.code).toBe('REFUND_REQUEST.ILLEGAL_TRANSITION');
    expect(e.details).toEqual({ from: 'PENDING', event: 'RETURN_RECEIVED' });
  });

  it('nothing leaves APPROVED, REJECTED or WITHDRAWN, whatever happens (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RefundRequestStateName>('APPROVED', 'REJECTED', 'WITHDRAWN'),
        fc.array(fc.constantFrom(...REFUND_REQUEST_EVENTS), { maxLength: 10 }),
        (start, events) => {
          for (const e of events) expect(nextRefundRequestState(start, e)).toBeUndefined();
        },
      ),
    );
  });

  it('an approval happens at most once along any path (one refund per request; property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...REFUND_REQUEST_EVENTS), { maxLength: 12 }), (events) => {
        let state: RefundRequestStateName = 'PENDING';
        let approvals = 0;
        for (const e of events) {
          const next = nextRefundRequestState(state, e);
          if (next === undefined) continue;
          if (next === 'APPROVED') approvals += 1;
          state = next;
        }
        expect(approvals).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('open = may be withdrawn: PENDING and AWAITING_RETURN only', () => {
    expect(REFUND_REQUEST_STATES.filter(isOpenRefundRequest)).toEqual(['PENDING', 'AWAITING_RETURN']);
  });

  it('the table cannot be edited at run time', () => {
    expect(Object.isFrozen(REFUND_REQUEST_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(REFUND_REQUEST_TRANSITIONS.PENDING)).toBe(true);
  });

  it('a stored state is validated on read; unknown strings and inherited names are refused', () => {
    expect(parseRefundRequestState('AWAITING_RETURN')).toBe('AWAITING_RETURN');
    for (const bad of ['pending', 'REFUNDED', 'toString', '', null, 3]) {
      expect(refusal(() => parseRefundRequestState(bad)).code).toBe('REFUND_REQUEST.UNKNOWN_STATE');
    }
    expect(nextRefundRequestState('toString' as RefundRequestStateName, 'WITHDRAW')).toBeUndefined();
  });
});

describe('the kind of a request, from where the goods are', () => {
  it.each([
    ['AWAITING_SHIPMENT', 'express', 'refund'],
    ['READY_FOR_PICKUP', 'pickup', 'refund'],
    ['DELIVERED', 'virtual', 'refund'],
    ['COMPLETED', 'virtual', 'refund'],
    ['SHIPPED', 'express', 'return-refund'],
    ['RECEIVED', 'express', 'return-refund'],
    ['PICKED_UP', 'pickup', 'return-refund'],
    ['COMPLETED', 'express', 'return-refund'],
    ['COMPLETED', null, 'return-refund'],
    ['NOT_PAID', 'express', null],
    ['CANCELLED', 'express', null],
  ] as const)('%s (%s) → %s', (state, kind, expected) => {
    expect(refundRequestKind(state, kind)).toBe(expected);
  });
});

describe('the request window', () => {
  const base = { paidAtMs: 1_000, receivedAtMs: null, completedAtMs: null, virtual: false };

  it('is open without end until the goods arrive', () => {
    expect(refundRequestWindowEndsAtMs(7, base)).toBeNull();
  });

  it('counts from receipt, else completion; virtual goods from payment', () => {
    expect(refundRequestWindowEndsAtMs(7, { ...base, receivedAtMs: 5_000, completedAtMs: 9_000 })).toBe(
      5_000 + 7 * DAY,
    );
    expect(refundRequestWindowEndsAtMs(7, { ...base, completedAtMs: 9_000 })).toBe(9_000 + 7 * DAY);
    expect(refundRequestWindowEndsAtMs(3, { ...base, virtual: true })).toBe(1_000 + 3 * DAY);
  });
});
