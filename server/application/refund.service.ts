import { DomainError } from '../domain/errors';
import { newOutRefundNo } from '../domain/ids';
import { addFen } from '../domain/money';
import type { RefundEvent, RefundStatus } from '../domain/order-state';
import { mustRefundInFull, nextOrderState, nextRefundStatus, transition } from '../domain/order-state';
import {
  assertRefundAmount,
  assertWithinRefundWindow,
  orderEventForRefunds,
  refundedFen,
  reservedRefundFen,
} from '../domain/refund-policy';
import type { RefundView } from '../../typings/contracts/order';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { REFUND_FOLLOW_UP_AFTER_MS, queuedAt } from './job-queue';
import type { OrderRecord, RefundDoc } from './order.model';
import type { Refund } from './ports/payment-provider.port';
import { ProviderErrorCodes, isProviderError } from './ports/payment-provider.errors';
import { truncateUtf8 } from '../domain/text';

const CAS_ATTEMPTS = 5;
/** WeChat's refund `reason` is at most 80 long; applied to UTF-8 bytes (the stricter reading, like the description). */
export const MAX_REFUND_REASON_BYTES = 80;

/** A refund reason as it can be sent: trimmed and cut to whole characters within 80 UTF-8 bytes ('' = none). */
export function refundReason(text: string): string {
  return truncateUtf8(text.trim(), MAX_REFUND_REASON_BYTES);
}

/** Input of {@link RefundService.requestRefund}. Money in fen. */
export interface RefundRequest {
  outTradeNo: string;
  amountFen: number;
  reason: string;
  /** An admin OPENID or "system:…". */
  requestedBy: string;
  /** The caller's idempotency key: the same key never makes a second refund. */
  requestKey: string;
}

/** The result of applying the provider's word about a refund. */
export type ApplyRefundOutcome =
  | { kind: 'applied'; refund: RefundDoc }
  | { kind: 'duplicate'; refund: RefundDoc }
  /** A status the refund cannot move to from where it is (an old report arriving late): nothing written. */
  | { kind: 'stale'; refund: RefundDoc }
  | { kind: 'unknown-refund' }
  | { kind: 'mismatch'; reason: string };

const REPORT_EVENT: Readonly<Record<Exclude<RefundStatus, 'PROCESSING'>, RefundEvent>> = {
  SUCCESS: 'REPORTED_SUCCESS',
  CLOSED: 'REPORTED_CLOSED',
  ABNORMAL: 'REPORTED_ABNORMAL',
};

/** The admin's (and the system's) view of a refund. */
export function toRefundView(r: RefundDoc): RefundView {
  return {
    outRefundNo: r.outRefundNo,
    outTradeNo: r.outTradeNo,
    amountFen: r.amountFen,
    status: r.status,
    reason: r.reason,
    createdAtMs: r.createdAtMs,
    successTimeMs: r.successTimeMs,
  };
}

/**
 * Refunds: the amount is reserved on the order by compare-and-set in the same transaction that records the refund,
 * so concurrent requests can never refund more than was paid; a refund is final only when the provider says so.
 */
export class RefundService {
  constructor(private readonly d: CoreDeps) {}

  /** Requests a refund (idempotent per requestKey) and submits it to the provider. */
  async requestRefund(req: RefundRequest): Promise<RefundDoc> {
    const requestKey = req.requestKey.startsWith(`${req.outTradeNo}:`)
      ? req.requestKey
      : `${req.outTradeNo}:${req.requestKey}`;
    const reason = refundReason(req.reason);
    if (reason === '') {
      // Checked before anything is reserved: a reason WeChat would refuse must not cost the order its refund.
      throw new DomainError(AppErrorCodes.REQUEST_INVALID, 'reason must not be empty', { field: 'reason' });
    }
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      // Looked up on every attempt: after a lost compare-and-set the winner may be this very request's twin (a
      // double tap), whose refund must be answered, not judged as a second refund that exceeds what is left.
      const existing = await this.d.refunds.findByRequestKey(requestKey);
      if (existing) return existing.submitted ? existing : this.submit(existing);
      let planned: { order: OrderRecord; next: OrderRecord['status']; refund: RefundDoc };
      try {
        planned = await this.plan(req, requestKey, reason);
      } catch (e) {
        // The refundable amount (or the order's state) read after the twin's reservation: answer the twin's refund.
        const twin = await this.d.refunds.findByRequestKey(requestKey);
        if (twin) return twin.submitted ? twin : this.submit(twin);
        throw e;
      }
      const { order, next, refund } = planned;
      const amountFen = refund.amountFen;
      const reserved = await this.d.orders.reserveRefund(
        order,
        {
          status: next,
          refundReservedFen: addFen(order.refundReservedFen, amountFen),
          updatedAtMs: refund.createdAtMs,
        },
        refund,
      );
      if (reserved === 'ok') {
        this.d.log.info('refund.requested', {
          outTradeNo: order.outTradeNo,
          outRefundNo: refund.outRefundNo,
          amountFen,
          requestedBy: req.requestedBy,
        });
        return this.submit(refund);
      }
      if (reserved === 'duplicate') {
        const first = await this.d.refunds.findByRequestKey(requestKey);
        if (first) return first.submitted ? first : this.submit(first);
      }
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order kept changing while the refund was recorded');
  }

