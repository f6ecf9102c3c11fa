// Every query the repositories make has a declared index (data/collections.json): each repository method is run
// against a recording database and the fields each query filters and sorts on must be the leading fields of one
// index of its collection (or pin `_id`). A new repository method must be added to CALLS below, so it is checked too.
import { join } from 'node:path';
import { loadCollectionsConfig } from '../../../devcloud/db/collections-config';
import type { CloudDb } from './cloud-db';
import { DbAttentionStore } from './attention.repository';
import { DbCartStore } from './cart.repository';
import { DbCatalogReader } from './catalog.repository';
import { readCounters } from './counters';
import { DbOrderStore } from './order.repository';
import { DbMetrics } from './metrics.repository';
import { DbReconcileReportStore } from './reconcile-report.repository';
import { DbRefundStore } from './refund.repository';
import { DbRefundRequestStore } from './refund-request.repository';
import { DbStockStore } from './stock.repository';
import { DbThrottle } from './throttle.repository';
import { DbSubscriptionStore } from './subscription.repository';
import { DemoPaymentProvider } from '../payment/demo/demo.provider';

interface RecordedQuery {
  collection: string;
  op: 'get' | 'count' | 'update' | 'remove';
  where: string[];
  orderBy: string[];
}

/** A CloudDb that answers every read with nothing and records the fields of each query it is asked. */
function recordingDb(queries: RecordedQuery[]): CloudDb {
  const op =
    (name: string) =>
    (...args: unknown[]) => ({ op: name, args });
  const command = new Proxy({}, { get: (_t, name) => op(String(name)) });
  const query = (collection: string, where: string[], orderBy: string[]): unknown => {
    const done = <T>(op: RecordedQuery['op'], answer: T) => {
      queries.push({ collection, op, where, orderBy });
      return Promise.resolve(answer);
    };
    return {
      where: (c: Record<string, unknown>) => query(collection, [...where, ...Object.keys(c)], orderBy),
      orderBy: (f: string) => query(collection, where, [...orderBy, f]),
      limit: () => query(collection, where, orderBy),
      skip: () => query(collection, where, orderBy),
      field: () => query(collection, where, orderBy),
      get: () => done('get', { data: [] }),
      count: () => done('count', { total: 0 }),
      update: () => done('update', { stats: { updated: 0 } }),
      remove: () => done('remove', { stats: { removed: 0 } }),
    };
  };
  const doc = () => ({
    get: () => Promise.resolve({ data: null }),
    set: () => Promise.resolve({}),
    update: () => Promise.resolve({ stats: { updated: 0 } }),
    remove: () => Promise.resolve({ stats: { removed: 0 } }),
  });
  return {
    collection: (name: string) =>
      Object.assign(query(name, [], []) as object, { doc, add: () => Promise.resolve({ _id: 'x' }) }),
    command,
    serverDate: () => ({}),
    runTransaction: (fn: (t: unknown) => Promise<unknown>) =>
      fn({
        collection: () => ({ doc, add: () => Promise.resolve({ _id: 'x' }) }),
        rollback: () => undefined,
      }),
  } as unknown as CloudDb;
}

const ORDER = {
  outTradeNo: 'O1',
  version: 1,
  status: 'AWAITING_PAYMENT',
  lines: [],
  payment: { transactionId: 'T1', paidFen: 1 },
  closeJob: { state: 'queued' },
};
const REFUND = { outRefundNo: 'R1', outTradeNo: 'O1', version: 1, status: 'PROCESSING' };

