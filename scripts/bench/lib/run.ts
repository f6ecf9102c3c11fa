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
import { mode, percentile, runConcurrent, secondsSince } from './load';
import { measureMainPackage, type MainPackage } from './mp-size';
import { signNotifications, type SignedNotification } from './notify';
import type { BenchStackInfo } from './stack-setup';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';

const ROOT = resolve(__dirname, '..', '..', '..');

/** How big a run is. */
export interface BenchSize {
  boundsSeconds: number;
  bundleRuns: number;
  checkouts: number;
  concurrency: number;
  rtSamples: number;
  flashShoppers: number;
  flashStock: number;
  scaleSizes: number[];
  scaleOps: number;
  /** Rebuild the bundles and the mini program npm folder first (off when the caller just built them). */
  build: boolean;
}

export const FULL: BenchSize = {
  boundsSeconds: 1,
  bundleRuns: 5,
  checkouts: 400,
  concurrency: 16,
  rtSamples: 5,
  flashShoppers: 500,
  flashStock: 100,
  scaleSizes: [1_000, 10_000],
  scaleOps: 200,
  build: true,
};

export const QUICK: BenchSize = {
  boundsSeconds: 0.05,
  bundleRuns: 1,
  checkouts: 12,
  concurrency: 4,
  rtSamples: 1,
  flashShoppers: 20,
  flashStock: 5,
  scaleSizes: [60, 120],
  scaleOps: 8,
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

/** Figures at one database size. */
export interface ScalePoint {
  orders: number;
  checkouts: Phase;
  notifications: Phase;
  orderGet: Phase;
  listMine: Phase;
}

export interface FlashSale {
  shoppers: number;
  stock: number;
  sold: number;
  busy: number;
  outOfStock: number;
  otherErrors: number;
  otherCodes: string[];
  /** Quantity held by orders beyond the stock there was. */
  oversold: number;
  stockLeft: number | null;
  seconds: number;
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
  addToCart: Phase;
  notifications: Phase;
  duplicates: Phase;
  verifyOnly: Phase;
  flash: FlashSale;
  scale: ScalePoint[];
}

const BENCH_SKU = 'sku-coffee-250g';
const SECOND_SKU = 'sku-coffee-500g';
const FLASH_SKU = 'sku-longjing-50g';

function errCode(r: CallResult<Envelope>): string | undefined {
  if (r.status < 200 || r.status >= 300) return `HTTP_${r.status}`;
  const b = r.body as Envelope | undefined;
  if (b !== undefined && typeof b === 'object' && 'ok' in b && b.ok === false) return b.error.code;
  return undefined;
}

/** Runs `count` operations at `concurrency`; each returns the calls it made (the last one's round trips count). */
async function timed(
  stack: BenchStack,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<CallResult<Envelope>[]>,
): Promise<{ phase: Phase; results: CallResult<Envelope>[][] }> {
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
  const codes = results.flatMap((calls) => calls.map(errCode)).filter((c): c is string => c !== undefined);
  return {
    results,
    phase: {
      count,
      errors: results.filter((calls) => calls.some((c) => errCode(c) !== undefined)).length,
      errorCodes: [...new Set(codes)].slice(0, 5),
      perS: count / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpuMsPerOp: (cpu1 - cpu0) / count,
      simCpuMsPerOp: (sim1 - sim0) / count,
      cpuShare: (cpu1 - cpu0) / (seconds * 1000),
      roundTrips: mode(
        results.flatMap((calls) => calls.map((c) => c.dbOps)).filter((n) => Number.isFinite(n)),
      ),
    },
  };
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
  /** Puts one of `skuId` in the shopper's cart, outside what is measured. */
  const oneInCart = async (who: string, skuId: string, what: string) =>
    requireOk(await client.as(who).exchange('shop', 'addToCart', { skuId, quantity: 1 }), what);
  const verifyClient = new GatewayClient(stack.info.verifyOnlyUrl, 64);
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

    log(`checkouts: ${size.checkouts} shoppers, ${size.concurrency} at a time`);
    const shoppers = Array.from({ length: size.checkouts }, (_, i) => `bench-c-${i}`);
    const addToCart = (
      await timed(stack, shoppers.length, size.concurrency, async (i) => [
        await client.as(shoppers[i] ?? '').exchange('shop', 'addToCart', { skuId: BENCH_SKU, quantity: 1 }),
      ])
    ).phase;
    const outTradeNos: string[] = [];
    const checkouts = (
      await timed(stack, shoppers.length, size.concurrency, async (i) => {
        const who = shoppers[i] ?? '';
        const place = await client
          .as(who)
          .exchange('order', 'place', { clientRequestKey: key('c'), delivery: TEST_DELIVERY });
        if (!place.body.ok) return [place];
        const start = await client
          .as(who)
          .exchange('pay', 'start', { outTradeNo: place.body.data.outTradeNo });
        if (start.body.ok) outTradeNos.push(place.body.data.outTradeNo);
        return [place, start];
      })
    ).phase;

    log(`notifications: ${outTradeNos.length} payments`);
    const signed = await payAndSign(outTradeNos);
    const asEnvelope = (r: CallResult<unknown>): CallResult<Envelope> => ({
      ...r,
      body:
        r.status === 200
          ? { ok: true, data: r.body }
          : { ok: false, error: { code: `HTTP_${r.status}`, message: '' } },
    });
    const notifications = (
      await timed(stack, signed.length, size.concurrency, async (i) => [
        asEnvelope(await notify(signed[i] as SignedNotification)),
      ])
    ).phase;
    const duplicates = (
      await timed(stack, signed.length, size.concurrency, async (i) => [
        asEnvelope(await notify(signed[i] as SignedNotification)),
      ])
    ).phase;
    // Its first call loads the function and builds the provider (payNotify was warmed by the round-trip samples).
    if (signed[0] !== undefined)
      await verifyClient.post('/http/verifyOnly', signed[0].body, signed[0].headers);
    const verifyOnly = (
      await timed(stack, signed.length, size.concurrency, async (i) => {
        const n = signed[i] as SignedNotification;
        return [asEnvelope(await verifyClient.post('/http/verifyOnly', n.body, n.headers))];
      })
    ).phase;

    log(`flash sale: ${size.flashShoppers} shoppers, stock ${size.flashStock}`);
    await stack.call('setStock', { skuId: FLASH_SKU, stock: bigStock });
    const flashShoppers = Array.from({ length: size.flashShoppers }, (_, i) => `bench-f-${i}`);
    await runConcurrent(flashShoppers.length, size.concurrency, async (i) =>
      oneInCart(flashShoppers[i] ?? '', FLASH_SKU, 'addToCart (flash sale)'),
    );
    await stack.call('setStock', { skuId: FLASH_SKU, stock: size.flashStock });
    const f0 = process.hrtime.bigint();
    const flashResults = await Promise.all(
      flashShoppers.map((who) =>
        client.as(who).exchange('order', 'place', { clientRequestKey: key('f'), delivery: TEST_DELIVERY }),
      ),
    );
    const flashSeconds = secondsSince(f0);
    const codes = flashResults.map(errCode);
    const sold = await stack.call<{ orders: number; quantity: number }>('skuSold', { skuId: FLASH_SKU });
    const sku = await stack.call<Record<string, unknown> | null>('sku', { skuId: FLASH_SKU });
    const other = codes.filter((c) => c !== undefined && c !== 'ORDER.BUSY' && c !== 'ORDER.OUT_OF_STOCK');
    const flash: FlashSale = {
      shoppers: size.flashShoppers,
      stock: size.flashStock,
      sold: codes.filter((c) => c === undefined).length,
      busy: codes.filter((c) => c === 'ORDER.BUSY').length,
      outOfStock: codes.filter((c) => c === 'ORDER.OUT_OF_STOCK').length,
      otherErrors: other.length,
      otherCodes: [...new Set(other as string[])].slice(0, 5),
      oversold: Math.max(0, sold.quantity - size.flashStock),
      stockLeft: typeof sku?.stock === 'number' ? sku.stock : null,
      seconds: flashSeconds,
    };

    const scale: ScalePoint[] = [];
    const template = outTradeNos[0];
    if (template === undefined) throw new Error('no checkout succeeded: nothing to clone for the scale runs');
    for (const target of size.scaleSizes) {
      const have = await stack.call<number>('ordersCount');
      if (have < target) {
        log(`scale: adding ${target - have} past orders to reach ${target}`);
        const history = Array.from({ length: 500 }, (_, i) => `bench-h-${i}`);
        await stack.call('seedOrders', {
          template,
          count: target - have,
          openids: history,
          startMs: Date.now(),
        });
      }
      const orders = await stack.call<number>('ordersCount');
      log(`scale: measuring at ${orders} orders`);
      const who = Array.from({ length: size.scaleOps }, (_, i) => `bench-s${target}-${i}`);
      await runConcurrent(who.length, size.concurrency, async (i) =>
        oneInCart(who[i] ?? '', BENCH_SKU, 'addToCart'),
      );
      const placed: string[] = new Array<string>(who.length).fill('');
      const sc = await timed(stack, who.length, size.concurrency, async (i) => {
        const place = await client
          .as(who[i] ?? '')
          .exchange('order', 'place', { clientRequestKey: key('s'), delivery: TEST_DELIVERY });
        if (!place.body.ok) return [place];
        const start = await client
          .as(who[i] ?? '')
          .exchange('pay', 'start', { outTradeNo: place.body.data.outTradeNo });
        // Only an order WeChat knows can be paid (a failed pay.start counts as a failed checkout).
        if (start.body.ok) placed[i] = place.body.data.outTradeNo;
        return [place, start];
      });
      const paid = placed.filter((n) => n !== '');
      const sn = await payAndSign(paid);
      const nt = await timed(stack, sn.length, size.concurrency, async (i) => [
        asEnvelope(await notify(sn[i] as SignedNotification)),
      ]);
      const og = await timed(stack, paid.length, size.concurrency, async (i) => {
        const j = placed.indexOf(paid[i] ?? '');
        return [await client.as(who[j] ?? '').exchange('order', 'get', { outTradeNo: paid[i] ?? '' })];
      });
      const lm = await timed(stack, who.length, size.concurrency, async (i) => [
        await client.as(`bench-h-${i % 500}`).exchange('order', 'listMine', { limit: 20 }),
      ]);
      scale.push({
        orders,
        checkouts: sc.phase,
        notifications: nt.phase,
        orderGet: og.phase,
        listMine: lm.phase,
      });
    }

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
      addToCart,
      notifications,
      duplicates,
      verifyOnly,
      flash,
      scale,
    };
  } finally {
    client.close();
    verifyClient.close();
    await stack.stop();
    rmSync(stack.workDir, { recursive: true, force: true });
  }
}

/** The bench's stack process, with the simulator process it uses. */
type BenchStack = StackChild<BenchStackInfo> & { workDir: string; sim: SimChild };

/**
 * The stack in its own process, so the load generator and the stack do not share one event loop, and the simulator in
 * a third process, so the stack's CPU is the shop's and the local cloud's alone (the simulator verifies and signs as
 * WeChat would, on WeChat's machines). BENCH_DATA_DIR: where their data goes (default the temp dir); BENCH_VERBOSE=1:
 * their logs on stderr; BENCH_CPU_PROF=<dir>: each writes a V8 CPU profile there when it stops (to see where its
 * time goes).
 */
async function startBenchStack(): Promise<BenchStack> {
  const workDir = mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'wxshop-bench-'));
  const verbose = process.env.BENCH_VERBOSE === '1';
  const execArgv = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  let sim: SimChild | undefined;
  try {
    sim = await startSimulatorChild(
      { dataDir: join(workDir, 'simulator'), log: verbose },
      { echo: verbose, execArgv },
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
      { echo: verbose, execArgv },
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
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}
