// Refund requests (docs/adr/0011): the shopper's on the `order` function, staff's review on the `staff` function.
// The server decides everything (kind, amount bounds, window, who is staff); these only carry the page's asks.
import type { ApiResult } from '../../typings/contracts/envelope';
import type {
  RefundRequestOptionsView,
  RefundRequestState,
  RefundRequestView,
  StaffRefundRequestView,
} from '../../typings/contracts/refund-request';
import { call } from './cloud';

/** The order's latest request and whether a new one may be made (a read: safe to repeat). */
export function refundRequestOptions(outTradeNo: string): Promise<ApiResult<RefundRequestOptionsView>> {
  return call('order', 'refundRequestOptions', { outTradeNo }, { retry: true });
}

/** The same requestKey answers the same request: safe to repeat. */
export function requestRefund(fields: {
  outTradeNo: string;
  amountFen: number;
  reasonCode: string;
  reasonText: string;
  requestKey: string;
}): Promise<ApiResult<RefundRequestView>> {
  const { reasonText, ...rest } = fields;
  return call('order', 'requestRefund', reasonText === '' ? rest : { ...rest, reasonText }, { retry: true });
}

/** Withdrawing twice answers the same withdrawn request: safe to repeat. */
export function withdrawRefundRequest(requestId: string): Promise<ApiResult<RefundRequestView>> {
  return call('order', 'withdrawRefundRequest', { requestId }, { retry: true });
}

/** Requests to review, oldest first (default: waiting for staff or for the goods). */
export function listRefundRequests(
  limit: number,
  afterCreatedAtMs?: number,
  state?: RefundRequestState,
): Promise<ApiResult<RefundRequestView[]>> {
  return call(
    'staff',
    'listRefundRequests',
    {
      limit,
      ...(afterCreatedAtMs === undefined ? {} : { afterCreatedAtMs }),
      ...(state === undefined ? {} : { state }),
    },
    { retry: true },
  );
}

export function getRefundRequest(requestId: string): Promise<ApiResult<StaffRefundRequestView>> {
  return call('staff', 'getRefundRequest', { requestId }, { retry: true });
}

/** One refund however often (the server's key "rr:<requestId>"): safe to repeat. */
export function approveRefundRequest(requestId: string): Promise<ApiResult<RefundRequestView>> {
  return call('staff', 'approveRefundRequest', { requestId }, { retry: true });
}

/** The same rejection again answers it: safe to repeat. */
export function rejectRefundRequest(
  requestId: string,
  reason: string,
): Promise<ApiResult<RefundRequestView>> {
  return call('staff', 'rejectRefundRequest', { requestId, reason }, { retry: true });
}

/** An approved request answers its refund: safe to repeat. */
export function markReturnReceived(requestId: string): Promise<ApiResult<RefundRequestView>> {
  return call('staff', 'markReturnReceived', { requestId }, { retry: true });
}
