// Refund requests (docs/adr/0011): the shopper asks, staff approve (→ the existing refund path, refund.service.ts,
// with the request's own idempotency key), agree to a return and then receive the goods, or reject with a reason; the
// shopper may withdraw while it waits. One open request per order: the order carries its id, set by compare-and-set on
// the order's version in the same transaction that inserts the request. Staff checks happen in the adapter.
import { DomainError, ErrorCodes } from '../domain/errors';
import { fulfilmentOf } from './fulfilment-view';
import { newOutRefundNo } from '../domain/ids';
import { ZERO_FEN, type Fen } from '../domain/money';
import { assertRefundAmount, refundableFen } from '../domain/refund-policy';
import {
  RefundRequestErrorCodes,
  isOpenRefundRequest,
  parseRefundRequestState,
  refundRequestKind,
  refundRequestTransition,
  refundRequestWindowEndsAtMs,
} from '../domain/refund-request-state';
import type {
  RefundRequestEvent,
  RefundRequestKind,
  RefundRequestStateName,
} from '../domain/refund-request-state';
import type {
  RefundRequestOptionsView,
  RefundRequestProgress,
  RefundRequestRefusal,
  RefundRequestView,
  StaffRefundRequestView,
} from '../../typings/contracts/refund-request';
import type { CoreDeps } from './core.deps';
import { raiseAttention } from './attention';
import { AppErrorCodes, invalidRequest } from './errors';
import { toShippingUploadView } from './fulfilment-view';
import type { OrderRecord, RefundLedgerEntry } from './order.model';
import { toOrderView } from './order-view';
import { ownedOrder } from './payment.service';
import type { RefundRequestStore } from './ports/refund-request.port';
import type { RefundRequestRecord } from './refund-request.model';
import { ledgerOf } from './refund-ledger';
import type { RefundService } from './refund.service';

/** The shop's refund-request settings (SHOP_REFUND_REQUEST_DAYS, SHOP_REFUND_REASONS), validated at cold start. */
export interface RefundRequestPolicy {
  windowDays: number;
  /** The reasons a shopper picks from; a reason's code is its text. */
  reasons: readonly string[];
}

/** What the shopper sends with order.requestRefund (shape checked by the adapter). */
export interface NewRefundRequest {
  outTradeNo: string;
  amountFen: number;
  reasonCode: string;
  reasonText: string;
  requestKey: string;
}

/** Longest texts, in characters: the shopper's words and staff's rejection reason. */
export const REFUND_REQUEST_TEXT_MAX = 200;
const CAS_ATTEMPTS = 5;

/** The refund path's refusals an approved request can meet when the order changed after the approval checked it. */
const REFUSALS_AFTER_APPROVAL: ReadonlySet<string> = new Set([
  ErrorCodes.REFUND_EXCEEDS_REFUNDABLE,
  ErrorCodes.REFUND_AMOUNT_INVALID,
  ErrorCodes.REFUND_WINDOW_EXPIRED,
  AppErrorCodes.REFUND_NOT_ALLOWED,
]);
/** The requests staff review by default: those waiting for them (or for the goods). */
export const OPEN_REFUND_REQUEST_STATES: readonly RefundRequestStateName[] = ['PENDING', 'AWAITING_RETURN'];

function fail(code: string, message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError(code, message, details);
}

/** The refund key of a request's approval: every approval of it (two staff, a retry after a crash) is one refund. */
export function refundKeyOf(requestId: string): string {
  return `rr:${requestId}`;
}

