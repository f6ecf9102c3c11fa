// One chaos run against a running stack: seeded shoppers, payers and staff under notification, API and database
// faults; the virtual clock advanced; the jobs run as timers until they make no WeChat call; then the invariants
// against WeChat's ledger. Used by `npm run chaos`, `npm run crash` and their small versions in npm test.
import type { NotificationRecord } from '../../../simulator';
import { checkInvariants, expectedCounters, type SettledState, type Violation } from './invariants';
import { createRng, streamOf } from './prng';
import type { DbWriteFaults, Doc, StackClient } from './target';
import {
  CHAOS_ADMIN,
  compareTaps,
  persist,
  driveOrder,
  emptyTally,
  payLate,
  staffRefund,
  type DrivenOrder,
  type FaultTally,
  type Scenario,
} from './workload';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Options of a run; every default is what `npm run chaos` uses. */
export interface ChaosOptions {
  seed: number;
  orders: number;
  /** Shoppers acting at the same moment. */
  concurrency?: number;
  /** Orders per traffic round (the clock moves and the timers fire between rounds). */
  roundSize?: number;
  dropRate?: number;
  duplicateRate?: number;
  delayRate?: number;
  apiFailureRate?: number;
  /** Share of the functions' database writes that fail (before or after the write). */
  dbWriteFailureRate?: number;
  /** Real ms an injected WeChat timeout hangs (must exceed the functions' WECHATPAY_TIMEOUT_MS). */
  apiHangMs?: number;
  /** Share of paid orders the staff refunds. */
  refundRate?: number;
  /** Check the money-path counters against the data. */
  checkCounters?: boolean;
  /** Quiet = this many consecutive job rounds (closeExpired + reconcile) without a WeChat call. */
  quietRounds?: number;
  /** Counts the payer's payments as they happen (shared with duringRound). */
  progress?: { paid: number };
  /** Called at the start of each traffic round with the round number; runs alongside the round (crash runs kill here). */
  duringRound?: (round: number, rounds: number) => Promise<void>;
  log?: (line: string) => void;
}

