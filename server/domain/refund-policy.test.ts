import fc from 'fast-check';
import { DomainError, ErrorCodes, isDomainError } from './errors';
import type { Fen } from './money';
import { fen } from './money';
import type { OrderState, RefundEvent, RefundStatus } from './order-state';
import { mustRefundInFull, nextOrderState, nextRefundStatus, transition } from './order-state';
import type { RefundRecord } from './refund-policy';
import {
  REFUND_WINDOW_MS,
  assertRefundAmount,
  assertWithinRefundWindow,
  orderEventForRefunds,
  refundableFen,
  refundedFen,
  reservedRefundFen,
} from './refund-policy';

/** The refund event of each outcome WeChat reports (as the refund service maps them). */
const REPORTED: Readonly<Record<Exclude<RefundStatus, 'PROCESSING'>, RefundEvent>> = {
  SUCCESS: 'REPORTED_SUCCESS',
  CLOSED: 'REPORTED_CLOSED',
  ABNORMAL: 'REPORTED_ABNORMAL',
};

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const r = (amount: number, status: RefundStatus): RefundRecord => ({ amountFen: fen(amount), status });

describe('refundable amount', () => {
  it('is paid minus PROCESSING, SUCCESS and ABNORMAL refunds; CLOSED ones give the money back', () => {
    const refunds = [r(100, 'SUCCESS'), r(200, 'PROCESSING'), r(300, 'CLOSED'), r(50, 'ABNORMAL')];
    expect(reservedRefundFen(refunds)).toBe(350);
    expect(refundedFen(refunds)).toBe(100);
    expect(refundableFen(fen(1000), refunds)).toBe(650);
    expect(refundableFen(fen(1000), [])).toBe(1000);
  });

  it('refuses a ledger that already reserves more than was paid', () => {
    const e = refusal(() => refundableFen(fen(100), [r(60, 'SUCCESS'), r(41, 'PROCESSING')]));
    expect(e.code).toBe(ErrorCodes.REFUND_LEDGER_INCONSISTENT);
    expect(e.details).toEqual({ paidFen: 100, reservedFen: 101 });
  });
});

describe('assertRefundAmount', () => {
  const paid = fen(1000);
  const refunds = [r(300, 'SUCCESS'), r(200, 'PROCESSING')];

  it('accepts 1 fen up to the refundable amount', () => {
    expect(assertRefundAmount(paid, refunds, 1)).toBe(1);
    expect(assertRefundAmount(paid, refunds, 500)).toBe(500);
  });

  it('refuses more than refundable with REFUND.EXCEEDS_REFUNDABLE and says how much is left', () => {
    const e = refusal(() => assertRefundAmount(paid, refunds, 501));
    expect(e.code).toBe(ErrorCodes.REFUND_EXCEEDS_REFUNDABLE);
    expect(e.details).toEqual({ requestedFen: 501, refundableFen: 500 });
  });

  it.each([0, -1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'refuses %p fen with REFUND.AMOUNT_INVALID',
    (amount) => {
      expect(refusal(() => assertRefundAmount(paid, refunds, amount)).code).toBe(
        ErrorCodes.REFUND_AMOUNT_INVALID,
      );
    },
  );

  it('refuses a string amount from an untyped caller', () => {
    expect(refusal(() => assertRefundAmount(paid, [], '5' as unknown as number)).code).toBe(
      ErrorCodes.REFUND_AMOUNT_INVALID,
    );
  });

  it('refuses anything but the whole refundable amount when fullOnly', () => {
    expect(assertRefundAmount(paid, refunds, 500, { fullOnly: true })).toBe(500);
    expect(refusal(() => assertRefundAmount(paid, refunds, 499, { fullOnly: true })).code).toBe(
      ErrorCodes.REFUND_AMOUNT_INVALID,
    );
  });

  it('refuses any refund once everything is reserved', () => {
    expect(refusal(() => assertRefundAmount(fen(100), [r(100, 'SUCCESS')], 1)).code).toBe(
      ErrorCodes.REFUND_EXCEEDS_REFUNDABLE,
    );
  });
});

describe('refund window', () => {
  const paidAt = Date.UTC(2026, 0, 1);
  it('allows a refund up to one year after payment and refuses it after', () => {
    expect(() => assertWithinRefundWindow(paidAt, paidAt + REFUND_WINDOW_MS)).not.toThrow();
    expect(refusal(() => assertWithinRefundWindow(paidAt, paidAt + REFUND_WINDOW_MS + 1)).code).toBe(
      ErrorCodes.REFUND_WINDOW_EXPIRED,
    );
    expect(refusal(() => assertWithinRefundWindow(Number.NaN, paidAt)).code).toBe(ErrorCodes.TIME_INVALID);
  });
});

describe('orderEventForRefunds', () => {
  const paid = fen(1000);
  it.each<[string, RefundRecord[], string | null]>([
    ['no refunds', [], null],
    ['one still processing', [r(1000, 'PROCESSING')], null],
    ['all returned', [r(1000, 'SUCCESS')], 'REFUND_SUCCEEDED_FULL'],
    ['all returned in pieces', [r(400, 'SUCCESS'), r(600, 'SUCCESS')], 'REFUND_SUCCEEDED_FULL'],
    ['some returned', [r(400, 'SUCCESS')], 'REFUND_SUCCEEDED_PARTIAL'],
    ['some returned, another processing', [r(400, 'SUCCESS'), r(100, 'PROCESSING')], null],
    ['abnormal', [r(400, 'ABNORMAL')], 'REFUND_FAILED'],
    ['success beside an abnormal one', [r(400, 'ABNORMAL'), r(100, 'SUCCESS')], 'REFUND_FAILED'],
    ['closed', [r(400, 'CLOSED')], 'REFUND_FAILED'],
    ['closed after a success', [r(400, 'SUCCESS'), r(100, 'CLOSED')], 'REFUND_FAILED'],
    [
      'a success after a closed one (the newer refund answered it)',
      [r(100, 'CLOSED'), r(100, 'SUCCESS')],
      'REFUND_SUCCEEDED_PARTIAL',
    ],
  ])('%s → %s', (_name, refunds, event) => {
    expect(orderEventForRefunds(paid, refunds)).toBe(event);
  });
});

/**
 * One step of a random refund history: request a refund (an amount, or all / half of what is refundable), WeChat
 * reports a status for refund #i, or the operator retries refund #i (i taken modulo the number of refunds).
 */
type Step =
  | { kind: 'request'; amount: number | 'rest' | 'half' }
  | { kind: 'report'; index: number; status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL' }
  | { kind: 'retry'; index: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('request' as const),
    amount: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.constantFrom('rest' as const, 'half' as const)),
  }),
  fc.record({
    kind: fc.constant('report' as const),
    index: fc.nat({ max: 9 }),
    status: fc.constantFrom(
      'PROCESSING' as const,
      'SUCCESS' as const,
      'CLOSED' as const,
      'ABNORMAL' as const,
    ),
  }),
  fc.record({ kind: fc.constant('retry' as const), index: fc.nat({ max: 9 }) }),
);

