import { DomainError } from '../domain/errors';
import { newOutRefundNo } from '../domain/ids';
import type { Fen } from '../domain/money';
import type { RefundEvent, RefundStatus } from '../domain/order-state';
import {
  isMoneyMovedAfterClose,
  isRefundFinal,
  mustRefundInFull,
  nextOrderState,
  nextRefundStatus,
  transition,
} from '../domain/order-state';
import {
  assertRefundAmount,
  assertWithinRefundWindow,
  orderEventForRefunds,
  reservedRefundFen,
} from '../domain/refund-policy';
import type { RefundView } from '../../typings/contracts/order';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import { REFUND_FOLLOW_UP_AFTER_MS, queuedAt } from './job-queue';
import type {
  OfflinePayout,
  OrderRecord,
  RefundDoc,
  RefundLedgerEntry,
  RefundSubmission,
} from './order.model';
import { isOwedOffline, ledgerEntryOf, ledgerFields, ledgerOf, withEntry } from './refund-ledger';
import type { AttentionItem } from './ports/attention.port';
import { attentionRecord } from './ports/attention.port';
import type { Refund } from './ports/payment-provider.port';
import type { ProviderError } from './ports/payment-provider.errors';
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
  /**
   * `refund` is the refund document when this call read it (null when it was written without a read, as a first
   * delivery does: read it if you need it).
   */
  | { kind: 'applied'; refund: RefundDoc | null }
  /** Already applied (a refund document a crash had left behind the order is brought level: docs/adr/0008). */
  | { kind: 'duplicate'; refund: RefundDoc | null }
  /** A status the refund cannot move to from where it is (an old report arriving late): nothing written. */
  | { kind: 'stale'; refund: RefundDoc | null }
  /**
   * Money moved for a refund closed here that the order can no longer hold (its amount was refunded again since):
   * nothing written to the order, a 'refund-after-close' attention record waits for a person.
   */
  | { kind: 'needs-person'; refund: RefundDoc | null }
  | { kind: 'unknown-refund' }
  | { kind: 'mismatch'; reason: string };

const REPORT_EVENT: Readonly<Record<Exclude<RefundStatus, 'PROCESSING'>, RefundEvent>> = {
  SUCCESS: 'REPORTED_SUCCESS',
  CLOSED: 'REPORTED_CLOSED',
  ABNORMAL: 'REPORTED_ABNORMAL',
};

/** Where a report sends the money: the merchant's own card (WeChat's wording) means the shop pays the shopper by hand. */
const MERCHANT_CARD_ACCOUNT = /商户.*(银行|线下)/;

/** What a refund paid to the merchant's card owes the shopper, from `nowMs` until staff confirm paying by hand. */
function owedSince(nowMs: number): OfflinePayout {
  return { owedSinceMs: nowMs, paidAtMs: null, paidBy: null, note: null };
}

