import { DomainError } from '../domain/errors';
import { newOutRefundNo } from '../domain/ids';
import type { Fen } from '../domain/money';
import { isRefundFinal, mustRefundInFull, transition } from '../domain/order-state';
import { assertRefundAmount, assertWithinRefundWindow } from '../domain/refund-policy';
import { truncateUtf8 } from '../domain/text';
import type { RefundView } from '../../typings/contracts/order';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { REFUND_FOLLOW_UP_AFTER_MS, queuedAt } from './job-queue';
import type { OrderRecord, RefundDoc, RefundLedgerEntry, RefundSubmission } from './order.model';
import { REFUND_CAS_ATTEMPTS, isOwedOffline, ledgerEntryOf, ledgerFields, ledgerOf } from './refund-ledger';
import { confirmOfflinePayout } from './refund-offline-payout';
import { RefundReports } from './refund-reports';
import type { ApplyRefundOptions, ApplyRefundOutcome } from './refund-reports';
import type { Refund } from './ports/payment-provider.port';
import type { ProviderError } from './ports/payment-provider.errors';
import { ProviderErrorCodes, isProviderError } from './ports/payment-provider.errors';

export type { ApplyRefundOptions, ApplyRefundOutcome } from './refund-reports';

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
    submitted: r.submitted,
    receivedAccount: r.receivedAccount ?? null,
    owedOffline: r.status === 'SUCCESS' && isOwedOffline(r),
    offlinePaidAtMs: r.offlinePayout?.paidAtMs ?? null,
    followUpGaveUp: (r.followUp.gaveUpAtMs ?? null) !== null,
  };
}

/** A new refund checked against its order, not yet written: the order as read, its ledger, its next state. */
interface PlannedRefund {
  order: OrderRecord;
  ledger: RefundLedgerEntry[];
  next: OrderRecord['status'];
  refund: RefundDoc;
}

/**
 * Refunds: the amount is reserved on the order by compare-and-set in the same transaction that records the refund,
 * so concurrent requests can never refund more than was paid; a refund is final only when the provider says so. The
 * order's refund ledger is the truth about refunded money (docs/adr/0008): a report is decided from the order alone
 * and applied by one compare-and-set of it; the refund document follows.
 */
export class RefundService {
  private readonly reports: RefundReports;

  constructor(private readonly d: CoreDeps) {
    this.reports = new RefundReports(d);
  }

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
    for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
      // Looked up on every attempt: after a lost compare-and-set the winner may be this very request's twin (a
      // double tap), whose refund must be answered, not judged as a second refund that exceeds what is left.
      const existing = await this.d.refunds.findByRequestKey(requestKey);
      if (existing) return this.answerExisting(existing);
      let planned: PlannedRefund;
      try {
        planned = await this.plan(req, requestKey, reason);
      } catch (e) {
        // The refundable amount (or the order's state) read after the twin's reservation: answer the twin's refund.
        const twin = await this.d.refunds.findByRequestKey(requestKey);
        if (twin) return this.answerExisting(twin);
        throw e;
      }
      const { order, ledger, next, refund } = planned;
      const amountFen = refund.amountFen;
      const reserved = await this.d.orders.reserveRefund(
        order,
        {
          status: next,
          ...ledgerFields([...ledger, ledgerEntryOf(refund)]),
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
        if (first) return this.answerExisting(first);
      }
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the order kept changing while the refund was recorded');
  }

  /**
   * The refund a repeated request key already made: sent again only while it is unsent and not final. A refund closed
   * because WeChat has no such refund (never accepted, amount freed) is never sent again by a repeated tap.
   */
  private answerExisting(refund: RefundDoc): Promise<RefundDoc> {
    return refund.submitted || isRefundFinal(refund.status) ? Promise.resolve(refund) : this.submit(refund);
  }

