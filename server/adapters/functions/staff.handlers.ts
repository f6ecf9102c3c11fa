// The `staff` function's actions (docs/adr/0009, docs/API.md): fulfilment for the shop's staff. `me` answers anyone;
// every other action checks SHOP_ADMIN_OPENIDS itself, whatever a page shows, before reading anything.
import type { FulfilmentService, ToShipState } from '../../application/fulfilment.service';
import type { RefundRequestService } from '../../application/refund-request.service';
import { invalidRequest } from '../../application/errors';
import { optionalInteger, requireString } from '../../application/input';
import type { ParcelRequest } from '../../../typings/contracts/fulfilment';
import type { ActionTable } from '../runtime/handler';
import { OUT_TRADE_NO_MAX, admin } from './core.handlers';
import { staffRefundRequestActions } from './refund-request.handlers';

/** What the `staff` function needs. */
export interface StaffDeps {
  fulfilment: FulfilmentService;
  adminOpenids: ReadonlySet<string>;
  /** Refund requests to review (docs/adr/0011). */
  refundRequests: RefundRequestService;
}

function outTradeNo(input: Record<string, unknown>): string {
  return requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX);
}

function toShipState(input: Record<string, unknown>): ToShipState {
  const v = input.state;
  if (v === undefined) return 'AWAITING_SHIPMENT';
  if (v !== 'AWAITING_SHIPMENT' && v !== 'READY_FOR_PICKUP')
    throw invalidRequest('state', "'AWAITING_SHIPMENT' or 'READY_FOR_PICKUP', or absent");
  return v;
}

/** Parcels' shape only (an array of {expressCompany, trackingNo} strings); the service checks the rest. */
function parcelsInput(input: Record<string, unknown>): ParcelRequest[] {
  const v = input.parcels;
  const expectation = 'an array of 1–15 {expressCompany, trackingNo}';
  if (!Array.isArray(v) || v.length === 0 || v.length > 15) throw invalidRequest('parcels', expectation);
  return v.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) throw invalidRequest(`parcels[${i}]`, expectation);
    const parcel = p as Record<string, unknown>;
    return {
      expressCompany: requireString(parcel, 'expressCompany', 32),
      trackingNo: requireString(parcel, 'trackingNo', 64),
    };
  });
}

function changeInput(input: Record<string, unknown>): boolean {
  const v = input.change;
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidRequest('change', 'true or false, or absent');
  return v;
}

export const staffActions: ActionTable<'staff', StaffDeps> = {
  /** Anyone may ask (never refuses): the staff pages are offered only when isStaff. */
  me: (_input, inv, d) => Promise.resolve(d.fulfilment.me(inv.openid ?? null)),
  listToShip: (input, inv, d) => {
    admin(inv, d);
    const limit = optionalInteger(input, 'limit') ?? 20;
    if (limit < 1 || limit > 50) throw invalidRequest('limit', 'an integer from 1 to 50');
    const afterPaidAtMs = optionalInteger(input, 'afterPaidAtMs');
    const afterOutTradeNo =
      input.afterOutTradeNo === undefined ? undefined : outTradeNo({ outTradeNo: input.afterOutTradeNo });
    if (afterOutTradeNo !== undefined && afterPaidAtMs === undefined)
      throw invalidRequest('afterOutTradeNo', 'sent with afterPaidAtMs');
    return d.fulfilment.listToShip(
      toShipState(input),
      limit,
      afterPaidAtMs === undefined
        ? undefined
        : {
            paidAtMs: afterPaidAtMs,
            ...(afterOutTradeNo === undefined ? {} : { outTradeNo: afterOutTradeNo }),
          },
    );
  },
  getOrder: (input, inv, d) => {
    admin(inv, d);
    return d.fulfilment.getOrder(outTradeNo(input));
  },
  ship: (input, inv, d) => {
    admin(inv, d);
    return d.fulfilment.ship(outTradeNo(input), parcelsInput(input), changeInput(input));
  },
  readyForPickup: (input, inv, d) => {
    admin(inv, d);
    return d.fulfilment.readyForPickup(outTradeNo(input));
  },
  markPickedUp: (input, inv, d) => {
    admin(inv, d);
    return d.fulfilment.markPickedUp(outTradeNo(input));
  },
  retryUpload: (input, inv, d) => {
    admin(inv, d);
    return d.fulfilment.retryUpload(outTradeNo(input));
  },
  // listRefundRequests, getRefundRequest, approveRefundRequest, rejectRefundRequest, markReturnReceived (ADR 0011).
  ...staffRefundRequestActions,
};
