// Growth (issue 19, "a big shop's day"): the shop's everyday operations at ~1,000 orders and again at 100,000, in a
// stack of its own. One shopper owns 1,000 of the orders at both sizes (the listing is measured for that shopper), so
// the two points differ only in what everyone else has bought. The past orders are written in bulk by the stack
// process through the database's own transactions (./bigday-setup.ts), not placed through the functions.
import type { GatewayClient, Envelope, Exchange } from '../../../devcloud/harness';
import { TEST_DELIVERY } from '../../../devcloud/test-support/delivery';
import { runConcurrent } from './load';
import { signNotifications, type SignedNotification } from './notify';
import type { HeapFigures, SeedOutcome } from './bigday-setup';
import type { Phase } from './run';
import type { BenchStack } from './run';

/** How big the growth phase is. */
export interface GrowthSize {
  /** Orders of the measured shopper (at both sizes). */
  shopperOrders: number;
  /** The database size of the second point (orders). */
  largeOrders: number;
  /** Shoppers the other past orders are spread over. */
  otherShoppers: number;
  /** Checkouts (and so notifications) measured at each size. */
  ops: number;
  /**
   * order.get and listMine calls measured at each size: more than the checkouts, since each costs ~1 ms of CPU and a
   * phase must span several garbage collections of the large heap to charge them fairly.
   */
  readOps: number;
  concurrency: number;
}

/** The operations at one database size. */
export interface GrowthPoint {
  orders: number;
  /** Orders the measured shopper owns. */
  shopperOrders: number;
  checkouts: Phase;
  notifications: Phase;
  orderGet: Phase;
  listMine: Phase;
  /** The heap the stack process keeps before the point is measured: after a full collection (MiB). */
  heapMb: number;
  /** Garbage collection's share of the stack's CPU time over the point's operations. */
  gcShare: number;
}

/** The growth phase's figures. */
export interface Growth {
  points: GrowthPoint[];
  /** Seconds the bulk seeding took to reach each point (stack process, wall time). */
  seedSeconds: number[];
  /** Orders written by the bulk seeding in all. */
  seeded: number;
}

type Timed = (
  stack: BenchStack,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<Exchange<Envelope>[]>,
) => Promise<{ phase: Phase; results: Exchange<Envelope>[][] }>;

/** What the growth phase borrows from the bench run (./run.ts). */
export interface GrowthDriver {
  stack: BenchStack;
  client: GatewayClient;
  timed: Timed;
  log: (line: string) => void;
}

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

/** Checkouts, their notifications, order.get of each and the big shopper's first page, at the database's size now. */
async function measurePoint(
  d: GrowthDriver,
  size: GrowthSize,
  tag: string,
  payable: number,
): Promise<GrowthPoint> {
  const { stack, client, timed } = d;
  // The seeding's (and the previous point's) garbage is collected first: each size is measured from a settled heap.
  const heap0 = await stack.call<HeapFigures>('gc');
  const cpu0 = await stack.cpuMs();
  const who = Array.from({ length: size.ops }, (_, i) => `bench-g${tag}-${i}`);
  await runConcurrent(who.length, size.concurrency, async (i) =>
    ok(await client.as(who[i] ?? '').exchange('shop', 'addToCart', { skuId: SKU, quantity: 1 }), 'addToCart'),
  );
  const placed: string[] = new Array<string>(who.length).fill('');
  // order.checkout, the shopper's one call (price confirmed, prepay asked, payment parameters answered).
  const checkouts = await timed(stack, who.length, size.concurrency, async (i) => {
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
  const paid = placed.filter((n) => n !== '');
  const signed = await paidAndSigned(stack, paid);
  const notifications = await timed(stack, signed.length, size.concurrency, async (i) => [
    asEnvelope(
      await client.post<unknown>('/http/payNotify', signed[i]?.body ?? '', signed[i]?.headers ?? {}),
    ),
  ]);
  const orderGet = await timed(stack, size.readOps, size.concurrency, async (i) => {
    const no = paid[i % paid.length] ?? '';
    return [await client.as(who[placed.indexOf(no)] ?? '').exchange('order', 'get', { outTradeNo: no })];
  });
  const listMine = await timed(stack, size.readOps, size.concurrency, async () => [
    await client.as(BIG_SHOPPER).exchange('order', 'listMine', { limit: 20 }),
  ]);
  // The first page must be the shopper's newest orders: a listing that answers fewer would be cheaper for the wrong
  // reason.
  const page = ok(await client.as(BIG_SHOPPER).exchange('order', 'listMine', { limit: 20 }), 'listMine');
  const listed = Array.isArray(page) ? page.length : -1;
  if (listed !== 20) throw new Error(`listMine answered ${listed} orders, not 20`);
  const heap1 = await stack.call<HeapFigures>('heap');
  const cpu1 = await stack.cpuMs();
  return {
    heapMb: heap0.heapUsedMb,
    gcShare: (heap1.gcMs - heap0.gcMs) / Math.max(1, cpu1 - cpu0),
    orders: await stack.call<number>('ordersCount'),
    shopperOrders: size.shopperOrders,
    checkouts: checkouts.phase,
    notifications: notifications.phase,
    orderGet: orderGet.phase,
    listMine: listMine.phase,
  };
}

/**
 * The growth phase on a fresh stack: a warm-up checkout (its paid order is the seeding template), the big shopper's
 * orders, the first point; then everyone else's orders up to `largeOrders`, the second point.
 */
export async function runGrowth(d: GrowthDriver, size: GrowthSize): Promise<Growth> {
  const { stack, client, log } = d;
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
  const payable = ok(await client.as('bench-g-price').exchange('shop', 'getCart', {}), 'getCart') as {
    selectedTotalFen: number;
  };

  const seedSeconds: number[] = [];
  log(`growth: seeding the big shopper's ${size.shopperOrders} orders`);
  const first = await stack.call<SeedOutcome>('seedBulk', {
    template: warm.outTradeNo,
    shares: [{ openid: BIG_SHOPPER, count: size.shopperOrders }],
    startMs: Date.now(),
    tag: 'a',
  });
  seedSeconds.push(first.seconds);
  // A round that is not kept: the functions' code is still being optimised in their first hundreds of calls, which
  // would charge the small size for it.
  log('growth: warming up');
  await measurePoint(
    d,
    { ...size, ops: Math.ceil(size.ops / 3), readOps: Math.ceil(size.readOps / 3) },
    'w',
    payable.selectedTotalFen,
  );
  log(`growth: measuring at ${await stack.call<number>('ordersCount')} orders`);
  const points = [await measurePoint(d, size, 'a', payable.selectedTotalFen)];

  const have = await stack.call<number>('ordersCount');
  const others = Math.max(0, size.largeOrders - have);
  log(`growth: seeding ${others} more orders over ${size.otherShoppers} shoppers`);
  const per = Math.floor(others / size.otherShoppers);
  const shares = Array.from({ length: size.otherShoppers }, (_, i) => ({
    openid: `bench-g-past-${i}`,
    count: per + (i < others - per * size.otherShoppers ? 1 : 0),
  }));
  const second = await stack.call<SeedOutcome>('seedBulk', {
    template: warm.outTradeNo,
    shares,
    startMs: Date.now() - 3_600_000,
    tag: 'b',
  });
  seedSeconds.push(second.seconds);
  log(`growth: seeded in ${second.seconds.toFixed(1)} s; measuring at ${second.total} orders`);
  points.push(await measurePoint(d, size, 'b', payable.selectedTotalFen));
  return { points, seedSeconds, seeded: first.added + second.added };
}
