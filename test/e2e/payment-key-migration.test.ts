// Going live with data from before the unique paymentKey index (docs/MIGRATIONS.md): a data dir written the old way —
// orders without a paymentKey, or with null, so they all share the same (null) key — is opened by the real local stack,
// which migrates it first; every order gets the key new orders are written with; a second run changes nothing; a
// run killed halfway is finished by the next one without writing an order twice.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateLocalData } from '../../scripts/migrate';
import { cloudDbDir, expectedPaymentKey, writeOldOrders, type OldOrder } from '../support/old-data';
import { startTestStack, type TestStack } from '../support/stack';

const ROOT = resolve(__dirname, '..', '..');
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxshop-migrate-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function keysOf(stack: TestStack): Promise<Map<string, unknown>> {
  const keys = new Map<string, unknown>();
  for (let skip = 0; ; skip += 100) {
    const { data } = await stack.cloud.db.collection('orders').skip(skip).limit(100).get();
    for (const d of data) keys.set(String(d._id), d.paymentKey);
    if (data.length < 100) return keys;
  }
}

const expected = (orders: OldOrder[]) => new Map(orders.map((o) => [o.outTradeNo, expectedPaymentKey(o)]));

describe('paymentKey migration of old local data', () => {
  it('the local stack opens old data, giving every order its key; the index then holds; a second run changes nothing', async () => {
    const dataDir = freshDir();
    const orders = await writeOldOrders(dataDir, 40);
    const lines: string[] = [];
    const stack = await startTestStack({ dataDir, log: (l) => lines.push(l) });
    try {
      expect(await keysOf(stack)).toEqual(expected(orders));
      expect(lines.join('\n')).toMatch(/paymentKey migration: examined 40 orders; gave 40 their paymentKey/);
      // The unique index is in force: a second order with a paid order's key is refused.
      const paid = orders.find((o) => o.transactionId !== null)!;
      await expect(
        stack.cloud.db
          .collection('orders')
          .add({ data: { _id: 'O-dup', paymentKey: expectedPaymentKey(paid) } }),
      ).rejects.toThrow(/payment_key_unique/);
      // The functions read the migrated orders as before.
      const view = await stack.as(paid.openid).ok('order', 'get', { outTradeNo: paid.outTradeNo });
      expect(view).toMatchObject({ outTradeNo: paid.outTradeNo, status: 'PAID' });
    } finally {
      await stack.close();
    }
    const again = await migrateLocalData(dataDir);
    expect(again).toMatchObject({ examined: 40, updated: 0, conflicts: [], complete: true });
    // Opening compacts the datafile to one line per document; a write would have appended a line after them.
    const lines40 = readFileSync(join(cloudDbDir(dataDir), 'orders.db'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(lines40).toHaveLength(40);
    const restarted = await startTestStack({ dataDir });
    try {
      expect(await keysOf(restarted)).toEqual(expected(orders));
    } finally {
      await restarted.stop();
    }
  });

  it('a run killed halfway (SIGKILL after 7 writes) is finished by the next, which writes only the rest', async () => {
    const dataDir = freshDir();
    const orders = await writeOldOrders(dataDir, 30);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'test', 'support', 'migrate-crash-child.ts'), dataDir, '7'],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      child.on('exit', (code, signal) => done({ code, signal }));
    });
    expect(exit.signal).toBe('SIGKILL');
    const resumed = await migrateLocalData(dataDir);
    expect(resumed).toMatchObject({ examined: 30, updated: 30 - 7, conflicts: [], complete: true });
    const stack = await startTestStack({ dataDir });
    try {
      expect(await keysOf(stack)).toEqual(expected(orders));
    } finally {
      await stack.stop();
    }
  });

  it('one transaction recorded on two orders: both kept, the second marked for a person, reported by every run', async () => {
    const dataDir = freshDir();
    const shared = '4200000000202611019999';
    const a = 'O20261101000000TWIN_A';
    const b = 'O20261101000000TWIN_B';
    const orders = await writeOldOrders(dataDir, 3, [
      { outTradeNo: a, openid: 'o-twin', transactionId: shared },
      { outTradeNo: b, openid: 'o-twin', transactionId: shared },
    ]);
    const lines: string[] = [];
    const stack = await startTestStack({ dataDir, log: (l) => lines.push(l) });
    try {
      const keys = await keysOf(stack);
      expect(keys.get(a)).toBe(`tx:${shared}`);
      expect(keys.get(b)).toBe(`conflict:${b}`);
      for (const o of orders.slice(0, 3)) expect(keys.get(o.outTradeNo)).toBe(expectedPaymentKey(o));
      expect(lines.join('\n')).toContain(
        `1 share a payment with another order (${b} and ${a}: tx ${shared}); left for a person`,
      );
    } finally {
      await stack.close();
    }
    expect(await migrateLocalData(dataDir)).toMatchObject({
      updated: 0,
      conflicts: [{ outTradeNo: b, transactionId: shared, heldBy: a }],
      complete: false,
    });
  });
});
