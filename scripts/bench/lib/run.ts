// One bench run: the machine's bounds, then the system measured against them in the same run (so every ratio is
// from one run). The stack runs in its own process (the harness's child stack with ./stack-setup.ts); this process
// only drives HTTP load.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { buildFunctions, buildMiniprogramNpm } from '../../build';
import { measureBounds, type Bounds } from './bounds';
import { findWxServerSdk, measureBundles, type BundleFigures, type SdkFigures } from './bundles';
import {
  GatewayClient,
  startSimulatorChild,
  startStackChild,
  type SimChild,
  type Envelope,
  type Exchange as CallResult,
  type StackChild,
} from '../../../devcloud/harness';
import { mode, percentile, runConcurrent, secondsSince, warmedUp } from './load';
import { measureMainPackage, type MainPackage } from './mp-size';
import { signNotifications, type SignedNotification } from './notify';
import type { BenchStackInfo } from './stack-setup';
import type { LatencyResult } from './latency';
import { runGrowth, type Growth, type GrowthSize } from './bigday';
import { runFlashSale, type FlashSale, type FlashSize } from './flash';
import { runReconcileBench, type ReconcileBench, type ReconcileSize } from './reconcile-bench';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';

const ROOT = resolve(__dirname, '..', '..', '..');

/** How big a run is. */
export interface BenchSize {
  boundsSeconds: number;
  bundleRuns: number;
  checkouts: number;
  /** Shoppers per round of the unmeasured warm-up before the checkout and notification phases (rounds until settled). */
  warmup: number;
  concurrency: number;
  rtSamples: number;
  /** Issue 19's phases: the flash sale, growth to 100 k orders (own stack), a big day's reconcile (own stacks). */
  flash: FlashSize;
  growth: GrowthSize;
  reconcile: ReconcileSize;
  /** Rebuild the bundles and the mini program npm folder first (off when the caller just built them). */
  build: boolean;
}

export const FULL: BenchSize = {
  boundsSeconds: 1,
  bundleRuns: 5,
  checkouts: 800,
  warmup: 400,
  concurrency: 16,
  rtSamples: 5,
  flash: { shoppers: 5_000, stock: [400, 350, 250], cancelEvery: 5, sockets: 128, concurrency: 16 },
  growth: {
    shopperOrders: 1_000,
    largeOrders: 100_000,
    otherShoppers: 5_000,
    ops: 600,
    readOps: 3_000,
    warmupOps: 300,
    concurrency: 16,
    rounds: 6,
  },
  reconcile: { payments: 18_000, refunds: 2_000, missingHere: 5, missingThere: 5, amountMismatches: 5 },
  build: true,
};

export const QUICK: BenchSize = {
  boundsSeconds: 0.05,
  bundleRuns: 1,
  checkouts: 12,
  warmup: 4,
  concurrency: 4,
  rtSamples: 1,
  flash: { shoppers: 30, stock: [4, 3, 3], cancelEvery: 3, sockets: 16, concurrency: 4 },
  growth: {
    shopperOrders: 30,
    largeOrders: 300,
    otherShoppers: 20,
    ops: 6,
    readOps: 6,
    warmupOps: 6,
    concurrency: 4,
    rounds: 2,
  },
  reconcile: { payments: 40, refunds: 10, missingHere: 1, missingThere: 1, amountMismatches: 1 },
  build: true,
};