/** Options of {@link RefundService.applyRefund}. */
export interface ApplyRefundOptions {
  /** Why it was closed without WeChat's CLOSED (WeChat said it has no such refund after refusing it). */
  failure?: string | null;
  /**
   * Where the report comes from. A notification can be older than the refund's last retry: an ABNORMAL one for a
   * refund retried since is confirmed by query before it is applied.
   */
  source?: 'notification' | 'query' | 'answer';
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

/** Where a report leaves the refund (the ledger entry as written) and what the report carried for its document. */
interface Settlement {
  entry: RefundLedgerEntry;
  failure: string | null;
  now: number;
}

/**
 * Refunds: the amount is reserved on the order by compare-and-set in the same transaction that records the refund,
 * so concurrent requests can never refund more than was paid; a refund is final only when the provider says so. The
 * order's refund ledger is the truth about refunded money (docs/adr/0008): a report is decided from the order alone
 * and applied by one compare-and-set of it; the refund document follows.
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
    let known: Awaited<ReturnType<CoreDeps['provider']['queryRefund']>>;
    try {
      known = await this.d.provider.queryRefund(refund.outRefundNo);
    } catch (qe) {
      this.d.log.warn('refund.refusal_unconfirmed', { outRefundNo: refund.outRefundNo, error: qe });
      return refund;
    }
    const outcome =
      known.kind === 'found'
        ? await this.applyRefund(known.refund, { source: 'query' })
        : await this.applyRefund(
            { ...this.asProviderRefund(refund), status: 'CLOSED' },
            { failure: `refused by the provider: ${e.code}` },
          );
    return this.refundAfter(outcome, refund);
  }

  /**
   * A refund whose document is behind the order's ledger, asked about instead of sent: found at WeChat → its word is
   * applied (the ledger has it: the document is brought level); not found → it was closed here because WeChat never
   * had it, and the document is closed to match. The question fails → left for the follow-up.
   */
  private async levelFromWeChat(refund: RefundDoc): Promise<RefundDoc> {
    let known: Awaited<ReturnType<CoreDeps['provider']['queryRefund']>>;
    try {
      known = await this.d.provider.queryRefund(refund.outRefundNo);
    } catch (e) {
      this.d.log.warn('refund.level_unconfirmed', { outRefundNo: refund.outRefundNo, error: e });
      return refund;
    }
    const outcome =
      known.kind === 'found'
        ? await this.applyRefund(known.refund, { source: 'query' })
        : await this.applyRefund(
            { ...this.asProviderRefund(refund), status: 'CLOSED' },
            { failure: 'closed here: WeChat Pay has no such refund' },
          );
    return this.refundAfter(outcome, refund);
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

  /**
   * Applies the provider's (verified) word about a refund (docs/adr/0008). An outcome (SUCCESS, CLOSED, ABNORMAL) is
   * decided from the order alone — read once by the report's out_trade_no, its refund ledger says where the refund is —
   * and applied by one compare-and-set of the order that moves the ledger entry and recomputes the refunded, reserved
   * and owed-offline amounts and the order's state with it. The refund document is written after it, with one
   * conditional write that never undoes a later one. A crash between the two leaves the document behind the order's
   * ledger; the next report about the refund (WeChat's next delivery: nothing was acknowledged; the follow-up job's
   * query; the daily bill's) finds the ledger already there and brings the document level. Money that moved for a
   * refund closed here is applied when the order can hold it, and always raised for a person. A PROCESSING report
   * (WeChat accepted it) only marks the refund document.
   */
  async applyRefund(report: Refund, opts: ApplyRefundOptions = {}): Promise<ApplyRefundOutcome> {
    const failure = opts.failure ?? null;
    let checked = false;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (report.status === 'PROCESSING') return this.markAccepted(report);
      const order = await this.d.orders.get(report.outTradeNo);
      let ledger = order === null ? [] : await ledgerOf(this.d.refunds, order);
      let entry = ledger.find((e) => e.outRefundNo === report.outRefundNo);
      if (order === null || entry === undefined) {
        const doc = await this.d.refunds.get(report.outRefundNo);
        if (!doc) return { kind: 'unknown-refund' };
        if (doc.outTradeNo !== report.outTradeNo) return { kind: 'mismatch', reason: 'out_trade_no differs' };
        if (order === null) return { kind: 'mismatch', reason: 'the refund belongs to no paid order' };
        // A refund of this order the ledger lacks (recorded by a version without the ledger while a deploy was under
        // way): it joins the ledger with this change.
        this.d.log.warn('refund.ledger_entry_missing', {
          outTradeNo: order.outTradeNo,
          outRefundNo: doc.outRefundNo,
        });
        entry = ledgerEntryOf(doc);
        ledger = [...ledger, entry];
      }
      if (entry.amountFen !== report.refundFen) return { kind: 'mismatch', reason: 'refund amount differs' };
      if (order.payment === null) return { kind: 'mismatch', reason: 'the refund belongs to no paid order' };
      if (
        !checked &&
        opts.source === 'notification' &&
        report.status === 'ABNORMAL' &&
        entry.status === 'PROCESSING' &&
        entry.retriedTo !== null
      ) {
        // Retried after ABNORMAL, the refund is PROCESSING at WeChat again; this ABNORMAL may be the report from before
        // the retry, delivered late. Only WeChat's current word counts (a failed question: the delivery is retried).
        checked = true;
        const q = await this.d.provider.queryRefund(report.outRefundNo);
        if (q.kind === 'not-found') return { kind: 'stale', refund: null };
        if (q.refund.outTradeNo !== order.outTradeNo)
          return { kind: 'mismatch', reason: 'out_trade_no differs' };
        if (q.refund.refundFen !== entry.amountFen)
          return { kind: 'mismatch', reason: 'refund amount differs' };
        this.d.log.info('refund.abnormal_report_checked', {
          outRefundNo: report.outRefundNo,
          wechatStatus: q.refund.status,
        });
        report = q.refund;
        if (report.status === 'PROCESSING') return this.markAccepted(report);
      }
      const now = this.d.clock.now();
      if (report.status === entry.status) {
        // Applied already. The refund document may still be behind (a crash after the order's write): level it.
        return { kind: 'duplicate', refund: await this.levelRefund(report, order, { entry, failure, now }) };
      }
      const movedAfterClose = isMoneyMovedAfterClose(entry.status, report.status);
      const nextStatus = movedAfterClose
        ? report.status
        : nextRefundStatus(entry.status, REPORT_EVENT[report.status]);
      if (nextStatus === undefined) {
        this.d.log.warn('refund.stale_report', {
          outRefundNo: report.outRefundNo,
          from: entry.status,
          reported: report.status,
        });
        return { kind: 'stale', refund: null };
      }
      const owesOffline =
        nextStatus === 'SUCCESS' &&
        (entry.retriedTo === 'MERCHANT_BANK_CARD' ||
          MERCHANT_CARD_ACCOUNT.test(report.receivedAccount ?? ''));
      const next: RefundLedgerEntry = { ...entry, status: nextStatus, owedOffline: owesOffline };
      const all = withEntry(ledger, next);
      const refundId = report.refundId === '' ? null : report.refundId;
      if (movedAfterClose) {
        const fits = reservedRefundFen(all) <= order.payment.paidFen;
        await this.raise(
          {
            id: `refund-after-close:${report.outRefundNo}`,
            kind: 'refund-after-close',
            outTradeNo: order.outTradeNo,
            transactionId: report.transactionId ?? order.payment.transactionId,
            outRefundNo: report.outRefundNo,
            refundId,
            amountFen: entry.amountFen,
            wechatState: report.status,
            notificationId: null,
            note: fits
              ? `WeChat reports ${report.status} for a refund closed here: applied to the order (check it was not paid again by hand)`
              : `WeChat reports ${report.status} for a refund closed here, but the order was refunded again since: WeChat paid out more than the order holds — recover it from the shopper or settle by hand`,
          },
          'error',
        );
        if (!fits) return { kind: 'needs-person', refund: null };
      }
      if (owesOffline && !entry.owedOffline) {
        await this.raise(
          {
            id: `refund-owed-offline:${report.outRefundNo}`,
            kind: 'refund-owed-offline',
            outTradeNo: order.outTradeNo,
            transactionId: report.transactionId ?? order.payment.transactionId,
            outRefundNo: report.outRefundNo,
            refundId,
            amountFen: entry.amountFen,
            wechatState: report.status,
            notificationId: null,
            note: '退款已退到商户银行卡：请线下付给顾客，再确认付款 (refund.confirmOfflinePayout) · paid to the merchant card: pay the shopper by hand, then confirm',
          },
          'warn',
        );
      }
      const event = orderEventForRefunds(order.payment.paidFen, all);
      const status = event === null ? order.status : (nextOrderState(order.status, event) ?? order.status);
      // The one write that is the money: the ledger entry, the amounts and the order's state, compare-and-set.
      const written = await this.d.orders.update(order, { status, ...ledgerFields(all), updatedAtMs: now });
      if (written === null) continue; // the order changed first (a concurrent delivery?): decide again from it
      this.d.log.info('refund.settled', {
        outRefundNo: report.outRefundNo,
        status: nextStatus,
        orderStatus: status,
        ...(owesOffline ? { owedOffline: true } : {}),
      });
      const settlement: Settlement = { entry: next, failure, now };
      // The refund document follows: one conditional write, unread; its reads only when WeChat's acceptance is not
      // recorded on it yet (the answer was lost) or a later write got there first.
      const level = await this.d.refunds.levelWithOrder(
        report.outRefundNo,
        written.version,
        this.patchFromReport(report, settlement, movedAfterClose),
        { accepted: failure === null },
      );
      return { kind: 'applied', refund: level ? null : await this.levelRefund(report, written, settlement) };
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while its outcome was applied');
  }

  /**
   * Reads the refund document and brings it level with the order's ledger entry (as read at `order.version`) when it
   * is behind: compare-and-set on its version, a document changed since by a later order version left as it is. A
   * document already level is marked with what the report adds (accepted, refund id, account), as a duplicate is.
   */
  private async levelRefund(report: Refund, order: OrderRecord, s: Settlement): Promise<RefundDoc | null> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const doc = await this.d.refunds.get(report.outRefundNo);
      if (!doc) return null;
      if (doc.status === s.entry.status) {
        const marked = await this.markAccepted(report, doc);
        return 'refund' in marked ? marked.refund : doc;
      }
      // Written from a later version of the order than the one read here: never undone.
      if ((doc.orderVersion ?? 0) >= order.version) return doc;
      const patch = this.patchFromDoc(doc, report, s);
      const levelled = await this.d.refunds.update(doc, { ...patch, orderVersion: order.version });
      if (levelled) {
        this.d.log.warn('refund.document_levelled', {
          outRefundNo: doc.outRefundNo,
          from: doc.status,
          status: s.entry.status,
        });
        return levelled;
      }
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while it was brought level');
  }

