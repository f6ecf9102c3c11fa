// Growth (issue 19, "a big shop's day"): the shop's everyday operations at ~1,000 orders and at 100,000, on two stacks
// of their own, side by side: a small one (the measured shopper's orders only) and a large one (the same, plus everyone
// else's). One shopper owns 1,000 of the orders on both (the listing is measured for that shopper), so the two points
// differ only in what everyone else has bought. The past orders are written in bulk by the stack process through the
// database's own transactions (./bigday-setup.ts), not placed through the functions.
//
// The two sizes are measured in alternating rounds (small then large, then large then small, …), each point the sum of
// its blocks, not one after the other: a ±10 % target is inside the drift of a shared machine between two points
// measured minutes apart, and alternation puts both sizes under the same load.
import { rmSync } from 'node:fs';
import type { GatewayClient, Envelope, Exchange } from '../../../devcloud/harness';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';
import { runConcurrent, warmedUp } from './load';
import { signNotifications, type SignedNotification } from './notify';
import type { HeapFigures, SeedOutcome } from './bigday-setup';
import type { BenchStack, Phase, RawPhase } from './run';

/** How big the growth phase is. */
export interface GrowthSize {
  /** Orders of the measured shopper (at both sizes). */
  shopperOrders: number;
  /** The database size of the second point (orders). */
  largeOrders: number;
  /** Shoppers the other past orders are spread over. */
  otherShoppers: number;
  /** Checkouts (and so notifications) measured at each size, over all rounds. */
  ops: number;
  /**
   * order.get and listMine calls measured at each size, over all rounds: more than the checkouts, since each costs
   * ~1 ms of CPU and a phase must span several garbage collections of the large heap to charge them fairly.
   */
  readOps: number;
  /** Checkouts (and as many reads) in each unmeasured warm-up round on each stack. */
  warmupOps: number;
  concurrency: number;
  /** Alternating rounds: each measures a block of ops / rounds (rounded up) on each stack. */
  rounds: number;
}

/** The operations at one database size: the sums over its blocks. */
export interface GrowthPoint {
  orders: number;
  /** Orders the measured shopper owns. */
  shopperOrders: number;
  checkouts: Phase;
  notifications: Phase;
  orderGet: Phase;
  listMine: Phase;
  /** The heap the stack process keeps before the point's first block: after a full collection (MiB). */
  heapMb: number;
  /** Garbage collection's share of the stack's CPU time over the point's operations (all its blocks). */
  gcShare: number;
  /** Blocks measured at this size (one per round). */
  blocks: number;
}

/** The growth phase's figures. */
export interface Growth {
  points: GrowthPoint[];
  /** Seconds the bulk seeding of each point's stack took (stack process, wall time). */
  seedSeconds: number[];
  /** Orders written by the bulk seeding in all (both stacks). */
  seeded: number;
  /** Alternating rounds the points were measured in. */
  rounds: number;
  /** CPU per checkout (ms) of each unmeasured warm-up round, small stack then large (absent before 2026-12-07). */
  warmupCpu?: number[][];
}

/** One measured block of an operation (./run.ts measureRaw). */
type Measure = (
  stack: BenchStack,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<Exchange<Envelope>[]>,
) => Promise<RawPhase>;

/** What the growth phase borrows from the bench run (./run.ts). */
export interface GrowthDriver {
  /** Starts a fresh bench stack (its own processes and work folder). */
  start: () => Promise<BenchStack>;
  makeClient: (url: string) => GatewayClient;
  measure: Measure;
  /** One Phase from several blocks of the same operation: counts and CPU summed, latencies merged (./run.ts phaseOf). */
  summarise: (blocks: readonly RawPhase[]) => Phase;
  log: (line: string) => void;
}

/** The tag of the warm-up blocks' shoppers (bench-gw…): their orders are removed once a stack is warm. */
const WARM_TAG = 'w';
const SKU = 'sku-coffee-250g';
const BIG_SHOPPER = 'bench-big-shopper';

