import type { CartSelection } from '../../domain/cart';
import { MAX_CART_LINES } from '../../domain/cart';
import { DomainError } from '../../domain/errors';
import type { OrderPhase } from '../../domain/order-state';
import { ORDER_PHASES, isOrderPhase } from '../../domain/order-state';
import { BANK_ACCOUNT_PATTERN, BANK_TYPE_PATTERN, OUT_REFUND_NO_PATTERN } from '../../domain/ids';
import type { CheckoutService } from '../../application/checkout.service';
import type { FulfilmentService } from '../../application/fulfilment.service';
import { AppErrorCodes, invalidRequest } from '../../application/errors';
import { optionalInteger, requireInteger, requireString } from '../../application/input';
import { toOrderView } from '../../application/order-view';
import type { PaymentService } from '../../application/payment.service';
import type { MiniprogramState } from '../../application/order.model';
import type { RefundService } from '../../application/refund.service';
import type { RefundRequestService } from '../../application/refund-request.service';
import type { AbnormalRefundService, AbnormalRetryRequest } from '../../application/abnormal-refund.service';
import { toRefundView } from '../../application/refund.service';
import type { AttentionStore } from '../../application/ports/attention.port';
import type { Clock } from '../../application/ports/runtime.port';
import type { ActionTable } from '../runtime/handler';
import { OUT_TRADE_NO_MAX, admin, shopper } from './identity';
import { shopperRefundRequestActions } from './refund-request.handlers';

export { OUT_TRADE_NO_MAX, admin, shopper } from './identity';

/** What the client-called payment functions need. */
export interface CoreHandlersDeps {
  checkout: CheckoutService;
  payments: PaymentService;
  refunds: RefundService;
  abnormalRefunds: AbnormalRefundService;
  /** order.confirmReceipt. */
  fulfilment: FulfilmentService;
  clock: Clock;
  adminOpenids: ReadonlySet<string>;
  /** Money nobody can match (refund.listAttention). */
  attention: AttentionStore;
  /** The shopper's refund requests (docs/adr/0011). */
  refundRequests: RefundRequestService;
}

// A client idempotency key: 8–64 characters, so a UUID or a timestamp+random string fits and nothing huge is stored.
const REQUEST_KEY = /^[0-9A-Za-z_-]{8,64}$/;

function requestKey(input: Record<string, unknown>, field: string): string {
  const v = requireString(input, field, 64);
  if (!REQUEST_KEY.test(v))
    throw new DomainError(AppErrorCodes.REQUEST_INVALID, `${field} must be 8–64 of [0-9A-Za-z_-]`);
  return v;
}

/** The lines a confirm page showed: checked here only for shape; pricing checks the SKUs and quantities. */
function displayedLines(input: Record<string, unknown>): CartSelection[] {
  const v = input.lines;
  const expectation = `an array of at most ${MAX_CART_LINES} {skuId, quantity}`;
  if (!Array.isArray(v) || v.length > MAX_CART_LINES) throw invalidRequest('lines', expectation);
  return v.map((l: unknown) => {
    if (typeof l !== 'object' || l === null) throw invalidRequest('lines', expectation);
    const line = l as Record<string, unknown>;
    return { skuId: requireString(line, 'skuId', 64), quantity: requireInteger(line, 'quantity') };
  });
}

/** The delivery fields of place and checkout, passed on as sent: the service validates them (ORDER.DELIVERY_INVALID). */
function deliveryInput(input: Record<string, unknown>): { delivery: unknown; remark?: unknown } {
  return { delivery: input.delivery, remark: input.remark };
}

/** wx.getAccountInfoSync().miniProgram.envVersion → the miniprogramState its messages open (absent: not told). */
const BUILD_STATES = { develop: 'developer', trial: 'trial', release: 'formal' } as const;