  /** What a report writes on a refund document it has not read (the fields that need the document are left out). */
  private patchFromReport(report: Refund, s: Settlement, movedAfterClose: boolean): Partial<RefundDoc> {
    const status = s.entry.status;
    const clearsFailure = status === 'SUCCESS' || movedAfterClose;
    return {
      status,
      ...(report.refundId === '' ? {} : { refundId: report.refundId }),
      // Closed because WeChat has no such refund: it was never accepted (submitted stays as it is).
      ...(s.failure === null ? { submitted: true } : {}),
      ...(report.receivedAccount === undefined ? {} : { receivedAccount: report.receivedAccount }),
      ...(status === 'SUCCESS' ? { successTimeMs: report.successTimeMs ?? s.now } : {}),
      ...(clearsFailure ? { failure: null } : s.failure === null ? {} : { failure: s.failure }),
      ...(s.entry.owedOffline ? { offlinePayout: owedSince(s.now) } : {}),
      updatedAtMs: s.now,
    };
  }

  /** What a report writes on a refund document that is behind the order's ledger, read. */
  private patchFromDoc(doc: RefundDoc, report: Refund, s: Settlement): Partial<RefundDoc> {
    const status = s.entry.status;
    const movedAfterClose = isMoneyMovedAfterClose(doc.status, status);
    return {
      status,
      refundId: report.refundId || doc.refundId,
      submitted: s.failure === null ? true : doc.submitted,
      receivedAccount: report.receivedAccount ?? doc.receivedAccount ?? null,
      successTimeMs: status === 'SUCCESS' ? (report.successTimeMs ?? s.now) : doc.successTimeMs,
      failure: status === 'SUCCESS' || movedAfterClose ? null : (s.failure ?? doc.failure),
      // WeChat's create_time when reported; a refund we closed because WeChat has no such refund was never accepted.
      acceptedAtMs: doc.acceptedAtMs ?? report.createTimeMs ?? (s.failure === null ? doc.createdAtMs : null),
      offlinePayout: doc.offlinePayout ?? (s.entry.owedOffline ? owedSince(s.now) : null),
      updatedAtMs: s.now,
    };
  }

