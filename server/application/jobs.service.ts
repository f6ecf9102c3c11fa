import { billRefundStatus, reconcile } from '../domain/reconcile';
import type { BillRow, ReconcileReport } from '../domain/reconcile';
import { stockReservationPlan } from '../domain/stock';
import {
  hasReceivedPayment,
  isPayable,
  isRefundFinal,
  isRefundStatusReachable,
  transition,
} from '../domain/order-state';
import type { CoreDeps } from './core.deps';
import type { TradeBill } from './ports/payment-provider.port';
import { ProviderErrorCodes, isProviderError } from './ports/payment-provider.errors';
import type { BackoffPolicy, JobState } from './job-queue';
import { SYNC_AFTER_MS, backoffMs, dueAgainAt, failedAttempt, needsAttention, settled } from './job-queue';
import type { OrderRecord, ProviderCloseState, RefundDoc } from './order.model';
import { CheckoutService } from './checkout.service';
import { PaymentService, closeAllowedAtMs } from './payment.service';
import { RefundService } from './refund.service';

/** How many orders or refunds one timer run handles per queue (a run must finish well inside the function timeout). */
export const JOB_BATCH = 50;
export { REFUND_FOLLOW_UP_AFTER_MS, SYNC_AFTER_MS } from './job-queue';
/** The sync queue asks again after 2, 4, 8 … minutes (never after expiry: the close job queries then). */
const SYNC_BACKOFF: BackoffPolicy = { baseMs: SYNC_AFTER_MS, maxMs: 3_600_000, maxAttempts: 12 };
/**
 * An unsettled refund is asked about after 1, 2, 4 … minutes, at most 6 h apart; a person is asked after ~3 days of
 * no outcome (refunds to bank cards may take days).
 */
const REFUND_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 6 * 3_600_000, maxAttempts: 20 };
/** Beijing time is UTC+8 all year; WeChat's bill days are Beijing days. */
const BEIJING_OFFSET_MS = 8 * 3600_000;
/** Yesterday's bill exists after about 10:00 Beijing time. */
const BILL_READY_HOUR = 10;

/**
 * When a run must stop taking due items (the function's platform timeout is near). Items not taken keep their due time
 * and, being the earliest due, go first in the next run.
 */
export interface RunLimit {
  shouldStop(): boolean;
}

const NO_LIMIT: RunLimit = { shouldStop: () => false };

/** What one closeExpired run did (each due order is counted once). */
export interface CloseExpiredResult {
  /** Orders closed here for timeout (stock returned). */
  closed: number;
  /** Orders WeChat had a payment for: applied instead of closed. */
  paidInstead: number;
  /** WeChat-side closes finished for orders closed here earlier. */
  providerClosed: number;
  /** WeChat-side closes still inside WeChat's 5-minute guard: due again when it has passed. */
  deferred: number;
  /** Orders taken out of the queue with nothing to do (paid, or nothing left to close at WeChat). */
  settled: number;
  /** Attempts that failed (due again after a backoff). */
  errors: number;
  /** Orders given up on after too many failures: they need a person (closeJob.gaveUpAtMs). */
  gaveUp: number;
  /** Stock holds of checkouts that died before writing their order, given back (docs/adr/0007). */
  holdsReleased: number;
  /** Due orders left for the next run because this one reached its time limit. */
  unreached: number;
}

/** What one reconcile run did. */
export interface ReconcileResult {
  synced: number;
  paymentsRecovered: number;
  refundsFollowedUp: number;
  autoRefundsStarted: number;
  billReportId: string | null;
  billDiscrepancies: number | null;
  errors: number;
  /** Orders or refunds given up on after too many failures: they need a person. */
  gaveUp: number;
  /** Due orders or refunds left for the next run because this one reached its time limit. */
  unreached: number;
}

