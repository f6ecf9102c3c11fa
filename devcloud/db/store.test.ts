import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CRASH_COLLECTIONS } from '../fixtures/crash-collections';
import { openTestDb, spec, tempDir } from '../test-support/temp';
import { StoreIntegrityError } from './errors';
import { Store } from './store';
import { encodeLine } from './values';

const ROOT = resolve(__dirname, '..', '..');
const CRASH_SCRIPT = join(__dirname, '..', 'fixtures', 'crash-commit.ts');

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function seedLedger(dir: string): Promise<void> {
  const t = await openTestDb(dir, CRASH_COLLECTIONS);
  await t.db
    .collection('ledger')
    .doc('alice')
    .set({ data: { balanceFen: 100 } });
  await t.db
    .collection('ledger')
    .doc('bob')
    .set({ data: { balanceFen: 0 } });
  await t.close();
}

async function ledgerState(dir: string) {
  const t = await openTestDb(dir, CRASH_COLLECTIONS);
  try {
    const ledger = (await t.db.collection('ledger').get()).data;
    return {
      balances: Object.fromEntries(ledger.map((d) => [d._id, d.balanceFen])),
      transfers: (await t.db.collection('transfers').count()).total,
      journal: readFileSync(join(dir, '.journal'), 'utf8'),
    };
  } finally {
    await t.close();
  }
}

/** Runs the crash fixture in a child process; resolves with how it ended. */
function runCrashChild(
  dir: string,
  phase: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_SCRIPT, dir, phase], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error('crash fixture did not finish in 20 s'));
    }, 20_000);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stderr });
    });
  });
}

describe('crash in the middle of a transaction commit', () => {
  it('replays a write set whose journal line was written before the process died (before any datafile write)', async () => {
    await seedLedger(tmp.dir);
    const run = await runCrashChild(tmp.dir, 'journaled');
    expect(run.signal).toBe('SIGKILL');
    // The process really died between the commit point and the datafiles.
    expect(readFileSync(join(tmp.dir, '.journal'), 'utf8')).toContain('"transfers"');
    expect(readFileSync(join(tmp.dir, 'transfers.db'), 'utf8')).toBe('');
    expect(await ledgerState(tmp.dir)).toEqual({
      balances: { alice: 70, bob: 30 },
      transfers: 1,
      journal: '',
    });
  });

  it('completes a write set that was half applied to the datafiles when the process died', async () => {
    await seedLedger(tmp.dir);
    const run = await runCrashChild(tmp.dir, 'partially-applied');
    expect(run.signal).toBe('SIGKILL');
    // Half state on disk: the old ledger lines are deleted, the new ones and the transfer not yet written.
    const ledgerFile = readFileSync(join(tmp.dir, 'ledger.db'), 'utf8');
    expect(ledgerFile.match(/"\$\$deleted":true/g)).toHaveLength(2);
    expect(ledgerFile).not.toContain('"balanceFen":70');
    expect(await ledgerState(tmp.dir)).toEqual({
      balances: { alice: 70, bob: 30 },
      transfers: 1,
      journal: '',
    });
  });

  it('applies the write set normally when nothing crashes', async () => {
    await seedLedger(tmp.dir);
    const run = await runCrashChild(tmp.dir, 'none');
    expect(run).toMatchObject({ code: 0, signal: null });
    expect(await ledgerState(tmp.dir)).toEqual({
      balances: { alice: 70, bob: 30 },
      transfers: 1,
      journal: '',
    });
  });

  it('ignores a torn (unterminated) journal line: that write set was never committed', async () => {
    await seedLedger(tmp.dir);
    const entry = encodeLine({
      seq: 1,
      writes: [
        { collection: 'ledger', id: 'alice', doc: { _id: 'alice', balanceFen: 0 } },
        { collection: 'ledger', id: 'bob', doc: { _id: 'bob', balanceFen: 100 } },
      ],
    });
    writeFileSync(join(tmp.dir, '.journal'), entry.slice(0, entry.length - 7));
    expect(await ledgerState(tmp.dir)).toEqual({
      balances: { alice: 100, bob: 0 },
      transfers: 0,
      journal: '',
    });
    // The same entry, complete, is committed and is replayed.
    writeFileSync(join(tmp.dir, '.journal'), entry + '\n');
    expect(await ledgerState(tmp.dir)).toMatchObject({ balances: { alice: 0, bob: 100 }, journal: '' });
  });
});

