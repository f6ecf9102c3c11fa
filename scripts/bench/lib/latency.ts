// The latency phase of the bench (issue #19): a fresh stack with the latency model switched on (devcloud/latency.ts:
// each database round trip, WeChat Pay call and mini program call takes its modelled time), driven one shopper at a
// time so nothing queues; per operation the time a shopper waits against a bound computed from the operation's
// minimum chain of dependent steps (the chains test/e2e/dependent-steps.test.ts pins). The fresh stack's first calls
// are also its functions' cold starts: their extra round trips and dependent steps are reported per function.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GatewayClient,
  startStackChild,
  type Envelope,
  type Exchange,
  type StackChild,
} from '../../../devcloud/harness';
import { formatLatency, LATENCY_ENV, type LatencyModel } from '../../../devcloud/latency';
import type { StepDepth } from '../../../devcloud/sdk/steps';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';
import { percentile, runConcurrent } from './load';
import { signNotifications } from './notify';
import type { BenchStackInfo } from './stack-setup';

/** A chain of dependent steps: mini program calls, database round trips, WeChat Pay calls in a row. */
export interface Chain {
  calls: number;
  db: number;
  pay: number;
}

/** One operation as a shopper (or WeChat) waits for it. */
export interface LatencyOp {
  key: string;
  label: string;
  /** The minimum chain it needs, and why. */
  chain: Chain;
  why: string;
  /** Most common x-devcloud-depth over the samples (the measured critical path inside the function). */
  depth: StepDepth | null;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * HTTP access rows (a notification) are timed by the gateway, from the request's arrival to its answer; this is the
   * same p50 as the bench process saw it, its own wake-up and the loopback included (context).
   */
  clientP50Ms?: number;
  /** The chain under the model's base delays (ms). */
  boundMs: number;
  /** Targets as multiples of the bound (absent: reported, not judged). */
  p50Target?: number;
  p99Target?: number;
}

/** A function's first call on a fresh instance against the same operation warm. */
export interface ColdCall {
  fn: string;
  op: string;
  coldOps: number;
  warmOps: number;
  coldDepth: StepDepth | null;
  warmDepth: StepDepth | null;
  coldMs: number;
  warmP50Ms: number;
}

/** What the report reads: a run, with its latency phase when it had one. */
type Run = {
  latency?: LatencyResult;
  bundles?: { name: string; loadMs: number; loadCpuMs: number }[];
  /** The run's CPU per operation (the stack process, from its throughput phases) and its machine's load. */
  checkouts?: { cpuMsPerOp: number };
  notifications?: { cpuMsPerOp: number };
  machine?: { cpus: number; loadAvgStart: number[] };
};

/** What the phase measured. */
export interface LatencyResult {
  model: LatencyModel;
  samples: number;
  /** Shoppers of the unmeasured warm-up (older reports have none). */
  warmup?: number;
  ops: LatencyOp[];
  cold: ColdCall[];
}

const SKU = 'sku-coffee-250g';

/** The chains (docs/PERFORMANCE.md "How it is measured" prints `why`); targets from issue #19. */
const CHAINS: Record<string, { label: string; chain: Chain; why: string; p50?: number; p99?: number }> = {
  checkout: {
    label: 'tap 去支付 → payment parameters (order.checkout)',
    chain: { calls: 1, db: 4, pay: 1 },
    why: 'call + cart read → stock decrement → order insert → WeChat prepay → prepay save (the cart write runs beside the prepay)',
    p50: 1.15,
    p99: 1.5,
  },
  resume: {
    label: 'resume a payment (pay.start, prepay reused)',
    chain: { calls: 1, db: 1, pay: 0 },
    why: 'call + order read (the stored prepay is still valid: WeChat is not asked)',
  },
  get: {
    label: 'order page refresh (order.get)',
    chain: { calls: 1, db: 1, pay: 0 },
    why: 'call + order read',
  },
  listMine: {
    label: 'order list, first page (order.listMine)',
    chain: { calls: 1, db: 1, pay: 0 },
    why: 'call + one indexed query',
  },
  notify: {
    label: 'payment notification, arrival → 200',
    chain: { calls: 0, db: 2, pay: 0 },
    why: 'order read → compare-and-set that records the payment (verify and decrypt are CPU, < 0.1 ms)',
    p50: 1.15,
  },
  duplicate: {
    label: 'duplicate notification, arrival → 200',
    chain: { calls: 0, db: 1, pay: 0 },
    why: 'order read (the payment is recorded already: nothing written)',
  },
};