/** Throughput and latency of one timed phase. */
export interface Phase {
  count: number;
  errors: number;
  /** The first few error codes seen, for the notes. */
  errorCodes: string[];
  perS: number;
  p50Ms: number;
  p99Ms: number;
  /** Stack process CPU per operation (ms): the local cloud, without the simulator (its own process). */
  cpuMsPerOp: number;
  /** Simulator process CPU per operation (ms): WeChat's side, context only. */
  simCpuMsPerOp: number;
  /** The stack process's CPU time over the phase's wall time: the share of a core it got (at most ~1: one thread). */
  cpuShare: number;
  /** Most common round-trip count per operation. */
  roundTrips: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

/** Everything one run measured. */
export interface BenchResult {
  startedAt: string;
  seconds: number;
  quick: boolean;
  machine: Machine;
  bounds: Bounds;
  bundles: BundleFigures[];
  sdk: SdkFigures | null;
  miniprogram: MainPackage;
  roundTrips: Record<string, number>;
  checkouts: Phase;
  /**
   * CPU (ms) of one RSA-2048 signature on the stack's main thread, measured between the checkout blocks (absent from
   * results made before 2026-12-07's third session: the machine bound stands in).
   */
  checkoutSignatureMs?: number;
  /** CPU per checkout (ms) of each unmeasured warm-up round, until it settled. */
  warmupCpu?: number[];
  addToCart: Phase;
  notifications: Phase;
  duplicates: Phase;
  verifyOnly: Phase;
  /**
   * The platform-signature check (node:crypto verify, the same code and bytes in both) timed in place inside the
   * notifications and inside the verify-only requests of the alternating blocks: calls timed and the median's wall
   * time (µs). Absent before 2026-12-07.
   */
  signatureCheck?: Record<'notification' | 'verifyOnly', { calls: number; medianUs: number }>;
  flash: FlashSale;
  /** The latency phase (./latency.ts), when the run had one. */
  latency?: LatencyResult;
  growth: Growth;
  reconcile: ReconcileBench;
}

const BENCH_SKU = 'sku-coffee-250g';
/** Notifications and verify-only requests alternate in blocks of this many (./run.ts interleaved). */
const NOTIFY_BLOCK = 50;
/** Checkouts per block between two measurements of the signing bound in the stack. */
const CHECKOUT_BLOCK = 50;

const SECOND_SKU = 'sku-coffee-500g';

function errCode(r: CallResult<Envelope>): string | undefined {
  if (r.status < 200 || r.status >= 300) return `HTTP_${r.status}`;
  const b = r.body as Envelope | undefined;
  if (b !== undefined && typeof b === 'object' && 'ok' in b && b.ok === false) return b.error.code;
  return undefined;
}

/** What one measured stretch of operations gave, before it is summarised (blocks of it can be merged). */
export interface RawPhase {
  latencies: number[];
  seconds: number;
  cpuMs: number;
  simCpuMs: number;
  results: CallResult<Envelope>[][];
}

export async function measureRaw(
  stack: BenchStack,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<CallResult<Envelope>[]>,
): Promise<RawPhase> {
  const sim0 = await stack.sim.cpuMs();
  const cpu0 = await stack.cpuMs();
  const t0 = process.hrtime.bigint();
  const latencies: number[] = [];
  const results = await runConcurrent(count, concurrency, async (i) => {
    const s = process.hrtime.bigint();
    const calls = await op(i);
    latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    return calls;
  });
  const seconds = secondsSince(t0);
  const cpu1 = await stack.cpuMs();
  const sim1 = await stack.sim.cpuMs();
  return { latencies, seconds, cpuMs: cpu1 - cpu0, simCpuMs: sim1 - sim0, results };
}

/** The summary of one or more measured stretches of the same operation. */
export function phaseOf(raws: readonly RawPhase[]): Phase {
  const results = raws.flatMap((r) => r.results);
  const latencies = raws.flatMap((r) => r.latencies);
  const count = results.length;
  const seconds = raws.reduce((t, r) => t + r.seconds, 0);
  const cpuMs = raws.reduce((t, r) => t + r.cpuMs, 0);
  const simCpuMs = raws.reduce((t, r) => t + r.simCpuMs, 0);
  const codes = results.flatMap((calls) => calls.map(errCode)).filter((c): c is string => c !== undefined);
  return {
    count,
    errors: results.filter((calls) => calls.some((c) => errCode(c) !== undefined)).length,
    errorCodes: [...new Set(codes)].slice(0, 5),
    perS: count / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerOp: cpuMs / count,
    simCpuMsPerOp: simCpuMs / count,
    cpuShare: cpuMs / (seconds * 1000),
    roundTrips: mode(results.flatMap((calls) => calls.map((c) => c.dbOps)).filter((n) => Number.isFinite(n))),
  };
}

/** Runs `count` operations at `concurrency`; each returns the calls it made (the last one's round trips count). */
export async function timed(
  stack: BenchStack,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<CallResult<Envelope>[]>,
): Promise<{ phase: Phase; results: CallResult<Envelope>[][] }> {
  const raw = await measureRaw(stack, count, concurrency, op);
  return { results: raw.results, phase: phaseOf([raw]) };
}

/**
 * Two operations over the same `count` items, measured in alternating blocks of `block` (a's block, then b's on the
 * same items), so both run in the same state of the process — the same warmth of its compiled code, the same heap —
 * and a ratio of the two compares like with like.
 */
export async function interleaved(
  stack: BenchStack,
  count: number,
  block: number,
  concurrency: number,
  a: (i: number) => Promise<CallResult<Envelope>[]>,
  b: (i: number) => Promise<CallResult<Envelope>[]>,
  /** Runs after each block, outside its measurement: 0 after an `a` block, 1 after a `b` block. */
  after?: (which: 0 | 1) => Promise<void>,
): Promise<[Phase, Phase]> {
  const ra: RawPhase[] = [];
  const rb: RawPhase[] = [];
  for (let from = 0; from < count; from += block) {
    const n = Math.min(block, count - from);
    ra.push(await measureRaw(stack, n, concurrency, (i) => a(from + i)));
    await after?.(0);
    rb.push(await measureRaw(stack, n, concurrency, (i) => b(from + i)));
    await after?.(1);
  }
  return [phaseOf(ra), phaseOf(rb)];
}

function requireOk<T>(r: CallResult<Envelope<T>>, what: string): T {
  const b = r.body;
  if (!b.ok) throw new Error(`${what} failed: ${b.error.code} ${b.error.message}`);
  return b.data;
}

function key(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Runs one bench; `log` gets progress lines. */
export async function runBench(size: BenchSize, log: (line: string) => void): Promise<BenchResult> {
  const started = Date.now();
  const machine: Machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAvgStart: loadavg(),
    loadAvgEnd: [],
  };
  if (size.build) {
    log('building the function bundles and the mini program npm folder');
    await buildFunctions();
    buildMiniprogramNpm();
  }

  log('measuring the machine bounds (RSA sign/verify, AES-GCM, fsync)');
  const bounds = measureBounds(size.boundsSeconds, process.env.BENCH_DATA_DIR ?? tmpdir());

  log('measuring bundle sizes and load times');
  const { bundles, sdk } = measureBundles(
    join(ROOT, 'cloudfunctions'),
    size.bundleRuns,
    findWxServerSdk(ROOT),
  );
  const miniprogram = measureMainPackage(join(ROOT, 'miniprogram'));

  log('starting the stack (its own process)');
  const stack = await startBenchStack();
  const client = new GatewayClient(stack.gatewayUrl, 600);
  const verifyClient = new GatewayClient(stack.info.verifyOnlyUrl, 64);
  let stopped = false;
  const stopStack = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.close();
    verifyClient.close();
    await stack.stop();
    rmSync(stack.workDir, { recursive: true, force: true });
  };
  try {
    const bigStock = 10_000_000;
    await stack.call('setStock', { skuId: BENCH_SKU, stock: bigStock });
    await stack.call('setStock', { skuId: SECOND_SKU, stock: bigStock });
    // The payer pays in the simulator, but the simulator's own deliveries are dropped: the bench delivers the same
    // notification bodies itself, signed before the clock starts.
    await stack.call('addFault', { spec: { kind: 'notify.drop' } });
    const notify = (n: SignedNotification) => client.post<unknown>('/http/payNotify', n.body, n.headers);
    const payAndSign = async (outTradeNos: string[]): Promise<SignedNotification[]> => {
      await stack.call('pay', { outTradeNos });
      const bodies = await stack.call<string[]>('notificationBodies', { outTradeNos });
      return signNotifications(bodies, stack.info.platformSigner);
    };

    log('round trips per operation');
    const rt: Record<string, number[]> = {};
    const note = (k: string, r: CallResult<unknown>) => (rt[k] ??= []).push(r.dbOps);
    for (let i = 0; i < size.rtSamples; i++) {
      const who = `bench-rt-${i}`;
      const add = await client.as(who).exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 });
      requireOk(add, 'addToCart');
      note('shop.addToCart', add);
      const place = await client
        .as(who)
        .exchange('order', 'place', { clientRequestKey: key('rt'), delivery: TEST_DELIVERY });
      const order = requireOk(place, 'order.place (1 SKU)');
      note('order.place (1 SKU)', place);
      const get = await client.as(who).exchange('order', 'get', { outTradeNo: order.outTradeNo });
      requireOk(get, 'order.get');
      note('order.get', get);
      const start = await client.as(who).exchange('pay', 'start', { outTradeNo: order.outTradeNo });
      requireOk(start, 'pay.start');
      note('pay.start', start);
      const [signed] = await payAndSign([order.outTradeNo]);
      if (signed === undefined) throw new Error('no notification to send');
      const first = await notify(signed);
      if (first.status !== 200)
        throw new Error(`payNotify answered ${first.status}: ${JSON.stringify(first.body)}`);
      note('payNotify (payment)', first);
      note('payNotify (duplicate)', await notify(signed));
      requireOk(
        await client.as(who).exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 }),
        'addToCart',
      );
      requireOk(
        await client.as(who).exchange('shop', 'addToCart', { skuId: SECOND_SKU, quantity: 1 }),
        'addToCart',
      );
      const place2 = await client
        .as(who)
        .exchange('order', 'place', { clientRequestKey: key('rt2'), delivery: TEST_DELIVERY });
      requireOk(place2, 'order.place (2 SKUs)');
      note('order.place (2 SKUs)', place2);
    }
    const roundTrips = Object.fromEntries(Object.entries(rt).map(([k, v]) => [k, mode(v)]));

    // What the confirm page shows for one bag of the bench SKU: order.checkout is priced at it (the shopper's one call).
    requireOk(
      await client.as('bench-price').exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 }),
      'addToCart',
    );
    const payable = (
      requireOk(await client.as('bench-price').exchange('shop', 'getCart', {}), 'getCart') as {
        selectedTotalFen: number;
      }
    ).selectedTotalFen;
    const checkout = (who: string, tag: string) =>
      client.fnEvent(
        'order',
        {
          action: 'checkout',
          clientRequestKey: key(tag),
          delivery: TEST_DELIVERY,
          lines: [{ skuId: BENCH_SKU, quantity: 1 }],
          displayedPayableFen: payable,
        },
        who,
      );
    const checkoutAll = async (who: readonly string[], tag: string) => {
      const outTradeNos: string[] = [];
      const raw = await measureRaw(stack, who.length, size.concurrency, async (i) => {
        const r = await checkout(who[i] ?? '', tag);
        const b = r.body as Envelope<{ order: { outTradeNo: string } }>;
        if (b.ok) outTradeNos.push(b.data.order.outTradeNo);
        return [r];
      });
      return { raw, phase: phaseOf([raw]), outTradeNos };
    };
    const asEnvelope = (r: CallResult<unknown>): CallResult<Envelope> => ({
      ...r,
      body:
        r.status === 200
          ? { ok: true, data: r.body }
          : { ok: false, error: { code: `HTTP_${r.status}`, message: '' } },
    });
    const verifyOnlyOf = async (n: SignedNotification) =>
      asEnvelope(await verifyClient.post('/http/verifyOnly', n.body, n.headers));

    // Warm-up, not measured: the same operations as the measured phases, so they compare steady states (a warm instance
    // on the platform has served many calls; V8 optimises a function's code over its first hundreds of calls, on
    // threads whose CPU counts as the stack's). A fresh instance's first call is the cold-function rows' subject.
    // Rounds of `warmup` shoppers until the CPU per checkout stops falling (./load.ts WARM_UP).
    const warmCpu: number[] = [];
    for (let round = 0; !warmedUp(warmCpu); round++) {
      const who = Array.from({ length: size.warmup }, (_, i) => `bench-w${round}-${i}`);
      await runConcurrent(who.length, size.concurrency, async (i) =>
        client.as(who[i] ?? '').exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 }),
      );
      const warm = await checkoutAll(who, `w${round}`);
      const now = warm.phase.cpuMsPerOp;
      warmCpu.push(now);
      const warmSigned = await payAndSign(warm.outTradeNos);
      await runConcurrent(warmSigned.length, size.concurrency, async (i) => {
        const n = warmSigned[i] as SignedNotification;
        await notify(n);
        await notify(n);
        await verifyOnlyOf(n);
      });
      log(`warm-up round ${round + 1}: ${size.warmup} checkouts, ${now.toFixed(2)} ms CPU each`);
    }

    log(`checkouts (order.checkout): ${size.checkouts} shoppers, ${size.concurrency} at a time`);
    const shoppers = Array.from({ length: size.checkouts }, (_, i) => `bench-c-${i}`);
    const addToCart = (
      await timed(stack, shoppers.length, size.concurrency, async (i) => [
        await client.as(shoppers[i] ?? '').exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 }),
      ])
    ).phase;
    // In blocks, each followed by as many RSA signatures in the stack process as its checkouts made (two each): the
    // target's bound is then measured in the same process and the same minutes as the checkouts (the machine's speed
    // drifts between minutes; a bound taken at the start moved the ratio by a tenth between two runs of one code).
    const raws: RawPhase[] = [];
    const outTradeNos: string[] = [];
    const signatures = { count: 0, cpuMs: 0 };
    for (let from = 0; from < shoppers.length; from += CHECKOUT_BLOCK) {
      const block = await checkoutAll(shoppers.slice(from, from + CHECKOUT_BLOCK), 'c');
      raws.push(block.raw);
      outTradeNos.push(...block.outTradeNos);
      const signed = await stack.call<{ count: number; cpuMs: number }>('rsaSigns', {
        count: 2 * block.raw.results.length,
      });
      signatures.count += signed.count;
      signatures.cpuMs += signed.cpuMs;
    }
    const checkouts = phaseOf(raws);

    log(`notifications: ${outTradeNos.length} payments, alternating with verify-only requests`);
    const signed = await payAndSign(outTradeNos);
    // The signature checks each kind of request made, timed in place (./verify-clock.ts): the same code, the same bytes.
    const checks: [number[], number[]] = [[], []];
    await stack.call('verifyClock');
    const [notifications, verifyOnly] = await interleaved(
      stack,
      signed.length,
      NOTIFY_BLOCK,
      size.concurrency,
      async (i) => [asEnvelope(await notify(signed[i] as SignedNotification))],
      async (i) => [await verifyOnlyOf(signed[i] as SignedNotification)],
      async (which) => {
        checks[which].push(...(await stack.call<number[]>('verifyClock')));
      },
    );
    const signatureCheck = {
      notification: { calls: checks[0].length, medianUs: percentile(checks[0], 50) },
      verifyOnly: { calls: checks[1].length, medianUs: percentile(checks[1], 50) },
    };
    const duplicates = (
      await timed(stack, signed.length, size.concurrency, async (i) => [
        asEnvelope(await notify(signed[i] as SignedNotification)),
      ])
    ).phase;

    log(
      `flash sale: ${size.flash.shoppers} shoppers, stock ${size.flash.stock.join(' + ')}, cancels during the sale`,
    );
    const flash = await runFlashSale(stack, size.flash);

    // Issue 19's bigger phases run on stacks of their own, one after the other, once this one is down.
    await stopStack();
    log('growth: two stacks of its own (small and large), measured in alternation');
    const growth: Growth = await runGrowth(
      {
        start: startBenchStack,
        makeClient: (url) => new GatewayClient(url, 64),
        measure: measureRaw,
        summarise: phaseOf,
        log,
      },
      size.growth,
    );
    log('reconcile: a big day on stacks of its own');
    const reconcile = await runReconcileBench(
      startBenchStack,
      (url) => new GatewayClient(url, 16),
      size.reconcile,
      log,
    );

    machine.loadAvgEnd = loadavg();
    return {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      quick: size.checkouts === QUICK.checkouts,
      machine,
      bounds,
      bundles,
      sdk,
      miniprogram,
      roundTrips,
      checkouts,
      checkoutSignatureMs: signatures.cpuMs / signatures.count,
      warmupCpu: warmCpu,
      addToCart,
      notifications,
      duplicates,
      verifyOnly,
      signatureCheck,
      flash,
      growth,
      reconcile,
    };
  } finally {
    await stopStack();
  }
}