  /**
   * A report that changes no money — PROCESSING (WeChat accepted the refund), or the status the refund has already —
   * marks the refund document: submitted, WeChat's refund id, when it was accepted, where the money goes.
   */
  private async markAccepted(report: Refund, known?: RefundDoc): Promise<ApplyRefundOutcome> {
    let doc = known ?? (await this.d.refunds.get(report.outRefundNo));
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (!doc) return { kind: 'unknown-refund' };
      if (report.outTradeNo !== doc.outTradeNo) return { kind: 'mismatch', reason: 'out_trade_no differs' };
      if (report.refundFen !== doc.amountFen) return { kind: 'mismatch', reason: 'refund amount differs' };
      const refundId = report.refundId || doc.refundId;
      const receivedAccount = report.receivedAccount ?? doc.receivedAccount ?? null;
      const acceptedAtMs = doc.acceptedAtMs ?? report.createTimeMs ?? doc.createdAtMs;
      if (
        doc.submitted &&
        doc.refundId === refundId &&
        doc.acceptedAtMs === acceptedAtMs &&
        (doc.receivedAccount ?? null) === receivedAccount
      )
        return { kind: 'duplicate', refund: doc };
      const marked = await this.d.refunds.update(doc, {
        submitted: true,
        refundId,
        acceptedAtMs,
        receivedAccount,
        updatedAtMs: this.d.clock.now(),
      });
      if (marked) return { kind: report.status === doc.status ? 'duplicate' : 'applied', refund: marked };
      doc = await this.d.refunds.get(report.outRefundNo);
    }
    throw new DomainError(AppErrorCodes.ORDER_BUSY, 'the refund kept changing while its outcome was applied');
  }

  /**
   * Staff confirm they paid the shopper by hand what WeChat refunded to the merchant's card: the refund and the order
   * stop owing it, and its attention record is resolved. Idempotent (a second confirmation answers the first).
   */
  async confirmOfflinePayout(outRefundNo: string, by: string, note: string | null): Promise<RefundDoc> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const doc = await this.d.refunds.get(outRefundNo);
      if (!doc) throw new DomainError(AppErrorCodes.REFUND_NOT_FOUND, 'no such refund');
      const owed = doc.offlinePayout ?? null;
      if (doc.status !== 'SUCCESS' || owed === null) {
        throw new DomainError(
          AppErrorCodes.REFUND_NOT_ALLOWED,
          'nothing is owed offline for this refund (only a refund WeChat paid to the merchant card is)',
          { status: doc.status },
        );
      }
      const now = this.d.clock.now();
      if (owed.paidAtMs !== null) {
        await this.d.attention.resolve(`refund-owed-offline:${outRefundNo}`, owed.paidBy ?? by, now);
        return doc;
      }
      const order = await this.d.orders.get(doc.outTradeNo);
      if (!order || order.payment === null)
        throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'no such paid order');
      const offlinePayout = { ...owed, paidAtMs: now, paidBy: by, note };
      const ledger = await ledgerOf(this.d.refunds, order);
      const entry = ledger.find((e) => e.outRefundNo === outRefundNo) ?? ledgerEntryOf(doc);
      const all = withEntry(ledger, { ...entry, owedOffline: false });
      const ok = await this.d.orders.updateWithRefund(
        order,
        { ...ledgerFields(all), updatedAtMs: now },
        doc,
        { offlinePayout, updatedAtMs: now },
      );
      if (ok) {
        await this.d.attention.resolve(`refund-owed-offline:${outRefundNo}`, by, now);
        this.d.log.info('refund.offline_payout_confirmed', { outRefundNo, by });
        return {
          ...doc,
          offlinePayout,
          updatedAtMs: now,
          orderVersion: order.version + 1,
          version: doc.version + 1,
        };
      }
    }
    throw new DomainError(
      AppErrorCodes.ORDER_BUSY,
      'the refund kept changing while the payout was confirmed',
    );
  }

  /** Records money that needs a person (once per id; a repeat counts one more sighting). */
  private async raise(item: AttentionItem, level: 'warn' | 'error'): Promise<void> {
    const seen = await this.d.attention.record(attentionRecord(item, this.d.clock.now()));
    if (seen === 'new') {
      this.d.log[level]('attention.recorded', { id: item.id, kind: item.kind, amountFen: item.amountFen });
      await this.d.metrics.increment('attention.recorded');
    }
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
