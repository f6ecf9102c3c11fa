import { rmSync } from 'node:fs';
import { CloudSdkError } from '../db/errors';
import { openTestDb, spec, tempDir, type TestDb } from '../test-support/temp';

const COLLECTIONS = [
  spec('orders', [['outTradeNo'], ['_openid', 'clientRequestKey']]),
  spec('goods'),
  spec('counters'),
  spec('ledger'),
];

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
const clock = Date.UTC(2026, 0, 2, 3, 4, 5);

beforeEach(async () => {
  tmp = tempDir();
  t = await openTestDb(tmp.dir, COLLECTIONS, { now: () => clock });
});

afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

async function rejection(p: Promise<unknown>): Promise<CloudSdkError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CloudSdkError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('result shapes', () => {
  it('answers add/get/doc.get/count/update/remove with the cloud shapes', async () => {
    const goods = t.db.collection('goods');
    const added = await goods.add({ data: { title: '茶', priceFen: 1200 } });
    expect(added).toEqual({ _id: expect.stringMatching(/^[0-9a-f]{32}$/), errMsg: 'collection.add:ok' });
    expect(await goods.doc(added._id).get()).toEqual({
      data: { _id: added._id, title: '茶', priceFen: 1200 },
      errMsg: 'document.get:ok',
    });
    expect(await goods.get()).toEqual({
      data: [{ _id: added._id, title: '茶', priceFen: 1200 }],
      errMsg: 'collection.get:ok',
    });
    expect(await goods.count()).toEqual({ total: 1, errMsg: 'collection.count:ok' });
    expect(await goods.doc(added._id).update({ data: { priceFen: 1300 } })).toEqual({
      stats: { updated: 1 },
      errMsg: 'document.update:ok',
    });
    expect(await goods.where({ priceFen: 1300 }).remove()).toEqual({
      stats: { removed: 1 },
      errMsg: 'collection.remove:ok',
    });
    expect((await goods.count()).total).toBe(0);
  });

  it('set() creates then replaces the whole document', async () => {
    const ref = t.db.collection('goods').doc('sku-1');
    expect((await ref.set({ data: { a: 1, b: 2 } })).stats).toEqual({ updated: 0, created: 1 });
    expect((await ref.set({ data: { a: 5 } })).stats).toEqual({ updated: 1, created: 0 });
    expect((await ref.get()).data).toEqual({ _id: 'sku-1', a: 5 });
  });

  it('doc().get() of a missing document throws like the cloud, or answers null with throwOnNotFound: false', async () => {
    const e = await rejection(t.db.collection('goods').doc('nope').get());
    expect(e.errCode).toBe(-1);
    expect(e.errMsg).toMatch(/^document\.get:fail .*cannot find document with _id nope/);
    const lenient = await openTestDb(tmp.dir + '-2', COLLECTIONS, { throwOnNotFound: false });
    try {
      expect(await lenient.db.collection('goods').doc('nope').get()).toEqual({
        data: null,
        errMsg: 'document.get:ok',
      });
    } finally {
      await lenient.close();
      rmSync(tmp.dir + '-2', { recursive: true, force: true });
    }
  });

  it('refuses unknown collections with -502005', async () => {
    const e = await rejection(t.db.collection('orderz').add({ data: { a: 1 } }));
    expect(e.errCode).toBe(-502005);
    expect(e.errMsg).toContain('orderz');
  });

  it('counts one round trip per operation', async () => {
    const goods = t.db.collection('goods');
    const { _id } = await goods.add({ data: { n: 1 } });
    await goods.doc(_id).get();
    await goods.where({ n: 1 }).count();
    await goods.doc(_id).update({ data: { n: 2 } });
    await goods.doc(_id).remove();
    expect(t.ops).toEqual(['add', 'get', 'count', 'update', 'remove']);
  });
});

