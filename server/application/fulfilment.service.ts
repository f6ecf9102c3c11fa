// Fulfilment's use cases (docs/adr/0009): staff ship, hand over at the pickup point, upload again; the payer confirms
// receipt (checked with WeChat). Every change is a compare-and-set on the order's version, gated by the money: only a
// PAID or PARTIALLY_REFUNDED order's goods may leave. Staff checks happen in the adapter (SHOP_ADMIN_OPENIDS).
import { DomainError } from '../domain/errors';
import { fulfilmentTransition } from '../domain/fulfilment-state';
import type { FulfilmentStateName } from '../domain/fulfilment-state';
import { hasUnsettledRefund } from '../domain/order-state';
import type { ExpressCompanyView, ParcelRequest, PickupPointView } from '../../typings/contracts/fulfilment';
import type { OrderView } from '../../typings/contracts/order';
import type { StaffOrderView } from '../../typings/contracts/staff';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { fulfilmentOf, shippingUploadOf, toShippingUploadView } from './fulfilment-view';
import { queuedAt } from './job-queue';
import type { FulfilmentRecord, OrderRecord, ParcelRecord, ShippingUploadRecord } from './order.model';
import { toOrderView } from './order-view';
import { ownedOrder } from './payment.service';
import type { TradeManagement, TradeOrderState } from './ports/trade-management.port';
import { TradeManagementError } from './ports/trade-management.port';
import { MAX_PARCELS, tradeOrderKey } from './shipping-request';
import { owe } from './subscribe-messages';

/** How often a fulfilment write is tried against concurrent writers before ORDER.BUSY. */
const FULFIL_CAS_ATTEMPTS = 5;
/** WeChat takes the first upload and one change. */
export const MAX_UPLOADS = 2;
/** get_order's states that mean the buyer confirmed receipt (confirmed, settled, funds awaiting settlement). */
const CONFIRMED_STATES: readonly TradeOrderState[] = [3, 4, 6];
const TRACKING_NO = /^[0-9A-Za-z-]{4,64}$/;

/** listToShip reads the stored to-ship orders in batches of this many, at most this many batches per page. */
const TO_SHIP_BATCH = 100;
const TO_SHIP_BATCHES = 10;

/** The states listToShip serves. */
export type ToShipState = 'AWAITING_SHIPMENT' | 'READY_FOR_PICKUP';

/** What a staff action decides for the order as read: nothing to change (answer it), or the patch to write. */
type Decision = { kind: 'same' } | { kind: 'write'; patch: Partial<OrderRecord> };

function fail(code: string, message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError(code, message, details);
}

/** The money gate: goods leave only while the payment is PAID or PARTIALLY_REFUNDED. */
function assertMoneyAllowsGoods(order: OrderRecord): void {
  if (order.status === 'PAID' || order.status === 'PARTIALLY_REFUNDED') return;
  if (hasUnsettledRefund(order.status)) {
    throw fail(AppErrorCodes.FULFIL_REFUND_PENDING, 'a refund of this order is not settled yet', {
      status: order.status,
    });
  }
  throw fail(AppErrorCodes.FULFIL_NOT_SHIPPABLE, `an order in ${order.status} is not shipped`, {
    status: order.status,
  });
}

function notShippable(state: FulfilmentStateName): DomainError {
  return fail(AppErrorCodes.FULFIL_NOT_SHIPPABLE, `fulfilment is ${state}`, { fulfilment: state });
}

function assertKind(order: OrderRecord, kind: 'express' | 'pickup'): void {
  // An order from before delivery was recorded has no kind: it ships by express.
  const actual = order.delivery?.kind ?? 'express';
  if (actual !== kind) {
    throw fail(AppErrorCodes.FULFIL_WRONG_DELIVERY_KIND, `this order's delivery is ${actual}`, {
      kind: actual,
    });
  }
}

function sameParcels(a: readonly ParcelRecord[], b: readonly ParcelRecord[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.expressCompany === b[i]?.expressCompany && p.trackingNo === b[i]?.trackingNo)
  );
}

/** The upload queued now (the job takes it on its next run), history kept. */
function uploadQueued(prev: ShippingUploadRecord, nowMs: number): ShippingUploadRecord {
  return { ...prev, job: queuedAt(nowMs), state: 'queued' };
}

export class FulfilmentService {
  constructor(
    private readonly d: CoreDeps,
    private readonly trade: TradeManagement,
  ) {}