/** Where an approved request's money is, from the order's ledger (null: not known here). */
function progressOf(
  r: RefundRequestRecord,
  ledger: readonly RefundLedgerEntry[] | null,
): RefundRequestProgress {
  switch (r.state) {
    case 'PENDING':
    case 'AWAITING_RETURN':
    case 'REJECTED':
    case 'WITHDRAWN':
      return r.state;
    case 'APPROVED': {
      if (r.outRefundNo === null && r.refundRefusal) return 'REFUND_FAILED';
      const entry = r.outRefundNo === null ? undefined : ledger?.find((e) => e.outRefundNo === r.outRefundNo);
      if (entry?.status === 'SUCCESS') return 'REFUNDED';
      if (entry?.status === 'CLOSED' || entry?.status === 'ABNORMAL') return 'REFUND_FAILED';
      return 'REFUNDING';
    }
  }
}

/** A request as its shopper and staff see it; `order` (when read) tells an approved one's refund outcome. */
export function toRefundRequestView(r: RefundRequestRecord, order: OrderRecord | null): RefundRequestView {
  const state = parseRefundRequestState(r.state);
  return {
    requestId: r.requestId,
    outTradeNo: r.outTradeNo,
    kind: r.kind,
    amountFen: r.amountFen,
    reasonCode: r.reasonCode,
    reasonText: r.reasonText,
    state,
    progress: progressOf({ ...r, state }, order?.refundLedger ?? null),
    rejectReason: r.rejectReason,
    outRefundNo: r.outRefundNo,
    createdAtMs: r.createdAtMs,
    updatedAtMs: r.updatedAtMs,
    decidedAtMs: r.decidedAtMs,
    canWithdraw: isOpenRefundRequest(state),
  };
}

/** Whether a new request may be made on the order now, and if so what it would be. */
type Eligibility =
  | {
      ok: true;
      kind: RefundRequestKind;
      maxFen: Fen;
      windowEndsAtMs: number | null;
      ledger: RefundLedgerEntry[];
    }
  | { ok: false; refusal: RefundRequestRefusal; maxFen: Fen; windowEndsAtMs: number | null };

/** The payment states a request is refused in, and why. Only PAID and PARTIALLY_REFUNDED are final enough to ask. */
const STATE_REFUSALS: Readonly<Partial<Record<OrderRecord['status'], RefundRequestRefusal>>> = {
  AWAITING_PAYMENT: 'not-paid',
  CLOSED_BY_USER: 'closed',
  CLOSED_BY_TIMEOUT: 'closed',
  PAID_AFTER_CLOSE: 'paid-after-close',
  REFUND_PROCESSING: 'refund-in-progress',
  REFUND_FAILED: 'refund-in-progress',
  REFUNDED: 'refunded',
};

export class RefundRequestService {
  constructor(
    private readonly d: CoreDeps,
    private readonly refunds: RefundService,
    private readonly store: RefundRequestStore,
    private readonly policy: RefundRequestPolicy,
  ) {}

  /** The order's latest request and whether a new one may be made (only the order's owner). */
  async options(openid: string, outTradeNo: string): Promise<RefundRequestOptionsView> {
    const order = await ownedOrder(this.d.orders, openid, outTradeNo);
    const latest = await this.store.latestForOrder(outTradeNo);
    const e = await this.eligibility(order, latest);
    return {
      latest: latest ? toRefundRequestView(latest, order) : null,
      canRequest: e.ok,
      refusal: e.ok ? null : e.refusal,
      maxFen: e.maxFen,
      reasons: [...this.policy.reasons],
      kind: e.ok ? e.kind : null,
      windowEndsAtMs: e.windowEndsAtMs,
    };
  }

