// Staff actions (docs/adr/0009): the `staff` function for fulfilment and the `refund` function's attention records.
// Every one is checked on the server (SHOP_ADMIN_OPENIDS); what a page shows decides nothing.
import type { ApiResult } from '../../typings/contracts/envelope';
import type { ParcelRequest } from '../../typings/contracts/fulfilment';
import type { AttentionView } from '../../typings/contracts/order';
import type { StaffOrderView } from '../../typings/contracts/staff';
import { call } from './cloud';

/** Whether the caller is staff (never refused), the carriers and the pickup point. */
export function staffMe() {
  return call('staff', 'me', {}, { retry: true });
}

/** Where the previous page of a staff list ended: its last order's paidAtMs and outTradeNo. */
export interface ListCursor {
  paidAtMs: number;
  outTradeNo: string;
}

/**
 * Paid orders waiting for staff, oldest paid first (ties by order number: WeChat's payment times are whole seconds,
 * so the cursor carries both).
 */
export function listToShip(
  state: 'AWAITING_SHIPMENT' | 'READY_FOR_PICKUP',
  limit: number,
  after?: ListCursor,
): Promise<ApiResult<StaffOrderView[]>> {
  return call(
    'staff',
    'listToShip',
    after === undefined
      ? { state, limit }
      : { state, limit, afterPaidAtMs: after.paidAtMs, afterOutTradeNo: after.outTradeNo },
    { retry: true },
  );
}

export function staffGetOrder(outTradeNo: string): Promise<ApiResult<StaffOrderView>> {
  return call('staff', 'getOrder', { outTradeNo }, { retry: true });
}

/** Same parcels again answer the order (idempotent by outcome): safe to repeat. */
export function shipOrder(
  outTradeNo: string,
  parcels: ParcelRequest[],
  change: boolean,
): Promise<ApiResult<StaffOrderView>> {
  return call('staff', 'ship', change ? { outTradeNo, parcels, change } : { outTradeNo, parcels }, {
    retry: true,
  });
}

export function readyForPickup(outTradeNo: string): Promise<ApiResult<StaffOrderView>> {
  return call('staff', 'readyForPickup', { outTradeNo }, { retry: true });
}

export function markPickedUp(outTradeNo: string): Promise<ApiResult<StaffOrderView>> {
  return call('staff', 'markPickedUp', { outTradeNo }, { retry: true });
}

export function retryUpload(outTradeNo: string): Promise<ApiResult<StaffOrderView>> {
  return call('staff', 'retryUpload', { outTradeNo }, { retry: true });
}

/** Open "needs attention" records (newest first). */
export function listAttention(limit: number): Promise<ApiResult<AttentionView[]>> {
  return call('refund', 'listAttention', { limit }, { retry: true });
}

export function resolveAttention(id: string): Promise<ApiResult<{ resolved: boolean }>> {
  return call('refund', 'resolveAttention', { id }, { retry: true });
}