/** What a run did and found. */
export interface ChaosReport {
  seed: number;
  orders: number;
  placed: number;
  placeFailures: Record<string, number>;
  scenarios: Record<string, number>;
  ordersByStatus: Record<string, number>;
  wechat: {
    paid: number;
    refunded: number;
    closed: number;
    notPaid: number;
    refunds: Record<string, number>;
  };
  notifications: {
    total: number;
    firstDeliveries: number;
    retries: number;
    dropped: number;
    duplicated: number;
    delivered: number;
    failed: number;
    stillPending: number;
  };
  faults: FaultTally & {
    dbWrites: number;
    dbFailedBefore: number;
    dbFailedAfter: number;
    refundApiErrors: number;
    /** Refund resends WeChat refused after the first answer was lost (only a query can tell). */
    refundsRefused: number;
  };
  jobs: {
    runs: number;
    /** Job rounds after the storm until the last one that called WeChat. */
    roundsToQuiet: number;
    /** WeChat calls the jobs made after the storm. */
    settleCalls: number;
    /** The kinds of call in the last round that made any. */
    lastCalls: string[];
    errors: number;
    failedRuns: number;
    quietRoundCalls: number;
  };
  counters: Record<string, { counted: number; expected: number }>;
  shopperErrors: Record<string, number>;
  /** The driver itself failed for these shoppers (a harness problem, not a shop one). */
  driverFailures: string[];
  refundsRequested: number;
  /** ABNORMAL refunds staff retried at WeChat, and retries that were refused. */
  abnormalRetried: number;
  abnormalRetryFailures: string[];
  durationMs: number;
  /** Real seconds per phase. */
  phases: Record<string, number>;
  violations: Violation[];
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** The SKUs a run sells: plenty of stock for most, a few nearly sold out (contention, sell-out, release). */
export function chooseSkus(skus: Doc[], orders: number): { plentiful: string[]; hot: string[] } {
  // Shoppers buy one or two of a SKU: ones limited to a single piece per order are left out.
  const onSale = skus.filter(
    (s) =>
      s.onSale !== false &&
      typeof s.stock === 'number' &&
      s.stock > 0 &&
      (typeof s.maxPerOrder !== 'number' || s.maxPerOrder >= 2),
  );
  const plentiful = onSale.filter((s) => (s.stock as number) >= orders).map((s) => s._id);
  const hot = onSale.filter((s) => (s.stock as number) < orders).map((s) => s._id);
  if (plentiful.length === 0 || hot.length === 0)
    throw new Error(
      'the catalog needs SKUs with plenty of stock and SKUs with little (see prepareChaosCatalog)',
    );
  return { plentiful, hot };
}

/** The stock a run starts from: every SKU but the three scarcest gets `orders × 3` (admin writes, before traffic). */
export async function prepareChaosCatalog(
  db: {
    collection(n: string): {
      get(): Promise<{ data: Record<string, unknown>[] }>;
      doc(id: string): { update(o: { data: Record<string, unknown> }): Promise<unknown> };
    };
  },
  orders: number,
): Promise<void> {
  const { data } = await db.collection('skus').get();
  const selling = data
    .filter((s) => s.onSale !== false && typeof s.stock === 'number' && s.stock > 0)
    .sort((a, b) => (a.stock as number) - (b.stock as number));
  for (const s of selling.slice(3))
    await db
      .collection('skus')
      .doc(String(s._id))
      .update({ data: { stock: orders * 3 } });
}

/** The database write failures a run injects during its storm. */
export function dbWriteFaultSpec(o: Pick<ChaosOptions, 'seed' | 'dbWriteFailureRate'>): DbWriteFaults {
  return { rate: o.dbWriteFailureRate ?? 0.02, when: 'either', seed: o.seed };
}

/** Runs the whole thing; never throws for a violation (they are in the report), only for a broken harness. */
export async function runChaos(client: StackClient, o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const phase = (name: string) => {
    phases[name] = Math.round((Date.now() - phaseStart) / 100) / 10;
    phaseStart = Date.now();
  };
  const log = o.log ?? (() => undefined);
  const concurrency = o.concurrency ?? 8;
  const roundSize = o.roundSize ?? 50;
  const quietRounds = o.quietRounds ?? 3;
  if ((await client.readAll('orders')).length > 0)
    throw new Error('a chaos run needs a fresh stack (orders exist)');
  const skus = await client.readAll('skus');
  const initialStock = Object.fromEntries(skus.map((s) => [s._id, Number(s.stock)]));
  const { plentiful, hot } = chooseSkus(skus, o.orders);
  const workload = {
    seed: o.seed,
    dropRate: o.dropRate ?? 0.3,
    duplicateRate: o.duplicateRate ?? 0.3,
    delayRate: o.delayRate ?? 0.15,
    apiFailureRate: o.apiFailureRate ?? 0.1,
    apiHangMs: o.apiHangMs ?? 2500,
    plentifulSkus: plentiful,
    hotSkus: hot,
    progress: o.progress ?? { paid: 0 },
  };
  const tally = emptyTally();
  const rng = createRng(o.seed);
  const jobs = { runs: 0, errors: 0, failedRuns: 0 };
  const runJob = async (fn: 'closeExpired' | 'reconcile') => {
    const r = await client.fireTimer(fn);
    jobs.runs++;
    if (!r.ok) jobs.failedRuns++;
    jobs.errors += Number(r.result?.errors ?? 0);
  };
  const runJobs = async () => {
    await runJob('closeExpired');
    await runJob('reconcile');
  };

  // Traffic, in rounds; the timers fire alongside, the clock moves between rounds.
  await client.setDbWriteFaults(dbWriteFaultSpec(o));
  const driven: DrivenOrder[] = [];
  const driverFailures: string[] = [];
  const later: DrivenOrder[] = [];
  const rounds = Math.ceil(o.orders / roundSize);
  for (let round = 0; round < rounds; round++) {
    const indexes = Array.from(
      { length: Math.min(roundSize, o.orders - round * roundSize) },
      (_x, k) => round * roundSize + k,
    );
    await client.sim.addFault({
      kind: 'notify.reorder',
      window: 3,
      count: Math.max(2, Math.floor(indexes.length / 5)),
      delayMs: 90_000,
    });
    tally.notifyReorder++;
    await Promise.all([
      pool(indexes, concurrency, async (i) => {
        try {
          driven.push(await driveOrder(client, workload, i, tally, later));
        } catch (e) {
          driverFailures.push(`shopper ${i}: ${(e as Error).message}`);
        }
      }),
      rng.chance(0.6) ? runJob('closeExpired') : Promise.resolve(),
      rng.chance(0.3) ? runJob('reconcile') : Promise.resolve(),
      o.duringRound ? o.duringRound(round, rounds) : Promise.resolve(),
    ]);
    await client.advance(rng.int(20, 90) * 1000);
    log(`round ${round + 1}/${rounds}: ${driven.length} shoppers`);
  }

  phase('traffic');
  // Past every expiry: some pay late before the close job runs, some after.
  await client.advance(31 * MINUTE);
  const lateFirst = later.filter((_d, k) => k % 2 === 0);
  const lateSecond = later.filter((_d, k) => k % 2 === 1);
  await pool(lateFirst, concurrency, (d) => payLate(client, d));
  await runJobs();
  await pool(lateSecond, concurrency, (d) => payLate(client, d));
  await client.advance(2 * MINUTE);
  await runJobs();

  // Staff refunds some paid orders, still under faults: full or partial, some tapped twice with one request key.
  const refundRate = o.refundRate ?? 0.25;
  const byNo = new Map(driven.filter((d) => d.outTradeNo !== null).map((d) => [d.outTradeNo!, d]));
  const paidNow = (await client.readAll('orders')).filter((x) => x.status === 'PAID');
  let refundsRequested = 0;
  let refundApiErrors = 0;
  let refundsRefused = 0;
  const apiHangMs = o.apiHangMs ?? 2500;
  const outcomes: { outRefundNo: string; outcome: 'CLOSED' | 'ABNORMAL' }[] = [];
  await pool(paidNow, concurrency, async (order) => {
    const d = byNo.get(order._id);
    if (!d) return;
    const r = streamOf(o.seed, d.index, 0x7e7d);
    if (!r.chance(refundRate)) return;
    const paid = Number((order.payment as { paidFen: number }).paidFen);
    const amounts = r.chance(0.6) || paid < 2 ? [paid] : [Math.floor(paid / 2), paid - Math.floor(paid / 2)];
    // Refunds under lost answers: WeChat's answer to the refund request fails before or after WeChat did the work;
    // the first answer is lost and the resend is refused (as WeChat refuses a changed parameter: only a query tells
    // whether the refund exists); the answer hangs past our timeout after the work; or the refund's queries fail.
    const refundFault = r.weighted({ none: 12, error: 2, lostThenRefused: 3, hangAfter: 1, queryLost: 2 });
    const refundPost = { outTradeNo: order._id, path: '/refund/domestic/refunds', method: 'POST', count: 1 };
    if (refundFault === 'error' || refundFault === 'lostThenRefused') {
      await client.sim.addFault({
        kind: 'api.error',
        ...refundPost,
        when: refundFault === 'lostThenRefused' || r.chance(0.5) ? 'after' : 'before',
      });
      refundApiErrors++;
    } else if (refundFault === 'hangAfter') {
      await client.sim.addFault({ kind: 'api.timeout', ...refundPost, when: 'after', hangMs: apiHangMs });
      refundApiErrors++;
    }
    for (const [k, amount] of amounts.entries()) {
      const key = `chaos-refund-${o.seed}-${d.index}-${k}`;
      const twice = r.chance(0.1);
      const made = await Promise.all(
        (twice ? [0, 1] : [0]).map(() => staffRefund(client, order._id, amount, key, d)),
      );
      if (made[0] && made[1]) compareTaps(d, 'refund.create', made[0], made[1], (x) => x.outRefundNo);
      refundsRequested++;
      const outRefundNo = made.map((x) => (x.ok ? x.data.outRefundNo : null)).find((x) => x !== null);
      if (k === 0 && refundFault === 'lostThenRefused') {
        await client.sim.addFault({
          kind: 'api.error',
          ...refundPost,
          when: 'before',
          status: 400,
          code: 'INVALID_REQUEST',
        });
        refundsRefused++;
        // Staff tap again (same request key): the resend is refused, and WeChat must be asked before anything closes.
        await staffRefund(client, order._id, amount, key, d);
      }
      if (outRefundNo && refundFault === 'queryLost') {
        await client.sim.addFault({
          kind: 'api.error',
          path: `/refunds/${outRefundNo}`,
          method: 'GET',
          count: 2,
          when: r.chance(0.5) ? 'after' : 'before',
        });
        refundApiErrors++;
      }
      if (outRefundNo && r.chance(0.08))
        outcomes.push({ outRefundNo, outcome: r.chance(0.5) ? 'CLOSED' : 'ABNORMAL' });
    }
  });
  for (const x of outcomes) {
    try {
      await client.sim.setRefundOutcome(x.outRefundNo, x.outcome);
    } catch {
      // the refund may have been refused or settled already: nothing to choose
    }
  }

  phase('late payments and refunds');
  // The storm ends: WeChat's API and the database work again, then the timers run on virtual time until they have
  // nothing to do. Notification faults stay: a notification dropped on every attempt is given up by WeChat after its
  // 15 retries, and only a job can have found that payment.
  for (const f of await client.sim.faults())
    if (!f.kind.startsWith('notify.') || f.kind === 'notify.reorder') await client.sim.removeFault(f.id);
  const db = await client.dbWriteFaults();
  await client.setDbWriteFaults(null);
  const settleSteps = [
    ...Array<number>(3).fill(MINUTE),
    ...Array<number>(6).fill(5 * MINUTE),
    ...Array<number>(4).fill(30 * MINUTE),
    ...Array<number>(4).fill(3 * HOUR),
    ...Array<number>(2).fill(6 * HOUR),
  ];
  // One job round: move the clock, fire both timers, answer the WeChat API calls made meanwhile.
  const lastSeq = async () => (await client.sim.events({ limit: 1 }))[0]?.seq ?? 0;
  const jobRound = async (advanceMs: number) => {
    await client.advance(advanceMs);
    const seq = await lastSeq();
    await runJobs();
    return client.sim.events({ kind: 'api', afterSeq: seq, limit: 5000 });
  };
  const callsPerRound: number[] = [];
  let lastCalls: string[] = [];
  const noteCalls = (calls: Awaited<ReturnType<typeof client.sim.events>>) => {
    if (calls.length > 0)
      lastCalls = [
        ...new Set(
          calls.map(
            (e) =>
              `${e.method ?? ''} ${(e.path ?? '').split('?')[0]!.replace(/\/[A-Z]\d{8,}[0-9A-Za-z]*/g, '/{no}')}`,
          ),
        ),
      ];
    return calls.length;
  };
  const retryFailures: string[] = [];
  for (const step of settleSteps) callsPerRound.push(noteCalls(await jobRound(step)));
  // Staff retries half of the ABNORMAL refunds at WeChat (the shopper's card refused the money; the shop's account
  // takes it instead); the rest stay for a person, explained by WeChat's ABNORMAL.
  const abnormal = await client.sim.refunds({ status: 'ABNORMAL', limit: 100_000 });
  let abnormalRetried = 0;
  for (const [k, r] of abnormal.entries()) {
    if (k % 2 === 1) continue;
    const answer = await persist(client, () =>
      client
        .as(CHAOS_ADMIN)
        .call('refund', 'retryAbnormal', { outRefundNo: r.outRefundNo, type: 'MERCHANT_BANK_CARD' }),
    );
    if (answer.ok) abnormalRetried++;
    else retryFailures.push(`${r.outRefundNo}: ${answer.error.code} ${answer.error.message}`);
  }
  for (const step of [MINUTE, 2 * MINUTE, 5 * MINUTE]) callsPerRound.push(noteCalls(await jobRound(step)));
  phase('settle');
  let streak = 0;
  let quietCalls: Awaited<ReturnType<typeof client.sim.events>> = [];
  for (let k = 0; k < 12 + quietRounds && streak < quietRounds; k++) {
    const calls = await jobRound(5 * MINUTE);
    callsPerRound.push(noteCalls(calls));
    if (calls.length === 0) streak++;
    else {
      streak = 0;
      quietCalls = calls;
    }
  }
  if (streak >= quietRounds) quietCalls = [];
  // Rounds until the last one that still called WeChat (0: the first round after the storm was already quiet).
  const roundsToQuiet = callsPerRound.reduce((last, n, k) => (n > 0 ? k + 1 : last), 0);
  const settleCalls = callsPerRound.reduce((a, b) => a + b, 0);
  log(`jobs: ${roundsToQuiet} rounds to quiet`);
  phase('until quiet');

  // The settled state against WeChat's ledger.
  const [orders, refunds, skusAfter, counters, wxOrders, wxRefunds, notes] = await Promise.all([
    client.readAll('orders'),
    client.readAll('refunds'),
    client.readAll('skus'),
    client.counters(),
    client.sim.orders({ limit: 1_000_000 }),
    client.sim.refunds({ limit: 1_000_000 }),
    client.sim.notifications({ limit: 1_000_000 }),
  ]);
  const state: SettledState = {
    orders,
    refunds,
    skus: skusAfter,
    counters,
    wxOrders,
    wxRefunds,
    initialStock,
    quietRunCalls: quietCalls,
  };
  const violations = checkInvariants(state, { counters: o.checkCounters ?? true });
  for (const d of driven)
    for (const m of d.doubleTapMismatches)
      violations.push({ code: 'DOUBLE_TAP_DIFFERS', subject: d.outTradeNo ?? d.shopper, message: m });
  const expected = expectedCounters(state);

  const placeFailures: Record<string, number> = {};
  const scenarios: Record<string, number> = {};
  const shopperErrors: Record<string, number> = {};
  for (const d of driven) {
    bump(scenarios, d.scenario satisfies Scenario);
    if (d.placeFailure !== null) bump(placeFailures, d.placeFailure);
    for (const e of d.errors) bump(shopperErrors, e);
  }
  const ordersByStatus: Record<string, number> = {};
  for (const x of orders) bump(ordersByStatus, String(x.status));
  const wxRefundStatus: Record<string, number> = {};
  for (const r of wxRefunds) bump(wxRefundStatus, r.status);
  return {
    seed: o.seed,
    orders: o.orders,
    placed: orders.length,
    placeFailures,
    scenarios,
    ordersByStatus,
    wechat: {
      paid: wxOrders.filter((w) => w.tradeState === 'SUCCESS').length,
      refunded: wxOrders.filter((w) => w.tradeState === 'REFUND').length,
      closed: wxOrders.filter((w) => w.tradeState === 'CLOSED').length,
      notPaid: wxOrders.filter((w) => w.tradeState === 'NOTPAY').length,
      refunds: wxRefundStatus,
    },
    notifications: notificationFigures(notes),
    faults: {
      ...tally,
      dbWrites: db.writes,
      dbFailedBefore: db.failedBefore,
      dbFailedAfter: db.failedAfter,
      refundApiErrors,
      refundsRefused,
    },
    jobs: { ...jobs, roundsToQuiet, settleCalls, lastCalls, quietRoundCalls: quietCalls.length },
    counters: Object.fromEntries(
      Object.entries(expected).map(([k, v]) => [k, { counted: counters[k] ?? 0, expected: v }]),
    ),
    shopperErrors,
    driverFailures,
    refundsRequested,
    abnormalRetried,
    abnormalRetryFailures: retryFailures,
    durationMs: Date.now() - started,
    phases: { ...phases, check: Math.round((Date.now() - phaseStart) / 100) / 10 },
    violations,
  };
}

function notificationFigures(notes: NotificationRecord[]): ChaosReport['notifications'] {
  const f = {
    total: notes.length,
    firstDeliveries: 0,
    retries: 0,
    dropped: 0,
    duplicated: 0,
    delivered: 0,
    failed: 0,
    stillPending: 0,
  };
  for (const n of notes) {
    if (n.status === 'delivered') f.delivered++;
    else if (n.status === 'failed') f.failed++;
    else f.stillPending++;
    for (const a of n.attempts) {
      if (a.dropped) f.dropped++;
      if (a.kind === 'delivery') f.firstDeliveries++;
      else if (a.kind === 'retry') f.retries++;
      else if (a.kind === 'duplicate') f.duplicated++;
    }
  }
  return f;
}

/** The report as the commands print it. */
export function formatReport(r: ChaosReport): string {
  const kv = (m: Record<string, number>) =>
    Object.entries(m)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  const n = r.notifications;
  const f = r.faults;
  const lines = [
    `seed ${r.seed} · ${r.orders} shoppers · ${r.placed} orders placed · ${(r.durationMs / 1000).toFixed(1)} s (${Object.entries(
      r.phases,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    `  not placed:        ${kv(r.placeFailures)}`,
    `  scenarios:         ${kv(r.scenarios)}`,
    `  orders by status:  ${kv(r.ordersByStatus)}`,
    `  WeChat orders:     paid ${r.wechat.paid}, refunded ${r.wechat.refunded}, closed ${r.wechat.closed}, not paid ${r.wechat.notPaid}; refunds ${kv(r.wechat.refunds)}`,
    `  notifications:     ${n.total} sent; attempts: first ${n.firstDeliveries}, retries ${n.retries}, dropped ${n.dropped}, duplicated ${n.duplicated}; delivered ${n.delivered}, given up ${n.failed}, pending ${n.stillPending}`,
    `  faults injected:   notify drop ${f.notifyDrop} (+${f.notifyDropAll} lost entirely), duplicate ${f.notifyDuplicate}, delay ${f.notifyDelay}, reorder windows ${f.notifyReorder}; WeChat API 500 ${f.apiError} + refund 500/hang/lost query ${f.refundApiErrors}, refused refund resends ${f.refundsRefused}, timeouts ${f.apiTimeout}; DB writes failed ${f.dbFailedBefore} before + ${f.dbFailedAfter} after of ${f.dbWrites}`,
    `  refunds requested: ${r.refundsRequested}; ABNORMAL retried by staff ${r.abnormalRetried}${r.abnormalRetryFailures.length > 0 ? ` (refused: ${r.abnormalRetryFailures.slice(0, 3).join('; ')})` : ''}`,
    `  jobs:              ${r.jobs.runs} runs (${r.jobs.failedRuns} failed, ${r.jobs.errors} item errors); after the storm ${r.jobs.settleCalls} WeChat calls in ${r.jobs.roundsToQuiet} rounds to quiet (the last: ${r.jobs.lastCalls.join(', ') || '-'}); WeChat calls in the final rounds: ${r.jobs.quietRoundCalls}`,
    `  counters:          ${Object.entries(r.counters)
      .filter(([k]) => !k.startsWith('orders.status.'))
      .map(([k, v]) => `${k} ${v.counted}${v.counted === v.expected ? '' : ` (data: ${v.expected})`}`)
      .join(', ')}`,
    `  shopper errors:    ${kv(r.shopperErrors)}`,
  ];
  if (r.driverFailures.length > 0)
    lines.push(`  driver failures:   ${r.driverFailures.length}: ${r.driverFailures.slice(0, 3).join('; ')}`);
  if (r.violations.length === 0) lines.push('  invariants:        all hold');
  else {
    const byCode: Record<string, number> = {};
    for (const v of r.violations) bump(byCode, v.code);
    lines.push(`  VIOLATIONS:        ${r.violations.length} (${kv(byCode)})`);
    for (const v of r.violations.slice(0, 40)) lines.push(`    ${v.code} ${v.subject}: ${v.message}`);
    if (r.violations.length > 40) lines.push(`    … and ${r.violations.length - 40} more`);
  }
  return lines.join('\n');
}
