// Counters after kill -9: the whole stack (simulator + local cloud) runs in a child process, is killed with SIGKILL in
// the middle of a payment-notification storm, and is restarted on the same data. The counters staff see must equal
// the orders — they are derived from them, so no increment can be lost between a state change and its counter.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimControl } from '../../simulator/control-client';
import type { CloudDb } from '../../server/adapters/db/cloud-db';
import { readCounters } from '../../server/adapters/db/counters';
import { tempDir } from '../../devcloud/test-support/temp';
import { startStackChild, type StackChild } from '../../devcloud/harness';
import {
  TEST_DELIVERY,
  adminCount,
  sharedIdentity,
  startTestStack,
  waitFor,
  type TestStack,
} from '../support/stack';

const ORDERS = 30;

const children = new Set<StackChild>();

/** The whole stack in a child process (so it can be killed with SIGKILL), quiet, on the shared identity. */
async function startChild(dataDir: string, identityFile: string): Promise<StackChild> {
  const child = await startStackChild({ dataDir, identityFile, env: { LOG_LEVEL: 'silent' } });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

async function orderCount(child: StackChild): Promise<number> {
  return child.gateway.count('orders');
}

async function skuStock(child: StackChild, skuId: string): Promise<number> {
  return Number((await child.gateway.readAll('skus')).find((d) => d._id === skuId)!.stock);
}

async function paidOrders(child: StackChild): Promise<number> {
  return (await child.gateway.readAll('orders')).filter((o) => o.payment !== null).length;
}

describe('kill -9 of the stack', () => {
  const tmp = tempDir('wxshop-crash-');
  let restarted: TestStack | undefined;
  afterAll(async () => {
    for (const c of children) await c.kill();
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
      const as = first.gateway.as(shopper);
      await as.ok('shop', 'addToCart', { skuId: 'sku-ginger-tea-box', quantity: 1 });
      const o = await as.ok('order', 'place', {
        clientRequestKey: `crash-storm-${i}`,
        delivery: TEST_DELIVERY,
      });
      await as.ok('pay', 'start', { outTradeNo: o.outTradeNo });
      orders.push(o.outTradeNo);
    }
    // The storm: every order paid at once, each payment notified to payNotify; the stack dies in the middle of it.
    const sim = new SimControl(first.simulatorUrl);
    const pays = orders.map((no) => sim.pay(no).catch(() => null));
    await waitFor('some payments applied', async () => (await paidOrders(first)) >= 3, 30_000);
    await first.kill();
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
    const initial = await skuStock(first, sku);
    const shoppers = Array.from({ length: 60 }, (_, i) => `o-crash-flash-${String(i).padStart(3, '0')}`);
    for (const s of shoppers) {
      await first.gateway.as(s).ok('shop', 'addToCart', { skuId: sku, quantity: 1 });
    }
    const places = shoppers.map((s) =>
      first.gateway
        .as(s)
        .ok('order', 'place', { clientRequestKey: `crash-flash-${s}`, delivery: TEST_DELIVERY })
        .catch(() => null),
    );
    await waitFor('some orders placed', async () => (await orderCount(first)) >= 3, 30_000);
    await first.kill();
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
