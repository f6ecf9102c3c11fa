import { BEIJING_OFFSET_MS, beijingWallClock } from '../domain/beijing-time';
import { reconcile } from '../domain/reconcile';
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
import { attentionRecord } from './ports/attention.port';
import type { AttentionItem } from './ports/attention.port';
import type { BackoffPolicy, JobState, RunLimit } from './job-queue';
import {
  DEFAULT_BACKOFF,
  SYNC_AFTER_MS,
  backoffMs,
  dueAgainAt,
  eachDueItem,
  failedAttempt,
  gaveUpJustNow,
  needsAttention,
  settled,
} from './job-queue';
import type { OrderRecord, ProviderCloseState, RefundDoc } from './order.model';
import { CheckoutService } from './checkout.service';
import { PaymentService, closeAllowedAtMs } from './payment.service';
import { RefundService } from './refund.service';

/** How many orders or refunds one timer run handles per queue (a run must finish well inside the function timeout). */
export const JOB_BATCH = 50;
export { REFUND_FOLLOW_UP_AFTER_MS, SYNC_AFTER_MS } from './job-queue';
export type { RunLimit } from './job-queue';

/**
 * The close queue asks 1, 2, 4 … minutes apart, at most an hour; after 12 failures (~7 h) a person is told
 * ('close-unconfirmed') and it keeps asking every hour: until WeChat confirms the close (or the payment), the money
 * is not final.
 */
const CLOSE_BACKOFF: BackoffPolicy = { ...DEFAULT_BACKOFF, afterGiveUp: 'keep-asking' };
/**
 * The sync queue asks again after 2, 4, 8 … minutes (never after expiry: the close job queries then); a person is told
 * after 12 failures and it keeps asking hourly until the order expires.
 */
const SYNC_BACKOFF: BackoffPolicy = {
  baseMs: SYNC_AFTER_MS,
  maxMs: 3_600_000,
  maxAttempts: 12,
  afterGiveUp: 'keep-asking',
};
/**
 * An unsettled refund is asked about after 1, 2, 4 … minutes, at most 6 h apart; after ~3 days of no outcome (refunds
 * to bank cards may take days) a person is told ('refund-unsettled') and it is still asked every 6 h until it is final.
 */
const REFUND_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  maxMs: 6 * 3_600_000,
  maxAttempts: 20,
  afterGiveUp: 'keep-asking',
};

/**
 * An expired order whose WeChat query keeps failing is closed here (status CLOSED_BY_TIMEOUT, stock back once,
 * providerClose 'pending': WeChat is still asked) once a failed query comes this long after its expiry — not on the
 * first error. WeChat takes no payment after time_expire (we send expiresAtMs, cut to the second), but a payment made
 * just before it may not have reached us: its notification is retried 15 s, 15 s, 30 s, 3 min and 10 min later
 * (~14 min in all), and the query that would find it is what fails. Closing at once would turn such a payment into
 * PAID_AFTER_CLOSE (refunded, the sale lost); never closing would hold the stock for as long as WeChat cannot be
 * asked. 15 minutes outlasts those retries; the close job's backoff (1, 2, 4, 8 min) gets there on the 5th failed
 * query. A payment that still lands becomes PAID_AFTER_CLOSE and is refunded (the queued close finds it).
 */
export const CLOSE_WITHOUT_ANSWER_AFTER_MS = 15 * 60_000;

/** The loops of the timer runs; each asks the run limit before it starts an item. */
export type JobLoop =
  | 'close'
  | 'hold-sweep'
  | 'sync'
  | 'refund-follow-up'
  | 'tester-refund'
  | 'paid-after-close'
  | 'bill'
  | 'bill-refund-row';