function key(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function ok<T>(r: Exchange<Envelope<T>>, what: string): T {
  const b = r.body;
  if (!b.ok) throw new Error(`${what} failed: ${b.error.code} ${b.error.message}`);
  return b.data;
}

/** The payments' notifications as the simulator made them, signed with the platform key (before any clock starts). */
async function paidAndSigned(stack: BenchStack, nos: string[]): Promise<SignedNotification[]> {
  await stack.call('pay', { outTradeNos: nos });
  const bodies = await stack.call<string[]>('notificationBodies', { outTradeNos: nos });
  return signNotifications(bodies, stack.info.platformSigner);
}

function asEnvelope(r: Exchange<unknown>): Exchange<Envelope> {
  return {
    ...r,
    body:
      r.status === 200
        ? { ok: true, data: r.body }
        : { ok: false, error: { code: `HTTP_${r.status}`, message: '' } },
  };
}

/** One of the two stacks and what has been measured on it. */
interface Side {
  name: 'small' | 'large';
  stack: BenchStack;
  client: GatewayClient;
  /** A paid order: the seeding's template. */
  template: string;
  /** The price order.checkout is asked at (one bag). */
  payable: number;
  seedSeconds: number;
  seeded: number;
  blocks: Block[];
  /** CPU per checkout (ms) of each unmeasured warm-up round on this stack. */
  warmCpu: number[];
}

/** One block of the operations on one stack, from a collected heap. */
interface Block {
  checkouts: RawPhase;
  notifications: RawPhase;
  orderGet: RawPhase;
  listMine: RawPhase;
  /** After the collection before the block. */
  heap0: HeapFigures;
  /** After the block. */
  heap1: HeapFigures;
  /** Stack CPU over the block (ms). */
  cpuMs: number;
}

/** The fresh stack's setup: stock, the simulator's own deliveries dropped, a warm-up checkout whose paid order is the template. */
async function prepare(
  stack: BenchStack,
  client: GatewayClient,
): Promise<{ template: string; payable: number }> {
  await stack.call('setStock', { skuId: SKU, stock: 10_000_000 });
  await stack.call('addFault', { spec: { kind: 'notify.drop' } });
  // Warm-up (loads every function measured) and the template: a paid order.
  ok(await client.as('bench-g-warm').exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }), 'addToCart');
  const warm = ok(
    await client
      .as('bench-g-warm')
      .exchange('order', 'place', { clientRequestKey: key('w'), delivery: TEST_DELIVERY }),
    'order.place',
  );
  ok(await client.as('bench-g-warm').exchange('pay', 'start', { outTradeNo: warm.outTradeNo }), 'pay.start');
  const [note] = await paidAndSigned(stack, [warm.outTradeNo]);
  if (note === undefined) throw new Error('no notification for the warm-up order');
  const delivered = await client.post<unknown>('/http/payNotify', note.body, note.headers);
  if (delivered.status !== 200) throw new Error(`payNotify answered ${delivered.status}`);
  ok(await client.as('bench-g-warm').exchange('order', 'get', { outTradeNo: warm.outTradeNo }), 'order.get');
  // What the confirm page shows for one bag: the price order.checkout is asked at.
  ok(
    await client.as('bench-g-price').exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }),
    'addToCart',
  );
  const cart = ok(await client.as('bench-g-price').exchange('shop', 'getCart', {}), 'getCart') as {
    selectedTotalFen: number;
  };
  return { template: warm.outTradeNo, payable: cart.selectedTotalFen };
}

