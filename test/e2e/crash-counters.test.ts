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

async function paidOrders(gatewayUrl: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/_devcloud/db/orders?limit=1000`);
  const { data } = (await res.json()) as { data: { payment: unknown }[] };
  return data.filter((o) => o.payment !== null).length;
}

describe('counters after kill -9', () => {
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
  });
});
