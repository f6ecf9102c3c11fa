// The paymentKey migration on the real local database: the key it gives is the one DbOrderStore writes; bounded runs
// continue from their cursor; an order paid while the migration runs keeps its payment's key (compare-and-set).
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import { openTestDb, tempDir, type TestDb } from '../../../devcloud/test-support/temp';
import { storedOrder } from '../functions/core.testkit';
import type { Fen } from '../../domain/money';
import type { CloudDb, DbCollection, DbQuery } from './cloud-db';
import { Collections } from './collections';
import { DbOrderStore } from './order.repository';
import { migrateOrderPaymentKeys } from './payment-key.migration';
import { toDoc } from './records';

const COLLECTIONS = loadCollectionsConfig(join(__dirname, '../../../data/collections.json')).collections;
const T0 = Date.UTC(2026, 10, 1);

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
let db: CloudDb;

beforeEach(async () => {
  tmp = tempDir('payment-key-');
  // As before the index: the migration runs with the unique indexes not yet built.
  t = await openTestDb(join(tmp.dir, 'db'), COLLECTIONS, { deferUniqueIndexes: true });
  db = t.db as unknown as CloudDb;
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

/** Old orders: written without a paymentKey. */
async function addOld(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `O2026110100000${String(i).padStart(4, '0')}`;
    await db.collection(Collections.orders).add({ data: toDoc(storedOrder(id, T0 + i), 'outTradeNo') });
    ids.push(id);
  }
  return ids;
}

async function keys(): Promise<Record<string, unknown>> {
  const { data } = await db.collection(Collections.orders).limit(100).get();
  return Object.fromEntries(data.map((d) => [String(d._id), d.paymentKey]));
}

const payment = (transactionId: string) => ({
  transactionId,
  paidFen: 1200 as Fen,
  successTimeMs: T0 + 5000,
  source: 'notification' as const,
  appliedAtMs: T0 + 5000,
});

/** `db` whose first update on orders is preceded by `before` (another writer getting in between read and write). */
function interleaved(inner: CloudDb, before: () => Promise<void>): CloudDb {
  let fired = false;
  const wrapQuery = (q: DbQuery): DbQuery =>
    new Proxy(q, {
      get(target, prop) {
        if (prop === 'update')
          return async (o: { data: Record<string, unknown> }) => {
            if (!fired) {
              fired = true;
              await before();
            }
            return target.update(o);
          };
        const v: unknown = Reflect.get(target, prop);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
          return prop === 'where' ? wrapQuery(r as DbQuery) : r;
        };
      },
    });
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'collection')
        return (name: string) => {
          const c = target.collection(name);
          return name === Collections.orders ? (wrapQuery(c) as DbCollection) : c;
        };
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('migrateOrderPaymentKeys', () => {
  it('gives old orders the key DbOrderStore writes for new ones, so orders written since are left alone', async () => {
    const store = new DbOrderStore(db);
    await store.insert(storedOrder('O-new-unpaid', T0));
    const paid = storedOrder('O-new-paid', T0);
    await store.insert(paid);
    await store.recordPayment(paid, { status: 'PAID', payment: payment('4200000001') });
    const [old] = await addOld(1);
    const report = await migrateOrderPaymentKeys(db);
    expect(report).toMatchObject({ examined: 3, updated: 1, complete: true });
    expect(await keys()).toEqual({
      'O-new-unpaid': 'unpaid:O-new-unpaid',
      'O-new-paid': 'tx:4200000001',
      [old!]: `unpaid:${old!}`,
    });
  });

  it('bounded runs continue from their cursor and together give every order its key once', async () => {
    const ids = await addOld(10);
    let after: string | undefined;
    let updated = 0;
    let runs = 0;
    do {
      const r = await migrateOrderPaymentKeys(db, { maxOrders: 4, ...(after ? { after } : {}) });
      updated += r.updated;
      after = r.cursor ?? undefined;
      runs++;
    } while (after !== undefined);
    expect({ runs, updated }).toEqual({ runs: 3, updated: 10 });
    expect(await keys()).toEqual(Object.fromEntries(ids.map((id) => [id, `unpaid:${id}`])));
    expect(await migrateOrderPaymentKeys(db)).toMatchObject({ examined: 10, updated: 0, complete: true });
  });

  it('an order paid between the read and the write keeps its payment: the write misses, the order is read again', async () => {
    const [id] = await addOld(1);
    const store = new DbOrderStore(db);
    const report = await migrateOrderPaymentKeys(
      interleaved(db, async () => {
        const current = await store.get(id!);
        await store.recordPayment(current!, { status: 'PAID', payment: payment('4200000002') });
      }),
    );
    expect(report).toMatchObject({ examined: 1, updated: 0, retryLater: [], complete: true });
    expect(await keys()).toEqual({ [id!]: 'tx:4200000002' });
    expect((await store.get(id!))?.payment?.transactionId).toBe('4200000002');
  });

  it('an order whose payment has no transaction id is marked for a person, and the index can be built', async () => {
    await db.collection(Collections.orders).add({
      data: { ...toDoc(storedOrder('O-bad-1', T0), 'outTradeNo'), payment: { paidFen: 1 } },
    });
    await db.collection(Collections.orders).add({
      data: { ...toDoc(storedOrder('O-bad-2', T0), 'outTradeNo'), payment: { transactionId: '' } },
    });
    const report = await migrateOrderPaymentKeys(db);
    expect(report).toMatchObject({ updated: 2, unreadable: ['O-bad-1', 'O-bad-2'], complete: false });
    expect(await keys()).toEqual({ 'O-bad-1': 'unreadable:O-bad-1', 'O-bad-2': 'unreadable:O-bad-2' });
    await t.store.enforceUniqueIndexes();
    expect(await migrateOrderPaymentKeys(db)).toMatchObject({
      updated: 0,
      unreadable: ['O-bad-1', 'O-bad-2'],
    });
  });
});