describe('queries', () => {
  beforeEach(async () => {
    const goods = t.db.collection('goods');
    const rows = [
      { _id: 'a', n: 1, tag: 'x', style: { color: 'red', size: 'L' }, tags: ['p', 'q'] },
      { _id: 'b', n: 5, tag: 'y', style: { color: 'blue', size: 'M' }, tags: ['q'] },
      { _id: 'c', n: 9, style: { color: 'red', size: 'S' }, tags: [] },
      { _id: 'd', n: 3, tag: 'x', style: { color: 'green', size: 'L' } },
    ];
    for (const data of rows) await goods.add({ data });
  });

  const ids = async (q: { get(): Promise<{ data: { _id: string }[] }> }) =>
    (await q.get()).data.map((d) => d._id).sort();

  it('supports every comparison and set operator', async () => {
    const _ = t.db.command;
    const goods = t.db.collection('goods');
    expect(await ids(goods.where({ n: _.eq(5) }))).toEqual(['b']);
    expect(await ids(goods.where({ n: _.neq(5) }))).toEqual(['a', 'c', 'd']);
    expect(await ids(goods.where({ n: _.lt(3) }))).toEqual(['a']);
    expect(await ids(goods.where({ n: _.lte(3) }))).toEqual(['a', 'd']);
    expect(await ids(goods.where({ n: _.gt(5) }))).toEqual(['c']);
    expect(await ids(goods.where({ n: _.gte(5) }))).toEqual(['b', 'c']);
    expect(await ids(goods.where({ n: _.in([1, 9]) }))).toEqual(['a', 'c']);
    expect(await ids(goods.where({ n: _.nin([1, 9]) }))).toEqual(['b', 'd']);
    expect(await ids(goods.where({ tag: _.exists(false) }))).toEqual(['c']);
    expect(await ids(goods.where({ tags: 'q' }))).toEqual(['a', 'b']);
  });

  it('supports logic: chained and/or, field-level and top-level and/or/nor/not', async () => {
    const _ = t.db.command;
    const goods = t.db.collection('goods');
    expect(await ids(goods.where({ n: _.gt(1).and(_.lt(9)) }))).toEqual(['b', 'd']);
    expect(await ids(goods.where({ n: _.eq(1).or(_.eq(9)) }))).toEqual(['a', 'c']);
    expect(await ids(goods.where({ n: _.and(_.gte(3), _.lte(5)) }))).toEqual(['b', 'd']);
    expect(await ids(goods.where(_.or([{ tag: 'y' }, { n: 9 }])))).toEqual(['b', 'c']);
    expect(await ids(goods.where(_.and({ tag: 'x' }, { n: _.gt(1) })))).toEqual(['d']);
    expect(await ids(goods.where(_.nor([{ tag: 'x' }, { n: 9 }])))).toEqual(['b']);
    expect(await ids(goods.where({ n: _.not(_.in([1, 3])) }))).toEqual(['b', 'c']);
  });

  it('flattens nested query objects into dot paths and accepts dot-path keys', async () => {
    const goods = t.db.collection('goods');
    expect(await ids(goods.where({ style: { color: 'red' } }))).toEqual(['a', 'c']);
    expect(await ids(goods.where({ 'style.size': 'L', style: { color: 'green' } }))).toEqual(['d']);
    expect(await ids(goods.where({ tag: t.db.RegExp({ regexp: '^X$', options: 'i' }) }))).toEqual(['a', 'd']);
  });

  it('refuses raw $ operators in queries (no operator injection from JSON)', async () => {
    const e = await rejection(
      t.db
        .collection('goods')
        .where({ n: { $gt: 0 } })
        .get(),
    );
    expect(e.errCode).toBe(-501007);
    expect(e.errMsg).toContain('"$gt"');
  });

  it('orders, skips, limits and projects', async () => {
    const goods = t.db.collection('goods');
    const sorted = await goods.orderBy('n', 'desc').skip(1).limit(2).field({ n: true }).get();
    expect(sorted.data).toEqual([
      { _id: 'b', n: 5 },
      { _id: 'd', n: 3 },
    ]);
    const two = await goods.orderBy('tag', 'asc').orderBy('n', 'desc').get();
    expect(two.data.map((d) => d._id)).toEqual(['c', 'd', 'a', 'b']);
  });

  it('caps server-side reads at 100 documents (the default and the maximum)', async () => {
    const counters = t.db.collection('counters');
    for (let i = 0; i < 120; i++) await counters.add({ data: { i } });
    expect((await counters.get()).data).toHaveLength(100);
    expect((await counters.limit(500).get()).data).toHaveLength(100);
    expect((await counters.orderBy('i', 'asc').skip(100).get()).data.map((d) => d.i)).toEqual(
      Array.from({ length: 20 }, (_x, k) => 100 + k),
    );
    expect((await counters.count()).total).toBe(120);
  });
});