/** Checkouts, their notifications, order.get of each and the big shopper's first page, at the stack's size now. */
async function measureBlock(
  d: GrowthDriver,
  side: Side,
  n: { ops: number; readOps: number; concurrency: number },
  tag: string,
): Promise<Block> {
  const { stack, client, payable } = side;
  const { measure } = d;
  // The seeding's (and the previous block's) garbage is collected first: each block starts from a settled heap.
  const heap0 = await stack.call<HeapFigures>('gc');
  const cpu0 = await stack.cpuMs();
  const who = Array.from({ length: n.ops }, (_, i) => `bench-g${tag}-${i}`);
  await runConcurrent(who.length, n.concurrency, async (i) =>
    ok(await client.as(who[i] ?? '').exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }), 'addToCart'),
  );
  const placed: string[] = new Array<string>(who.length).fill('');
  // order.checkout, the shopper's one call (price confirmed, prepay asked, payment parameters answered).
  const checkouts = await measure(stack, who.length, n.concurrency, async (i) => {
    const r = await client.fnEvent(
      'order',
      {
        action: 'checkout',
        clientRequestKey: key('g'),
        delivery: TEST_DELIVERY,
        lines: [{ skuId: SKU, quantity: 1 }],
        displayedPayableFen: payable,
      },
      who[i] ?? '',
    );
    const b = r.body as Envelope<{ order: { outTradeNo: string } }>;
    // Only an order WeChat knows can be paid (a checkout without payment parameters counts as failed).
    if (b.ok) placed[i] = b.data.order.outTradeNo;
    return [r];
  });
  const paid = placed.filter((no) => no !== '');
  const signed = await paidAndSigned(stack, paid);
  const notifications = await measure(stack, signed.length, n.concurrency, async (i) => [
    asEnvelope(
      await client.post<unknown>('/http/payNotify', signed[i]?.body ?? '', signed[i]?.headers ?? {}),
    ),
  ]);
  const orderGet = await measure(stack, n.readOps, n.concurrency, async (i) => {
    const no = paid[i % paid.length] ?? '';
    return [await client.as(who[placed.indexOf(no)] ?? '').exchange('order', 'get', { outTradeNo: no })];
  });
  const listMine = await measure(stack, n.readOps, n.concurrency, async () => [
    await client.as(BIG_SHOPPER).exchange('order', 'listMine', { limit: 20 }),
  ]);
  // The first page must be the shopper's newest orders: a listing that answers fewer would be cheaper for the wrong
  // reason.
  const page = ok(await client.as(BIG_SHOPPER).exchange('order', 'listMine', { limit: 20 }), 'listMine');
  const listed = Array.isArray(page) ? page.length : -1;
  if (listed !== 20) throw new Error(`listMine answered ${listed} orders, not 20`);
  const heap1 = await stack.call<HeapFigures>('heap');
  const cpu1 = await stack.cpuMs();
  return { checkouts, notifications, orderGet, listMine, heap0, heap1, cpuMs: cpu1 - cpu0 };
}

/** A point from its stack's blocks: every figure the sum over them (CPU per op weighted by count). */
async function pointOf(d: GrowthDriver, side: Side, size: GrowthSize): Promise<GrowthPoint> {
  const { blocks } = side;
  const first = blocks[0];
  if (first === undefined) throw new Error(`growth: no block measured on the ${side.name} stack`);
  const gcMs = blocks.reduce((t, b) => t + (b.heap1.gcMs - b.heap0.gcMs), 0);
  const cpuMs = blocks.reduce((t, b) => t + b.cpuMs, 0);
  return {
    heapMb: first.heap0.heapUsedMb,
    gcShare: gcMs / Math.max(1, cpuMs),
    orders: await side.stack.call<number>('ordersCount'),
    shopperOrders: size.shopperOrders,
    checkouts: d.summarise(blocks.map((b) => b.checkouts)),
    notifications: d.summarise(blocks.map((b) => b.notifications)),
    orderGet: d.summarise(blocks.map((b) => b.orderGet)),
    listMine: d.summarise(blocks.map((b) => b.listMine)),
    blocks: blocks.length,
  };
}