/**
 * The most WeChat calls one item of each loop can make (traced through the code). A run starts an item only while
 * that many requests, each up to the provider's request timeout, still fit before the function's timeout
 * (composition.ts: jobRunBudgetMs per loop).
 *
 * | loop             | calls | the longest path                                                                      |
 * | ---------------- | ----- | ------------------------------------------------------------------------------------- |
 * | close            | 4     | expire: query (NOTPAY) → close, refused (paid meanwhile) → query → refund of that     |
 * |                  |       | payment (PAID_AFTER_CLOSE auto-refund, or a tester order under auto-refund); a closed |
 * |                  |       | order's pending close: close → query → refund (3)                                     |
 * | hold-sweep       | 0     | database only                                                                         |
 * | sync             | 2     | query → refund of the payment found (tester auto-refund; PAID_AFTER_CLOSE if closed   |
 * |                  |       | meanwhile)                                                                            |
 * | refund-follow-up | 1     | submit (create the refund again) or query                                             |
 * | tester-refund    | 1     | create the tester order's refund                                                      |
 * | paid-after-close | 1     | create the automatic refund                                                           |
 * | bill             | 1     | download yesterday's bill                                                             |
 * | bill-refund-row  | 1     | query a refund the bill shows further than we know it                                 |
 */
export const WECHAT_CALLS_PER_ITEM: Readonly<Record<JobLoop, number>> = {
  close: 4,
  'hold-sweep': 0,
  sync: 2,
  'refund-follow-up': 1,
  'tester-refund': 1,
  'paid-after-close': 1,
  bill: 1,
  'bill-refund-row': 1,
};

/** Yesterday's bill exists after about 10:00 Beijing time. */
const BILL_READY_HOUR = 10;

const NO_LIMIT: RunLimit<JobLoop> = { shouldStop: () => false };

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
  /** Orders the job gave up on in this run: a person is told (closeJob.gaveUpAtMs); WeChat is still asked. */
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
  /** Orders or refunds the jobs gave up on in this run: a person is told; money not final is still asked about. */
  gaveUp: number;
  /** Due items (orders, refunds, bill rows) left for the next run because this one reached its time limit. */
  unreached: number;
}

/** The outcome of checking a day's bill: the stored report, or deferred (rows left unasked for lack of time). */
export type BillCheck = { id: string; report: ReconcileReport | null } | { id: string; deferred: number };

/** The Beijing calendar day before `nowMs` as "YYYY-MM-DD", with its [start, end) in epoch ms. */
export function previousBeijingDay(nowMs: number): {
  date: string;
  startMs: number;
  endMs: number;
  readyNow: boolean;
} {
  const local = beijingWallClock(nowMs);
  const todayStartLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const startLocal = todayStartLocal - 86_400_000;
  return {
    date: new Date(startLocal).toISOString().slice(0, 10),
    startMs: startLocal - BEIJING_OFFSET_MS,
    endMs: todayStartLocal - BEIJING_OFFSET_MS,
    readyNow: local.getUTCHours() >= BILL_READY_HOUR,
  };
}