  /** Reads the order and checks a new refund against it (throws the domain's refusal), without writing. */
  private async plan(
    req: RefundRequest,
    requestKey: string,
    reason: string,
  ): Promise<{ order: OrderRecord; next: OrderRecord['status']; refund: RefundDoc }> {
    const order = await this.d.orders.get(req.outTradeNo);
    if (!order) throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
    if (order.payment === null) {
      throw new DomainError(AppErrorCodes.REFUND_NOT_ALLOWED, 'the order has not been paid');
    }
    const next = transition(order.status, 'REFUND_REQUESTED');
    const all = await this.d.refunds.listByOrder(order.outTradeNo);
    const amountFen = assertRefundAmount(order.payment.paidFen, all, req.amountFen, {
      fullOnly: mustRefundInFull(order.status),
    });
    const now = this.d.clock.now();
    assertWithinRefundWindow(order.payment.successTimeMs, now);
    const refund: RefundDoc = {
      outRefundNo: newOutRefundNo(now, this.d.random.base62(10)),
      outTradeNo: order.outTradeNo,
      requestKey,
      amountFen,
      status: 'PROCESSING',
      reason,
      requestedBy: req.requestedBy,
      refundId: null,
      createdAtMs: now,
      updatedAtMs: now,
      successTimeMs: null,
      submitted: false,
      failure: null,
      version: 1,
      followUp: queuedAt(now + REFUND_FOLLOW_UP_AFTER_MS),
    };
    return { order, next, refund };
  }

  /**
   * Sends a recorded refund to the provider (again: the same outRefundNo is idempotent there). A refusal that
   * retrying cannot fix closes the refund and frees its amount; a transient failure leaves it for the reconcile job.
   */
  async submit(refund: RefundDoc): Promise<RefundDoc> {
    const order = await this.d.orders.get(refund.outTradeNo);
    if (!order || order.payment === null)
      throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such paid order');
    let answer: Refund;
    try {
      // Records written before reasons were checked may hold '' or an over-long text: WeChat's reason is optional.
      const reason = refundReason(refund.reason);
      answer = await this.d.provider.createRefund({
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
        refundFen: refund.amountFen,
        totalFen: order.payment.paidFen,
        ...(reason === '' ? {} : { reason }),
      });
    } catch (e) {
      if (isProviderError(e, ProviderErrorCodes.INVALID_ARGUMENT)) {
        // Our own adapter refused the input before sending: WeChat has not said no, so the refund is not closed and
        // the order does not become REFUND_FAILED. It stays unsubmitted (amount reserved) for a person to look at.
        this.d.log.error('refund.invalid_locally', { outRefundNo: refund.outRefundNo, error: e });
        await this.d.metrics.increment('refunds.invalid_locally');
        return refund;
      }
      if (isProviderError(e) && e.retryability === 'fatal') {
        this.d.log.error('refund.refused', { outRefundNo: refund.outRefundNo, code: e.code });
        await this.d.metrics.increment('refunds.refused');
        const closed = await this.applyRefund(
          { ...this.asProviderRefund(refund), status: 'CLOSED' },
          `refused by the provider: ${e.code}`,
        );
        return 'refund' in closed ? closed.refund : refund;
      }
      this.d.log.warn('refund.submit.deferred', { outRefundNo: refund.outRefundNo, error: e });
      return refund;
    }
    const outcome = await this.applyRefund(answer);
    return 'refund' in outcome ? outcome.refund : refund;
  }