describe('datafile integrity at open', () => {
  it('drops a torn last line (an unacknowledged append) and keeps everything before it', async () => {
    await seedLedger(tmp.dir);
    const file = join(tmp.dir, 'ledger.db');
    appendFileSync(file, '{"_id":"carol","balanceF');
    const lines: string[] = [];
    const t = await openTestDb(tmp.dir, CRASH_COLLECTIONS, { log: (l) => lines.push(l) });
    try {
      expect((await t.db.collection('ledger').get()).data.map((d) => d._id).sort()).toEqual(['alice', 'bob']);
      expect(lines.some((l) => l.includes('dropped a torn last line'))).toBe(true);
      await t.db
        .collection('ledger')
        .doc('carol')
        .set({ data: { balanceFen: 1 } });
    } finally {
      await t.close();
    }
    expect((await ledgerState(tmp.dir)).balances).toEqual({ alice: 100, bob: 0, carol: 1 });
  });

  it('refuses to open when a line before the last is corrupt, instead of silently losing data', async () => {
    await seedLedger(tmp.dir);
    const file = join(tmp.dir, 'ledger.db');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"alice"', '"alice'));
    await expect(Store.open({ dir: tmp.dir, collections: CRASH_COLLECTIONS })).rejects.toThrow(
      /ledger\.db: line 1 is corrupt/,
    );
  });

  it('refuses to open when existing data breaks a newly declared unique index', async () => {
    const t = await openTestDb(tmp.dir, [spec('orders')]);
    await t.db.collection('orders').add({ data: { outTradeNo: 'T1' } });
    await t.db.collection('orders').add({ data: { outTradeNo: 'T1' } });
    await t.close();
    await expect(
      Store.open({ dir: tmp.dir, collections: [spec('orders', [['outTradeNo']])] }),
    ).rejects.toThrow(/breaks unique index u0_outTradeNo/);
  });

  it('opened with deferUniqueIndexes, lets a migration fix such data first, then enforces the index', async () => {
    const t = await openTestDb(tmp.dir, [spec('orders')]);
    await t.db.collection('orders').add({ data: { _id: 'a', outTradeNo: 'T1' } });
    await t.db.collection('orders').add({ data: { _id: 'b', outTradeNo: 'T1' } });
    await t.close();
    const m = await openTestDb(tmp.dir, [spec('orders', [['outTradeNo']])], { deferUniqueIndexes: true });
    try {
      // Still broken: enforcing names both documents and leaves the index deferred.
      await expect(m.store.enforceUniqueIndexes()).rejects.toThrow(/documents a and b .*u0_outTradeNo/);
      await m.db
        .collection('orders')
        .doc('b')
        .update({ data: { outTradeNo: 'T2' } });
      await m.store.enforceUniqueIndexes();
      await expect(m.db.collection('orders').add({ data: { outTradeNo: 'T1' } })).rejects.toThrow(
        /duplicate key/,
      );
    } finally {
      await m.close();
    }
  });

  it('keeps undeclared collections found on disk, admin-only', async () => {
    const t = await openTestDb(tmp.dir, [spec('orders'), spec('legacy')]);
    await t.db.collection('legacy').add({ data: { a: 1 } });
    await t.close();
    const store = await Store.open({ dir: tmp.dir, collections: [spec('orders')] });
    try {
      expect(store.collectionNames()).toEqual(['legacy', 'orders']);
      expect(store.spec('legacy').permission).toBe('ADMINONLY');
      expect(store.size('legacy')).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('data directory lock', () => {
  it('refuses a second open of the same directory in one process', async () => {
    const store = await Store.open({ dir: tmp.dir, collections: [] });
    try {
      await expect(Store.open({ dir: tmp.dir, collections: [] })).rejects.toBeInstanceOf(StoreIntegrityError);
    } finally {
      await store.close();
    }
    expect(existsSync(join(tmp.dir, 'LOCK'))).toBe(false);
  });

  it('refuses a directory locked by another live process and takes over a lock left by a dead one', async () => {
    writeFileSync(join(tmp.dir, 'LOCK'), String(process.ppid));
    await expect(Store.open({ dir: tmp.dir, collections: [] })).rejects.toThrow(/in use by process/);
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    writeFileSync(join(tmp.dir, 'LOCK'), String(dead));
    const store = await Store.open({ dir: tmp.dir, collections: [] });
    await store.close();
  });
});
