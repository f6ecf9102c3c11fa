// The daily bill: once a day, after WeChat publishes yesterday's trade bill, it is downloaded, the refunds it shows
// further than we know them are asked about (a loop of its own under the run limit), and the comparison with our
// orders and refunds is stored as "trade-YYYY-MM-DD". Settle rule: the stored report (its id is the day's).
import { BEIJING_OFFSET_MS, beijingWallClock } from '../../domain/beijing-time';
import { reconcile } from '../../domain/reconcile';
import type { BillRow, ReconcileReport } from '../../domain/reconcile';
import { isRefundFinal, isRefundStatusReachable } from '../../domain/order-state';
import type { CoreDeps } from '../core.deps';
import type { RunLimit } from '../job-queue';
import type { RefundDoc } from '../order.model';
import type { TradeBill } from '../ports/payment-provider.port';
import { ProviderErrorCodes, isProviderError } from '../ports/payment-provider.errors';
import type { RefundService } from '../refund.service';
import type { JobLoop } from './loops';

/** Yesterday's bill exists after about 10:00 Beijing time. */
const BILL_READY_HOUR = 10;

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

/** The daily bill check. */
export class BillJob {
  constructor(
    private readonly d: CoreDeps,
    private readonly refunds: Pick<RefundService, 'applyRefund'>,
  ) {}

  /**
   * Downloads yesterday's trade bill (hash-checked by the provider adapter), compares it with our orders and refunds
   * and stores the discrepancy report as "trade-YYYY-MM-DD". Runs once per day, after the bill is published. Refunds
   * are compared by the day WeChat accepted them, in any status: the bill's refund status is that day's snapshot, so a
   * refund behind it here is asked about (query, applied) before the comparison, never settled from the bill. A
   * provider without bills (cloudPay) gets a report that says so, once per day, instead of an error every run. When the
   * run's time is up before every such refund was asked about, nothing is stored (`deferred`: how many were left) and
   * the next run downloads the bill again; the refunds already asked about are then in step and need no query.
   */
  async check(nowMs: number, force: boolean, limit: RunLimit<JobLoop>): Promise<BillCheck | null> {
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