describe('updates', () => {
  it('applies set/remove/inc/mul/push/pull/addToSet and keeps siblings of nested objects', async () => {
    const _ = t.db.command;
    const ref = t.db.collection('goods').doc('g');
    await ref.set({
      data: { n: 2, m: 3, arr: [1, 2, 3], set: ['a'], style: { color: 'red', size: 'L' }, gone: true },
    });
    await ref.update({
      data: {
        n: _.inc(5),
        m: _.mul(4),
        arr: _.pull(_.gte(3)),
        set: _.addToSet('a'),
        style: { color: 'blue' },
        gone: _.remove(),
        list: _.push(['x', 'y']),
      },
    });
    expect((await ref.get()).data).toEqual({
      _id: 'g',
      n: 7,
      m: 12,
      arr: [1, 2],
      set: ['a'],
      style: { color: 'blue', size: 'L' },
      list: ['x', 'y'],
    });
    await ref.update({ data: { style: _.set({ color: 'black' }), 'arr.0': 9 } });
    expect((await ref.get()).data).toMatchObject({ style: { color: 'black' }, arr: [9, 2] });
  });

  it('resolves db.serverDate() to the server clock and stores real Dates that survive a reopen', async () => {
    const { _id } = await t.db
      .collection('goods')
      .add({ data: { at: t.db.serverDate(), later: t.db.serverDate({ offset: 1000 }) } });
    const doc = (await t.db.collection('goods').doc(_id).get()).data!;
    expect(doc.at).toEqual(new Date(clock));
    expect(doc.later).toEqual(new Date(clock + 1000));
    await t.close();
    t = await openTestDb(tmp.dir, COLLECTIONS);
    const again = (await t.db.collection('goods').doc(_id).get()).data!;
    expect(again.at).toBeInstanceOf(Date);
    expect((again.at as Date).getTime()).toBe(clock);
    expect(
      await t.db
        .collection('goods')
        .where({ at: t.db.command.lt(new Date(clock + 1)) })
        .count(),
    ).toEqual(expect.objectContaining({ total: 1 }));
  });

  it('answers updated 0 for an update that changes nothing and for a missing document', async () => {
    const ref = t.db.collection('goods').doc('g');
    await ref.set({ data: { n: 1 } });
    expect((await ref.update({ data: { n: 1 } })).stats.updated).toBe(0);
    expect(
      (
        await t.db
          .collection('goods')
          .doc('missing')
          .update({ data: { n: 1 } })
      ).stats.updated,
    ).toBe(0);
  });

  it('refuses type errors, _id changes and conflicting paths', async () => {
    const _ = t.db.command;
    const ref = t.db.collection('goods').doc('g');
    await ref.set({ data: { s: 'text', o: { a: 1 } } });
    const inc = await rejection(ref.update({ data: { s: _.inc(1) } }));
    expect(inc.errCode).toBe(-502001);
    expect(inc.errMsg).toMatch(/non-numeric/);
    expect((await rejection(ref.update({ data: { _id: 'x' } }))).errCode).toBe(-501007);
    expect((await rejection(ref.update({ data: { o: _.set({}), 'o.a': 2 } }))).errMsg).toMatch(/conflict/);
    expect((await rejection(ref.update({ data: { bad$: 1, $set: { a: 1 } } }))).errCode).toBe(-501007);
    expect((await ref.get()).data).toEqual({ _id: 'g', s: 'text', o: { a: 1 } });
  });

  it('refuses, as MongoDB does, a field created inside a value that cannot hold one; unsetting such a path changes nothing', async () => {
    const _ = t.db.command;
    const ref = t.db.collection('goods').doc('p');
    const stored = { s: 'text', n: null, list: [{ x: 1 }], empty: [] };
    await ref.set({ data: stored });
    for (const data of [
      { 's.x': 1 },
      { 'n.x': 1 },
      { 'list.x': 1 },
      { 'empty.x': _.inc(1) },
      { 'n.x.y': _.push([1]) },
    ]) {
      const e = await rejection(ref.update({ data }));
      expect({ data, errCode: e.errCode }).toEqual({ data, errCode: -502001 });
      expect(e.errMsg).toMatch(
        /Cannot create field "(x|y)" in element \{(s|n|list|empty): (string|null|array)\}/,
      );
    }
    expect((await ref.get()).data).toEqual({ _id: 'p', ...stored });
    // An index into the array, and a missing parent (created as an object), are fine.
    await ref.update({ data: { 'list.0.y': 2, 'fresh.x': 1 } });
    // Unsetting a path that cannot exist is MongoDB's no-op, not an error.
    expect((await ref.update({ data: { 's.x': _.remove(), 'n.x': _.remove() } })).stats.updated).toBe(0);
    expect((await ref.get()).data).toEqual({
      _id: 'p',
      ...stored,
      list: [{ x: 1, y: 2 }],
      fresh: { x: 1 },
    });
  });
});