/** Stops every stack started and removes its work folder, all of them even when one fails to stop. */
async function stopAll(started: readonly { stack: BenchStack; client: GatewayClient }[]): Promise<void> {
  const stopped = await Promise.allSettled(
    started.map(async ({ stack, client }) => {
      client.close();
      try {
        await stack.stop();
      } finally {
        rmSync(stack.workDir, { recursive: true, force: true });
      }
    }),
  );
  const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * The growth phase on two fresh stacks: on each a warm-up checkout (its paid order is the seeding template) and the big
 * shopper's orders; on the large one everyone else's orders up to `largeOrders`; an unmeasured warm-up round on each;
 * then `rounds` rounds of one block per stack, their order alternating.
 */
export async function runGrowth(d: GrowthDriver, size: GrowthSize): Promise<Growth> {
  const { log } = d;
  const started: { stack: BenchStack; client: GatewayClient }[] = [];
  const open = async (): Promise<{ stack: BenchStack; client: GatewayClient }> => {
    const stack = await d.start();
    const one = { stack, client: d.makeClient(stack.gatewayUrl) };
    started.push(one);
    return one;
  };
  try {
    const sides: Side[] = [];
    for (const name of ['small', 'large'] as const) {
      log(`growth: the ${name} stack`);
      const { stack, client } = await open();
      const { template, payable } = await prepare(stack, client);
      log(`growth: seeding the big shopper's ${size.shopperOrders} orders (${name} stack)`);
      const own = await stack.call<SeedOutcome>('seedBulk', {
        template,
        shares: [{ openid: BIG_SHOPPER, count: size.shopperOrders }],
        startMs: Date.now(),
        tag: 'a',
      });
      sides.push({
        name,
        stack,
        client,
        template,
        payable,
        seedSeconds: own.seconds,
        seeded: own.added,
        blocks: [],
        warmCpu: [],
      });
    }
    const [small, large] = sides as [Side, Side];

    const have = await large.stack.call<number>('ordersCount');
    const others = Math.max(0, size.largeOrders - have);
    log(`growth: seeding ${others} more orders over ${size.otherShoppers} shoppers (large stack)`);
    const per = Math.floor(others / size.otherShoppers);
    const shares = Array.from({ length: size.otherShoppers }, (_, i) => ({
      openid: `bench-g-past-${i}`,
      count: per + (i < others - per * size.otherShoppers ? 1 : 0),
    }));
    const rest = await large.stack.call<SeedOutcome>('seedBulk', {
      template: large.template,
      shares,
      startMs: Date.now() - 3_600_000,
      tag: 'b',
    });
    large.seedSeconds += rest.seconds;
    large.seeded += rest.added;
    log(`growth: seeded in ${rest.seconds.toFixed(1)} s; ${rest.total} orders on the large stack`);

    // Rounds on each that are not kept, until its CPU per checkout stops falling (./load.ts WARM_UP), as before the main
    // phase: V8 optimises the functions' code over their first thousands of calls, and a stack measured while it does
    // charges its blocks for the compiler, by how far along each was.
    // The warm-up's orders are removed afterwards, so each point is measured at the size it is reported at.
    const warm = { ops: size.warmupOps, readOps: size.warmupOps, concurrency: size.concurrency };
    for (const side of sides) {
      while (!warmedUp(side.warmCpu)) {
        const b = await measureBlock(d, side, warm, `${WARM_TAG}${side.name[0] ?? ''}${side.warmCpu.length}`);
        side.warmCpu.push(d.summarise([b.checkouts]).cpuMsPerOp);
      }
      const removed = await side.stack.call<number>('removeOrders', { openidPrefix: `bench-g${WARM_TAG}` });
      log(
        `growth: ${side.name} stack warm after ${side.warmCpu.length} rounds (${side.warmCpu.map((x) => x.toFixed(2)).join(' → ')} ms CPU per checkout); its ${removed} warm-up orders removed`,
      );
    }

    const rounds = Math.max(1, size.rounds);
    const block = {
      ops: Math.ceil(size.ops / rounds),
      readOps: Math.ceil(size.readOps / rounds),
      concurrency: size.concurrency,
    };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [small, large] : [large, small];
      log(`growth: round ${round + 1} of ${rounds} (${order.map((s) => s.name).join(', then ')})`);
      for (const side of order)
        side.blocks.push(await measureBlock(d, side, block, `${side.name[0] ?? ''}${round}`));
    }
    return {
      points: [await pointOf(d, small, size), await pointOf(d, large, size)],
      seedSeconds: sides.map((s) => s.seedSeconds),
      seeded: small.seeded + large.seeded,
      rounds,
      warmupCpu: sides.map((s) => s.warmCpu),
    };
  } finally {
    await stopAll(started);
  }
}