  /** Whether `openid` is staff, the carriers and the pickup point (answers anyone). */
  me(openid: string | null): {
    isStaff: boolean;
    expressCompanies: ExpressCompanyView[];
    pickupPoint: PickupPointView | null;
  } {
    const f = this.d.policy.fulfilment;
    return {
      isStaff: openid !== null && this.d.policy.adminOpenids.has(openid),
      expressCompanies: f.expressCompanies.map((c) => ({ ...c })),
      pickupPoint: f.pickupPoint ? { ...f.pickupPoint } : null,
    };
  }

  /** An order as staff see it. */
  staffView(order: OrderRecord): StaffOrderView {
    return {
      order: toOrderView(order, this.d.clock.now()),
      openid: order.openid,
      transactionId: order.payment?.transactionId ?? null,
      shippingUpload: toShippingUploadView(order),
    };
  }

  /**
   * Paid orders waiting for staff in `state`, oldest paid first (ties by order number), after the cursor when given:
   * the last item's paidAtMs and outTradeNo (paidAtMs alone: strictly later). Orders whose money says they never
   * ship (refunded in full meanwhile) are left out.
   */
  async listToShip(
    state: ToShipState,
    limit: number,
    after?: { paidAtMs: number; outTradeNo?: string },
  ): Promise<StaffOrderView[]> {
    const n = Math.max(1, Math.min(50, Math.floor(limit)));
    const afterCursor = (o: OrderRecord): boolean => {
      if (!after) return true;
      const paidAt = o.payment?.successTimeMs ?? 0;
      if (paidAt !== after.paidAtMs) return paidAt > after.paidAtMs;
      return after.outTradeNo !== undefined && o.outTradeNo > after.outTradeNo;
    };
    // The stored state can be behind the order's: one refunded in full before it shipped reads CANCELLED but is
    // stored AWAITING_SHIPMENT. Those are skipped, and the list reads on past them so that a page is only short at
    // the end of the list (staff would otherwise stop at a short page with orders still to ship behind it).
    const shown: OrderRecord[] = [];
    let from: { paidAtMs: number; outTradeNo?: string } | undefined = after;
    for (let batch = 0; batch < TO_SHIP_BATCHES && shown.length < n; batch++) {
      const found = await this.d.orders.listByFulfilment(state, TO_SHIP_BATCH, from);
      shown.push(...found.filter((o) => afterCursor(o) && fulfilmentOf(o).state === state));
      const last = found[found.length - 1];
      if (found.length < TO_SHIP_BATCH || !last) break;
      from = { paidAtMs: last.payment?.successTimeMs ?? 0, outTradeNo: last.outTradeNo };
    }
    return shown.slice(0, n).map((o) => this.staffView(o));
  }

  async getOrder(outTradeNo: string): Promise<StaffOrderView> {
    return this.staffView(await this.order(outTradeNo));
  }

  /**
   * Ships an express order with 1–15 parcels (2+ = split delivery) and queues the upload to WeChat. The same parcels
   * again answer the order; different ones are a change of shipment, only with `change` and while WeChat's one change
   * is left (FULFIL.ALREADY_SHIPPED, FULFIL.REUPLOAD_USED_UP).
   */
  async ship(
    outTradeNo: string,
    parcelsIn: readonly ParcelRequest[],
    change: boolean,
  ): Promise<StaffOrderView> {
    const parcels = this.parcels(parcelsIn);
    return this.mutate(outTradeNo, (order, now) => {
      assertKind(order, 'express');
      const f = fulfilmentOf(order);
      if (f.state === 'AWAITING_SHIPMENT') {
        assertMoneyAllowsGoods(order);
        const completeAtMs = now + this.d.policy.fulfilment.autoCompleteMs;
        return this.write({
          fulfilment: {
            ...f,
            state: fulfilmentTransition(f.state, 'SHIP'),
            parcels,
            shippedAtMs: now,
            completeAtMs,
          },
          shippingUpload: uploadQueued(shippingUploadOf(order), now),
          completeJob: queuedAt(completeAtMs),
          // The "shipped" message is owed in the same write (docs/adr/0010): the message job sends it.
          ...(this.d.messages?.settings.templates.shipped !== undefined
            ? owe(order, 'shipped', now, {
                carrier: parcels[0]!.expressName,
                trackingNo: parcels[0]!.trackingNo,
              })
            : {}),
        });
      }
      if (f.state !== 'SHIPPED' && f.state !== 'RECEIVED' && f.state !== 'COMPLETED')
        throw notShippable(f.state);
      if (sameParcels(f.parcels, parcels)) return { kind: 'same' };
      if (!change) {
        throw fail(
          AppErrorCodes.FULFIL_ALREADY_SHIPPED,
          'already shipped with other parcels: send change: true',
          {
            fulfilment: f.state,
          },
        );
      }
      if (f.state !== 'SHIPPED') throw notShippable(f.state);
      assertMoneyAllowsGoods(order);
      const upload = shippingUploadOf(order);
      if (upload.uploads >= MAX_UPLOADS) {
        throw fail(AppErrorCodes.FULFIL_REUPLOAD_USED_UP, "WeChat's one change of shipment is used up", {
          uploads: upload.uploads,
        });
      }
      // Not switched on for the app: nothing to tell WeChat, the parcels change here only.
      const nextUpload = upload.state === 'not-managed' ? upload : uploadQueued(upload, now);
      return this.write({ fulfilment: { ...f, parcels }, shippingUpload: nextUpload });
    });
  }

