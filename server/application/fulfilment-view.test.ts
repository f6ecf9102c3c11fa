import { ORDER_STATES } from '../domain/order-state';
import type { OrderState } from '../domain/order-state';
import type { DeliverySnapshot } from '../domain/delivery';
import { fulfilmentOf, notPaidFulfilment, paidFulfilmentPatch, toFulfilmentView } from './fulfilment-view';
import type { FulfilmentRecord, OrderRecord } from './order.model';

const T0 = Date.UTC(2026, 11, 7);
const DAY = 24 * 3600_000;
const VIRTUAL: DeliverySnapshot = { kind: 'virtual', address: null, pickupPoint: null, remark: '' };

function order(status: OrderState, fulfilment?: Partial<FulfilmentRecord>, over: Partial<OrderRecord> = {}) {
  return {
    outTradeNo: 'O1',
    status,
    payment: null,
    ...(fulfilment ? { fulfilment: { ...notPaidFulfilment(), ...fulfilment } } : {}),
    ...over,
  } as OrderRecord;
}

describe('fulfilmentOf', () => {
  it('an order stored before fulfilment reads NOT_PAID, AWAITING_SHIPMENT or CANCELLED from its payment status', () => {
    const read = Object.fromEntries(ORDER_STATES.map((s) => [s, fulfilmentOf(order(s)).state]));
    expect(read).toEqual({
      AWAITING_PAYMENT: 'NOT_PAID',
      PAID: 'AWAITING_SHIPMENT',
      CLOSED_BY_USER: 'CANCELLED',
      CLOSED_BY_TIMEOUT: 'CANCELLED',
      PAID_AFTER_CLOSE: 'CANCELLED',
      REFUND_PROCESSING: 'AWAITING_SHIPMENT',
      PARTIALLY_REFUNDED: 'AWAITING_SHIPMENT',
      REFUNDED: 'CANCELLED',
      REFUND_FAILED: 'AWAITING_SHIPMENT',
    });
  });

  it('a full refund cancels only goods that have not left', () => {
    expect(fulfilmentOf(order('REFUNDED', { state: 'AWAITING_SHIPMENT' })).state).toBe('CANCELLED');
    expect(fulfilmentOf(order('REFUNDED', { state: 'READY_FOR_PICKUP' })).state).toBe('CANCELLED');
    for (const left of ['SHIPPED', 'PICKED_UP', 'DELIVERED', 'RECEIVED', 'COMPLETED'] as const) {
      expect(fulfilmentOf(order('REFUNDED', { state: left })).state).toBe(left);
    }
  });

  it('refuses a stored state it does not know (never guessed)', () => {
    expect(() => fulfilmentOf(order('PAID', { state: 'LOST' as never }))).toThrow(/unknown fulfilment state/);
  });
});

describe('the PAID write', () => {
  it('express and pickup: AWAITING_SHIPMENT only; virtual: delivered, upload and completion queued', () => {
    expect(paidFulfilmentPatch(order('AWAITING_PAYMENT', {}), 'PAID', T0, 10 * DAY)).toEqual({
      fulfilment: { ...notPaidFulfilment(), state: 'AWAITING_SHIPMENT' },
    });
    const virtual = paidFulfilmentPatch(
      order('AWAITING_PAYMENT', {}, { delivery: VIRTUAL }),
      'PAID',
      T0,
      DAY,
    );
    expect(virtual.fulfilment).toMatchObject({ state: 'DELIVERED', shippedAtMs: T0, completeAtMs: T0 + DAY });
    expect(virtual.shippingUpload).toMatchObject({
      state: 'queued',
      job: { state: 'queued', nextAttemptAtMs: T0 },
    });
    expect(virtual.completeJob).toMatchObject({ state: 'queued', nextAttemptAtMs: T0 + DAY });
  });

  it('money that is not a sale (PAID_AFTER_CLOSE) writes no fulfilment: the order reads CANCELLED', () => {
    const closed = order('CLOSED_BY_TIMEOUT', {}, { delivery: VIRTUAL });
    expect(paidFulfilmentPatch(closed, 'PAID_AFTER_CLOSE', T0, DAY)).toEqual({});
    expect(toFulfilmentView({ ...closed, status: 'PAID_AFTER_CLOSE' }).state).toBe('CANCELLED');
  });
});
