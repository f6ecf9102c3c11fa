// The throttles collection on the real local database: one document per key, so a sweep must remove the dead ones —
// bounded per run, oldest first, never a key that passed again meanwhile — without changing what tryPass answers.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import type { CloudDb, DbQuery } from './cloud-db';
import { Collections } from './collections';
import { DbThrottle, THROTTLE_RETENTION_MS, THROTTLE_SWEEP_MAX } from './throttle.repository';

const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;
const NOW = Date.UTC(2026, 11, 1);
const INTERVAL = 10_000;

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;

beforeEach(async () => {
  tmp = tempDir('throttle-');
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS);
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

async function ids(): Promise<string[]> {
  const out: string[] = [];
  for (let skip = 0; ; skip += 100) {
    const { data } = await db
      .collection(Collections.throttles)
      .orderBy('_id', 'asc')
      .skip(skip)
      .limit(100)
      .get();
    out.push(...data.map((d) => String(d._id)));
    if (data.length < 100) return out;
  }
}

/** Keys passed at `atMs` through tryPass, as payCallback does. */
async function passAt(atMs: number, keys: string[]): Promise<void> {
  const throttle = new DbThrottle(db, () => atMs);
  for (const k of keys) expect(await throttle.tryPass(k, INTERVAL)).toBe(true);
}

describe('DbThrottle.sweep', () => {
  it('removes at most THROTTLE_SWEEP_MAX dead documents per run, oldest first, and keeps the live ones', async () => {
    const dead = Array.from(
      { length: THROTTLE_SWEEP_MAX + 120 },
      (_x, i) => `paycallback:O-dead-${String(i).padStart(4, '0')}`,
    );
    // Passed between 3 h and ~1 h ago (nextAtMs = pass + 10 s), in key order: the first keys are the oldest.
    for (const [i, k] of dead.entries()) await passAt(NOW - 3 * 3600_000 + i * 1000, [k]);
    const live = ['paycallback:O-live-1', 'paycallback:O-live-2'];
    await passAt(NOW - THROTTLE_RETENTION_MS + 60_000, live); // passed 59 min ago: kept
    const throttle = new DbThrottle(db, () => NOW);

    expect(await throttle.sweep()).toBe(THROTTLE_SWEEP_MAX);
    expect(await ids()).toEqual([...dead.slice(THROTTLE_SWEEP_MAX), ...live].sort());
    expect(await throttle.sweep()).toBe(120);
    expect(await ids()).toEqual(live.sort());
    expect(await throttle.sweep()).toBe(0);
  });

  it('does not change what tryPass answers: a swept key passes, a live key is still held back', async () => {
    await passAt(NOW - 2 * 3600_000, ['paycallback:O-old']);
    await passAt(NOW - 5_000, ['paycallback:O-recent']);
    const throttle = new DbThrottle(db, () => NOW);
    expect(await throttle.sweep()).toBe(1);
    expect(await throttle.tryPass('paycallback:O-old', INTERVAL)).toBe(true);
    expect(await throttle.tryPass('paycallback:O-old', INTERVAL)).toBe(false);
    expect(await throttle.tryPass('paycallback:O-recent', INTERVAL)).toBe(false);
  });

  it('keeps a key that passed again between the sweep reading it and removing it', async () => {
    await passAt(NOW - 2 * 3600_000, ['paycallback:O-a', 'paycallback:O-b']);
    let interleaved = false;
    const wrapQuery = (q: DbQuery): DbQuery =>
      new Proxy(q, {
        get(target, prop) {
          if (prop === 'remove')
            return async () => {
              if (!interleaved) {
                interleaved = true;
                // Another instance: payCallback for O-a again, now.
                expect(await new DbThrottle(db, () => NOW).tryPass('paycallback:O-a', INTERVAL)).toBe(true);
              }
              return target.remove();
            };
          const v: unknown = Reflect.get(target, prop);
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
            return prop === 'where' ? wrapQuery(r as DbQuery) : r;
          };
        },
      });
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop === 'collection') return (name: string) => wrapQuery(target.collection(name)) as never;
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    expect(await new DbThrottle(racing, () => NOW).sweep()).toBe(1);
    expect(await ids()).toEqual(['paycallback:O-a']);
    expect(await new DbThrottle(db, () => NOW).tryPass('paycallback:O-a', INTERVAL)).toBe(false);
  });
});
