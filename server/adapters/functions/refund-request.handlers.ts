// Refund requests' actions (docs/adr/0011): the shopper's three on the `order` function, staff's five on the `staff`
// function. Identity comes from the invocation only; every staff action checks SHOP_ADMIN_OPENIDS itself first.
import { invalidRequest } from '../../application/errors';
import { optionalInteger, requireInteger, requireString } from '../../application/input';
import type { RefundRequestService } from '../../application/refund-request.service';
import {
  OPEN_REFUND_REQUEST_STATES,
  REFUND_REQUEST_TEXT_MAX,
} from '../../application/refund-request.service';
import { isRefundRequestState } from '../../domain/refund-request-state';
import type { ActionTable } from '../runtime/handler';
import { OUT_TRADE_NO_MAX, admin, shopper } from './identity';

/** What these actions need. */
export interface RefundRequestDeps {
  refundRequests: RefundRequestService;
  adminOpenids: ReadonlySet<string>;
}

const REQUEST_KEY = /^[0-9A-Za-z_-]{8,64}$/;
const REQUEST_ID = /^RR[0-9A-Za-z]{10,40}$/;

function requestId(input: Record<string, unknown>): string {
  const v = requireString(input, 'requestId', 64);
  if (!REQUEST_ID.test(v)) throw invalidRequest('requestId', 'a refund request id ("RR…")');
  return v;
}

/** An optional text of at most 200 characters ('' when absent). */
function optionalText(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || [...v].length > REFUND_REQUEST_TEXT_MAX) {
    throw invalidRequest(field, `a text of at most ${REFUND_REQUEST_TEXT_MAX} characters, or absent`);
  }
  return v;
}

type OrderPart = Pick<
  ActionTable<'order', RefundRequestDeps>,
  'refundRequestOptions' | 'requestRefund' | 'withdrawRefundRequest'
>;

/** The shopper's actions (the `order` function). */
export const shopperRefundRequestActions: OrderPart = {
  refundRequestOptions: (input, inv, d) =>
    d.refundRequests.options(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  requestRefund: (input, inv, d) => {
    const openid = shopper(inv);
    const key = requireString(input, 'requestKey', 64);
    if (!REQUEST_KEY.test(key)) throw invalidRequest('requestKey', '8–64 of [0-9A-Za-z_-]');
    return d.refundRequests.request(openid, {
      outTradeNo: requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX),
      amountFen: requireInteger(input, 'amountFen'),
      reasonCode: requireString(input, 'reasonCode', 20),
      reasonText: optionalText(input, 'reasonText'),
      requestKey: key,
    });
  },
  withdrawRefundRequest: (input, inv, d) => d.refundRequests.withdraw(shopper(inv), requestId(input)),
};

type StaffPart = Pick<
  ActionTable<'staff', RefundRequestDeps>,
  | 'listRefundRequests'
  | 'getRefundRequest'
  | 'approveRefundRequest'
  | 'rejectRefundRequest'
  | 'markReturnReceived'
>;

/** Staff's actions (the `staff` function): each refuses anyone not in SHOP_ADMIN_OPENIDS before reading anything. */
export const staffRefundRequestActions: StaffPart = {
  listRefundRequests: (input, inv, d) => {
    admin(inv, d);
    const state = input.state;
    if (state !== undefined && !isRefundRequestState(state)) {
      throw invalidRequest('state', 'a refund request state, or absent');
    }
    const limit = optionalInteger(input, 'limit') ?? 20;
    if (limit < 1 || limit > 50) throw invalidRequest('limit', 'an integer from 1 to 50');
    return d.refundRequests.list(
      state === undefined ? OPEN_REFUND_REQUEST_STATES : [state],
      limit,
      optionalInteger(input, 'afterCreatedAtMs'),
    );
  },
  getRefundRequest: (input, inv, d) => {
    admin(inv, d);
    return d.refundRequests.staffView(requestId(input));
  },
  approveRefundRequest: (input, inv, d) => d.refundRequests.approve(admin(inv, d), requestId(input)),
  rejectRefundRequest: (input, inv, d) => {
    const by = admin(inv, d);
    const id = requestId(input);
    const reason = optionalText(input, 'reason').trim();
    if (reason === '') throw invalidRequest('reason', `a text of 1–${REFUND_REQUEST_TEXT_MAX} characters`);
    return d.refundRequests.reject(by, id, reason);
  },
  markReturnReceived: (input, inv, d) => d.refundRequests.markReturnReceived(admin(inv, d), requestId(input)),
};