/** Who resolves an attention record when the job sees its cause settled. */
const SYSTEM_RESOLVER = {
  close: 'system:close-job',
  refund: 'system:refund-follow-up',
} as const;

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
   * stock returned exactly once; a WeChat close left pending (guard, or a failure) is finished later. An order WeChat
   * cannot be asked about is closed here after CLOSE_WITHOUT_ANSWER_AFTER_MS past expiry, WeChat still asked. Settle
   * rule: the order is paid (the close is moot), or closed here and at WeChat (or WeChat has no such order). A failure
   * backs off; after too many a person is told ('close-unconfirmed') and WeChat is still asked, hourly.
   */
  async closeExpired(limit: RunLimit<JobLoop> = NO_LIMIT): Promise<CloseExpiredResult> {
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
    r.unreached = await eachDueItem(due, 'close', limit, async (order) => {
      try {
        await this.closeStep(order, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('close.failed', { outTradeNo: order.outTradeNo, error: e });
        await this.closeFailed(order.outTradeNo, e, r);
      }
    });
    // Without time left the holds wait for the next run (they are swept as a whole, by the database only).
    if (!limit.shouldStop('hold-sweep')) {
      try {
        r.holdsReleased = (await this.checkout.sweepHolds()).released;
      } catch (e) {
        r.errors++;
        this.d.log.error('close.hold_sweep_failed', { error: e });
      }
    }
    if (Object.values(r).some((n) => n > 0)) this.d.log.info('close.run', { ...r });
    return r;
  }

  private async closeStep(order: OrderRecord, r: CloseExpiredResult): Promise<void> {
    const now = this.d.clock.now();
    if (hasReceivedPayment(order.status)) {
      // Paid (maybe after an early cancel: that money is refunded by the payment path): nothing to close any more.
      await this.saveCloseJob(order, settled(order.closeJob), r, {
        ...(order.providerClose === 'pending' ? { providerClose: 'not-needed' as const } : {}),
      });
      r.settled++;
      return;
    }
    if (isPayable(order.status)) {
      if (now < order.expiresAtMs) {
        await this.saveCloseJob(order, dueAgainAt(order.closeJob, order.expiresAtMs), r);
        return;
      }
      await this.expire(order, r);
      return;
    }
    if (order.providerClose !== 'pending') {
      await this.saveCloseJob(order, settled(order.closeJob), r);
      r.settled++;
      return;
    }
    // Closed here, not yet at WeChat (also: closed here without an answer from WeChat). Closing first is the query:
    // WeChat refuses to close a paid order, and then closeAtProvider asks and applies the payment (PAID_AFTER_CLOSE,
    // refunded).
    const state = await this.payments.closeAtProvider(order);
    if (state === 'pending') {
      await this.saveCloseJob(order, dueAgainAt(order.closeJob, this.closeAllowedAt(order)), r);
      r.deferred++;
      return;
    }
    if (state === 'paid') {
      r.paidInstead++;
      const fresh = await this.d.orders.get(order.outTradeNo);
      if (fresh) await this.saveCloseJob(fresh, settled(fresh.closeJob), r, { providerClose: 'not-needed' });
      return;
    }
    if (await this.saveCloseJob(order, settled(order.closeJob), r, { providerClose: state }))
      r.providerClosed++;
  }

  /** An unpaid order past expiry: ask, close at WeChat, close here and return the stock. */
  private async expire(order: OrderRecord, r: CloseExpiredResult): Promise<void> {
    const now = this.d.clock.now();
    if (order.prepay !== null) {
      let synced: OrderRecord;
      try {
        synced = await this.payments.syncOrder(order);
      } catch (e) {
        // WeChat could not be asked. Within the grace the close backs off (a payment made just before expiry may
        // still be notified); past it the order closes here and WeChat is still asked (CLOSE_WITHOUT_ANSWER_AFTER_MS).
        if (!isProviderError(e) || now < order.expiresAtMs + CLOSE_WITHOUT_ANSWER_AFTER_MS) throw e;
        r.errors++;
        this.d.log.error('close.query_failed', { outTradeNo: order.outTradeNo, closedHere: true, error: e });
        await this.closeHere(order, 'pending', failedAttempt(order.closeJob, now, e, CLOSE_BACKOFF), r);
        return;
      }
      if (hasReceivedPayment(synced.status)) {
        r.paidInstead++;
        await this.saveCloseJob(synced, settled(synced.closeJob), r);
        return;
      }
      order = synced;
    }
    let providerClose: ProviderCloseState;
    let closeJob: JobState;
    try {
      const state = await this.payments.closeAtProvider(order);
      if (state === 'paid') {
        r.paidInstead++;
        const fresh = await this.d.orders.get(order.outTradeNo);
        if (fresh) await this.saveCloseJob(fresh, settled(fresh.closeJob), r);
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
      closeJob = failedAttempt(order.closeJob, now, e, CLOSE_BACKOFF);
    }
    await this.closeHere(order, providerClose, closeJob, r);
  }

  /** Closes the order here for timeout and returns its stock, exactly once (one compare-and-set with the release). */
  private async closeHere(
    order: OrderRecord,
    providerClose: ProviderCloseState,
    closeJob: JobState,
    r: CloseExpiredResult,
  ): Promise<void> {
    const now = this.d.clock.now();
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
    if (!closed) return;
    r.closed++;
    await this.afterCloseJob(closed, order.closeJob, closeJob, r);
  }

  private closeAllowedAt(order: OrderRecord): number {
    return closeAllowedAtMs(order, this.d.policy.closeGuardMs);
  }

  /** Compare-and-set of the close job's state (plus `patch`); a lost race leaves the order due for the next run. */
  private async saveCloseJob(
    order: OrderRecord,
    closeJob: JobState,
    r: { gaveUp: number },
    patch: Partial<OrderRecord> = {},
  ): Promise<boolean> {
    const saved = await this.d.orders.update(order, { ...patch, closeJob });
    if (saved === null) return false;
    await this.afterCloseJob(saved, order.closeJob, closeJob, r);
    return true;
  }

  /**
   * After a close job's new state is saved: at the give-up a person is told once (log, metric) and the
   * 'close-unconfirmed' record is kept up to date while WeChat is still asked; settling resolves it.
   */
  private async afterCloseJob(
    order: OrderRecord,
    prev: JobState,
    next: JobState,
    r: { gaveUp: number },
  ): Promise<void> {
    if (gaveUpJustNow(prev, next)) await this.gaveUp('close', order.outTradeNo, next, r);
    const id = `close-unconfirmed:${order.outTradeNo}`;
    // Counted per failed attempt after the give-up (progress such as WeChat's guard is not one).
    if (next.state === 'queued' && needsAttention(next) && next.attempts > prev.attempts) {
      await this.attention({
        id,
        kind: 'close-unconfirmed',
        outTradeNo: order.outTradeNo,
        transactionId: null,
        outRefundNo: null,
        refundId: null,
        amountFen: order.payableFen,
        wechatState: 'UNCONFIRMED',
        notificationId: null,
        note:
          `WeChat has not confirmed this unpaid order closed (last error: ${next.lastError ?? 'unknown'}); it is ` +
          `${order.status} here and the job still asks every hour. A payment WeChat reports for a closed order is ` +
          'refunded automatically. Check the order at the merchant platform.',
      });
    } else if (next.state === 'settled' && needsAttention(prev)) {
      await this.resolveAttention(id, SYSTEM_RESOLVER.close);
    }
  }

  private async closeFailed(outTradeNo: string, error: unknown, r: CloseExpiredResult): Promise<void> {
    try {
      const order = await this.d.orders.get(outTradeNo);
      if (!order) return;
      await this.saveCloseJob(
        order,
        failedAttempt(order.closeJob, this.d.clock.now(), error, CLOSE_BACKOFF),
        r,
      );
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
   * Records (or counts one more run that still found) what a person must look at. Never fails the job: the record is
   * written again on the next failed attempt.
   */
  private async attention(item: AttentionItem): Promise<void> {
    try {
      await this.d.attention.record(attentionRecord(item, this.d.clock.now()));
    } catch (e) {
      this.d.log.error('attention.record_failed', { id: item.id, error: e });
    }
  }

  private async resolveAttention(id: string, by: string): Promise<void> {
    try {
      if (await this.d.attention.resolve(id, by, this.d.clock.now()))
        this.d.log.info('attention.resolved', { id, by });
    } catch (e) {
      this.d.log.error('attention.resolve_failed', { id, error: e });
    }
  }

  /**
   * Recovers what notifications may have lost: queries unpaid orders that have a prepay, follows up unsettled refunds
   * (resubmit or query), starts missing automatic refunds, and once a day checks yesterday's trade bill. Every loop
   * asks the run limit before each item.
   */
  async reconcile(limit: RunLimit<JobLoop> = NO_LIMIT): Promise<ReconcileResult> {
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
    r.unreached += await eachDueItem(dueOrders, 'sync', limit, async (order) => {
      try {
        await this.syncStep(order, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.sync_failed', { outTradeNo: order.outTradeNo, error: e });
        await this.syncFailed(order.outTradeNo, e, r);
      }
    });
    const dueRefunds = await this.d.refunds.listFollowUpDue(now, JOB_BATCH);
    r.unreached += await eachDueItem(dueRefunds, 'refund-follow-up', limit, async (refund) => {
      try {
        await this.followUpRefund(refund, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.refund_failed', { outRefundNo: refund.outRefundNo, error: e });
        await this.followUpFailed(refund.outRefundNo, e, r);
      }
    });
    // A tester order under auto-refund whose refund was never recorded (the payment path failed after the payment).
    if (this.d.policy.testerAutoRefund) {
      const testerOrders = await this.d.orders.listPaidTestOrders(JOB_BATCH);
      r.unreached += await eachDueItem(testerOrders, 'tester-refund', limit, async (order) => {
        try {
          await this.payments.settleTesterOrder(order);
          r.autoRefundsStarted++;
        } catch (e) {
          r.errors++;
          this.d.log.error('reconcile.tester_refund_failed', { outTradeNo: order.outTradeNo, error: e });
        }
      });
    }
    const closedButPaid = await this.d.orders.listByStatus('PAID_AFTER_CLOSE', JOB_BATCH);
    r.unreached += await eachDueItem(closedButPaid, 'paid-after-close', limit, async (order) => {
      if (order.payment === null) return;
      try {
        await this.refunds.refundInFull(order, 'auto-refund');
        r.autoRefundsStarted++;
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.auto_refund_failed', { outTradeNo: order.outTradeNo, error: e });
      }
    });
    try {
      // Without time left the bill waits for the next run (nothing is stored until it has been checked).
      const bill = limit.shouldStop('bill') ? null : await this.reconcileBill(now, false, limit);
      if (bill && 'deferred' in bill) {
        r.unreached += bill.deferred;
      } else if (bill) {
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
          : { ...dueAgainAt(synced.syncJob, next), attempts, lastError: null },
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
      // No record of its own: the close job asks at expiry and tells a person if WeChat still cannot be asked.
      if ((await this.d.orders.update(order, { syncJob })) && gaveUpJustNow(order.syncJob, syncJob)) {
        await this.gaveUp('sync', outTradeNo, syncJob, r);
      }
    } catch (e) {
      this.d.log.error('reconcile.backoff_failed', { outTradeNo, error: e });
    }
  }

  /**
   * The refund follow-up queue (refunds with followUp due, earliest first): an unsubmitted refund is submitted again
   * (same out_refund_no), a submitted one is queried and WeChat's outcome applied. Settle rule: the refund is final
   * (SUCCESS or CLOSED). No outcome yet backs off; after REFUND_BACKOFF.maxAttempts a person is told
   * ('refund-unsettled') and it is still asked every 6 h; the record is resolved when the refund is final.
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
      await this.saveFollowUp(fresh, settled(fresh.followUp), r);
      return;
    }
    const why = fresh.submitted ? `still ${fresh.status} at WeChat` : 'not accepted by WeChat yet';
    await this.saveFollowUp(fresh, failedAttempt(fresh.followUp, this.d.clock.now(), why, REFUND_BACKOFF), r);
  }

  private async followUpFailed(outRefundNo: string, error: unknown, r: ReconcileResult): Promise<void> {
    try {
      const refund = await this.d.refunds.get(outRefundNo);
      if (!refund) return;
      await this.saveFollowUp(
        refund,
        failedAttempt(refund.followUp, this.d.clock.now(), error, REFUND_BACKOFF),
        r,
      );
    } catch (e) {
      this.d.log.error('reconcile.backoff_failed', { outRefundNo, error: e });
    }
  }

  /**
   * Compare-and-set of a refund's follow-up state. At the give-up a person is told once (log, metric); while it is
   * still asked the 'refund-unsettled' record is kept up to date; when the follow-up settles it, the record is
   * resolved by the system.
   */
  private async saveFollowUp(refund: RefundDoc, followUp: JobState, r: { gaveUp: number }): Promise<void> {
    if ((await this.d.refunds.update(refund, { followUp })) === null) return;
    if (gaveUpJustNow(refund.followUp, followUp)) {
      await this.gaveUp('refund', refund.outRefundNo, followUp, r);
    }
    const id = `refund-unsettled:${refund.outRefundNo}`;
    if (followUp.state === 'queued' && needsAttention(followUp)) {
      await this.attention({
        id,
        kind: 'refund-unsettled',
        outTradeNo: refund.outTradeNo,
        transactionId: null,
        outRefundNo: refund.outRefundNo,
        refundId: refund.refundId,
        amountFen: refund.amountFen,
        wechatState: refund.status,
        notificationId: null,
        note:
          `WeChat has reported no final outcome for this refund after ${followUp.attempts} follow-ups ` +
          `(${followUp.lastError ?? refund.status}); the job still asks every 6 hours. Check it at the merchant ` +
          'platform; the order stays refunding until WeChat reports SUCCESS or CLOSED.',
      });
    } else if (followUp.state === 'settled' && needsAttention(refund.followUp)) {
      await this.resolveAttention(id, SYSTEM_RESOLVER.refund);
    }
  }

  /**
   * Downloads yesterday's trade bill (hash-checked by the provider adapter), compares it with our orders and refunds
   * and stores the discrepancy report as "trade-YYYY-MM-DD". Runs once per day, after the bill is published. Refunds
   * are compared by the day WeChat accepted them, in any status: the bill's refund status is that day's snapshot, so a
   * refund behind it here is asked about (query, applied) before the comparison, never settled from the bill. A
   * provider without bills (cloudPay) gets a report that says so, once per day, instead of an error every run. When the
   * run's time is up before every such refund was asked about, nothing is stored (`deferred`: how many were left) and
   * the next run downloads the bill again; the refunds already asked about are then in step and need no query.
   */
  async reconcileBill(
    nowMs: number,
    force = false,
    limit: RunLimit<JobLoop> = NO_LIMIT,
  ): Promise<BillCheck | null> {
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
    const { refunds, unasked } = await this.settleBillRefunds(bill.rows, accepted, limit);
    if (unasked > 0) {
      this.d.log.info('reconcile.bill_deferred', { billDate: day.date, unasked });
      return { id, deferred: unasked };
    }
    const billRows: BillRow[] = bill.rows.map((row) => ({
      outTradeNo: row.outTradeNo,
      transactionId: row.transactionId,
      tradeState: row.tradeState,
      chargedFen: row.orderTotalFen ?? row.settlementTotalFen,
      ...(row.outRefundNo ? { outRefundNo: row.outRefundNo } : {}),
      ...(row.refundFen !== undefined ? { refundFen: row.refundFen } : {}),
      ...(row.refundStatus ? { refundStatus: row.refundStatus } : {}),
      ...(row.refundSnapshot ? { refundSnapshot: row.refundSnapshot } : {}),
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
   * about and WeChat's answer applied; a failed query leaves it for the comparison (and the follow-up queue). Each
   * query asks the run limit first; `unasked` counts those left when it said stop (the comparison must then wait).
   */
  private async settleBillRefunds(
    rows: TradeBill['rows'],
    accepted: RefundDoc[],
    limit: RunLimit<JobLoop>,
  ): Promise<{ refunds: RefundDoc[]; unasked: number }> {
    const byNo = new Map(accepted.map((r) => [r.outRefundNo, r]));
    let unasked = 0;
    for (const row of rows) {
      const no = row.outRefundNo;
      if (row.tradeState !== 'REFUND' || !no) continue;
      let local = byNo.get(no) ?? (await this.d.refunds.get(no));
      if (local === null) continue;
      const snapshot = row.refundSnapshot;
      if (
        snapshot !== undefined &&
        !isRefundFinal(local.status) &&
        !isRefundStatusReachable(snapshot, local.status)
      ) {
        if (unasked > 0 || limit.shouldStop('bill-refund-row')) {
          unasked++;
          continue;
        }
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
    return { refunds: [...byNo.values()], unasked };
  }
}
