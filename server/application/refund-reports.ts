// A refund report — WeChat's word about a refund, from a notification, a query or a send's answer — applied to the
// order's refund ledger (docs/adr/0008): decided from the order alone, one compare-and-set of the order, the refund
// document following. Money that needs a person (paid after a close here, paid to the merchant's card) is recorded.
import { DomainError } from '../domain/errors';
import type { Fen } from '../domain/money';
import type { RefundEvent, RefundStatus } from '../domain/order-state';
import { isMoneyMovedAfterClose, nextOrderState, nextRefundStatus } from '../domain/order-state';
import { orderEventForRefunds, reservedRefundFen } from '../domain/refund-policy';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import type { OfflinePayout, OrderRecord, RefundDoc, RefundLedgerEntry } from './order.model';
import { owe } from './subscribe-messages';
import { REFUND_CAS_ATTEMPTS, ledgerEntryOf, ledgerFields, ledgerOf, withEntry } from './refund-ledger';
import type { AttentionItem } from './ports/attention.port';
import { raiseAttention } from './attention';
import type { Refund } from './ports/payment-provider.port';

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

/** Options of {@link RefundReports.applyRefund}. */
export interface ApplyRefundOptions {
  /** Why it was closed without WeChat's CLOSED (WeChat said it has no such refund after refusing it). */
  failure?: string | null;
  /**
   * Where the report comes from. A notification can be older than the refund's last retry: an ABNORMAL one for a
   * refund retried since is confirmed by query before it is applied.
   */
  source?: 'notification' | 'query' | 'answer';
}

/** Where a report leaves the refund (the ledger entry as written) and what the report carried for its document. */
interface Settlement {
  entry: RefundLedgerEntry;
  failure: string | null;
  now: number;
}

/** Applies refund reports; RefundService is its one user (refund.service.ts). */
export class RefundReports {
  constructor(private readonly d: CoreDeps) {}

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
    for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
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
      if (movedAfterClose) {
        const fits = reservedRefundFen(all) <= order.payment.paidFen;
        await this.raise(
          'refund-after-close',
          fits
            ? `WeChat reports ${report.status} for a refund closed here: applied to the order (check it was not paid again by hand)`
            : `WeChat reports ${report.status} for a refund closed here, but the order was refunded again since: WeChat paid out more than the order holds — recover it from the shopper or settle by hand`,
          { order, report, amountFen: entry.amountFen },
          'error',
        );
        if (!fits) return { kind: 'needs-person', refund: null };
      }
      if (owesOffline && !entry.owedOffline) {
        await this.raise(
          'refund-owed-offline',
          '退款已退到商户银行卡：请线下付给顾客，再确认付款 (refund.confirmOfflinePayout) · paid to the merchant card: pay the shopper by hand, then confirm',
          { order, report, amountFen: entry.amountFen },
          'warn',
        );
      }
      const event = orderEventForRefunds(order.payment.paidFen, all);
      const status = event === null ? order.status : (nextOrderState(order.status, event) ?? order.status);
      // The one write that is the money: the ledger entry, the amounts and the order's state, compare-and-set. A refund
      // that reached the shopper also owes the "refund" message in it (docs/adr/0010; the message job sends it).
      const owesRefund = nextStatus === 'SUCCESS' && this.d.messages?.settings.templates.refund !== undefined;
      const written = await this.d.orders.update(order, {
        status,
        ...ledgerFields(all),
        updatedAtMs: now,
        ...(owesRefund ? owe(order, 'refund', now, { amountFen: entry.amountFen }) : {}),
      });
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
    for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
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
    for (let attempt = 0; attempt < REFUND_CAS_ATTEMPTS; attempt++) {
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

  /** Records money that needs a person (once per id; a repeat counts one more sighting). */
  /** Records a refund's money that needs a person (once per kind and refund; a repeat counts one more sighting). */
  private async raise(
    kind: 'refund-after-close' | 'refund-owed-offline',
    note: string,
    about: { order: OrderRecord; report: Refund; amountFen: Fen },
    level: 'warn' | 'error',
  ): Promise<void> {
    const { order, report } = about;
    const item: AttentionItem = {
      id: `${kind}:${report.outRefundNo}`,
      kind,
      outTradeNo: order.outTradeNo,
      transactionId: report.transactionId ?? order.payment?.transactionId ?? null,
      outRefundNo: report.outRefundNo,
      refundId: report.refundId === '' ? null : report.refundId,
      amountFen: about.amountFen,
      wechatState: report.status,
      notificationId: null,
      note,
    };
    await raiseAttention(this.d, item, level);
  }
}