describe('stored values', () => {
  it('refuses what the cloud cannot store, naming the field; keeps Dates, serverDate and nested values', async () => {
    const goods = t.db.collection('goods');
    const refused = async (data: Record<string, unknown>) => rejection(goods.add({ data }));
    expect((await refused({ a: { 'b.c': 1 } })).errMsg).toMatch(
      /data\.a: field name "b\.c" must not contain "\."/,
    );
    expect((await refused({ a: [{ $x: 1 }] })).errMsg).toMatch(
      /data\.a\[0\]: field name "\$x" must not start/,
    );
    expect((await refused({ a: { n: Number.NaN } })).errMsg).toMatch(/data\.a\.n must be a finite number/);
    expect((await refused({ f: () => 1 })).errMsg).toMatch(/data\.f has an unsupported value type/);
    expect((await refused({ q: t.db.command.gt(1) })).errMsg).toMatch(/data\.q: a db\.command operator/);
    expect((await refused({ d: new Date(Number.NaN) })).errMsg).toMatch(/data\.d is an invalid Date/);
    const at = new Date(1_700_000_000_000);
    const { _id } = await goods.add({
      data: {
        at,
        when: t.db.serverDate(),
        list: [1, undefined, { x: 'y' }],
        skip: undefined,
        o: { p: null },
      },
    });
    const data = (await goods.doc(_id).get()).data as Record<string, unknown>;
    expect(data).toMatchObject({ at, list: [1, null, { x: 'y' }], o: { p: null } });
    expect(data.when).toBeInstanceOf(Date);
    expect('skip' in data).toBe(false);
  });
});

