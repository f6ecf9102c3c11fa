// Test helpers around the local stack: one generated identity per test file, ephemeral ports, temp data dirs, and
// small clients for the gateway and the admin database.
import { generateIdentity, type SimIdentity } from '../../simulator';
import type { Stack } from '../../devcloud/stack/stack';
import { startHarnessStack, type HarnessStack, type HarnessStackOptions } from '../../devcloud/harness';
import { TEST_DELIVERY } from '../../devcloud/test-support/delivery';

export { TEST_ADDRESS, TEST_ADDRESS_KEPT, TEST_DELIVERY } from '../../devcloud/test-support/delivery';

export type { Envelope, Outcome } from '../../devcloud/harness';

let identityPromise: Promise<SimIdentity> | undefined;

/** One RSA identity per test file (generation is the slow part of starting a stack). */
export function sharedIdentity(): Promise<SimIdentity> {
  identityPromise ??= generateIdentity();
  return identityPromise;
}

/** A started stack plus its temp dir and gateway client; `stop()` closes it and deletes the data. */
export type TestStack = HarnessStack;

/** Starts a quiet stack on ephemeral ports in a fresh temp dir (timers off unless asked, no console unless asked). */
export async function startTestStack(o: HarnessStackOptions = {}): Promise<TestStack> {
  return startHarnessStack({
    tempPrefix: 'wxshop-e2e-',
    identity: await sharedIdentity(),
    ...o,
    // Function logs are JSON lines on stdout; tests keep only errors (set E2E_LOG_LEVEL=info to see everything).
    env: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error', ...o.env },
  });
}

/** How a suite wants its stack. */
export interface UseTestStackOptions extends HarnessStackOptions {
  /** Clear the simulator's faults after each test (default true: a fault one test adds never leaks into the next). */
  clearFaults?: boolean;
}

/**
 * The stack of a describe block (or a file): started in beforeAll, stopped in afterAll, simulator faults cleared
 * after each test. Answers a stand-in that forwards to the started stack, so a suite writes `const stack =
 * useTestStack()` where the tests can see it and uses it only inside hooks and tests.
 */
export function useTestStack(o: UseTestStackOptions = {}): TestStack {
  const { clearFaults = true, ...options } = o;
  let current: TestStack | undefined;
  beforeAll(async () => {
    current = await startTestStack(options);
  });
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  });
  if (clearFaults)
    afterEach(async () => {
      await current?.sim.control.clearFaults();
    });
  const started = (prop: PropertyKey): TestStack => {
    if (current === undefined)
      throw new Error(`the test stack is used outside a test (reading ${String(prop)} before beforeAll)`);
    return current;
  };
  return new Proxy({} as TestStack, {
    get(_target, prop) {
      const stack = started(prop);
      const v: unknown = Reflect.get(stack, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(stack) : v;
    },
    has: (_target, prop) => Reflect.has(started(prop), prop),
    ownKeys: () => Reflect.ownKeys(started('keys')),
    getOwnPropertyDescriptor: (_target, prop) => Reflect.getOwnPropertyDescriptor(started(prop), prop),
  });
}

/** Puts `quantity` of `skuId` in the shopper's cart and places an order; answers the OrderView. */
export async function placeOrder(
  stack: TestStack,
  openid: string,
  skuId = 'sku-coffee-250g',
  quantity = 1,
): Promise<any> {
  await stack.as(openid).ok('shop', 'addToCart', { skuId, quantity });
  return stack.as(openid).ok('order', 'place', {
    clientRequestKey: `key-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
    delivery: TEST_DELIVERY,
  });
}

/** Reads one document as the admin (functions' rights), or null. */
export async function adminGet(
  stack: Stack,
  collection: string,
  id: string,
): Promise<Record<string, any> | null> {
  const { data } = await stack.cloud.db.collection(collection).where({ _id: id }).limit(1).get();
  return (data[0] as Record<string, any> | undefined) ?? null;
}

/** Counts documents matching `where` as the admin. */
export async function adminCount(
  stack: Stack,
  collection: string,
  where: Record<string, unknown> = {},
): Promise<number> {
  return (await stack.cloud.db.collection(collection).where(where).count()).total;
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Fires a job's own timer trigger (as the platform would) and answers its result; throws if the run failed. */
export async function runJob<T = Record<string, unknown>>(
  stack: Stack,
  fn: 'closeExpired' | 'reconcile',
): Promise<T> {
  const outcome = await stack.cloud.fireTimer(fn, fn === 'closeExpired' ? 'everyMinute' : 'every5Minutes');
  if (!outcome.ok) throw new Error(`${fn} failed: ${JSON.stringify(outcome)}`);
  return outcome.result as T;
}

/** Waits until the order has `status` (as its owner sees it). */
export function waitForStatus(
  stack: TestStack,
  openid: string,
  outTradeNo: string,
  status: string,
  timeoutMs = 10_000,
) {
  return waitFor(
    `order ${outTradeNo} to be ${status}`,
    async () => {
      const o = await stack.as(openid).ok('order', 'get', { outTradeNo });
      return o.status === status ? o : null;
    },
    timeoutMs,
  );
}

/**
 * Waits until the stored refund has `status` and answers it. A refund report writes the order (the money) first and
 * the refund document after it (docs/adr/0008), so the document can trail the order's status by a moment.
 */
export function waitForRefund(stack: TestStack, outRefundNo: string, status: string, timeoutMs = 10_000) {
  return waitFor(
    `refund ${outRefundNo} to be ${status}`,
    async () => {
      const r = await adminGet(stack, 'refunds', outRefundNo);
      return r?.status === status ? r : null;
    },
    timeoutMs,
  );
}

/**
 * The order's first notification once the simulator has recorded it as delivered (the order can be PAID a moment
 * before the simulator has read the 200 and logged the attempt).
 */
export function deliveredNotification(stack: Stack, outTradeNo: string, timeoutMs = 10_000) {
  return waitFor(
    `the notification of ${outTradeNo} to be delivered`,
    async () => {
      const [note] = await stack.sim.control.notifications({ outTradeNo });
      return note && note.status === 'delivered' && note.attempts.length > 0 ? note : null;
    },
    timeoutMs,
  );
}
