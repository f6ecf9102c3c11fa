import { reconcile } from '../domain/reconcile';
import type { BillRow, ReconcileReport } from '../domain/reconcile';
import { stockReservationPlan } from '../domain/stock';
import { hasReceivedPayment, transition } from '../domain/order-state';
import type { CoreDeps } from './core.deps';
import type { TradeBill } from './ports/payment-provider.port';
import { isProviderError } from './ports/payment-provider.errors';
import type { OrderRecord } from './order.model';
import { PaymentService } from './payment.service';
import { RefundService } from './refund.service';

/** How many orders or refunds one timer run handles per step (a run must finish well inside the function timeout). */
export const JOB_BATCH = 50;
/** Orders with a prepay older than this and no payment are queried (their notification may be lost). */
export const SYNC_AFTER_MS = 2 * 60_000;
/** Unsettled refunds older than this are queried or resubmitted. */
export const REFUND_FOLLOW_UP_AFTER_MS = 60_000;
/** Beijing time is UTC+8 all year; WeChat's bill days are Beijing days. */
const BEIJING_OFFSET_MS = 8 * 3600_000;
/** Yesterday's bill exists after about 10:00 Beijing time. */
const BILL_READY_HOUR = 10;

/** What one closeExpired run did. */
export interface CloseExpiredResult {
  closed: number;
  paidInstead: number;
  providerClosed: number;
  deferred: number;
  errors: number;
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

  constructor(private readonly d: CoreDeps) {
    this.payments = new PaymentService(d);
    this.refunds = new RefundService(d);
  }

  /**
   * Closes unpaid orders past their expiry: asks the provider first (a paid order is applied, not closed), closes at the
   * provider (after WeChat's 5-minute guard), then closes here and gives the stock back — exactly once. Also finishes
   * provider-side closes left pending by early cancels.
   */
  async closeExpired(): Promise<CloseExpiredResult> {
    const r: CloseExpiredResult = { closed: 0, paidInstead: 0, providerClosed: 0, deferred: 0, errors: 0 };
    for (const order of await this.d.orders.listExpired(this.d.clock.now(), JOB_BATCH)) {
      try {
        await this.closeOne(order, r);
      } catch (e) {
        r.errors++;
        this.d.log.error('close.failed', { outTradeNo: order.outTradeNo, error: e });
      }
    }
    for (const order of await this.d.orders.listProviderClosePending(JOB_BATCH)) {
      try {
        const state = await this.payments.closeAtProvider(order);
        if (state === 'pending') continue;
        if (state === 'paid') {
          r.paidInstead++;
          continue;
        }
        const saved = await this.d.orders.update(order, {
          providerClose: state,
          updatedAtMs: this.d.clock.now(),
        });
        if (saved) r.providerClosed++;
      } catch (e) {
        r.errors++;
        this.d.log.error('close.provider_failed', { outTradeNo: order.outTradeNo, error: e });
      }
    }
    if (r.closed + r.paidInstead + r.providerClosed + r.errors > 0) this.d.log.info('close.run', { ...r });
    return r;
  }

  private async closeOne(order: OrderRecord, r: CloseExpiredResult): Promise<void> {
    if (order.prepay !== null) {
      const synced = await this.payments.syncOrder(order);
      if (hasReceivedPayment(synced.status)) {
        r.paidInstead++;
        return;
      }
      order = synced;
    }
    const providerClose = await this.payments.closeAtProvider(order);
    if (providerClose === 'paid') {
      r.paidInstead++;
      return;
    }
    if (providerClose === 'pending') r.deferred++;
    const now = this.d.clock.now();
    const closed = await this.d.orders.updateAndReleaseStock(
      order,
      { status: transition(order.status, 'EXPIRED'), closedAtMs: now, providerClose, updatedAtMs: now },
      stockReservationPlan(order.lines),
    );
    if (closed) {
      r.closed++;
      await this.d.metrics.increment('orders.closed.timeout');
    }
  }

  /**
   * Recovers what notifications may have lost: queries unpaid orders that have a prepay, follows up unsettled refunds
   * (resubmit or query), starts missing automatic refunds, and once a day checks yesterday's trade bill.
   */
  async reconcile(): Promise<ReconcileResult> {
    const now = this.d.clock.now();
    const r: ReconcileResult = {
      synced: 0,
      paymentsRecovered: 0,
      refundsFollowedUp: 0,
      autoRefundsStarted: 0,
      billReportId: null,
      billDiscrepancies: null,
      errors: 0,
    };
    for (const order of await this.d.orders.listAwaitingWithPrepay(now - SYNC_AFTER_MS, JOB_BATCH)) {
      try {
        const synced = await this.payments.syncOrder(order);
        r.synced++;
        if (hasReceivedPayment(synced.status)) r.paymentsRecovered++;
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.sync_failed', { outTradeNo: order.outTradeNo, error: e });
      }
    }
    for (const refund of await this.d.refunds.listUnsettled(now - REFUND_FOLLOW_UP_AFTER_MS, JOB_BATCH)) {
      try {
        if (!refund.submitted) {
          await this.refunds.submit(refund);
        } else {
          const q = await this.d.provider.queryRefund(refund.outRefundNo);
          if (q.kind === 'found') await this.refunds.applyRefund(q.refund);
        }
        r.refundsFollowedUp++;
      } catch (e) {
        r.errors++;
        this.d.log.error('reconcile.refund_failed', { outRefundNo: refund.outRefundNo, error: e });
      }
    }
    for (const order of await this.d.orders.listByStatus('PAID_AFTER_CLOSE', JOB_BATCH)) {
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
      const bill = await this.reconcileBill(now);
      if (bill) {
        r.billReportId = bill.id;
        r.billDiscrepancies = bill.report.discrepancies.length;
      }
    } catch (e) {
      r.errors++;
      this.d.log.error('reconcile.bill_failed', { error: e });
    }
    this.d.log.info('reconcile.run', { ...r });
    return r;
  }

  /**
   * Downloads yesterday's trade bill (hash-checked by the provider adapter), compares it with our orders and refunds
   * and stores the discrepancy report as "trade-YYYY-MM-DD". Runs once per day, after the bill is published.
   */
  async reconcileBill(nowMs: number, force = false): Promise<{ id: string; report: ReconcileReport } | null> {
    const day = previousBeijingDay(nowMs);
    const id = `trade-${day.date}`;
    if (!force && (!day.readyNow || (await this.d.reports.get(id)) !== null)) return null;
    let bill: { rows: TradeBill['rows']; sha1: string };
    try {
      bill = await this.d.provider.downloadTradeBill(day.date, 'ALL');
    } catch (e) {
      // No trades that day means no bill; our own payments of that day (if any) are then missing there.
      if (!isProviderError(e, 'NO_STATEMENT_EXIST')) throw e;
      bill = { rows: [], sha1: '' };
    }
    const [orders, refunds] = await Promise.all([
      this.d.orders.listPaidBetween(day.startMs, day.endMs),
      this.d.refunds.listSucceededBetween(day.startMs, day.endMs),
    ]);
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
      ...report,
    });
    await this.d.metrics.increment('reconcile.discrepancies', report.discrepancies.length);
    if (report.discrepancies.length > 0) {
      this.d.log.error('reconcile.discrepancies', { billDate: day.date, count: report.discrepancies.length });
    }
    return { id, report };
  }
}