describe('compare-and-set', () => {
  it('gives exactly one winner among 50 concurrent conditional updates', async () => {
    const orders = t.db.collection('orders');
    const { _id } = await orders.add({
      data: { outTradeNo: 'T0001', _openid: 'o1', clientRequestKey: 'k1', status: 'NOTPAY' },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_x, i) =>
        orders.where({ _id, status: 'NOTPAY' }).update({ data: { status: 'PAID', winner: i } }),
      ),
    );
    const winners = results.map((r, i) => [r.stats.updated, i] as const).filter(([u]) => u === 1);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.stats.updated === 0)).toHaveLength(49);
    const doc = (await orders.doc(_id).get()).data!;
    expect(doc.status).toBe('PAID');
    expect(doc.winner).toBe(winners[0]![1]);
  });

  it('answers updated 0 when the condition matches nothing', async () => {
    const orders = t.db.collection('orders');
    const { _id } = await orders.add({
      data: { outTradeNo: 'T0002', _openid: 'o1', clientRequestKey: 'k2', status: 'CLOSED' },
    });
    expect(
      (await orders.where({ _id, status: 'NOTPAY' }).update({ data: { status: 'PAID' } })).stats.updated,
    ).toBe(0);
    expect((await orders.doc(_id).get()).data!.status).toBe('CLOSED');
  });
});

describe('unique indexes', () => {
  const order = (outTradeNo: string, openid: string, key: string) => ({
    data: { outTradeNo, _openid: openid, clientRequestKey: key, status: 'NOTPAY' },
  });

  it('refuses a duplicate key with the cloud E11000 error and keeps the first document', async () => {
    const orders = t.db.collection('orders');
    await orders.add(order('T1', 'o1', 'k1'));
    const e = await rejection(orders.add(order('T1', 'o2', 'k9')));
    expect(e.errCode).toBe(-502001);
    expect(e.errMsg).toMatch(
      /^collection\.add:fail -502001 .*E11000 duplicate key error collection: orders index: u0_outTradeNo/,
    );
    expect((await orders.where({ outTradeNo: 'T1' }).get()).data).toHaveLength(1);
  });

  it('scopes a compound index: the same request key is fine for another openid, refused for the same one', async () => {
    const orders = t.db.collection('orders');
    await orders.add(order('T1', 'o1', 'k1'));
    await orders.add(order('T2', 'o2', 'k1'));
    expect((await rejection(orders.add(order('T3', 'o1', 'k1')))).errMsg).toContain(
      '_openid_clientRequestKey',
    );
  });

  it('refuses an update or a duplicate _id that would break uniqueness', async () => {
    const orders = t.db.collection('orders');
    const a = await orders.add(order('T1', 'o1', 'k1'));
    await orders.add(order('T2', 'o1', 'k2'));
    expect((await rejection(orders.doc(a._id).update({ data: { outTradeNo: 'T2' } }))).errMsg).toContain(
      'E11000',
    );
    expect(
      (await rejection(orders.add({ data: { _id: a._id, outTradeNo: 'T9', clientRequestKey: 'x' } }))).errMsg,
    ).toContain('index: _id_');
    expect((await orders.doc(a._id).get()).data!.outTradeNo).toBe('T1');
  });

  it('lets exactly one of 20 concurrent adds with the same key succeed', async () => {
    const orders = t.db.collection('orders');
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_x, i) => orders.add(order('SAME', `o${i}`, `k${i}`))),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect((await orders.count()).total).toBe(1);
  });
});