// Arguments for every method of every repository (constructor → method → arguments).
const CALLS: Record<string, Record<string, unknown[]>> = {
  DbOrderStore: {
    get: ['O1'],
    findByClientKey: ['openid', 'key'],
    listByOpenid: ['openid', 10, 5, ['PAID']],
    countAwaiting: ['h5:web', 5],
    countAwaitingFrom: ['127.0.0.1', 5],
    insert: [ORDER],
    recordPayment: [ORDER, { status: 'PAID', payment: ORDER.payment }],
    existing: [['O1', 'O2']],
    update: [ORDER, { status: 'PAID' }],
    updateAndReleaseStock: [ORDER, {}, []],
    reserveRefund: [ORDER, {}, REFUND],
    updateWithRefund: [ORDER, {}, REFUND, {}],
    listPaidTestOrders: [10],
    listByStatus: ['PAID_AFTER_CLOSE', 10],
    listCloseDue: [0, 10],
    listMessageDue: [0, 10],
    listSyncDue: [0, 10],
    listByFulfilment: ['AWAITING_SHIPMENT', 10, { paidAtMs: 5 }],
    listShippingUploadDue: [0, 10],
    listCompleteDue: [0, 10],
    listPaidBetween: [0, 1],
    list: [{ status: 'PAID' }, 'updatedAtMs', 10],
  },
  DbRefundStore: {
    get: ['R1'],
    findByRequestKey: ['O1:k'],
    listByOrder: ['O1'],
    update: [REFUND, { status: 'SUCCESS' }],
    levelWithOrder: ['R1', 2, { status: 'SUCCESS' }, { accepted: true }],
    listAcceptedBetween: [0, 1],
    listFollowUpDue: [0, 10],
  },
  DbRefundRequestStore: {
    get: ['RR1'],
    findByKey: ['O1', 'key-12345'],
    latestForOrder: ['O1'],
    listByStates: [['PENDING', 'AWAITING_RETURN'], 20, 5],
    insertWithOrder: [ORDER, { requestId: 'RR1', state: 'PENDING' }],
    update: [{ requestId: 'RR1', version: 1, state: 'PENDING' }, { state: 'APPROVED' }],
  },
  DbAttentionStore: {
    record: [{ id: 'a1', firstSeenAtMs: 0, lastSeenAtMs: 0 }],
    list: [10, 5],
    resolve: ['a1', 'o-admin', 1],
  },
  DbCartStore: { load: ['openid'], save: ['openid', { lines: [] }, 1] },
  DbCatalogReader: { cachedCatalog: [0], loadCatalog: [] },
  DbReconcileReportStore: { save: ['trade-2026-11-30', {}], get: ['trade-2026-11-30'] },
  DbMetrics: { increment: ['x'] },
  DbStockStore: {
    hold: ['h1', { skuId: 's1', quantity: 1, stock: 1 }, { kind: 'order', id: 'O1' }, 0],
    releaseHold: ['h1', 's1', 1],
    // No query of its own: it only remembers holds for the next decrement (hold) to forget.
    orderWritten: ['h1', ['s1']],
    settleHolds: ['s1', ['h1']],
    read: ['s1'],
    listHolds: [],
  },
  DbThrottle: { tryPass: ['k', 1000], sweep: [] },
  DbSubscriptionStore: {
    addAccepts: ['o1', ['t1'], 0],
    takeAccept: ['o1', 't1', 0],
    counts: ['o1', ['t1']],
    addOne: ['o1', 't1', 0],
  },
  DemoPaymentProvider: {
    queryPayment: ['O1'],
    closePayment: ['O1'],
    simulatePayment: ['O1'],
    queryRefund: ['R1'],
    read: ['O1'],
  },
};

// Whole-collection reads that are meant: the catalog and the counters are small and read whole (cached).
const WHOLE_COLLECTION_READS = new Set(['products', 'skus', 'metrics']);

const collections = loadCollectionsConfig(
  join(__dirname, '..', '..', '..', 'data', 'collections.json'),
).collections;

function indexFor(q: RecordedQuery): string | null {
  const fields = new Set([...q.where, ...q.orderBy.filter((f) => f !== '_id')]);
  if (q.where.includes('_id')) return '_id';
  // Counting a whole collection reads its size, not its documents.
  if (fields.size === 0 && q.op === 'count') return '(collection size)';
  if (fields.size === 0) return WHOLE_COLLECTION_READS.has(q.collection) ? '(whole collection)' : null;
  const spec = collections.find((c) => c.name === q.collection);
  for (const index of spec?.indexes ?? []) {
    const leading = new Set(index.fields.slice(0, fields.size).map((f) => f.field));
    if (leading.size === fields.size && [...fields].every((f) => leading.has(f))) return index.name;
  }
  return null;
}