/** The Beijing calendar day before `nowMs` as "YYYY-MM-DD", with its [start, end) in epoch ms. */
export function previousBeijingDay(nowMs: number): {
  date: string;
  startMs: number;
  endMs: number;
  readyNow: boolean;
} {
  const local = new Date(nowMs + BEIJING_OFFSET_MS);
  const todayStartLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const startLocal = todayStartLocal - 86_400_000;
  return {
    date: new Date(startLocal).toISOString().slice(0, 10),
    startMs: startLocal - BEIJING_OFFSET_MS,
    endMs: todayStartLocal - BEIJING_OFFSET_MS,
    readyNow: local.getUTCHours() >= BILL_READY_HOUR,
  };
}

/** The timers: close expired orders, and reconcile (lost notifications, unsettled refunds, the daily bill). */
export class JobsService {
  private readonly payments: PaymentService;
  private readonly refunds: RefundService;
  private readonly checkout: CheckoutService;

  constructor(private readonly d: CoreDeps) {
    this.payments = new PaymentService(d);
    this.refunds = new RefundService(d);
    this.checkout = new CheckoutService(d, this.payments);
  }

  /**
   * The close queue (orders with closeJob due, earliest first). An unpaid order past expiry is asked about first (a
   * paid one is applied, not closed), closed at WeChat (once its 5-minute guard has passed), then closed here with its
   * stock returned exactly once; a WeChat close left pending (guard, or a failure) is finished later. Settle rule: the
   * order is paid (the close is moot), or closed here and at WeChat (or WeChat has no such order). A failure backs off;
   * after too many the order waits for a person.
   */
  async closeExpired(limit: RunLimit = NO_LIMIT): Promise<CloseExpiredResult> {
    const r: CloseExpiredResult = {
      closed: 0,
      paidInstead: 0,
      providerClosed: 0,
      deferred: 0,
      settled: 0,
      errors: 0,
      gaveUp: 0,
      holdsReleased: 0,
      unreached: 0,
    };
    const due = await this.d.orders.listCloseDue(this.d.clock.now(), JOB_BATCH);
    for (const [i, order] of due.entries()) {
      if (limit.shouldStop()) {
        r.unreached = due.length - i;
        break;
      }
      try {
        await this.closeStep(order, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('close.failed', { outTradeNo: order.outTradeNo, error: e });
        await this.closeFailed(order.outTradeNo, e, r);
      }
    }
    try {
      r.holdsReleased = (await this.checkout.sweepHolds()).released;
    } catch (e) {
      r.errors++;
      this.d.log.error('close.hold_sweep_failed', { error: e });
    }
    if (Object.values(r).some((n) => n > 0)) this.d.log.info('close.run', { ...r });
    return r;
  }

  private async closeStep(order: OrderRecord, r: CloseExpiredResult): Promise<void> {
    const now = this.d.clock.now();
    if (hasReceivedPayment(order.status)) {
      // Paid (maybe after an early cancel: that money is refunded by the payment path): nothing to close any more.
      await this.saveCloseJob(order, settled(order.closeJob), {
        ...(order.providerClose === 'pending' ? { providerClose: 'not-needed' as const } : {}),
      });
      r.settled++;
      return;
    }
    if (isPayable(order.status)) {
      if (now < order.expiresAtMs) {
        await this.saveCloseJob(order, dueAgainAt(order.closeJob, order.expiresAtMs));
        return;
      }
      await this.expire(order, r);
      return;
    }
    if (order.providerClose !== 'pending') {
      await this.saveCloseJob(order, settled(order.closeJob));
      r.settled++;
      return;
    }
    const state = await this.payments.closeAtProvider(order);
    if (state === 'pending') {
      await this.saveCloseJob(order, dueAgainAt(order.closeJob, this.closeAllowedAt(order)));
      r.deferred++;
      return;
    }
    if (state === 'paid') {
      r.paidInstead++;
      const fresh = await this.d.orders.get(order.outTradeNo);
      if (fresh) await this.saveCloseJob(fresh, settled(fresh.closeJob), { providerClose: 'not-needed' });
      return;
    }
    if (await this.saveCloseJob(order, settled(order.closeJob), { providerClose: state })) r.providerClosed++;
  }

  /** An unpaid order past expiry: ask, close at WeChat, close here and return the stock. */
  private async expire(order: OrderRecord, r: CloseExpiredResult): Promise<void> {
    if (order.prepay !== null) {
      const synced = await this.payments.syncOrder(order);
      if (hasReceivedPayment(synced.status)) {
        r.paidInstead++;
        await this.saveCloseJob(synced, settled(synced.closeJob));
        return;
      }
      order = synced;
    }
    const now = this.d.clock.now();
    let providerClose: ProviderCloseState;
    let closeJob: JobState;
    try {
      const state = await this.payments.closeAtProvider(order);
      if (state === 'paid') {
        r.paidInstead++;
        const fresh = await this.d.orders.get(order.outTradeNo);
        if (fresh) await this.saveCloseJob(fresh, settled(fresh.closeJob));
        return;
      }
      providerClose = state;
      closeJob =
        state === 'pending'
          ? dueAgainAt(order.closeJob, this.closeAllowedAt(order))
          : settled(order.closeJob);
      if (state === 'pending') r.deferred++;
    } catch (e) {
      // WeChat has just said the order is unpaid, and stops taking payment at time_expire (our expiry): the order
      // closes here now (its stock returns) and the WeChat close is retried with backoff. A payment that still
      // lands becomes PAID_AFTER_CLOSE and is refunded.
      r.errors++;
      this.d.log.error('close.provider_failed', { outTradeNo: order.outTradeNo, error: e });
      providerClose = 'pending';
      closeJob = failedAttempt(order.closeJob, now, e);
      if (needsAttention(closeJob)) await this.gaveUp('close', order.outTradeNo, closeJob, r);
    }
    const closed = await this.d.orders.updateAndReleaseStock(
      order,
      {
        status: transition(order.status, 'EXPIRED'),
        closedAtMs: now,
        providerClose,
        closeJob,
        updatedAtMs: now,
      },
      stockReservationPlan(order.lines),
    );
    if (closed) r.closed++;
  }

  private closeAllowedAt(order: OrderRecord): number {
    return closeAllowedAtMs(order, this.d.policy.closeGuardMs);
  }

  /** Compare-and-set of the close job's state (plus `patch`); a lost race leaves the order due for the next run. */
  private async saveCloseJob(
    order: OrderRecord,
    closeJob: JobState,
    patch: Partial<OrderRecord> = {},
  ): Promise<boolean> {
    return (await this.d.orders.update(order, { ...patch, closeJob })) !== null;
  }

  private async closeFailed(outTradeNo: string, error: unknown, r: CloseExpiredResult): Promise<void> {
    try {
      const order = await this.d.orders.get(outTradeNo);
      if (!order) return;
      const closeJob = failedAttempt(order.closeJob, this.d.clock.now(), error);
      if (await this.saveCloseJob(order, closeJob)) {
        if (needsAttention(closeJob)) await this.gaveUp('close', outTradeNo, closeJob, r);
      }
    } catch (e) {
      this.d.log.error('close.backoff_failed', { outTradeNo, error: e });
    }
  }

  private async gaveUp(queue: string, id: string, job: JobState, r: { gaveUp: number }): Promise<void> {
    r.gaveUp++;
    this.d.log.error('job.gave_up', { queue, id, attempts: job.attempts, lastError: job.lastError });
    await this.d.metrics.increment(`jobs.gave_up.${queue}`);
  }

  /**
   * Recovers what notifications may have lost: queries unpaid orders that have a prepay, follows up unsettled refunds
   * (resubmit or query), starts missing automatic refunds, and once a day checks yesterday's trade bill.
   */
  async reconcile(limit: RunLimit = NO_LIMIT): Promise<ReconcileResult> {
    const now = this.d.clock.now();
    const r: ReconcileResult = {
      synced: 0,
      paymentsRecovered: 0,
      refundsFollowedUp: 0,
      autoRefundsStarted: 0,
      billReportId: null,
      billDiscrepancies: null,
      errors: 0,
      gaveUp: 0,
      unreached: 0,
    };
    const dueOrders = await this.d.orders.listSyncDue(now, JOB_BATCH);
    for (const [i, order] of dueOrders.entries()) {
      if (limit.shouldStop()) {
        r.unreached += dueOrders.length - i;
        break;
      }
      try {
        await this.syncStep(order, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.sync_failed', { outTradeNo: order.outTradeNo, error: e });
        await this.syncFailed(order.outTradeNo, e, r);
      }
    }
    const dueRefunds = limit.shouldStop() ? [] : await this.d.refunds.listFollowUpDue(now, JOB_BATCH);
    for (const [i, refund] of dueRefunds.entries()) {
      if (limit.shouldStop()) {
        r.unreached += dueRefunds.length - i;
        break;
      }
      try {
        await this.followUpRefund(refund, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.refund_failed', { outRefundNo: refund.outRefundNo, error: e });
        await this.followUpFailed(refund.outRefundNo, e, r);
      }
    }
    // A tester order under auto-refund whose refund was never recorded (the payment path failed after the payment).
    if (this.d.policy.testerAutoRefund) {
      for (const order of await this.d.orders.listPaidTestOrders(JOB_BATCH)) {
        try {
          await this.payments.settleTesterOrder(order);
          r.autoRefundsStarted++;
        } catch (e) {
          r.errors++;
          this.d.log.error('reconcile.tester_refund_failed', { outTradeNo: order.outTradeNo, error: e });
        }
      }
    }
    const closedButPaid = limit.shouldStop()
      ? []
      : await this.d.orders.listByStatus('PAID_AFTER_CLOSE', JOB_BATCH);
    for (const [i, order] of closedButPaid.entries()) {
      if (limit.shouldStop()) {
        r.unreached += closedButPaid.length - i;
        break;
      }
      if (order.payment === null) continue;
      try {
        await this.refunds.refundInFull(order, 'auto-refund');
        r.autoRefundsStarted++;
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.auto_refund_failed', { outTradeNo: order.outTradeNo, error: e });
      }
    }
    try {
      // Without time left the bill waits for the next run (nothing is stored until it has been checked).
      const bill = limit.shouldStop() ? null : await this.reconcileBill(now);
      if (bill) {
        r.billReportId = bill.id;
        // null: the provider has no bills (the stored report says so).
        r.billDiscrepancies = bill.report === null ? null : bill.report.discrepancies.length;
      }
    } catch (e) {
      r.errors++;
      this.d.log.error('reconcile.bill_failed', { error: e });
    }
    this.d.log.info('reconcile.run', { ...r });
    return r;
  }

  /**
   * The sync queue (AWAITING_PAYMENT orders with syncJob due): asks WeChat about an order whose notification may be
   * lost, a while after its prepay, then after a growing pause. Settle rule: the order leaves AWAITING_PAYMENT (paid
   * or closed), or reaches its expiry (the close job asks before it closes).
   */
  private async syncStep(order: OrderRecord, r: ReconcileResult): Promise<void> {
    const now = this.d.clock.now();
    if (now >= order.expiresAtMs) {
      await this.d.orders.update(order, { syncJob: settled(order.syncJob) });
      return;
    }
    if (order.prepay === null) {
      // Nothing to ask WeChat about yet: look again later (no call).
      await this.d.orders.update(order, {
        syncJob: this.syncDue(order.syncJob, Math.min(now + SYNC_AFTER_MS, order.expiresAtMs)),
      });
      return;
    }
    const dueFromPrepay = order.prepay.createdAtMs + SYNC_AFTER_MS;
    if (now < dueFromPrepay) {
      await this.d.orders.update(order, { syncJob: this.syncDue(order.syncJob, dueFromPrepay) });
      return;
    }
    const synced = await this.payments.syncOrder(order);
    r.synced++;
    if (hasReceivedPayment(synced.status)) {
      r.paymentsRecovered++;
      return;
    }
    if (synced.status !== 'AWAITING_PAYMENT') return;
    const attempts = synced.syncJob.attempts + 1;
    const next = now + backoffMs(attempts, SYNC_BACKOFF);
    await this.d.orders.update(synced, {
      syncJob:
        next >= synced.expiresAtMs
          ? settled(synced.syncJob)
          : { state: 'queued', nextAttemptAtMs: next, attempts, lastError: null, gaveUpAtMs: null },
    });
  }

  private syncDue(job: JobState, atMs: number): JobState {
    return { ...dueAgainAt(job, atMs), attempts: job.attempts };
  }

  private async syncFailed(outTradeNo: string, error: unknown, r: ReconcileResult): Promise<void> {
    try {
      const order = await this.d.orders.get(outTradeNo);
      if (!order) return;
      const syncJob = failedAttempt(order.syncJob, this.d.clock.now(), error, SYNC_BACKOFF);
      if ((await this.d.orders.update(order, { syncJob })) && needsAttention(syncJob)) {
        await this.gaveUp('sync', outTradeNo, syncJob, r);
      }
    } catch (e) {
      this.d.log.error('reconcile.backoff_failed', { outTradeNo, error: e });
    }
  }

  /**
   * The refund follow-up queue (refunds with followUp due, earliest first): an unsubmitted refund is submitted again
   * (same out_refund_no), a submitted one is queried and WeChat's outcome applied. Settle rule: the refund is final
   * (SUCCESS or CLOSED). No outcome yet backs off; after REFUND_BACKOFF.maxAttempts a person is asked.
   */
  private async followUpRefund(refund: RefundDoc, r: ReconcileResult): Promise<void> {
    if (!isRefundFinal(refund.status)) {
      if (refund.status === 'PROCESSING' && !refund.submitted) {
        await this.refunds.submit(refund);
      } else {
        const q = await this.d.provider.queryRefund(refund.outRefundNo);
        if (q.kind === 'found') await this.refunds.applyRefund(q.refund);
      }
      r.refundsFollowedUp++;
    }
    const fresh = (await this.d.refunds.get(refund.outRefundNo)) ?? refund;
    if (isRefundFinal(fresh.status)) {
      await this.d.refunds.update(fresh, { followUp: settled(fresh.followUp) });
      return;
    }
    const why = fresh.submitted ? `still ${fresh.status} at WeChat` : 'not accepted by WeChat yet';
    const followUp = failedAttempt(fresh.followUp, this.d.clock.now(), why, REFUND_BACKOFF);
    if ((await this.d.refunds.update(fresh, { followUp })) && needsAttention(followUp)) {
      await this.gaveUp('refund', fresh.outRefundNo, followUp, r);
    }
  }

  private async followUpFailed(outRefundNo: string, error: unknown, r: ReconcileResult): Promise<void> {
    try {
      const refund = await this.d.refunds.get(outRefundNo);
      if (!refund) return;
      const followUp = failedAttempt(refund.followUp, this.d.clock.now(), error, REFUND_BACKOFF);
      if ((await this.d.refunds.update(refund, { followUp })) && needsAttention(followUp)) {
        await this.gaveUp('refund', outRefundNo, followUp, r);
      }
    } catch (e) {
      this.d.log.error('reconcile.backoff_failed', { outRefundNo, error: e });
    }
  }

  /**
   * Downloads yesterday's trade bill (hash-checked by the provider adapter), compares it with our orders and refunds
   * and stores the discrepancy report as "trade-YYYY-MM-DD". Runs once per day, after the bill is published. Refunds
   * are compared by the day WeChat accepted them, in any status: the bill's refund status is that day's snapshot, so a
   * refund behind it here is asked about (query, applied) before the comparison, never settled from the bill. A
   * provider without bills (cloudPay) gets a report that says so, once per day, instead of an error every run.
   */
  async reconcileBill(
    nowMs: number,
    force = false,
  ): Promise<{ id: string; report: ReconcileReport | null } | null> {
    const day = previousBeijingDay(nowMs);
    const id = `trade-${day.date}`;
    if (!force && (!day.readyNow || (await this.d.reports.get(id)) !== null)) return null;
    let bill: { rows: TradeBill['rows']; sha1: string };
    try {
      bill = await this.d.provider.downloadTradeBill(day.date, 'ALL');
    } catch (e) {
      if (isProviderError(e, ProviderErrorCodes.UNSUPPORTED)) {
        const note = `${this.d.provider.id} offers no trade bill: compare with the merchant platform's bill by hand`;
        await this.d.reports.save(id, { billDate: day.date, createdAtMs: nowMs, billAvailable: false, note });
        this.d.log.info('reconcile.no_bill', { billDate: day.date, provider: this.d.provider.id });
        return { id, report: null };
      }
      // No trades that day means no bill; our own payments of that day (if any) are then missing there.
      if (!isProviderError(e, 'NO_STATEMENT_EXIST')) throw e;
      bill = { rows: [], sha1: '' };
    }
    const [orders, accepted] = await Promise.all([
      this.d.orders.listPaidBetween(day.startMs, day.endMs),
      this.d.refunds.listAcceptedBetween(day.startMs, day.endMs),
    ]);
    const refunds = await this.settleBillRefunds(bill.rows, accepted);
    const billRows: BillRow[] = bill.rows.map((row) => ({
      outTradeNo: row.outTradeNo,
      transactionId: row.transactionId,
      tradeState: row.tradeState,
      amountFen: row.orderTotalFen ?? row.settlementTotalFen,
      ...(row.outRefundNo ? { outRefundNo: row.outRefundNo } : {}),
      ...(row.refundFen !== undefined ? { refundFen: row.refundFen } : {}),
      ...(row.refundStatus ? { refundStatus: row.refundStatus } : {}),
    }));
    const report = reconcile({
      orders: orders.map((o) => ({
        outTradeNo: o.outTradeNo,
        payableFen: o.payableFen,
        state: o.status,
        ...(o.payment ? { transactionId: o.payment.transactionId } : {}),
      })),
      refunds: refunds.map((x) => ({
        outRefundNo: x.outRefundNo,
        outTradeNo: x.outTradeNo,
        amountFen: x.amountFen,
        status: x.status,
      })),
      billRows,
    });
    await this.d.reports.save(id, {
      billDate: day.date,
      createdAtMs: nowMs,
      billSha1: bill.sha1,
      billRows: bill.rows.length,
      localRefunds: refunds.length,
      ...report,
    });
    await this.d.metrics.increment('reconcile.discrepancies', report.discrepancies.length);
    if (report.discrepancies.length > 0) {
      this.d.log.error('reconcile.discrepancies', { billDate: day.date, count: report.discrepancies.length });
    }
    return { id, report };
  }

  /**
   * The local side of the bill's refunds: those accepted that day, plus any the bill lists that we know under another
   * day (our acceptance time is WeChat's create_time when it told us, else our request time). A refund whose local
   * status the bill's snapshot cannot lead to (e.g. SUCCESS there, PROCESSING here: a lost notification) is asked
   * about and WeChat's answer applied; a failed query leaves it for the comparison (and the follow-up queue).
   */
  private async settleBillRefunds(rows: TradeBill['rows'], accepted: RefundDoc[]): Promise<RefundDoc[]> {
    const byNo = new Map(accepted.map((r) => [r.outRefundNo, r]));
    for (const row of rows) {
      const no = row.outRefundNo;
      if (row.tradeState !== 'REFUND' || !no) continue;
      let local = byNo.get(no) ?? (await this.d.refunds.get(no));
      if (local === null) continue;
      const snapshot = row.refundStatus === undefined ? undefined : billRefundStatus(row.refundStatus);
      if (
        snapshot !== undefined &&
        !isRefundFinal(local.status) &&
        !isRefundStatusReachable(snapshot, local.status)
      ) {
        try {
          const q = await this.d.provider.queryRefund(no);
          if (q.kind === 'found') await this.refunds.applyRefund(q.refund);
          local = (await this.d.refunds.get(no)) ?? local;
        } catch (e) {
          this.d.log.warn('reconcile.bill_refund_query_failed', { outRefundNo: no, error: e });
        }
      }
      byNo.set(no, local);
    }
    return [...byNo.values()];
  }
}
