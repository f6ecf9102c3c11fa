import fc from 'fast-check';
import { DomainError } from './errors';
import type { FulfilmentEvent, FulfilmentStateName } from './fulfilment-state';
import {
  FULFILMENT_EVENTS,
  FULFILMENT_STATES,
  FULFILMENT_TRANSITIONS,
  cancellable,
  fulfilmentTransition,
  goodsLeft,
  nextFulfilmentState,
  parseFulfilmentState,
} from './fulfilment-state';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

/** Every state reachable from `from` by any events. */
function reachable(from: FulfilmentStateName): Set<FulfilmentStateName> {
  const seen = new Set([from]);
  const todo = [from];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const e of FULFILMENT_EVENTS) {
      const n = nextFulfilmentState(s, e);
      if (n !== undefined && !seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return seen;
}

describe('the fulfilment transition table (docs/adr/0009)', () => {
  it('is exactly the ADR', () => {
    const pairs = FULFILMENT_STATES.flatMap((s) =>
      FULFILMENT_EVENTS.filter((e) => nextFulfilmentState(s, e) !== undefined).map(
        (e) => `${s} --${e}--> ${nextFulfilmentState(s, e)}`,
      ),
    ).sort();
    expect(pairs).toEqual(
      [
        'NOT_PAID --PAID--> AWAITING_SHIPMENT',
        'NOT_PAID --PAID_VIRTUAL--> DELIVERED',
        'NOT_PAID --CANCEL--> CANCELLED',
        'AWAITING_SHIPMENT --SHIP--> SHIPPED',
        'AWAITING_SHIPMENT --READY_FOR_PICKUP--> READY_FOR_PICKUP',
        'AWAITING_SHIPMENT --CANCEL--> CANCELLED',
        'READY_FOR_PICKUP --PICKED_UP--> PICKED_UP',
        'READY_FOR_PICKUP --CANCEL--> CANCELLED',
        'SHIPPED --CONFIRM_RECEIPT--> RECEIVED',
        'SHIPPED --COMPLETE--> COMPLETED',
        'RECEIVED --COMPLETE--> COMPLETED',
        'PICKED_UP --COMPLETE--> COMPLETED',
        'DELIVERED --COMPLETE--> COMPLETED',
      ].sort(),
    );
  });

  it('cannot be edited at run time', () => {
    expect(Object.isFrozen(FULFILMENT_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(FULFILMENT_TRANSITIONS.NOT_PAID)).toBe(true);
  });

  it('refuses an illegal transition with FULFIL.ILLEGAL_TRANSITION naming it', () => {
    const e = refusal(() => fulfilmentTransition('CANCELLED', 'SHIP'));
    expect(e.code).toBe('FULFIL.ILLEGAL_TRANSITION');
    expect(e.details).toEqual({ from: 'CANCELLED', event: 'SHIP' });
    expect(refusal(() => fulfilmentTransition('SHIPPED', 'SHIP')).code).toBe('FULFIL.ILLEGAL_TRANSITION');
    expect(fulfilmentTransition('AWAITING_SHIPMENT', 'SHIP')).toBe('SHIPPED');
  });

  it('validates a state read back: unknown strings, prototype names and non-strings are refused', () => {
    expect(parseFulfilmentState('SHIPPED')).toBe('SHIPPED');
    for (const bad of ['shipped', 'toString', '', null, undefined, 3, { state: 'SHIPPED' }]) {
      expect(refusal(() => parseFulfilmentState(bad)).code).toBe('FULFIL.UNKNOWN_STATE');
    }
    expect(nextFulfilmentState('toString' as FulfilmentStateName, 'SHIP')).toBeUndefined();
    expect(nextFulfilmentState('AWAITING_SHIPMENT', 'constructor' as FulfilmentEvent)).toBeUndefined();
  });

  it('CANCELLED and COMPLETED are final; only states before the goods left can be cancelled', () => {
    expect([...reachable('CANCELLED')]).toEqual(['CANCELLED']);
    expect([...reachable('COMPLETED')]).toEqual(['COMPLETED']);
    expect(FULFILMENT_STATES.filter(cancellable)).toEqual([
      'NOT_PAID',
      'AWAITING_SHIPMENT',
      'READY_FOR_PICKUP',
    ]);
    expect(FULFILMENT_STATES.filter(goodsLeft)).toEqual([
      'SHIPPED',
      'PICKED_UP',
      'DELIVERED',
      'RECEIVED',
      'COMPLETED',
    ]);
  });

  it('no sequence of events reaches SHIPPED (or any state where goods left) from an order cancelled by a refund', () => {
    const event = fc.constantFrom(...FULFILMENT_EVENTS);
    fc.assert(
      fc.property(
        fc.constantFrom<FulfilmentStateName>('NOT_PAID', 'AWAITING_SHIPMENT', 'READY_FOR_PICKUP'),
        fc.array(event, { maxLength: 12 }),
        fc.array(event, { maxLength: 12 }),
        (start, before, after) => {
          // Any legal history up to a refund in full (CANCEL), then anything at all.
          let s = start;
          for (const e of before) s = nextFulfilmentState(s, e) ?? s;
          if (!cancellable(s)) return;
          s = fulfilmentTransition(s, 'CANCEL');
          for (const e of after) {
            const n = nextFulfilmentState(s, e);
            expect(n === undefined || n === 'CANCELLED').toBe(true);
            s = n ?? s;
          }
          expect(s).toBe('CANCELLED');
        },
      ),
    );
  });

  it('every legal walk from NOT_PAID stays inside the table and ends where the events lead', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FULFILMENT_EVENTS), { maxLength: 20 }), (events) => {
        let s: FulfilmentStateName = 'NOT_PAID';
        for (const e of events) {
          const n = nextFulfilmentState(s, e);
          if (n === undefined) {
            expect(() => fulfilmentTransition(s, e)).toThrow(DomainError);
          } else {
            expect(fulfilmentTransition(s, e)).toBe(n);
            s = n;
          }
          expect(FULFILMENT_STATES).toContain(s);
        }
      }),
    );
  });
});