/** The bound of `chain` under `m`'s base delays (jitter averages out: each delay's mean is its base). */
export function boundMs(chain: Chain, m: LatencyModel): number {
  return chain.calls * m.callMs + chain.db * m.dbMs + chain.pay * m.payMs;
}

function chainText(c: Chain): string {
  const parts = [
    c.calls > 0 ? `${c.calls === 1 ? '' : `${c.calls} × `}call` : '',
    c.db > 0 ? `${c.db} × db` : '',
    c.pay > 0 ? `${c.pay === 1 ? '' : `${c.pay} × `}pay` : '',
  ].filter((p) => p !== '');
  return parts.join(' + ');
}

function depthMode(depths: (StepDepth | null)[]): StepDepth | null {
  const counts = new Map<string, { d: StepDepth; n: number }>();
  for (const d of depths) {
    if (d === null) continue;
    const k = `${d.db},${d.pay}`;
    const e = counts.get(k) ?? { d, n: 0 };
    e.n++;
    counts.set(k, e);
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.d ?? null;
}

function failed(r: Exchange<unknown>): boolean {
  if (r.status < 200 || r.status >= 300) return true;
  const b = r.body as Partial<Envelope> | undefined;
  return typeof b === 'object' && b !== null && 'ok' in b && b.ok === false;
}

/** Runs the phase on a fresh stack with `model`; `samples` shoppers one after another. */
export async function measureLatency(
  model: LatencyModel,
  samples: number,
  log: (line: string) => void,
  /** Shoppers of the unmeasured warm-up between the cold first calls and the measured ones. */
  warmup = 160,
): Promise<LatencyResult> {
  log(`latency: a fresh stack with ${formatLatency(model)}, ${samples} shoppers one at a time`);
  const workDir = mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'wxshop-latency-'));
  let stack: StackChild<BenchStackInfo> | undefined;
  const client = { current: undefined as GatewayClient | undefined };
  try {
    stack = await startStackChild<BenchStackInfo>(
      {
        dataDir: join(workDir, 'stack'),
        env: { LOG_LEVEL: 'error', ORDER_TTL_MINUTES: '120' },
        setup: join(__dirname, 'stack-setup.ts'),
        setupArgs: { workDir },
      },
      { processEnv: { [LATENCY_ENV]: formatLatency(model) } },
    );
    const s = stack;
    const gw = new GatewayClient(s.gatewayUrl, 8);
    client.current = gw;
    await s.call('setStock', { skuId: SKU, stock: 10_000_000 });
    await s.call('addFault', { spec: { kind: 'notify.drop' } });

    const samplesOf: Record<string, Exchange<unknown>[]> = {};
    const ms: Record<string, number[]> = {};
    const clientMs: Record<string, number[]> = {};
    // A notification is WeChat's request to the notify_url: its wait runs from its arrival to the 200 (the gateway's
    // x-devcloud-ms). Timed from this process it also holds this process's own wake-up from idle, about 0.8 ms on the
    // bench machine, which is neither the shop's nor the cloud's.
    const record = (key: string, r: Exchange<unknown>) => {
      (samplesOf[key] ??= []).push(r);
      (ms[key] ??= []).push(Number.isFinite(r.serverMs) ? r.serverMs : r.ms);
      (clientMs[key] ??= []).push(r.ms);
    };
    const firstOf: Record<string, Exchange<unknown>> = {};
    let payable: number | undefined;
    /** One shopper's visit: add, check out, resume the payment, refresh the order, list the orders. */
    const visit = async (
      who: string,
      note: (key: string, r: Exchange<unknown>) => void,
    ): Promise<{ who: string; outTradeNo: string; payableFen: number } | null> => {
      const shopper = gw.as(who);
      note('shop.addToCart', await shopper.exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }));
      if (payable === undefined) {
        const cart = await shopper.exchange('shop', 'getCart', {});
        payable = (cart.body as Envelope<{ selectedTotalFen: number }>).ok
          ? (cart.body as { data: { selectedTotalFen: number } }).data.selectedTotalFen
          : 0;
      }
      const checkout = await gw.fnEvent(
        'order',
        {
          action: 'checkout',
          clientRequestKey: `lat-${who}-${Date.now().toString(36)}`,
          delivery: TEST_DELIVERY,
          lines: [{ skuId: SKU, quantity: 1 }],
          displayedPayableFen: payable,
        },
        who,
      );
      note('checkout', checkout);
      const body = checkout.body as Envelope<{ order: { outTradeNo: string; payableFen: number } }>;
      if (!body.ok) return null;
      const { outTradeNo, payableFen } = body.data.order;
      note('resume', await shopper.exchange('pay', 'start', { outTradeNo }));
      note('get', await shopper.exchange('order', 'get', { outTradeNo }));
      note('listMine', await shopper.exchange('order', 'listMine', { limit: 20 }));
      return { who, outTradeNo, payableFen };
    };
    /** Pays the orders in the simulator and delivers each one's notification twice, one after another. */
    const paid = async (nos: string[], note: (key: string, r: Exchange<unknown>) => void) => {
      await s.call('pay', { outTradeNos: nos });
      const bodies = await s.call<string[]>('notificationBodies', { outTradeNos: nos });
      for (const n of signNotifications(bodies, s.info.platformSigner)) {
        note('notify', await gw.post<unknown>('/http/payNotify', n.body, n.headers));
        note('duplicate', await gw.post<unknown>('/http/payNotify', n.body, n.headers));
      }
    };

    // The fresh functions' first calls: the cold-start rows (not in the percentiles).
    const coldKey: Record<string, string> = {
      'shop.addToCart': 'shop.addToCart',
      checkout: 'order.checkout',
      resume: 'pay.start',
      notify: 'payNotify',
    };
    const noteCold = (key: string, r: Exchange<unknown>) => {
      const op = coldKey[key];
      if (op !== undefined && firstOf[op] === undefined) firstOf[op] = r;
    };
    const first = await visit('bench-lat-0', noteCold);
    if (first !== null) await paid([first.outTradeNo], noteCold);
    // Then a warm-up, not measured: the percentiles are a warm instance's, as on the platform where an instance serves
    // many calls (V8 optimises a function's code over its first hundreds of calls).
    const warmed: string[] = [];
    await runConcurrent(warmup, 8, async (i) => {
      const v = await visit(`bench-lat-warm-${i}`, () => undefined);
      if (v !== null) warmed.push(v.outTradeNo);
    });
    await paid(warmed, () => undefined);
    // The measured shoppers, one after another (nothing queues), then their notifications.
    const measured: string[] = [];
    for (let i = 1; i < samples; i++) {
      const v = await visit(`bench-lat-${i}`, record);
      if (v !== null) measured.push(v.outTradeNo);
    }
    await paid(measured, record);

    const ops: LatencyOp[] = Object.entries(CHAINS).map(([key, c]) => {
      const rs = samplesOf[key] ?? [];
      const times = ms[key] ?? [];
      return {
        key,
        label: c.label,
        chain: c.chain,
        why: c.why,
        depth: depthMode(rs.map((r) => r.depth)),
        count: rs.length,
        errors: rs.filter(failed).length,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        ...(rs.some((r) => Number.isFinite(r.serverMs))
          ? { clientP50Ms: percentile(clientMs[key] ?? [], 50) }
          : {}),
        boundMs: boundMs(c.chain, model),
        ...(c.p50 === undefined ? {} : { p50Target: c.p50 }),
        ...(c.p99 === undefined ? {} : { p99Target: c.p99 }),
      };
    });
    const warmOf: Record<string, string> = {
      'shop.addToCart': 'shop.addToCart',
      'order.checkout': 'checkout',
      'pay.start': 'resume',
      payNotify: 'notify',
    };
    const cold: ColdCall[] = Object.entries(firstOf).map(([op, first]) => {
      const warm = samplesOf[warmOf[op] ?? ''] ?? [];
      const warmOps = warm.map((r) => r.dbOps).sort((a, b) => a - b);
      return {
        fn: op.split('.')[0] ?? op,
        op,
        coldOps: first.dbOps,
        warmOps: percentile(warmOps, 50),
        coldDepth: first.depth,
        warmDepth: depthMode(warm.map((r) => r.depth)),
        coldMs: first.ms,
        warmP50Ms: percentile(
          warm.map((r) => r.ms),
          50,
        ),
      };
    });
    return { model, samples, warmup, ops, cold };
  } finally {
    client.current?.close();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---- the report's part (docs/PERFORMANCE.md) ----

/** A table row as report.ts renders it. */
export interface LatencyRow {
  label: string;
  cells: string[];
  target?: string;
  met?: (boolean | undefined)[];
}

function ms1(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a';
}

function depthText(d: StepDepth | null): string {
  return d === null ? 'n/a' : `db ${d.db}, pay ${d.pay}`;
}

function metOf(o: LatencyOp | undefined): boolean | undefined {
  if (o === undefined || o.count === 0) return undefined;
  const p50 = o.p50Target === undefined || o.p50Ms <= o.p50Target * o.boundMs;
  const p99 = o.p99Target === undefined || o.p99Ms <= o.p99Target * o.boundMs;
  return p50 && p99;
}

/** The rows of the latency section (none when no run measured it). */
export function latencyRows(runs: readonly Run[]): LatencyRow[] {
  const first = runs.find((r) => r.latency !== undefined)?.latency;
  if (first === undefined) return [];
  const each = <T>(f: (l: LatencyResult | undefined, r: Run) => T): T[] => runs.map((r) => f(r.latency, r));
  const out: LatencyRow[] = [
    {
      label: `**Latency** (${formatLatency(first.model)}; wait, bound, wait ÷ bound)`,
      cells: each(() => ''),
    },
  ];
  for (const op of first.ops) {
    const target = [
      op.p50Target === undefined ? '' : `p50 ≤ ${op.p50Target} ×`,
      op.p99Target === undefined ? '' : `p99 ≤ ${op.p99Target} ×`,
    ]
      .filter((t) => t !== '')
      .join(', ');
    out.push({
      label: `${op.label}: ${chainText(op.chain)}`,
      cells: each((l) => {
        const o = l?.ops.find((x) => x.key === op.key);
        if (o === undefined || o.count === 0) return 'n/a';
        const errors = o.errors > 0 ? `; ${o.errors} failed` : '';
        const client = o.clientP50Ms === undefined ? '' : `; p50 at the sender ${ms1(o.clientP50Ms)}`;
        return `p50 ${ms1(o.p50Ms)}, p99 ${ms1(o.p99Ms)}; bound ${ms1(o.boundMs)}; ratio ${(o.p50Ms / o.boundMs).toFixed(2)} / ${(o.p99Ms / o.boundMs).toFixed(2)}; depth ${depthText(o.depth)}${client}${errors}`;
      }),
      ...(target === '' ? {} : { target, met: each((l) => metOf(l?.ops.find((x) => x.key === op.key))) }),
    });
  }
  out.push({ label: '**Cold functions** (a fresh instance’s first call vs warm)', cells: each(() => '') });
  for (const c of first.cold) {
    out.push({
      label: `${c.fn} (first call ${c.op}): bundle load; extra round trips; extra dependent steps; wait cold vs warm`,
      cells: each((l, r) => {
        const x = l?.cold.find((y) => y.op === c.op);
        if (x === undefined) return 'n/a';
        const b = r.bundles?.find((y) => y.name === x.fn);
        const load = b === undefined ? 'n/a' : `${ms1(b.loadMs)} (CPU ${ms1(b.loadCpuMs)})`;
        const extraDepth =
          x.coldDepth === null || x.warmDepth === null
            ? 'n/a'
            : `db ${x.coldDepth.db - x.warmDepth.db}, pay ${x.coldDepth.pay - x.warmDepth.pay}`;
        return `${load}; +${x.coldOps - x.warmOps} (${x.coldOps} vs ${x.warmOps}); ${extraDepth}; ${ms1(x.coldMs)} vs ${ms1(x.warmP50Ms)}`;
      }),
      target: '+0 dependent steps',
      met: each((l) => {
        const x = l?.cold.find((y) => y.op === c.op);
        if (x === undefined || x.coldDepth === null || x.warmDepth === null) return undefined;
        return x.coldDepth.db <= x.warmDepth.db && x.coldDepth.pay <= x.warmDepth.pay;
      }),
    });
  }
  return out;
}

/** "How it is measured" for the latency phase. */
export function latencyMethod(runs: readonly Run[]): string[] {
  const l = runs.find((r) => r.latency !== undefined)?.latency;
  if (l === undefined) return [];
  const m = l.model;
  return [
    `- **Latency**: a fresh stack with the latency model (devcloud/latency.ts; \`npm run bench -- --latency ${formatLatency(m)}\``,
    `  overrides it, \`--latency off\` skips the phase): each database round trip a function makes takes ${m.dbMs} ms (in the`,
    `  wx-server-sdk stand-in: half before the operation, the answer ${m.dbMs} ms after the request), each WeChat Pay call`,
    `  ${m.payMs} ms (the simulator answers that long after the request arrived), each mini program call ${m.callMs} ms (the`,
    '  gateway waits half before and half after the invocation; HTTP access such as payNotify has none: a notification is',
    '  timed from its arrival at the gateway to its answer, the x-devcloud-ms header; the row also gives the p50 the',
    '  sending bench process saw, which adds its own wake-up from idle and the loopback). The database’s and WeChat’s own work (the local engine, the simulator) runs inside their',
    '  round trip, as a server’s time is inside a cloud round trip (the answer is later only when it takes longer); the',
    '  function’s own work never is. Every delay is drawn independently, uniform in base ×',
    `  [1 − ${m.jitter}, 1 + ${m.jitter}] (mean: the base). A first shopper adds one item, checks out, resumes the`,
    '  payment, refreshes the order and lists the orders, and its notification is delivered twice: those are the fresh',
    `  functions’ cold starts (reported apart, not in the percentiles). Then ${l.warmup ?? 0} shoppers do the same, 8 at a time,`,
    '  not measured (the percentiles are a warm instance’s, as on the platform, where an instance serves many calls and',
    `  V8 has optimised its code); then ${l.samples - 1} shoppers one after another (nothing queues), their notifications`,
    '  after them, each delivered twice. p99 of a few dozen samples is near their maximum.',
    '- **Bounds** of the latency rows: the minimum chain of dependent steps each operation needs, under the base delays',
    '  (call, db, pay = the three delays): ' +
      Object.values(CHAINS)
        .map((c) => `${c.label.replace(/ \(.*\)$/, '')} = ${chainText(c.chain)} (${c.why})`)
        .join('; ') +
      '. The depth in each row is the gateway’s x-devcloud-depth (devcloud/sdk/steps.ts): the database round trips and',
    '  WeChat Pay calls on the invocation’s critical path, concurrent steps counted once; test/e2e/dependent-steps.test.ts',
    '  fails when one grows. CPU (signatures, the function runtime) is not in the bound: it is what the ratio shows.',
    '- **Cold functions**: the first call each function gets on the latency stack against the same operation warm:',
    '  the bundle’s load time (as in the bundle rows: a fresh Node process), extra round trips (x-devcloud-db-ops), extra',
    '  dependent steps (x-devcloud-depth) and the wait, cold against the warm median (the cold wait includes the load).',
  ];
}

/** Automatic notes on the latency rows: each missed target with its reason and next lever. */
export function latencyNotes(runs: readonly Run[]): string[] {
  const notes: string[] = [];
  /** Per run that missed `key`'s target: how far above the bound its p50 was, and that run's CPU and load. */
  const misses = (key: string, cpu: (r: Run) => number | undefined): string[] =>
    runs.flatMap((r, i) => {
      const o = r.latency?.ops.find((x) => x.key === key);
      if (o === undefined || metOf(o) !== false) return [];
      const c = cpu(r);
      const load = r.machine?.loadAvgStart[0];
      return [
        `run ${i + 1}: p50 ${ms1(o.p50Ms - o.boundMs)} above the bound (the target allows ${ms1(((o.p50Target ?? 1) - 1) * o.boundMs)}), p99 ${ms1(o.p99Ms - o.boundMs)} above` +
          (c === undefined
            ? ''
            : `; the stack’s CPU per operation in this run’s throughput phase: ${ms1(c)}`) +
          (load === undefined || r.machine === undefined
            ? ''
            : `; load average ${load.toFixed(1)} on ${r.machine.cpus} cores at the start`),
      ];
    });
  const checkoutMisses = misses('checkout', (r) => r.checkouts?.cpuMsPerOp);
  if (checkoutMisses.length > 0)
    notes.push(
      `Tap → payment parameters above its target (${checkoutMisses.join('; ')}). Its chain is the minimum the design allows (cart read → decrement → insert → prepay → prepay save, the cart write beside the prepay); the excess is CPU on that chain — the gateway and function runtime, pricing, two merchant RSA signatures and the answer's verification, the prepay request's own signing — which waits for a core when the load average is above the core count. Next levers: less CPU per checkout (the simulator in its own process, datafiles kept open: the other #19 changes), then a shorter chain — starting the decrement from the lines the shopper confirmed beside the cart read (the cart check would then give the holds back on a mismatch), or asking WeChat for the prepay beside the order insert (a failed insert would then leave an unpayable WeChat order to expire); each takes one dependent round trip off.`,
    );
  const notifyMisses = misses('notify', (r) => r.notifications?.cpuMsPerOp);
  if (notifyMisses.length > 0)
    notes.push(
      `Notification → 200 above its target (${notifyMisses.join('; ')}). Its chain is two dependent round trips (order read → compare-and-set); with a bound of 16 ms the 15 % margin is 2.4 ms, about the notification's whole CPU (signature verify, decrypt, gateway, function runtime, on one event loop shared with the database). Next lever: one conditional update that checks and records the payment (filter on state, amount and version-free fields instead of read + compare-and-set) would make the chain 1 round trip.`,
    );
  const coldExtra = runs.flatMap((r) =>
    (r.latency?.cold ?? []).filter(
      (c) =>
        c.coldDepth !== null &&
        c.warmDepth !== null &&
        (c.coldDepth.db > c.warmDepth.db || c.coldDepth.pay > c.warmDepth.pay),
    ),
  );
  const coldOps = runs.flatMap((r) => (r.latency?.cold ?? []).filter((c) => c.coldOps > c.warmOps));
  if (coldOps.length > 0)
    notes.push(
      `Cold functions: the extra round trips of ${[...new Set(coldOps.map((c) => c.op))].join(', ')} on a fresh instance are its catalog fill (products and skus, read side by side beside the cart read, so no extra dependent step). They are not 0 because no read the operation makes anyway can carry the catalog: the cart read is a document get of the shopper’s cart, the stock decrement is an update that answers only how many documents it changed, and the cloud database has no join in a document read (the local one has no aggregate at all). The fill is shared by every later call of the instance for 60 s (the cart’s and checkout’s catalog age); the decrement is pinned to the priced facts, so the age never sells at a stale price (docs/adr/0007).`,
    );
  if (coldExtra.length > 0)
    notes.push(
      `Cold functions: ${[...new Set(coldExtra.map((c) => c.op))].join(', ')} wait for extra dependent steps on a fresh instance.`,
    );
  return notes;
}