/** The bench's stack process, with the simulator process it uses. */
export type BenchStack = StackChild<BenchStackInfo> & { workDir: string; sim: SimChild };

/**
 * The stack in its own process, so the load generator and the stack do not share one event loop, and the simulator in
 * a third process, so the stack's CPU is the shop's and the local cloud's alone (the simulator verifies and signs as
 * WeChat would, on WeChat's machines). BENCH_DATA_DIR: where their data goes (default the temp dir); BENCH_VERBOSE=1:
 * their logs on stderr; BENCH_CPU_PROF=<dir>: each writes a V8 CPU profile there when it stops (to see where its
 * time goes).
 */
export async function startBenchStack(existingWorkDir?: string): Promise<BenchStack> {
  const workDir =
    existingWorkDir ?? mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'wxshop-bench-'));
  const verbose = process.env.BENCH_VERBOSE === '1';
  const profArgv = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  let sim: SimChild | undefined;
  try {
    sim = await startSimulatorChild(
      { dataDir: join(workDir, 'simulator'), log: verbose },
      { echo: verbose, execArgv: profArgv },
    );
    const child = await startStackChild<BenchStackInfo>(
      {
        dataDir: join(workDir, 'stack'),
        externalSimulatorUrl: sim.url,
        env: { LOG_LEVEL: verbose ? 'info' : 'error', ORDER_TTL_MINUTES: '120' },
        log: verbose,
        setup: join(__dirname, 'stack-setup.ts'),
        setupArgs: { workDir },
      },
      {
        echo: verbose,
        // A stack started again on a big day's datafiles loads them first (issue 19's reconcile phase).
        startTimeoutMs: 300_000,
        // --expose-gc: the growth phase collects the bulk seeding's garbage before it measures (bigday-setup.ts `gc`).
        execArgv: ['--expose-gc', ...profArgv],
      },
    );
    const started = sim;
    const stopStack = child.stop.bind(child);
    return Object.assign(child, {
      workDir,
      sim: started,
      stop: async () => {
        await stopStack();
        await started.stop();
      },
    });
  } catch (e) {
    await sim?.stop();
    if (existingWorkDir === undefined) rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}