function placedFrom(input: Record<string, unknown>): MiniprogramState | undefined {
  const v = input.envVersion;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !Object.hasOwn(BUILD_STATES, v))
    throw invalidRequest('envVersion', "'develop', 'trial' or 'release'");
  return BUILD_STATES[v as keyof typeof BUILD_STATES];
}

/**
 * The `order` function's actions: place, quote, checkout, get, listMine, cancel, again, confirmReceipt, and the refund
 * requests' (docs/API.md).
 */
export const orderActions: ActionTable<'order', CoreHandlersDeps> = {
  place: (input, inv, d) =>
    d.checkout.place(shopper(inv), requestKey(input, 'clientRequestKey'), deliveryInput(input)),
  quote: (_input, inv, d) => d.checkout.quote(shopper(inv)),
  checkout: (input, inv, d) =>
    d.checkout.checkout(
      shopper(inv),
      requestKey(input, 'clientRequestKey'),
      { lines: displayedLines(input), payableFen: requireInteger(input, 'displayedPayableFen') },
      deliveryInput(input),
      placedFrom(input),
    ),
  get: (input, inv, d) => d.checkout.get(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  listMine: (input, inv, d) =>
    d.checkout.listMine(
      shopper(inv),
      optionalInteger(input, 'limit') ?? 20,
      optionalInteger(input, 'beforeMs'),
      optionalPhase(input),
    ),
  cancel: (input, inv, d) =>
    d.checkout.cancel(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  again: (input, inv, d) =>
    d.checkout.again(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  /** After WeChat's confirm view: RECEIVED only when WeChat says the buyer confirmed. Only the owner. */
  confirmReceipt: (input, inv, d) =>
    d.fulfilment.confirmReceipt(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  // refundRequestOptions, requestRefund, withdrawRefundRequest (docs/adr/0011).
  ...shopperRefundRequestActions,
};

/** listMine's optional `phase`: one of ORDER_PHASES, or absent. */
function optionalPhase(input: Record<string, unknown>): OrderPhase | undefined {
  const v = input.phase;
  if (v === undefined) return undefined;
  if (!isOrderPhase(v)) throw invalidRequest('phase', `one of ${ORDER_PHASES.join(', ')}, or absent`);
  return v;
}

/** The `pay` function's actions: start (requestPayment parameters) and sync (ask WeChat, apply, answer the order). */
export const payActions: ActionTable<'pay', CoreHandlersDeps> = {
  start: (input, inv, d) =>
    d.payments.start(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
  sync: async (input, inv, d) =>
    toOrderView(
      await d.payments.sync(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
      d.clock.now(),
    ),
  /** Demo provider only: the simulated cashier's "pay" button. */
  demoPay: async (input, inv, d) =>
    toOrderView(
      await d.payments.simulatePay(shopper(inv), requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX)),
      d.clock.now(),
    ),
};

/** Longest reason accepted from staff, in characters; what reaches WeChat is cut to whole characters in 80 bytes. */
const REASON_MAX_CHARS = 200;

/** The refund reason: optional (default 商家退款); when given, a string with visible text, checked before anything is reserved. */
function refundReasonInput(input: Record<string, unknown>): string {
  const v = input.reason;
  if (v === undefined || v === null) return '商家退款';
  if (typeof v !== 'string' || v.trim() === '' || [...v].length > REASON_MAX_CHARS) {
    throw invalidRequest('reason', `a non-empty text of at most ${REASON_MAX_CHARS} characters, or absent`);
  }
  return v;
}

/** The `refund` function's actions, for staff listed in SHOP_ADMIN_OPENIDS only. */
export const refundActions: ActionTable<'refund', CoreHandlersDeps> = {
  create: async (input, inv, d) => {
    const by = admin(inv, d);
    const refund = await d.refunds.requestRefund({
      outTradeNo: requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX),
      amountFen: requireInteger(input, 'amountFen'),
      reason: refundReasonInput(input),
      requestedBy: by,
      requestKey: requestKey(input, 'requestKey'),
    });
    return toRefundView(refund);
  },
  list: (input, inv, d) => {
    admin(inv, d);
    return d.refunds.list(requireString(input, 'outTradeNo', OUT_TRADE_NO_MAX));
  },
  /** Money nobody can match, newest first: `{limit? (1–100, default 50), beforeMs?}` pages back by firstSeenAtMs. */
  listAttention: (input, inv, d) => {
    admin(inv, d);
    const limit = optionalInteger(input, 'limit') ?? 50;
    if (limit < 1 || limit > 100) throw invalidRequest('limit', 'an integer from 1 to 100');
    return d.attention.list(limit, optionalInteger(input, 'beforeMs'));
  },
  retryAbnormal: async (input, inv, d) => {
    const by = admin(inv, d);
    const refund = await d.abnormalRefunds.retryAbnormal({ ...abnormalRetryInput(input), requestedBy: by });
    return toRefundView(refund);
  },
  /** "Ask WeChat now" for a refund that is not final (send it again if unsent, else query and apply). */
  sync: async (input, inv, d) => {
    admin(inv, d);
    return toRefundView(await d.refunds.askWeChat(outRefundNoInput(input)));
  },
  /** Staff paid the shopper by hand what WeChat refunded to the merchant's card: `{outRefundNo, note?}`. */
  confirmOfflinePayout: async (input, inv, d) => {
    const by = admin(inv, d);
    const note = input.note;
    if (note !== undefined && (typeof note !== 'string' || [...note].length > NOTE_MAX_CHARS)) {
      throw invalidRequest('note', `a text of at most ${NOTE_MAX_CHARS} characters, or absent`);
    }
    const refund = await d.refunds.confirmOfflinePayout(
      outRefundNoInput(input),
      by,
      typeof note === 'string' && note.trim() !== '' ? note.trim() : null,
    );
    return toRefundView(refund);
  },
  /** Closes a "needs attention" record a person has dealt with: `{id}`; answers `{resolved}` (false: already). */
  resolveAttention: async (input, inv, d) => {
    const by = admin(inv, d);
    const id = requireString(input, 'id', 200);
    return { resolved: await d.attention.resolve(id, by, d.clock.now()) };
  },
};

/** Longest note staff may leave on a confirmation, in characters. */
const NOTE_MAX_CHARS = 200;

function outRefundNoInput(input: Record<string, unknown>): string {
  const outRefundNo = requireString(input, 'outRefundNo', 64);
  if (!OUT_REFUND_NO_PATTERN.test(outRefundNo))
    throw invalidRequest('outRefundNo', '1–64 of [0-9A-Za-z_-|*@]');
  return outRefundNo;
}

/** retryAbnormal's input, checked before WeChat is asked anything; card fields only with USER_BANK_CARD. */
function abnormalRetryInput(input: Record<string, unknown>): Omit<AbnormalRetryRequest, 'requestedBy'> {
  const outRefundNo = outRefundNoInput(input);
  const type = input.type;
  if (type === 'MERCHANT_BANK_CARD') {
    for (const field of ['bankType', 'bankAccount', 'realName']) {
      if (input[field] !== undefined) throw invalidRequest(field, 'absent with type MERCHANT_BANK_CARD');
    }
    return { outRefundNo, type };
  }
  if (type !== 'USER_BANK_CARD') throw invalidRequest('type', 'USER_BANK_CARD or MERCHANT_BANK_CARD');
  const bankType = requireString(input, 'bankType', 128);
  if (!BANK_TYPE_PATTERN.test(bankType))
    throw invalidRequest('bankType', "WeChat's bank code, e.g. ICBC_DEBIT");
  const bankAccount = requireString(input, 'bankAccount', 32);
  if (!BANK_ACCOUNT_PATTERN.test(bankAccount)) throw invalidRequest('bankAccount', '8–32 digits');
  const realName = requireString(input, 'realName', 64);
  if (realName.trim() === '') throw invalidRequest('realName', "the card holder's name");
  return { outRefundNo, type, bankType, bankAccount, realName };
}