  /** The goods wait at the pickup point (a pickup order): the upload (logistics_type 4) is queued. */
  async readyForPickup(outTradeNo: string): Promise<StaffOrderView> {
    return this.mutate(outTradeNo, (order, now) => {
      assertKind(order, 'pickup');
      const f = fulfilmentOf(order);
      if (f.state === 'READY_FOR_PICKUP' || f.state === 'PICKED_UP' || f.state === 'COMPLETED') {
        return { kind: 'same' };
      }
      if (f.state !== 'AWAITING_SHIPMENT') throw notShippable(f.state);
      assertMoneyAllowsGoods(order);
      return this.write({
        fulfilment: { ...f, state: fulfilmentTransition(f.state, 'READY_FOR_PICKUP') },
        shippingUpload: uploadQueued(shippingUploadOf(order), now),
      });
    });
  }

  /** The shopper took the goods at the pickup point: the completion clock starts. */
  async markPickedUp(outTradeNo: string): Promise<StaffOrderView> {
    return this.mutate(outTradeNo, (order, now) => {
      assertKind(order, 'pickup');
      const f = fulfilmentOf(order);
      if (f.state === 'PICKED_UP' || f.state === 'COMPLETED') return { kind: 'same' };
      if (f.state !== 'READY_FOR_PICKUP') throw notShippable(f.state);
      assertMoneyAllowsGoods(order);
      const completeAtMs = now + this.d.policy.fulfilment.autoCompleteMs;
      const next: FulfilmentRecord = {
        ...f,
        state: fulfilmentTransition(f.state, 'PICKED_UP'),
        receivedAtMs: now,
        completeAtMs,
      };
      return this.write({ fulfilment: next, completeJob: queuedAt(completeAtMs) });
    });
  }

  /**
   * Queues a failed, given-up or not-managed upload again (due now). Resolves no attention record by itself: the
   * upload succeeding does. An upload already queued or done is answered as it is.
   */
  async retryUpload(outTradeNo: string): Promise<StaffOrderView> {
    return this.mutate(outTradeNo, (order, now) => {
      const f = fulfilmentOf(order);
      const upload = shippingUploadOf(order);
      if (f.state === 'CANCELLED' || upload.state === 'none') throw notShippable(f.state);
      if (upload.state === 'queued' || upload.state === 'uploaded') return { kind: 'same' };
      return this.write({ shippingUpload: { ...upload, job: queuedAt(now), state: 'queued' } });
    });
  }

  /**
   * The payer says the goods arrived (after WeChat's confirm view): RECEIVED only when WeChat's order state says the
   * buyer confirmed (3, 4 or 6) — the page's word is never enough. Only the order's owner.
   */
  async confirmReceipt(openid: string, outTradeNo: string): Promise<OrderView> {
    const order = await ownedOrder(this.d.orders, openid, outTradeNo);
    return toOrderView(await this.receiveIfConfirmed(order), this.d.clock.now());
  }