  /**
   * Applies the provider's (verified) word about a refund: moves the refund along its machine and recomputes the
   * order's refunded and reserved amounts and state from all its refunds, in one transaction.
   */
  async applyRefund(report: Refund, failure: string | null = null): Promise<ApplyRefundOutcome> {
    let doc = await this.d.refunds.get(report.outRefundNo);
    if (!doc) return { kind: 'unknown-refund' };
    if (doc.outTradeNo !== report.outTradeNo) return { kind: 'mismatch', reason: 'out_trade_no differs' };
    if (doc.amountFen !== report.refundFen) return { kind: 'mismatch', reason: 'refund amount differs' };
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const now = this.d.clock.now();
      const refundId = report.refundId || doc.refundId;
      if (report.status === 'PROCESSING' || report.status === doc.status) {
        const acceptedAtMs = doc.acceptedAtMs ?? report.createTimeMs ?? doc.createdAtMs;
        if (doc.submitted && doc.refundId === refundId && doc.acceptedAtMs === acceptedAtMs)
          return { kind: 'duplicate', refund: doc };
        const marked = await this.d.refunds.update(doc, {
          submitted: true,
          refundId,
          acceptedAtMs,
          updatedAtMs: now,
        });
        if (marked) return { kind: report.status === doc.status ? 'duplicate' : 'applied', refund: marked };
      } else {
        const nextStatus = nextRefundStatus(doc.status, REPORT_EVENT[report.status]);
        if (nextStatus === undefined) {
          this.d.log.warn('refund.stale_report', {
            outRefundNo: doc.outRefundNo,
            from: doc.status,
            reported: report.status,
          });
          return { kind: 'stale', refund: doc };
        }
        const order = await this.d.orders.get(doc.outTradeNo);
        if (!order || order.payment === null)
          return { kind: 'mismatch', reason: 'the refund belongs to no paid order' };
        const updated: RefundDoc = {
          ...doc,
          status: nextStatus,
          refundId,
          submitted: true,
          successTimeMs: nextStatus === 'SUCCESS' ? (report.successTimeMs ?? now) : doc.successTimeMs,
          failure: nextStatus === 'SUCCESS' ? null : (failure ?? doc.failure),
          // WeChat's create_time when reported; a refund we closed on a refusal was never accepted.
          acceptedAtMs:
            doc.acceptedAtMs ?? report.createTimeMs ?? (failure === null ? doc.createdAtMs : null),
          updatedAtMs: now,
        };
        const all = (await this.d.refunds.listByOrder(order.outTradeNo)).map((r) =>
          r.outRefundNo === doc!.outRefundNo ? updated : r,
        );
        const event = orderEventForRefunds(order.payment.paidFen, all);
        const status = event === null ? order.status : (nextOrderState(order.status, event) ?? order.status);
        const { version: _v, outRefundNo: _n, ...refundPatch } = updated;
        const ok = await this.d.orders.updateWithRefund(
          order,
          {
            status,
            refundedFen: refundedFen(all),
            refundReservedFen: reservedRefundFen(all),
            updatedAtMs: now,
          },
          doc,
          refundPatch,
        );
        if (ok) {
          this.d.log.info('refund.settled', {
            outRefundNo: doc.outRefundNo,
            status: nextStatus,
            orderStatus: status,
          });
          return { kind: 'applied', refund: { ...updated, version: doc.version + 1 } };
        }
      }
      const reread = await this.d.refunds.get(report.outRefundNo);
      if (!reread) return { kind: 'unknown-refund' };
      doc = reread;
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while its outcome was applied');
  }

  /**
   * Starts the system's full refund of a paid order — `auto-refund` for money that arrived after a close, `tester-refund`
   * for a tester's 1-fen order. Its request key is fixed per order and kind, so the payment path and the reconcile
   * job's sweep can both call it and only one refund is ever made.
   */
  async refundInFull(order: OrderRecord, kind: 'auto-refund' | 'tester-refund'): Promise<RefundDoc | null> {
    if (order.payment === null) return null;
    const requestedBy = `system:${kind}`;
    return this.requestRefund({
      outTradeNo: order.outTradeNo,
      amountFen: order.payment.paidFen,
      reason: kind === 'auto-refund' ? '订单已关闭，退回款项' : '测试订单自动退款',
      requestedBy,
      requestKey: `${requestedBy}:${order.outTradeNo}`,
    });
  }

  /** Refunds of an order (admin view). */
  async list(outTradeNo: string): Promise<RefundView[]> {
    return (await this.d.refunds.listByOrder(outTradeNo)).map(toRefundView);
  }

  private asProviderRefund(r: RefundDoc): Refund {
    return {
      outTradeNo: r.outTradeNo,
      outRefundNo: r.outRefundNo,
      refundId: r.refundId ?? '',
      status: r.status,
      refundFen: r.amountFen,
      totalFen: r.amountFen,
    };
  }
}