async function run(instance: object, name: string, queries: RecordedQuery[]): Promise<void> {
  const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
  const methods = Object.getOwnPropertyNames(proto).filter((m) => {
    const d = Object.getOwnPropertyDescriptor(proto, m);
    return m !== 'constructor' && typeof d?.value === 'function';
  });
  const calls = CALLS[name] ?? {};
  const uncalled = methods.filter((m) => !(m in calls));
  // The demo provider's other methods are its unsupported operations and signing: they never touch the database.
  const checked = name === 'DemoPaymentProvider' ? [] : uncalled;
  expect({ name, missingFromCALLS: checked }).toEqual({ name, missingFromCALLS: [] });
  for (const [method, args] of Object.entries(calls)) {
    const fn = proto[method] as (...a: unknown[]) => unknown;
    try {
      await fn.apply(instance, args);
    } catch {
      // Answers of "nothing" may make a method give up; the queries it made are what counts here.
    }
  }
  expect(queries.length).toBeGreaterThan(0);
}

describe('every repository query has a declared index', () => {
  const queries: RecordedQuery[] = [];
  const db = recordingDb(queries);
  const now = () => 0;
  const stores: [string, object][] = [
    ['DbOrderStore', new DbOrderStore(db)],
    ['DbRefundStore', new DbRefundStore(db)],
    ['DbRefundRequestStore', new DbRefundRequestStore(db)],
    ['DbAttentionStore', new DbAttentionStore(db)],
    ['DbCartStore', new DbCartStore(db, now)],
    ['DbCatalogReader', new (DbCatalogReader as unknown as new (...a: unknown[]) => object)(db, now)],
    ['DbReconcileReportStore', new DbReconcileReportStore(db)],
    ['DbMetrics', new (DbMetrics as unknown as new (...a: unknown[]) => object)(db, () => undefined)],
    ['DbStockStore', new DbStockStore(db)],
    ['DbThrottle', new DbThrottle(db, now)],
    ['DbSubscriptionStore', new DbSubscriptionStore(db)],
    ['DemoPaymentProvider', new DemoPaymentProvider(db, now, () => 'r')],
  ];

  it.each(stores)('%s: every method is exercised', async (name, store) => {
    await run(store, name, queries);
  });

  it("the shopper's listing is indexed unfiltered too (CALLS runs it filtered by status)", async () => {
    const before = queries.length;
    await new DbOrderStore(db).listByOpenid('openid', 10);
    await new DbOrderStore(db).listByOpenid('openid', 10, undefined, ['PAID', 'REFUNDED']);
    expect(queries.slice(before).map((q) => q.where.join('+'))).toEqual(['openid', 'openid+status']);
  });

  it("the web checkout's limits read by owner, status and age, and by the payer's address and age (indexed)", async () => {
    const before = queries.length;
    await new DbOrderStore(db).countAwaiting('h5:web', 5);
    await new DbOrderStore(db).countAwaitingFrom('127.0.0.1', 5);
    expect(queries.slice(before).map((q) => [...q.where, ...q.orderBy].join('+'))).toEqual([
      'openid+status+createdAtMs',
      'payerClientIp+createdAtMs+createdAtMs',
    ]);
  });

  it('the staff counters read by status (indexed) and count prepay/payment presence', async () => {
    const before = queries.length;
    await readCounters(db);
    expect(queries.length).toBeGreaterThan(before);
  });

  it('each recorded query is served by an index of its collection', () => {
    // Counting orders with a prepay / a payment (the staff's counters, read on demand) scans by design.
    const unindexed = queries
      .filter(
        (q) => !(q.collection === 'orders' && (q.where.includes('prepay') || q.where.includes('payment'))),
      )
      .filter((q) => indexFor(q) === null)
      .map((q) => `${q.collection}: where ${q.where.join('+') || '∅'} orderBy ${q.orderBy.join('+') || '∅'}`);
    expect([...new Set(unindexed)]).toEqual([]);
  });
});