describe('any sequence of refund requests and outcomes (property)', () => {
  it('never reserves more than was paid, and drives the order machine through legal, consistent states only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom<OrderState>('PAID', 'PAID_AFTER_CLOSE'),
        fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
        (paidRaw, start, steps) => {
          const paid: Fen = fen(paidRaw);
          let order: OrderState = start;
          const refunds: { amountFen: Fen; status: RefundStatus }[] = [];
          // transition() throws ORDER.ILLEGAL_TRANSITION on any pair outside the table: that fails the property.
          for (const s of steps) {
            if (s.kind === 'request') {
              if (nextOrderState(order, 'REFUND_REQUESTED') === undefined) continue;
              let amount: Fen;
              try {
                const rest = refundableFen(paid, refunds);
                const wanted =
                  s.amount === 'rest' ? rest : s.amount === 'half' ? Math.ceil(rest / 2) : s.amount;
                amount = assertRefundAmount(paid, refunds, wanted, { fullOnly: mustRefundInFull(order) });
              } catch (e) {
                if (!isDomainError(e) || !e.code.startsWith('REFUND.')) throw e;
                continue;
              }
              refunds.push({ amountFen: amount, status: 'PROCESSING' });
              order = transition(order, 'REFUND_REQUESTED');
            } else {
              const refund = refunds[s.index % Math.max(1, refunds.length)];
              if (!refund) continue;
              if (s.kind === 'retry') {
                if (refund.status !== 'ABNORMAL') continue;
                const retried = nextRefundStatus(refund.status, 'RETRIED');
                if (retried === undefined) return false;
                refund.status = retried;
                order = transition(order, 'REFUND_RETRIED');
              } else {
                // PROCESSING reports nothing new; a repeated report is already recorded.
                if (s.status === 'PROCESSING' || s.status === refund.status) continue;
                const next = nextRefundStatus(refund.status, REPORTED[s.status]);
                // WeChat contradicting a final status is refused by the refund machine: the ledger stays as is.
                if (next === undefined) continue;
                refund.status = next;
                const orderEvent = orderEventForRefunds(paid, refunds);
                if (orderEvent !== null) order = transition(order, orderEvent);
              }
            }
            if (!consistent(paid, order, refunds)) return false;
          }
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** The order state must agree with what its refunds say. */
function consistent(paid: Fen, order: OrderState, refunds: readonly RefundRecord[]): boolean {
  const processingOrSuccess = refunds
    .filter((x) => x.status === 'PROCESSING' || x.status === 'SUCCESS')
    .reduce((sum, x) => sum + x.amountFen, 0);
  if (processingOrSuccess > paid || reservedRefundFen(refunds) > paid) return false;
  const refunded = refundedFen(refunds);
  const processing = refunds.some((x) => x.status === 'PROCESSING');
  const abnormal = refunds.some((x) => x.status === 'ABNORMAL');
  const newestClosed = refunds[refunds.length - 1]?.status === 'CLOSED';
  switch (order) {
    case 'PAID':
    case 'PAID_AFTER_CLOSE':
      return refunds.length === 0;
    case 'REFUND_PROCESSING':
      return processing;
    case 'PARTIALLY_REFUNDED':
      return !processing && !abnormal && !newestClosed && refunded > 0 && refunded < paid;
    case 'REFUNDED':
      return refunded === paid && !processing && !abnormal;
    case 'REFUND_FAILED':
      return !processing && (abnormal || newestClosed) && refunded < paid;
    default:
      return false;
  }
}