  /**
   * RECEIVED when WeChat's get_order says the buyer confirmed (3, 4 or 6): the payer's confirmReceipt and the
   * settlement push (tradeEvents) both end here, so neither a page nor a push is believed on its word. Idempotent: an
   * order already received answers as it is. FULFIL.NOT_SHIPPED / FULFIL.NOT_CONFIRMED otherwise.
   */
  async receiveIfConfirmed(first: OrderRecord): Promise<OrderRecord> {
    const { outTradeNo } = first;
    const f0 = fulfilmentOf(first);
    if (f0.receivedAtMs !== null && (f0.state === 'RECEIVED' || f0.state === 'COMPLETED')) return first;
    if (f0.state !== 'SHIPPED') {
      throw fail(AppErrorCodes.FULFIL_NOT_SHIPPED, `fulfilment is ${f0.state}`, { fulfilment: f0.state });
    }
    let orderState: TradeOrderState;
    try {
      orderState = (await this.trade.getOrder(tradeOrderKey(first, this.d.policy.merchant))).orderState;
    } catch (e) {
      if (!(e instanceof TradeManagementError)) throw e;
      this.d.log.warn('fulfil.confirm.get_order_failed', { outTradeNo, errcode: e.errcode });
      throw fail(AppErrorCodes.FULFIL_NOT_CONFIRMED, 'WeChat could not be asked now, try again', {
        errcode: e.errcode,
      });
    }
    if (!CONFIRMED_STATES.includes(orderState)) {
      throw fail(AppErrorCodes.FULFIL_NOT_CONFIRMED, 'WeChat does not report the receipt confirmed', {
        orderState,
      });
    }
    let order = first;
    for (let attempt = 0; attempt < FULFIL_CAS_ATTEMPTS; attempt++) {
      const f = fulfilmentOf(order);
      if (f.state !== 'SHIPPED') return order;
      const now = this.d.clock.now();
      const saved = await this.d.orders.update(order, {
        fulfilment: { ...f, state: fulfilmentTransition(f.state, 'CONFIRM_RECEIPT'), receivedAtMs: now },
        updatedAtMs: now,
      });
      if (saved) {
        this.d.log.info('fulfil.received', { outTradeNo, orderState });
        return saved;
      }
      order = await this.order(outTradeNo);
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the order is being changed elsewhere, please retry');
  }

  private write(patch: Partial<OrderRecord>): Decision {
    return { kind: 'write', patch };
  }

  private async order(outTradeNo: string): Promise<OrderRecord> {
    const order = await this.d.orders.get(outTradeNo);
    if (!order) throw fail(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
    return order;
  }

  /** Reads, decides, compare-and-sets (re-reading on a lost race); answers the staff's view of the result. */
  private async mutate(
    outTradeNo: string,
    decide: (order: OrderRecord, nowMs: number) => Decision,
  ): Promise<StaffOrderView> {
    let order = await this.order(outTradeNo);
    for (let attempt = 0; attempt < FULFIL_CAS_ATTEMPTS; attempt++) {
      const now = this.d.clock.now();
      const decision = decide(order, now);
      if (decision.kind === 'same') return this.staffView(order);
      const saved = await this.d.orders.update(order, { ...decision.patch, updatedAtMs: now });
      if (saved) {
        this.d.log.info('fulfil.changed', {
          outTradeNo,
          fulfilment: fulfilmentOf(saved).state,
          upload: shippingUploadOf(saved).state,
        });
        return this.staffView(saved);
      }
      order = await this.order(outTradeNo);
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the order is being changed elsewhere, please retry');
  }

  /** Parcels as staff sent them, checked: 1–15, known carriers, tracking numbers 4–64 of [0-9A-Za-z-]. */
  private parcels(input: readonly ParcelRequest[]): ParcelRecord[] {
    if (input.length < 1 || input.length > MAX_PARCELS) {
      throw fail(AppErrorCodes.REQUEST_INVALID, `parcels must be 1–${MAX_PARCELS} parcels`, {
        field: 'parcels',
      });
    }
    const companies = this.d.policy.fulfilment.expressCompanies;
    return input.map((p, i) => {
      const company = companies.find((c) => c.id === p.expressCompany);
      if (!TRACKING_NO.test(p.trackingNo)) {
        throw fail(AppErrorCodes.REQUEST_INVALID, 'trackingNo must be 4–64 of [0-9A-Za-z-]', {
          field: `parcels[${i}].trackingNo`,
        });
      }
      if (!company) {
        throw fail(AppErrorCodes.FULFIL_UNKNOWN_EXPRESS_COMPANY, 'not a configured carrier', {
          field: `parcels[${i}].expressCompany`,
          known: companies.map((c) => c.id),
        });
      }
      return { expressCompany: company.id, expressName: company.name, trackingNo: p.trackingNo };
    });
  }
}
