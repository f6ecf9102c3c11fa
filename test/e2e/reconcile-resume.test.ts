// The daily bill check resumes across runs (#19): a day whose bill shows many refunds further than we know them (their
// notifications lost) needs more WeChat queries than one run may make. Each run asks what its limit allows and stores
// nothing; the next run — here after the whole stack stopped and started again, so nothing of the earlier runs
// survives in memory — carries on where the database says it stopped. Asserted: every bill row ends up in the one
// stored report exactly once (matched), no refund is asked about twice, and each run made progress.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobLoop, JobsService, RunLimit } from '../../server/application/jobs.service';
import { adminCount, adminGet, placeOrder, startTestStack, waitFor, type TestStack } from '../support/stack';
import { inProcessJobs } from '../support/jobs';

const ADMIN = 'o-dev-admin';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BEIJING = 8 * HOUR;
const PAYMENTS = 60;
const REFUNDS = 24;
const PER_RUN = 7;

/** Epoch ms of `hour` o'clock Beijing time, `days` after the Beijing day of `nowMs`. */
function beijingAt(nowMs: number, days: number, hour: number): number {
  const local = new Date(nowMs + BEIJING);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hour) - BEIJING;
}

/** Lets `perRun` bill refund rows be asked about (and the bill be checked); no other loop runs. */
function billRowsOnly(perRun: number): RunLimit<JobLoop> & { asked: () => number } {
  let asked = 0;
  return {
    asked: () => asked,
    shouldStop: (loop) => {
      if (loop === 'bill') return false;
      if (loop !== 'bill-refund-row' || asked >= perRun) return true;
      asked += 1;
      return false;
    },
  };
}

describe('the daily bill check across runs', () => {
  let dataDir: string;
  let stack: TestStack;
  let jobs: JobsService;

  async function start(): Promise<void> {
    stack = await startTestStack({ dataDir });
    // A fresh wiring, as a new function instance would have: nothing of an earlier run is in memory.
    jobs = inProcessJobs(stack);
  }

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wxshop-e2e-resume-'));
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks each lagging refund once over several runs, survives a restart, and reports every row once', async () => {
    await start();
    await stack.advance(beijingAt(stack.now(), 1, 9) - stack.now()); // 09:00 on day D
    const paid: { outTradeNo: string; payableFen: number }[] = [];
    for (let i = 0; i < PAYMENTS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, PAYMENTS - i) }, async (_, k) => {
          const who = `o-resume-${i + k}`;
          const order = await placeOrder(stack, who, 'sku-coffee-250g', 1);
          await stack.as(who).ok('pay', 'start', { outTradeNo: order.outTradeNo });
          return { outTradeNo: order.outTradeNo as string, payableFen: order.payableFen as number };
        }),
      );
      for (const o of batch) await stack.sim.control.pay(o.outTradeNo);
      paid.push(...batch);
    }
    await waitFor('every payment recorded', async () => {
      for (const o of paid)
        if ((await adminGet(stack, 'orders', o.outTradeNo))?.status !== 'PAID') return false;
      return true;
    });
    // Refunds whose notifications are all lost: WeChat pays them within the day, here they stay PROCESSING.
    await stack.sim.control.addFault({ kind: 'notify.drop', eventType: 'REFUND.' });
    const refunds: string[] = [];
    for (const o of paid.slice(0, REFUNDS)) {
      const r = await stack.as(ADMIN).ok('refund', 'create', {
        outTradeNo: o.outTradeNo,
        amountFen: 100,
        requestKey: `resume-${o.outTradeNo}`,
      });
      refunds.push(r.outRefundNo);
    }
    await stack.advance(HOUR);
    for (const no of refunds) {
      expect((await stack.sim.control.refund(no)).status).toBe('SUCCESS');
      expect((await adminGet(stack, 'refunds', no))?.status).toBe('PROCESSING');
    }
    await stack.advance(beijingAt(stack.now(), 1, 10) + 30 * MINUTE - stack.now()); // D+1 10:30: bill D is out

    const queriesOf = async () =>
      (await stack.sim.control.events({ limit: 10_000 })).filter(
        (e) => e.kind === 'api' && /GET \/v3\/refund\/domestic\/refunds\//.test(e.summary),
      ).length;
    const runs: { unreached: number; asked: number; reportId: string | null }[] = [];
    for (let run = 0; run < 10; run++) {
      if (run === 2) {
        // A crash between runs: the stack and the jobs start again on the same data.
        await stack.close();
        await start();
      }
      const limit = billRowsOnly(PER_RUN);
      const result = await jobs.reconcile(limit);
      runs.push({ unreached: result.unreached, asked: limit.asked(), reportId: result.billReportId });
      if (result.billReportId !== null) break;
      // Nothing is stored while rows are left to ask about.
      expect(await adminCount(stack, 'reconcile_reports')).toBe(0);
    }
    // The simulator keeps its event log across the restart: every query of every run.
    const queries = await queriesOf();

    // Each run asked exactly what it was allowed, and no row twice (WeChat was asked once per refund in all); a run
    // that had to stop stored nothing and left rows for the next (its unreached items include them).
    const deferred = runs.slice(0, -1);
    expect(deferred).toHaveLength(Math.ceil(REFUNDS / PER_RUN) - 1);
    deferred.forEach((r, i) => {
      expect(r).toMatchObject({ reportId: null, asked: PER_RUN });
      expect(r.unreached).toBeGreaterThanOrEqual(REFUNDS - PER_RUN * (i + 1));
    });
    expect(runs.at(-1)).toMatchObject({ asked: REFUNDS - PER_RUN * deferred.length });
    expect(queries).toBe(REFUNDS);
    for (const no of refunds) expect((await adminGet(stack, 'refunds', no))?.status).toBe('SUCCESS');

    // One report, every bill row in it exactly once.
    expect(await adminCount(stack, 'reconcile_reports')).toBe(1);
    const report = await adminGet(stack, 'reconcile_reports', String(runs.at(-1)?.reportId));
    expect(report).toMatchObject({
      billRows: PAYMENTS + REFUNDS,
      matchedPayments: PAYMENTS,
      matchedRefunds: REFUNDS,
      localRefunds: REFUNDS,
      discrepancies: [],
    });
    const charged = paid.reduce((s, o) => s + o.payableFen, 0);
    expect(report?.totals).toEqual({
      billPaymentFen: charged,
      localPaymentFen: charged,
      billRefundFen: 100 * REFUNDS,
      localRefundFen: 100 * REFUNDS,
    });
  }, 180_000);
});