describe('transactions', () => {
  beforeEach(async () => {
    await t.db
      .collection('ledger')
      .doc('alice')
      .set({ data: { balanceFen: 100 } });
    await t.db
      .collection('ledger')
      .doc('bob')
      .set({ data: { balanceFen: 0 } });
  });

  const balances = async () => {
    const rows = (await t.db.collection('ledger').get()).data;
    return Object.fromEntries(rows.map((r) => [r._id, r.balanceFen]));
  };

  it('commits every write of the callback at once and resolves with its value', async () => {
    const _ = t.db.command;
    const result = await t.db.runTransaction(async (tx) => {
      const alice = (await tx.collection('ledger').doc('alice').get()).data!;
      await tx
        .collection('ledger')
        .doc('alice')
        .update({ data: { balanceFen: _.inc(-30) } });
      await tx
        .collection('ledger')
        .doc('bob')
        .update({ data: { balanceFen: _.inc(30) } });
      const { _id } = await tx.collection('counters').add({ data: { kind: 'transfer', amountFen: 30 } });
      // Reads inside the transaction see its own writes.
      expect((await tx.collection('ledger').doc('alice').get()).data!.balanceFen).toBe(70);
      return { before: alice.balanceFen, transferId: _id };
    });
    expect(result.before).toBe(100);
    expect(await balances()).toEqual({ alice: 70, bob: 30 });
    expect((await t.db.collection('counters').doc(result.transferId).get()).data).toMatchObject({
      amountFen: 30,
    });
  });

  it('rolls back on rollback(reason): rejects with the reason and nothing of it is visible', async () => {
    const _ = t.db.command;
    const outcome = t.db.runTransaction(async (tx) => {
      await tx
        .collection('ledger')
        .doc('alice')
        .update({ data: { balanceFen: _.inc(-50) } });
      await tx.collection('counters').add({ data: { kind: 'transfer' } });
      // Outside readers do not see uncommitted writes.
      expect((await t.db.collection('ledger').doc('alice').get()).data!.balanceFen).toBe(100);
      await tx.rollback(-100);
    });
    await expect(outcome).rejects.toBe(-100);
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
    expect((await t.db.collection('counters').count()).total).toBe(0);
  });

  it('rolls back when the callback throws, rejecting with the thrown error', async () => {
    const boom = new Error('insufficient balance');
    await expect(
      t.db.runTransaction(async (tx) => {
        await tx
          .collection('ledger')
          .doc('bob')
          .update({ data: { balanceFen: 999 } });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await balances()).toEqual({ alice: 100, bob: 0 });
  });

  it('re-runs a callback that lost a write conflict, so concurrent increments are all counted', async () => {
    const _ = t.db.command;
    const runs = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.db.runTransaction(async (tx) => {
          const a = (await tx.collection('ledger').doc('alice').get()).data!.balanceFen as number;
          await tx
            .collection('ledger')
            .doc('alice')
            .update({ data: { balanceFen: a - 1 } });
          await tx
            .collection('ledger')
            .doc('bob')
            .update({ data: { balanceFen: _.inc(1) } });
          return a;
        }, 50),
      ),
    );
    expect(new Set(runs).size).toBe(8);
    expect(await balances()).toEqual({ alice: 92, bob: 8 });
  });

  it('gives up with a conflict error after `times` runs', async () => {
    let runs = 0;
    const e = await rejection(
      t.db.runTransaction(async (tx) => {
        runs += 1;
        await tx.collection('ledger').doc('alice').get();
        // Someone else commits to the document this transaction read.
        await t.db
          .collection('ledger')
          .doc('alice')
          .update({ data: { touchedBy: runs } });
        await tx
          .collection('ledger')
          .doc('bob')
          .update({ data: { balanceFen: 1 } });
      }, 2),
    );
    expect(runs).toBe(2);
    expect(e.errCode).toBe(-502001);
    expect(e.errMsg).toMatch(/TransactionConflict/);
    expect((await balances()).bob).toBe(0);
  });

  it('refuses a transaction whose add breaks a unique index, writing nothing', async () => {
    await t.db.collection('orders').add({ data: { outTradeNo: 'T1', _openid: 'o', clientRequestKey: 'k' } });
    const e = await rejection(
      t.db.runTransaction(async (tx) => {
        await tx
          .collection('ledger')
          .doc('alice')
          .update({ data: { balanceFen: 0 } });
        await tx
          .collection('orders')
          .add({ data: { outTradeNo: 'T1', _openid: 'o2', clientRequestKey: 'k2' } });
      }),
    );
    expect(e.errMsg).toContain('E11000');
    expect((await balances()).alice).toBe(100);
  });

  it('supports startTransaction/commit', async () => {
    const tx = await t.db.startTransaction();
    await tx
      .collection('ledger')
      .doc('bob')
      .update({ data: { balanceFen: 5 } });
    expect((await balances()).bob).toBe(0);
    await tx.commit();
    expect((await balances()).bob).toBe(5);
    await expect(tx.collection('ledger').doc('bob').get()).rejects.toMatchObject({ errCode: -501007 });
  });
});
