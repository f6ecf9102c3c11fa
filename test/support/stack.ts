// Test helpers around the local stack: one generated identity per test file, ephemeral ports, temp data dirs, and
// small clients for the gateway and the admin database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, type SimIdentity } from '../../simulator';
import { startStack, type Stack, type StackOptions } from '../../devcloud/stack/stack';

let identityPromise: Promise<SimIdentity> | undefined;

/** One RSA identity per test file (generation is the slow part of starting a stack). */
export function sharedIdentity(): Promise<SimIdentity> {
  identityPromise ??= generateIdentity();
  return identityPromise;
}

/** A started stack plus its temp dir; `stop()` closes it and deletes the data. */
export interface TestStack extends Stack {
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts a quiet stack on ephemeral ports in a fresh temp dir (timers off unless asked, no console unless asked). */
export async function startTestStack(o: Partial<StackOptions> = {}): Promise<TestStack> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'wxshop-e2e-'));
  const stack = await startStack({
    dataDir,
    identity: await sharedIdentity(),
    timers: false,
    console: false,
    log: () => undefined,
    ...o,
    // Function logs are JSON lines on stdout; tests keep only errors (set E2E_LOG_LEVEL=info to see everything).
    env: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error', ...o.env },
  });
  return {
    ...stack,
    dataDir,
    stop: async () => {
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The function envelope. */
export type Envelope<T = any> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** Calls a cloud function through the gateway as `openid` (the wx.cloud.callFunction stand-in). */
export async function callFn<T = any>(
  stack: Stack,
  name: string,
  event: object,
  openid: string,
): Promise<Envelope<T>> {
  const res = await fetch(`${stack.gatewayUrl}/fn/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wx-openid': openid },
    body: JSON.stringify(event),
  });
  return (await res.json()) as Envelope<T>;
}

/** Calls and insists on ok, returning data (fails the test with the error otherwise). */
export async function okFn<T = any>(stack: Stack, name: string, event: object, openid: string): Promise<T> {
  const r = await callFn<T>(stack, name, event, openid);
  if (!r.ok)
    throw new Error(
      `${name}.${String((event as { action?: unknown }).action)} failed: ${r.error.code} ${r.error.message}`,
    );
  return r.data;
}

/** Puts `quantity` of `skuId` in the shopper's cart and places an order; answers the OrderView. */
export async function placeOrder(
  stack: Stack,
  openid: string,
  skuId = 'sku-coffee-250g',
  quantity = 1,
): Promise<any> {
  await okFn(stack, 'shop', { action: 'addToCart', skuId, quantity }, openid);
  return okFn(
    stack,
    'order',
    { action: 'place', clientRequestKey: `key-${Date.now()}-${Math.random().toString(36).slice(2, 10)}` },
    openid,
  );
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
  stack: Stack,
  openid: string,
  outTradeNo: string,
  status: string,
  timeoutMs = 10_000,
) {
  return waitFor(
    `order ${outTradeNo} to be ${status}`,
    async () => {
      const o = await okFn(stack, 'order', { action: 'get', outTradeNo }, openid);
      return o.status === status ? o : null;
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