  /** The shopper asks for a refund (idempotent per requestKey). Refusals: see docs/API.md order.requestRefund. */
  async request(openid: string, req: NewRefundRequest): Promise<RefundRequestView> {
    if (!this.policy.reasons.includes(req.reasonCode)) {
      throw invalidRequest('reasonCode', 'one of the shop’s refund reasons (order.refundRequestOptions)');
    }
    const reasonText = req.reasonText.trim();
    if ([...reasonText].length > REFUND_REQUEST_TEXT_MAX) {
      throw invalidRequest('reasonText', `at most ${REFUND_REQUEST_TEXT_MAX} characters`);
    }
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const order = await ownedOrder(this.d.orders, openid, req.outTradeNo);
      // A double tap (or a retried call whose answer was lost) answers the request the key already made.
      const twin = await this.store.findByKey(req.outTradeNo, req.requestKey);
      if (twin) return toRefundRequestView(twin, order);
      const open = await this.openRequestOf(order);
      const e = await this.eligibility(order, open);
      if (!e.ok) throw this.refusalError(e.refusal, e.windowEndsAtMs);
      const amountFen = assertRefundAmount(order.payment!.paidFen, e.ledger, req.amountFen);
      const now = this.d.clock.now();
      const record: RefundRequestRecord = {
        requestId: `RR${newOutRefundNo(now, this.d.random.base62(10)).slice(1)}`,
        outTradeNo: order.outTradeNo,
        openid,
        requestKey: req.requestKey,
        kind: e.kind,
        amountFen,
        reasonCode: req.reasonCode,
        reasonText,
        state: 'PENDING',
        rejectReason: null,
        outRefundNo: null,
        decidedBy: null,
        decidedAtMs: null,
        createdAtMs: now,
        updatedAtMs: now,
        version: 1,
      };
      const saved = await this.store.insertWithOrder(order, record);
      if (saved === 'ok') {
        this.d.log.info('refund_request.created', {
          outTradeNo: order.outTradeNo,
          requestId: record.requestId,
          kind: record.kind,
          amountFen,
        });
        return toRefundRequestView(record, order);
      }
      // 'conflict' (the order changed) or 'duplicate' (the twin's insert won): read again and decide again.
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the order kept changing while the request was recorded');
  }

  /** The shopper takes an open request back (only the owner; a withdrawn one answers as it is). */
  async withdraw(openid: string, requestId: string): Promise<RefundRequestView> {
    const r = await this.transition(requestId, 'WITHDRAW', null, (current) => {
      if (current.openid !== openid) throw fail(RefundRequestErrorCodes.NOT_FOUND, 'no such refund request');
      return current.state === 'WITHDRAWN' ? 'same' : {};
    });
    return this.viewWithOrder(r);
  }

  /** Requests in `states` (default: waiting for staff or the goods), oldest first. */
  async list(
    states: readonly RefundRequestStateName[],
    limit: number,
    afterCreatedAtMs?: number,
  ): Promise<RefundRequestView[]> {
    const found = await this.store.listByStates(states, limit, afterCreatedAtMs);
    // An approved request's progress is its refund's, on its order: read once per order (only approved ones need it).
    const orders = new Map<string, OrderRecord | null>();
    for (const r of found) {
      if (r.state === 'APPROVED' && !orders.has(r.outTradeNo)) {
        orders.set(r.outTradeNo, await this.d.orders.get(r.outTradeNo));
      }
    }
    return found.map((r) => toRefundRequestView(r, orders.get(r.outTradeNo) ?? null));
  }

  /** A request with its order (payment, delivery state) and the order's refunds so far, for staff. */
  async staffView(requestId: string): Promise<StaffRefundRequestView> {
    const r = await this.get(requestId);
    const order = await this.order(r.outTradeNo);
    return {
      request: toRefundRequestView(r, order),
      order: {
        order: toOrderView(order, this.d.clock.now()),
        openid: order.openid,
        transactionId: order.payment?.transactionId ?? null,
        shippingUpload: toShippingUploadView(order),
      },
      refunds: await this.refunds.list(r.outTradeNo),
    };
  }