  /** Reads the order and checks a new refund against it (throws the domain's refusal), without writing. */
  private async plan(req: RefundRequest, requestKey: string, reason: string): Promise<PlannedRefund> {
    const order = await this.d.orders.get(req.outTradeNo);
    if (!order) throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such order');
    if (order.payment === null) {
      throw new DomainError(AppErrorCodes.REFUND_NOT_ALLOWED, 'the order has not been paid');
    }
    const all = await ledgerOf(this.d.refunds, order);
    // Amount first: a fully refunded order answers REFUND.EXCEEDS_REFUNDABLE (nothing left), a refund code staff can
    // act on, not the state machine's ORDER.ILLEGAL_TRANSITION.
    const amountFen = assertRefundAmount(order.payment.paidFen, all, req.amountFen, {
      fullOnly: mustRefundInFull(order.status),
    });
    let next: OrderRecord['status'];
    try {
      next = transition(order.status, 'REFUND_REQUESTED');
    } catch {
      throw new DomainError(
        AppErrorCodes.REFUND_NOT_ALLOWED,
        `an order in ${order.status} takes no new refund`,
        {
          status: order.status,
        },
      );
    }
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
      sent: {
        reason: reason === '' ? null : reason,
        notifyUrl: this.d.provider.refundNotifyUrl(),
        totalFen: order.payment.paidFen,
      },
    };
    return { order, ledger: all, next, refund };
  }

  /**
   * Sends a recorded refund to the provider — again, after a lost answer: the same outRefundNo with exactly the first
   * send's parameters is idempotent there. A refund that may have reached WeChat is never closed on a refusal alone:
   * WeChat is asked by out_refund_no, and only "no such refund" proves it was never accepted (then it is closed and
   * its amount freed). A transient failure, or a refusal WeChat cannot be asked about now, leaves it for the follow-up.
   */
  async submit(refund: RefundDoc): Promise<RefundDoc> {
    const order = await this.d.orders.get(refund.outTradeNo);
    if (!order || order.payment === null)
      throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such paid order');
    const entry = order.refundLedger?.find((e) => e.outRefundNo === refund.outRefundNo);
    if (entry !== undefined && entry.status !== refund.status) {
      // The order has moved this refund on (closed it here, say) and a crash left the document behind
      // (docs/adr/0008): it is never sent again; WeChat's word about it brings the document level.
      return this.levelFromWeChat(refund);
    }
    const sent = refund.sent ?? this.legacySubmission(refund, order.payment.paidFen);
    let answer: Refund;
    try {
      answer = await this.d.provider.createRefund({
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
        refundFen: refund.amountFen,
        paidFen: sent.totalFen,
        ...(sent.reason === null ? {} : { reason: sent.reason }),
        ...(sent.notifyUrl === null ? {} : { notifyUrl: sent.notifyUrl }),
      });
    } catch (e) {
      if (isProviderError(e, ProviderErrorCodes.INVALID_ARGUMENT)) {
        // Our own adapter refused the input before sending: WeChat has not said no, so the refund is not closed and
        // the order does not become REFUND_FAILED. It stays unsubmitted (amount reserved) for a person to look at.
        this.d.log.error('refund.invalid_locally', { outRefundNo: refund.outRefundNo, error: e });
        await this.d.metrics.increment('refunds.invalid_locally');
        return refund;
      }
      if (isProviderError(e) && e.retryability === 'fatal') return this.afterRefusal(refund, e);
      this.d.log.warn('refund.submit.deferred', { outRefundNo: refund.outRefundNo, error: e });
      return refund;
    }
    return this.refundAfter(await this.applyRefund(answer, { source: 'answer' }), refund);
  }

  /**
   * WeChat refused a send. An earlier send of the same refund may have been accepted (its answer lost), and a refusal
   * of the repeat says nothing about that one: ask WeChat. Found → apply what it says. Not found → never accepted:
   * close it here. The question fails → leave it unsubmitted and reserved; the follow-up sends and asks again.
   */
  private async afterRefusal(refund: RefundDoc, e: ProviderError): Promise<RefundDoc> {
    this.d.log.error('refund.refused', {
      outRefundNo: refund.outRefundNo,
      code: e.code,
      message: e.message,
      httpStatus: e.httpStatus,
    });
    await this.d.metrics.increment('refunds.refused');
    return this.settleByQuery(refund, `refused by the provider: ${e.code}`, 'refund.refusal_unconfirmed');
  }

  /**
   * Asks WeChat about `refund` and takes its word: found → applied; not found → WeChat never had it, so it is closed
   * here with `notFound` as the reason. A failed question changes nothing (logged as `unconfirmedEvent`): the
   * follow-up asks again.
   */
  private async settleByQuery(
    refund: RefundDoc,
    notFound: string,
    unconfirmedEvent: string,
  ): Promise<RefundDoc> {
    let known: Awaited<ReturnType<CoreDeps['provider']['queryRefund']>>;
    try {
      known = await this.d.provider.queryRefund(refund.outRefundNo);
    } catch (e) {
      this.d.log.warn(unconfirmedEvent, { outRefundNo: refund.outRefundNo, error: e });
      return refund;
    }
    const outcome =
      known.kind === 'found'
        ? await this.applyRefund(known.refund, { source: 'query' })
        : await this.applyRefund(
            { ...this.asProviderRefund(refund), status: 'CLOSED' },
            { failure: notFound },
          );
    return this.refundAfter(outcome, refund);
  }

  /**
   * A refund whose document is behind the order's ledger, asked about instead of sent: found at WeChat → its word is
   * applied (the ledger has it: the document is brought level); not found → it was closed here because WeChat never
   * had it, and the document is closed to match. The question fails → left for the follow-up.
   */
  private levelFromWeChat(refund: RefundDoc): Promise<RefundDoc> {
    return this.settleByQuery(
      refund,
      'closed here: WeChat Pay has no such refund',
      'refund.level_unconfirmed',
    );
  }

  /** The refund as an outcome left it: the document the outcome carries, or read again when it carries none. */
  private async refundAfter(outcome: ApplyRefundOutcome, before: RefundDoc): Promise<RefundDoc> {
    if (!('refund' in outcome)) return before;
    return outcome.refund ?? (await this.d.refunds.get(before.outRefundNo)) ?? before;
  }

  /** What a refund recorded before submissions were kept was sent with (the rules of that time, today's URL). */
  private legacySubmission(refund: RefundDoc, paidFen: Fen): RefundSubmission {
    // Records written before reasons were checked may hold '' or an over-long text: WeChat's reason is optional.
    const reason = refundReason(refund.reason);
    return {
      reason: reason === '' ? null : reason,
      notifyUrl: this.d.provider.refundNotifyUrl(),
      totalFen: paidFen,
    };
  }

  /**
   * Staff's "ask WeChat now" for any refund that is not final: an unsubmitted one is sent (with its first send's
   * parameters), a submitted one is queried and WeChat's answer applied. A final refund is answered as it is.
   */
  async askWeChat(outRefundNo: string): Promise<RefundDoc> {
    const doc = await this.d.refunds.get(outRefundNo);
    if (!doc) throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'no such refund');
    if (isRefundFinal(doc.status)) return doc;
    if (!doc.submitted) return this.submit(doc);
    const q = await this.d.provider.queryRefund(outRefundNo);
    if (q.kind === 'not-found') {
      throw new DomainError(
        AppErrorCodes.REFUND_NOT_FOUND,
        'WeChat Pay does not know this refund although it accepted it: check the merchant platform',
      );
    }
    return this.refundAfter(await this.applyRefund(q.refund, { source: 'query' }), doc);
  }

  /** Applies the provider's (verified) word about a refund: refund-reports.ts says how (docs/adr/0008). */
  applyRefund(report: Refund, opts: ApplyRefundOptions = {}): Promise<ApplyRefundOutcome> {
    return this.reports.applyRefund(report, opts);
  }

  /**
   * Staff confirm they paid the shopper by hand what WeChat refunded to the merchant's card (refund-offline-payout.ts).
   */
  confirmOfflinePayout(outRefundNo: string, by: string, note: string | null): Promise<RefundDoc> {
    return confirmOfflinePayout(this.d, outRefundNo, by, note);
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
      paidFen: r.amountFen,
    };
  }
}
