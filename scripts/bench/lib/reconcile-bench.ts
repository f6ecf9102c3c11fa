// The daily reconcile of a big day's bill (issue 19): the simulator serves a trade bill of `payments + refunds` rows
// for one Beijing day, consistent with the orders and refunds in the shop's database except for planted mismatches;
// the reconcile timer is fired as the platform fires it (through the gateway, under the function's own time limit)
// until the day's report is stored. Measured: runs, time per run against the timeout, and whether every bill row is
// accounted for exactly once in the report (matched or a discrepancy: none missing, none counted twice).
//
// The big day is written as datafiles while the stack is down — the local database's (one nedb line per document) and
// the simulator's journal (one line per record) — cloned from a real order, its payment and a refund made through the
// stack, then the stack is started again on them.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayClient, Envelope, Exchange } from '../../../devcloud/harness';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';
import type { BenchStack } from './run';

const ROOT = resolve(__dirname, '..', '..', '..');
const HOUR = 3_600_000;
const BEIJING = 8 * HOUR;
const SKU = 'sku-coffee-250g';
const ADMIN = 'o-dev-admin';

/** How big the reconciled day is. */
export interface ReconcileSize {
  /** Payment rows in the bill (including `missingHere` and `amountMismatches`). */
  payments: number;
  /** Refund rows in the bill (each on its own paid order of the day). */
  refunds: number;
  /** Payments WeChat took for orders the shop has no record of. */
  missingHere: number;
  /** Orders paid here that day which the bill does not list. */
  missingThere: number;
  /** Payments charged 1 fen more at WeChat than the order's payable amount. */
  amountMismatches: number;
}

/** One fired run of the reconcile timer. */
export interface ReconcileRun {
  seconds: number;
  ok: boolean;
  unreached: number;
  reportId: string | null;
  error?: string;
}

/** The reconcile phase's figures. */
export interface ReconcileBench {
  rows: number;
  payments: number;
  refunds: number;
  /** The reconcile function's time limit (config.json), seconds. */
  timeoutSeconds: number;
  runs: ReconcileRun[];
  /** Rows the stored report says it read (billRows). */
  processed: number;
  matchedPayments: number;
  matchedRefunds: number;
  /** Discrepancies by kind, as stored. */
  discrepancies: Record<string, number>;
  /** Bill rows neither matched nor reported. */
  missing: number;
  /** Rows counted more than once (accounted beyond the bill's rows, or DUPLICATE_IN_BILL). */
  duplicates: number;
  /** The planted mismatches the report found, of those planted. */
  plantedFound: number;
  planted: number;
  /** Seconds to write the datafiles, and to start the stack on them. */
  seedSeconds: number;
  startSeconds: number;
}

type Doc = Record<string, unknown> & { _id: string };

function ok<T>(r: Exchange<Envelope<T>>, what: string): T {
  const b = r.body;
  if (!b.ok) throw new Error(`${what} failed: ${b.error.code} ${b.error.message}`);
  return b.data;
}

/** Epoch ms of `hour` (fractional) Beijing time on the Beijing day of `ms` plus `days`. */
function beijingAt(ms: number, days: number, hour: number): number {
  const local = new Date(ms + BEIJING);
  return (
    Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days) + hour * HOUR - BEIJING
  );
}

function digits(prefix: string, i: number, width: number): string {
  return `${prefix}${String(i).padStart(width - prefix.length, '0')}`;
}

function timeoutOfReconcile(): number {
  const config = JSON.parse(
    readFileSync(join(ROOT, 'cloudfunctions', 'reconcile', 'config.json'), 'utf8'),
  ) as {
    timeout?: number;
  };
  return config.timeout ?? 3;
}

/** The stack's starter (./run.ts startBenchStack): fresh, or again on an existing work dir. */
export type StartStack = (workDir?: string) => Promise<BenchStack>;