  /**
   * Staff approve: a refund request → APPROVED and the refund requested; a return-and-refund (or a refund whose goods
   * have left since it was asked) → AWAITING_RETURN. Two approvals at once: one wins the compare-and-set, the other
   * finds it APPROVED and answers the same refund (same key); a retry after a crash between the two writes repairs it.
   */
  async approve(staff: string, requestId: string): Promise<RefundRequestView> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const r = await this.get(requestId);
      if (r.state === 'APPROVED') return this.ensureRefund(r, staff);
      if (r.state === 'AWAITING_RETURN') return this.viewWithOrder(r);
      const order = await this.order(r.outTradeNo);
      const f = fulfilmentOf(order);
      const now = refundRequestKind(f.state, order.delivery?.kind ?? null);
      const event: RefundRequestEvent =
        r.kind === 'return-refund' || now === 'return-refund' ? 'APPROVE_RETURN' : 'APPROVE_REFUND';
      const next = refundRequestTransition(r.state, event);
      if (event === 'APPROVE_REFUND') await this.assertRefundable(order, r);
      const saved = await this.store.update(r, {
        state: next,
        kind: event === 'APPROVE_RETURN' ? 'return-refund' : r.kind,
        decidedBy: staff,
        decidedAtMs: this.d.clock.now(),
        updatedAtMs: this.d.clock.now(),
      });
      if (!saved) continue;
      this.d.log.info('refund_request.approved', { requestId, state: next, by: staff });
      return next === 'APPROVED' ? this.ensureRefund(saved, staff) : toRefundRequestView(saved, order);
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the request kept changing, please retry');
  }

  /** Staff have the returned goods: AWAITING_RETURN → APPROVED and the refund requested (an APPROVED one: ensured). */
  async markReturnReceived(staff: string, requestId: string): Promise<RefundRequestView> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const r = await this.get(requestId);
      if (r.state === 'APPROVED') return this.ensureRefund(r, staff);
      const next = refundRequestTransition(r.state, 'RETURN_RECEIVED');
      await this.assertRefundable(await this.order(r.outTradeNo), r);
      const now = this.d.clock.now();
      const saved = await this.store.update(r, {
        state: next,
        decidedBy: staff,
        decidedAtMs: now,
        updatedAtMs: now,
      });
      if (!saved) continue;
      this.d.log.info('refund_request.return_received', { requestId, by: staff });
      return this.ensureRefund(saved, staff);
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the request kept changing, please retry');
  }

  /** Staff reject an open request with a reason the shopper sees (the same rejection again answers it). */
  async reject(staff: string, requestId: string, reason: string): Promise<RefundRequestView> {
    const r = await this.transition(requestId, 'REJECT', staff, (current) =>
      current.state === 'REJECTED' && current.rejectReason === reason ? 'same' : { rejectReason: reason },
    );
    return this.viewWithOrder(r);
  }

  /**
   * A refund request's closing transition (withdraw, reject): compare-and-set on the request, then the order's open
   * request cleared. `decide` checks the current request ('same': already done, answer it) and adds fields.
   */
  private async transition(
    requestId: string,
    event: 'WITHDRAW' | 'REJECT',
    staff: string | null,
    decide: (r: RefundRequestRecord) => 'same' | Partial<RefundRequestRecord>,
  ): Promise<RefundRequestRecord> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const r = await this.get(requestId);
      const extra = decide(r);
      if (extra === 'same') {
        await this.clearOpen(r);
        return r;
      }
      const next = refundRequestTransition(r.state, event);
      const now = this.d.clock.now();
      const saved = await this.store.update(r, {
        ...extra,
        state: next,
        ...(staff === null ? {} : { decidedBy: staff, decidedAtMs: now }),
        updatedAtMs: now,
      });
      if (!saved) continue;
      this.d.log.info('refund_request.closed', { requestId, state: next, by: staff ?? 'shopper' });
      await this.clearOpen(saved);
      return saved;
    }
    throw fail(AppErrorCodes.ORDER_BUSY, 'the request kept changing, please retry');
  }

  /**
   * The approved request's refund, through the existing path with the request's key: made once however often this
   * runs. Its number is recorded on the request and the order's open request cleared.
   */
  private async ensureRefund(r: RefundRequestRecord, staff: string): Promise<RefundRequestView> {
    let refund: { outRefundNo: string };
    try {
      refund = await this.refunds.requestRefund({
        outTradeNo: r.outTradeNo,
        amountFen: r.amountFen,
        reason: `退款申请 ${r.reasonCode}${r.reasonText ? `：${r.reasonText}` : ''}`,
        requestedBy: r.decidedBy ?? staff,
        requestKey: refundKeyOf(r.requestId),
      });
    } catch (e) {
      if (e instanceof DomainError && REFUSALS_AFTER_APPROVAL.has(e.code)) await this.refundRefused(r, e);
      throw e;
    }
    let current = r;
    for (
      let attempt = 0;
      (current.outRefundNo !== refund.outRefundNo || current.refundRefusal) && attempt < CAS_ATTEMPTS;
      attempt++
    ) {
      current =
        (await this.store.update(current, {
          outRefundNo: refund.outRefundNo,
          refundRefusal: null,
          updatedAtMs: this.d.clock.now(),
        })) ?? (await this.get(r.requestId));
    }
    if (r.refundRefusal) {
      // The refusal a person was told about is settled by this refund.
      await this.d.attention.resolve(`refund-request-unrefunded:${r.requestId}`, staff, this.d.clock.now());
    }
    await this.clearOpen(current);
    return this.viewWithOrder(current);
  }

  /**
   * The refund path refused an approved request's refund: the refundable amount or the order's state changed after the
   * approval checked it (another refund took the money, or one is still being processed). Without a record the request
   * would read APPROVED and "refunding" for ever. The refusal is kept on the request (the shopper sees that the refund
   * ran into a problem), a person is told, and approving again once the order allows it makes the refund.
   */
  private async refundRefused(r: RefundRequestRecord, e: DomainError): Promise<void> {
    const now = this.d.clock.now();
    let current: RefundRequestRecord | null = r;
    for (let attempt = 0; current && current.outRefundNo === null && attempt < CAS_ATTEMPTS; attempt++) {
      const saved = await this.store.update(current, {
        refundRefusal: { code: e.code, message: e.message.slice(0, 200), atMs: now },
        updatedAtMs: now,
      });
      if (saved) break;
      current = await this.store.get(r.requestId);
    }
    this.d.log.warn('refund_request.refund_refused', { requestId: r.requestId, code: e.code });
    await raiseAttention(this.d, {
      id: `refund-request-unrefunded:${r.requestId}`,
      kind: 'refund-request-unrefunded',
      outTradeNo: r.outTradeNo,
      transactionId: null,
      outRefundNo: null,
      refundId: null,
      amountFen: r.amountFen,
      wechatState: e.code,
      notificationId: null,
      note:
        `已同意的退款申请 ${r.requestId} 未能发起退款（${e.code}）：订单的可退金额或状态在同意后变了。` +
        `待订单的退款结束后再次同意即可发起；或人工处理 · the approved request's refund was refused (${e.message}); ` +
        'approve it again once the order allows, or settle it by hand',
    });
  }

  /** Clears the order's open request when it is this (closed) one; anything else leaves the order alone. */
  private async clearOpen(r: RefundRequestRecord): Promise<void> {
    if (isOpenRefundRequest(r.state)) return;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const order = await this.d.orders.get(r.outTradeNo);
      if (!order || order.openRefundRequestId !== r.requestId) return;
      if (await this.d.orders.update(order, { openRefundRequestId: null })) return;
    }
    // Harmless if left: an open id pointing to a closed request is not open (openRequestOf); the next write clears it.
    this.d.log.warn('refund_request.open_not_cleared', { requestId: r.requestId });
  }

  /** The order's open request: the one it points to, while that one is still open. */
  private async openRequestOf(order: OrderRecord): Promise<RefundRequestRecord | null> {
    const id = order.openRefundRequestId;
    if (!id) return null;
    const r = await this.store.get(id);
    return r && isOpenRefundRequest(parseRefundRequestState(r.state)) ? r : null;
  }

  /** Whether a new request may be made: the payment is final, something is refundable, the window is open. */
  private async eligibility(
    order: OrderRecord,
    latestOrOpen: RefundRequestRecord | null,
  ): Promise<Eligibility> {
    const f = fulfilmentOf(order);
    const virtual = order.delivery?.kind === 'virtual';
    const windowEndsAtMs =
      order.payment === null
        ? null
        : refundRequestWindowEndsAtMs(this.policy.windowDays, {
            paidAtMs: order.payment.successTimeMs,
            receivedAtMs: f.receivedAtMs,
            completedAtMs: f.completedAtMs,
            virtual,
          });
    const stateRefusal = STATE_REFUSALS[order.status];
    if (stateRefusal !== undefined || order.payment === null) {
      return { ok: false, refusal: stateRefusal ?? 'not-paid', maxFen: ZERO_FEN, windowEndsAtMs: null };
    }
    const ledger = await ledgerOf(this.d.refunds, order);
    const maxFen = refundableFen(order.payment.paidFen, ledger);
    if (latestOrOpen && isOpenRefundRequest(parseRefundRequestState(latestOrOpen.state))) {
      return { ok: false, refusal: 'already-open', maxFen, windowEndsAtMs };
    }
    const kind = refundRequestKind(f.state, order.delivery?.kind ?? null);
    if (maxFen <= 0 || kind === null)
      return { ok: false, refusal: 'nothing-refundable', maxFen, windowEndsAtMs };
    if (windowEndsAtMs !== null && this.d.clock.now() > windowEndsAtMs) {
      return { ok: false, refusal: 'window-closed', maxFen, windowEndsAtMs };
    }
    return { ok: true, kind, maxFen, windowEndsAtMs, ledger };
  }

  private refusalError(refusal: RefundRequestRefusal, windowEndsAtMs: number | null): DomainError {
    switch (refusal) {
      case 'already-open':
        return fail(RefundRequestErrorCodes.ALREADY_OPEN, 'this order already has an open refund request');
      case 'window-closed':
        return fail(RefundRequestErrorCodes.WINDOW_CLOSED, 'the refund request window has closed', {
          windowEndsAtMs,
        });
      case 'nothing-refundable':
        return fail(ErrorCodes.REFUND_EXCEEDS_REFUNDABLE, 'nothing is left to refund on this order', {
          refundableFen: 0,
        });
      default:
        return fail(RefundRequestErrorCodes.NOT_ALLOWED, `no refund request now: ${refusal}`, {
          reason: refusal,
        });
    }
  }

  /** Before an approval is recorded: the payment still takes this refund (else the request stays for staff). */
  private async assertRefundable(order: OrderRecord, r: RefundRequestRecord): Promise<void> {
    if (order.payment === null || !(order.status === 'PAID' || order.status === 'PARTIALLY_REFUNDED')) {
      throw fail(RefundRequestErrorCodes.NOT_ALLOWED, `an order in ${order.status} takes no refund now`, {
        reason: STATE_REFUSALS[order.status] ?? 'not-paid',
        status: order.status,
      });
    }
    assertRefundAmount(order.payment.paidFen, await ledgerOf(this.d.refunds, order), r.amountFen);
  }

  private async viewWithOrder(r: RefundRequestRecord): Promise<RefundRequestView> {
    return toRefundRequestView(r, await this.d.orders.get(r.outTradeNo));
  }

  private async get(requestId: string): Promise<RefundRequestRecord> {
    const r = await this.store.get(requestId);
    if (!r) throw fail(RefundRequestErrorCodes.NOT_FOUND, 'no such refund request');
    return r;
  }

  private async order(outTradeNo: string): Promise<OrderRecord> {
    const order = await this.d.orders.get(outTradeNo);
    if (!order) throw fail(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
    return order;
  }
}
