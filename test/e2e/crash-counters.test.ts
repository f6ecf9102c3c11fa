// Counters after kill -9: the whole stack (simulator + local cloud) runs in a child process, is killed with SIGKILL in
// the middle of a payment-notification storm, and is restarted on the same data. The counters staff see must equal
// the orders — they are derived from them, so no increment can be lost between a state change and its counter.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SimControl } from '../../simulator/control-client';
import type { CloudDb } from '../../server/adapters/db/cloud-db';
import { readCounters } from '../../server/adapters/db/counters';
import { tempDir } from '../../devcloud/test-support/temp';
import { adminCount, sharedIdentity, startTestStack, waitFor, type TestStack } from '../support/stack';

const ROOT = resolve(__dirname, '../..');
const ORDERS = 30;

interface Child {
  child: ChildProcess;
  gatewayUrl: string;
  simulatorUrl: string;
  exited: Promise<unknown>;
}

const children = new Set<ChildProcess>();

function startChild(dataDir: string, identityFile: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/support/stack-child.ts'), dataDir, identityFile],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const exited = new Promise((done) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    }),
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the stack did not start in 60 s: ${stderr}`));
    }, 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`the stack exited before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as { event?: string; gatewayUrl?: string; simulatorUrl?: string };
      if (msg.event === 'stack.ready' && msg.gatewayUrl && msg.simulatorUrl) {
        clearTimeout(timer);
        ready({ child, gatewayUrl: msg.gatewayUrl, simulatorUrl: msg.simulatorUrl, exited });
      }
    });
  });
}

async function fn(gatewayUrl: string, name: string, event: object, openid: string): Promise<any> {
  const res = await fetch(`${gatewayUrl}/fn/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wx-openid': openid },
    body: JSON.stringify(event),
  });
  const body = (await res.json()) as { ok: boolean; data?: unknown; error?: unknown };
  if (!body.ok) throw new Error(`${name}: ${JSON.stringify(body.error)}`);
  return body.data;
}

async function orderCount(gatewayUrl: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/_devcloud/db/orders?limit=1`);
  return ((await res.json()) as { total: number }).total;
}

async function skuStock(gatewayUrl: string, skuId: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/_devcloud/db/skus?limit=1000`);
  const { data } = (await res.json()) as { data: { _id: string; stock: number }[] };
  return data.find((d) => d._id === skuId)!.stock;
}

async function paidOrders(gatewayUrl: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/_devcloud/db/orders?limit=1000`);
  const { data } = (await res.json()) as { data: { payment: unknown }[] };
  return data.filter((o) => o.payment !== null).length;
}

describe('kill -9 of the stack', () => {
  const tmp = tempDir('wxshop-crash-');
  let restarted: TestStack | undefined;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await restarted?.close();
    tmp.cleanup();
  });

  it('equal the orders after the stack is killed mid-storm and restarted', async () => {
    const dataDir = join(tmp.dir, 'stack');
    const identityFile = join(tmp.dir, 'identity.json');
    writeFileSync(identityFile, JSON.stringify(await sharedIdentity()), { mode: 0o600 });
    const first = await startChild(dataDir, identityFile);
    const shopper = 'o-crash-storm-01';
    const orders: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      await fn(
        first.gatewayUrl,
        'shop',
        { action: 'addToCart', skuId: 'sku-ginger-tea-box', quantity: 1 },
        shopper,
      );
      const o = await fn(
        first.gatewayUrl,
        'order',
        { action: 'place', clientRequestKey: `crash-storm-${i}` },
        shopper,
      );
      await fn(first.gatewayUrl, 'pay', { action: 'start', outTradeNo: o.outTradeNo }, shopper);
      orders.push(o.outTradeNo as string);
    }
    // The storm: every order paid at once, each payment notified to payNotify; the stack dies in the middle of it.
    const sim = new SimControl(first.simulatorUrl);
    const pays = orders.map((no) => sim.pay(no).catch(() => null));
    await waitFor('some payments applied', async () => (await paidOrders(first.gatewayUrl)) >= 3, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await Promise.all(pays);

    restarted = await startTestStack({ dataDir });
    const db = restarted.cloud.db as unknown as CloudDb;
    const _ = restarted.cloud.db.command;
    const counters = await readCounters(db);
    const paid = await adminCount(restarted, 'orders', { payment: _.neq(null) });
    expect(paid).toBeGreaterThanOrEqual(3);
    expect(counters['payments.succeeded']).toBe(paid);
    expect(counters['orders.placed']).toBe(await adminCount(restarted, 'orders'));
    expect(counters['orders.placed']).toBe(ORDERS);
    expect(counters['payments.created']).toBe(ORDERS);
    expect(counters['orders.status.PAID']).toBe(await adminCount(restarted, 'orders', { status: 'PAID' }));
    await restarted.close();
    restarted = undefined;
  });

  it('in the middle of a flash sale leaks no stock for good and oversells nothing', async () => {
    const dataDir = join(tmp.dir, 'flash');
    const identityFile = join(tmp.dir, 'identity.json');
    writeFileSync(identityFile, JSON.stringify(await sharedIdentity()), { mode: 0o600 });
    const sku = 'sku-tshirt-white-l';
    const first = await startChild(dataDir, identityFile);
    const initial = await skuStock(first.gatewayUrl, sku);
    const shoppers = Array.from({ length: 60 }, (_, i) => `o-crash-flash-${String(i).padStart(3, '0')}`);
    for (const s of shoppers) {
      await fn(first.gatewayUrl, 'shop', { action: 'addToCart', skuId: sku, quantity: 1 }, s);
    }
    const places = shoppers.map((s) =>
      fn(first.gatewayUrl, 'order', { action: 'place', clientRequestKey: `crash-flash-${s}` }, s).catch(
        () => null,
      ),
    );
    await waitFor('some orders placed', async () => (await orderCount(first.gatewayUrl)) >= 3, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await Promise.all(places);

    restarted = await startTestStack({ dataDir });
    const stack = restarted;
    const held = async () => {
      const doc = (await stack.cloud.db.collection('skus').doc(sku).get()).data as Record<string, any>;
      const orders = (await stack.cloud.db.collection('orders').where({}).limit(100).get()).data;
      const sold = orders.reduce(
        (n, o) =>
          n + (o.lines as { skuId: string; quantity: number }[]).filter((l) => l.skuId === sku).length,
        0,
      );
      return {
        stock: doc.stock as number,
        sold,
        holds: Object.keys((doc.holds as object | undefined) ?? {}),
      };
    };
    const afterCrash = await held();
    // Never oversold: whatever the crash interrupted, stock and orders never account for more than there was.
    expect(afterCrash.stock + afterCrash.sold).toBeLessThanOrEqual(initial);
    // The sweep gives back what checkouts killed between their decrement and their insert had taken.
    await stack.advance(11 * 60_000);
    const outcome = await stack.cloud.fireTimer('closeExpired', 'everyMinute');
    expect(outcome.ok).toBe(true);
    const repaired = await held();
    // Every item is either on sale or in an open order.
    const open = (await stack.cloud.db.collection('orders').where({ status: 'AWAITING_PAYMENT' }).count())
      .total;
    expect(repaired.holds).toEqual([]);
    expect(repaired.stock + open).toBe(initial);
  });
});