/** Runs the phase on stacks of its own (their work dir is removed at the end); answers the figures. */
export async function runReconcileBench(
  start: StartStack,
  makeClient: (url: string) => GatewayClient,
  size: ReconcileSize,
  log: (line: string) => void,
): Promise<ReconcileBench> {
  // 1. A real order, its payment and a refund, to clone.
  let stack = await start();
  const workDir = stack.workDir;
  try {
    let client = makeClient(stack.gatewayUrl);
    let templates: { order: Doc; refundedOrder: Doc; refund: Doc; simOrder: Doc; simRefund: Doc };
    let simNow: number;
    try {
      await stack.call('setStock', { skuId: SKU, stock: 1000 });
      const paid = async (who: string): Promise<string> => {
        ok(await client.as(who).exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }), 'addToCart');
        const o = ok(
          await client
            .as(who)
            .exchange('order', 'place', { clientRequestKey: `rb-${who}`, delivery: TEST_DELIVERY }),
          'order.place',
        );
        ok(await client.as(who).exchange('pay', 'start', { outTradeNo: o.outTradeNo }), 'pay.start');
        await stack.call('pay', { outTradeNos: [o.outTradeNo] });
        for (let i = 0; i < 200; i++) {
          const d = await stack.call<Doc | null>('doc', { collection: 'orders', id: o.outTradeNo });
          if (d?.status === 'PAID') return o.outTradeNo;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`order ${o.outTradeNo} was not paid`);
      };
      const plain = await paid('bench-r-1');
      const refunded = await paid('bench-r-2');
      const order = await stack.call<Doc>('doc', { collection: 'orders', id: plain });
      const refund = ok(
        await client.as(ADMIN).exchange('refund', 'create', {
          outTradeNo: refunded,
          amountFen: 100,
          requestKey: 'bench-r-refund',
        }),
        'refund.create',
      ) as { outRefundNo: string };
      const sim = await stack.call<{ order: Doc; refund: Doc }>('simRecords', {
        outTradeNo: refunded,
        outRefundNo: refund.outRefundNo,
      });
      templates = {
        order,
        refundedOrder: await stack.call<Doc>('doc', { collection: 'orders', id: refunded }),
        refund: await stack.call<Doc>('doc', { collection: 'refunds', id: refund.outRefundNo }),
        simOrder: sim.order,
        simRefund: sim.refund,
      };
      simNow = await stack.call<number>('simNow');
    } finally {
      client.close();
      await stack.stop();
    }

    // 2. The day: the Beijing day before the first 10:30 (Beijing) at or after now, when yesterday's bill is out.
    const t0 = Date.now();
    const readyAt = Math.max(simNow + 60_000, beijingAt(simNow, 0, 10.5));
    const dayStart = beijingAt(readyAt, -1, 0);
    const dbDir = join(workDir, 'stack', 'cloud', 'db');
    const simFile = join(workDir, 'simulator', 'state.jsonl');
    if (!existsSync(join(dbDir, 'orders.db')) || !existsSync(simFile))
      throw new Error(`the stack's datafiles are not where the bench writes them (${dbDir}, ${simFile})`);
    const orderLines: string[] = [];
    const refundLines: string[] = [];
    const simLines: string[] = [];
    const simKey = (key: unknown, no: string) =>
      `${String(key).slice(0, String(key).lastIndexOf('|'))}|${no}`;
    const spread = (i: number, n: number) => dayStart + Math.floor(((i + 0.5) * 86_000_000) / n);
    const payableFen = Number(templates.order.payableFen);
    const expected = { matchedPayments: 0, matchedRefunds: 0, missingHere: 0, missingThere: 0, amount: 0 };
    for (let i = 0; i < size.payments + size.missingThere; i++) {
      const no = digits('RB', i, 20);
      const tx = digits('42000099', i, 28);
      const at = spread(i, size.payments + size.missingThere);
      const hasRefund = i < size.refunds;
      const inBill = i < size.payments;
      const hereToo = i < size.payments - size.missingHere || !inBill;
      const mismatch =
        hereToo && inBill && !hasRefund && i >= size.payments - size.missingHere - size.amountMismatches;
      if (hereToo) {
        const base = hasRefund ? templates.refundedOrder : templates.order;
        const payment = (base.payment ?? {}) as Record<string, unknown>;
        orderLines.push(
          JSON.stringify({
            ...base,
            _id: no,
            openid: `bench-r-shopper-${i % 997}`,
            clientRequestKey: `rb-${no}`,
            paymentKey: `tx:${tx}`,
            createdAtMs: at - 60_000,
            updatedAtMs: at,
            expiresAtMs: at + 30 * 60_000,
            payment: { ...payment, transactionId: tx, successTimeMs: at, appliedAtMs: at },
          }),
        );
      }
      if (inBill) {
        simLines.push(
          JSON.stringify({
            c: 'order',
            id: simKey(templates.simOrder.key, no),
            v: {
              ...templates.simOrder,
              key: simKey(templates.simOrder.key, no),
              outTradeNo: no,
              transactionId: tx,
              totalFen: payableFen + (mismatch ? 1 : 0),
              payerTotalFen: payableFen + (mismatch ? 1 : 0),
              createdAt: at - 60_000,
              prepayIssuedAt: at - 50_000,
              timeExpireAt: at + 30 * 60_000,
              successAt: at,
            },
          }),
        );
      }
      if (!inBill) expected.missingThere += 1;
      else if (!hereToo) expected.missingHere += 1;
      else if (mismatch) expected.amount += 1;
      else expected.matchedPayments += 1;
      if (hasRefund && inBill && hereToo) {
        const rno = digits('RBR', i, 20);
        const rat = at + 1000;
        refundLines.push(
          JSON.stringify({
            ...templates.refund,
            _id: rno,
            outRefundNo: rno,
            outTradeNo: no,
            requestKey: `${no}:bench-r-${i}`,
            refundId: digits('50300099', i, 29),
            status: 'SUCCESS',
            createdAtMs: rat,
            updatedAtMs: rat + 1000,
            acceptedAtMs: rat,
            successTimeMs: rat + 1000,
            followUp: {
              state: 'settled',
              nextAttemptAtMs: null,
              attempts: 0,
              lastError: null,
              gaveUpAtMs: null,
            },
          }),
        );
        const orderKey = simKey(templates.simOrder.key, no);
        simLines.push(
          JSON.stringify({
            c: 'refund',
            id: simKey(templates.simRefund.key, rno),
            v: {
              ...templates.simRefund,
              key: simKey(templates.simRefund.key, rno),
              orderKey,
              outTradeNo: no,
              transactionId: tx,
              outRefundNo: rno,
              refundId: digits('50300099', i, 29),
              createdAt: rat,
              status: 'SUCCESS',
              completeAt: rat + 1000,
              successAt: rat + 1000,
              statusHistory: [
                { status: 'PROCESSING', at: rat },
                { status: 'SUCCESS', at: rat + 1000 },
              ],
            },
          }),
        );
        expected.matchedRefunds += 1;
      }
    }
    appendFileSync(join(dbDir, 'orders.db'), `${orderLines.join('\n')}\n`);
    if (refundLines.length > 0) appendFileSync(join(dbDir, 'refunds.db'), `${refundLines.join('\n')}\n`);
    appendFileSync(simFile, `${simLines.join('\n')}\n`);
    const seedSeconds = (Date.now() - t0) / 1000;

    // 3. The stack again, on the big day; the clock at the bill's hour; the timer fired until the report is stored.
    const s0 = Date.now();
    log(`reconcile: starting the stack on ${orderLines.length} orders and ${refundLines.length} refunds`);
    stack = await start(workDir);
    const startSeconds = (Date.now() - s0) / 1000;
    client = makeClient(stack.gatewayUrl);
    const runs: ReconcileRun[] = [];
    let report: Doc | null = null;
    try {
      const now = await stack.call<number>('simNow');
      if (readyAt > now) await stack.call('advanceClock', { ms: Math.ceil(readyAt - now) });
      for (let i = 0; i < 10 && report === null; i++) {
        const r0 = Date.now();
        const outcome = await client.fireTimer('reconcile');
        const result = (outcome.result ?? {}) as { unreached?: number; billReportId?: string | null };
        const run: ReconcileRun = {
          seconds: (Date.now() - r0) / 1000,
          ok: outcome.ok,
          unreached: result.unreached ?? 0,
          reportId: result.billReportId ?? null,
          ...(outcome.ok ? {} : { error: outcome.error ?? 'failed' }),
        };
        runs.push(run);
        log(
          `reconcile: run ${i + 1}: ${run.seconds.toFixed(2)} s, ${run.ok ? 'ok' : run.error}, report ${run.reportId}`,
        );
        if (run.reportId !== null)
          report = await stack.call<Doc | null>('doc', { collection: 'reconcile_reports', id: run.reportId });
      }
    } finally {
      client.close();
      await stack.stop();
    }

    const rows = size.payments + size.refunds;
    const kinds: Record<string, number> = {};
    const found = (report?.discrepancies ?? []) as { kind: string; subject: string }[];
    for (const d of found) kinds[`${d.subject} ${d.kind}`] = (kinds[`${d.subject} ${d.kind}`] ?? 0) + 1;
    const matchedPayments = Number(report?.matchedPayments ?? 0);
    const matchedRefunds = Number(report?.matchedRefunds ?? 0);
    // Every bill row is matched, or is the row of a discrepancy about it (missing here, amount): MISSING_THERE is about
    // an order the bill lacks, not a row.
    const rowDiscrepancies = found.filter((d) => d.kind !== 'MISSING_THERE').length;
    const accounted = matchedPayments + matchedRefunds + rowDiscrepancies;
    const planted = expected.missingHere + expected.missingThere + expected.amount;
    return {
      rows,
      payments: size.payments,
      refunds: size.refunds,
      timeoutSeconds: timeoutOfReconcile(),
      runs,
      processed: Number(report?.billRows ?? 0),
      matchedPayments,
      matchedRefunds,
      discrepancies: kinds,
      missing: Math.max(0, rows - accounted),
      duplicates: Math.max(0, accounted - rows) + found.filter((d) => d.kind === 'DUPLICATE_IN_BILL').length,
      plantedFound:
        Math.min(kinds['payment MISSING_HERE'] ?? 0, expected.missingHere) +
        Math.min(kinds['payment MISSING_THERE'] ?? 0, expected.missingThere) +
        Math.min(kinds['payment AMOUNT_MISMATCH'] ?? 0, expected.amount),
      planted,
      seedSeconds,
      startSeconds,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
