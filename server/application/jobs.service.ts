// The two timers, composed from one job file each under jobs/ (docs/ARCHITECTURE.md "Jobs"): closeExpired runs the
// close queue and the hold sweep; reconcile runs the sync queue, the shipping uploads and the completion queue
// (docs/adr/0009), the refund follow-up, the automatic refunds and the daily bill. Each queue goes through the one runner (jobs/queue-runner.ts), which asks the run limit before every
// item; a new job is one more file there and one more line here.
import type { CoreDeps } from './core.deps';
import type { RunLimit } from './job-queue';
import type { CheckoutService } from './checkout.service';
import type { PaymentService } from './payment.service';
import type { RefundService } from './refund.service';
import { BillJob } from './jobs/bill.job';
import type { BillCheck } from './jobs/bill.job';
import { closeJob } from './jobs/close.job';
import { messageJob } from './jobs/message.job';
import type { JobLoop } from './jobs/loops';
import { paidAfterCloseJob } from './jobs/paid-after-close.job';
import { JobRunner } from './jobs/queue-runner';
import { refundFollowUpJob } from './jobs/refund-follow-up.job';
import { syncJob } from './jobs/sync.job';
import { completeJob } from './jobs/complete.job';
import { shippingUploadJob } from './jobs/shipping-upload.job';
import type { TradeManagement } from './ports/trade-management.port';
import { testerRefundJob } from './jobs/tester-refund.job';

export { JOB_BATCH, WECHAT_CALLS_PER_ITEM } from './jobs/loops';
export type { JobLoop } from './jobs/loops';
export { CLOSE_WITHOUT_ANSWER_AFTER_MS } from './jobs/close.job';
export { previousBeijingDay } from './jobs/bill.job';
export type { BillCheck } from './jobs/bill.job';
export { REFUND_FOLLOW_UP_AFTER_MS, SYNC_AFTER_MS } from './job-queue';
export type { RunLimit } from './job-queue';

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
  /** Subscription messages sent (docs/adr/0010). */
  messagesSent: number;
  /** Owed messages with no accept left (ours, or WeChat's 43101): routine, nothing retried. */
  messagesSkipped: number;
  /** Messages WeChat refused for good (or that could not be formatted): a person is told. */
  messagesFailed: number;
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
  /** Shipments WeChat's 发货信息管理 accepted (docs/adr/0009). */
  shippingUploaded: number;
  /** Shipping uploads not made: 发货信息管理 is not switched on for the app. */
  shippingNotManaged: number;
  /** Orders completed by themselves (fulfilment.completeAtMs passed). */
  completed: number;
}

/** The services the jobs act through, built once by the composition root. */
export interface JobServices {
  payments: PaymentService;
  refunds: RefundService;
  checkout: Pick<CheckoutService, 'sweepHolds'>;
  /** WeChat's 发货信息管理 (the shipping upload queue). */
  trade: TradeManagement;
}

/** The timers: close expired orders, and reconcile (lost notifications, unsettled refunds, the daily bill). */
export class JobsService {
  private readonly runner: JobRunner;
  private readonly close;
  private readonly message;
  private readonly sync;
  private readonly refundFollowUp;
  private readonly testerRefund;
  private readonly paidAfterClose;
  private readonly bill: BillJob;
  private readonly shippingUpload;
  private readonly complete;

  constructor(
    private readonly d: CoreDeps,
    private readonly services: JobServices,
  ) {
    const { payments, refunds } = services;
    this.runner = new JobRunner(d);
    this.close = closeJob(d, payments, this.runner);
    this.message = messageJob(d, this.runner);
    this.sync = syncJob(d, payments, this.runner);
    this.refundFollowUp = refundFollowUpJob(d, refunds, this.runner);
    this.testerRefund = testerRefundJob(d, payments);
    this.paidAfterClose = paidAfterCloseJob(d, refunds);
    this.bill = new BillJob(d, refunds);
    this.shippingUpload = shippingUploadJob(d, services.trade, this.runner);
    this.complete = completeJob(d, this.runner);
  }

  /**
   * The close queue (jobs/close.job.ts), then the stock holds of checkouts that died before writing their order, then
   * the owed subscription messages (jobs/message.job.ts).
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
      messagesSent: 0,
      messagesSkipped: 0,
      messagesFailed: 0,
    };
    r.unreached += await this.runner.run(this.close, r, limit);
    // Without time left the holds wait for the next run (they are swept as a whole, by the database only).
    await this.runner.once('hold-sweep', limit, r, 'close.hold_sweep_failed', async () => {
      r.holdsReleased = (await this.services.checkout.sweepHolds()).released;
    });
    // Owed subscription messages go out each minute too (never on the payment path: docs/adr/0010).
    r.unreached += await this.runner.run(this.message, r, limit);
    if (Object.values(r).some((n) => n > 0)) this.d.log.info('close.run', { ...r });
    return r;
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
      shippingUploaded: 0,
      shippingNotManaged: 0,
      completed: 0,
    };
    r.unreached += await this.runner.run(this.sync, r, limit);
    r.unreached += await this.runner.run(this.shippingUpload, r, limit);
    r.unreached += await this.runner.run(this.complete, r, limit);
    r.unreached += await this.runner.run(this.refundFollowUp, r, limit);
    r.unreached += await this.runner.run(this.testerRefund, r, limit);
    r.unreached += await this.runner.run(this.paidAfterClose, r, limit);
    // Without time left the bill waits for the next run (nothing is stored until it has been checked).
    await this.runner.once('bill', limit, r, 'reconcile.bill_failed', async () => {
      const bill = await this.bill.check(now, false, limit);
      if (bill && 'deferred' in bill) {
        r.unreached += bill.deferred;
      } else if (bill) {
        r.billReportId = bill.id;
        // null: the provider has no bills (the stored report says so).
        r.billDiscrepancies = bill.report === null ? null : bill.report.discrepancies.length;
      }
    });
    this.d.log.info('reconcile.run', { ...r });
    return r;
  }

  /** The daily bill check on its own (jobs/bill.job.ts); `force` checks a day whose report exists or is not due. */
  reconcileBill(
    nowMs: number,
    force = false,
    limit: RunLimit<JobLoop> = NO_LIMIT,
  ): Promise<BillCheck | null> {
    return this.bill.check(nowMs, force, limit);
  }
}
