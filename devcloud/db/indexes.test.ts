// Declared indexes narrow queries without changing their answers: every indexed query answers exactly what a scan
// with mingo answers (random documents, including the awkward ones: arrays, objects, null, missing fields, Dates),
// examines only the documents its index pins, and stays right as documents are updated, removed and reloaded.
import fc from 'fast-check';
import { find as mingoFind, Query } from 'mingo';
import type { CollectionSpec } from './collections-config';
import { openTestDb, tempDir, type TestDb } from '../test-support/temp';
import type { Doc } from './values';

const ITEMS: CollectionSpec = {
  name: 'items',
  permission: { read: false, write: false },
  indexes: [
    { name: 'a', unique: false, fields: [{ field: 'a', order: 'asc' }] },
    {
      name: 'b_c',
      unique: false,
      fields: [
        { field: 'b', order: 'asc' },
        { field: 'c', order: 'desc' },
      ],
    },
    { name: 'nested', unique: false, fields: [{ field: 'n.x', order: 'asc' }] },
  ],
};

let tmp: ReturnType<typeof tempDir>;
let t: TestDb;
beforeEach(async () => {
  tmp = tempDir();
  t = await openTestDb(tmp.dir, [ITEMS]);
});
afterEach(async () => {
  await t.close();
  tmp.cleanup();
});

async function put(docs: Doc[]): Promise<void> {
  await t.store.exclusive((w) => w.commit(docs.map((d) => ({ collection: 'items', id: d._id, after: d }))));
}

const scalar = fc.oneof(
  fc.constantFrom('x', 'y', 'z'),
  fc.integer({ min: 0, max: 3 }),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(new Date(0), new Date(1000)),
);
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar }) },
);
const field = fc.option(value, { nil: undefined });
const docArb = fc.record(
  {
    a: field,
    b: field,
    c: field,
    n: fc.option(fc.oneof(fc.record({ x: value }), fc.array(fc.record({ x: scalar }))), { nil: undefined }),
  },
  { requiredKeys: [] },
);
const cond = fc.oneof(
  scalar.map((v) => ({ $eq: v })),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((vs) => ({ $in: vs })),
  fc.integer({ min: 0, max: 3 }).map((v) => ({ $gte: v })),
);
const filterArb = fc.oneof(
  fc.record({ a: cond }),
  fc.record({ b: cond, c: cond }, { requiredKeys: ['b'] }),
  fc.record({ 'n.x': cond }),
  fc.tuple(fc.record({ b: cond }), fc.record({ c: cond })).map((cs) => ({ $and: cs })),
  fc.record({ a: cond, b: cond }),
  fc.record({ $or: fc.tuple(fc.record({ a: cond }), fc.record({ b: cond })) }),
);

describe('declared indexes', () => {
  it('answer exactly what a scan answers, in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(docArb, { maxLength: 40 }),
        fc.array(filterArb, { minLength: 1, maxLength: 5 }),
        async (raw, filters) => {
          const docs = raw.map((d, i) => {
            const doc: Doc = { _id: `d${String(i).padStart(3, '0')}` };
            for (const [k, v] of Object.entries(d)) if (v !== undefined) doc[k] = v;
            return doc;
          });
          await t.store.exclusive((w) =>
            w.commit(
              [...t.store.docs('items')].map((d) => ({ collection: 'items', id: d._id, after: null })),
            ),
          );
          if (docs.length > 0) await put(docs);
          for (const filter of filters) {
            const q = new Query(filter);
            const expected = [...t.store.docs('items')].filter((d) => q.test(d)).map((d) => d._id);
            expect(t.engine.find('items', filter).map((d) => d._id)).toEqual(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answer what a scan answers while documents are inserted, updated and removed between queries', async () => {
    // Few distinct values, so nodes of every level fill, empty and are dropped as documents move between them.
    const small = fc.oneof(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 2 }), fc.constant(null));
    const step = fc.oneof(
      fc.record({ kind: fc.constant('query' as const), filter: filterArb }),
      fc.record({
        kind: fc.constant('set' as const),
        i: fc.nat(19),
        field: fc.constantFrom('a', 'b', 'c', 'n'),
        v: fc.oneof({ weight: 4, arbitrary: small }, { weight: 1, arbitrary: value }),
      }),
      fc.record({ kind: fc.constant('remove' as const), i: fc.nat(19) }),
      fc.record({ kind: fc.constant('insert' as const), i: fc.nat(19), a: small, b: small, c: small }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ a: small, b: small, c: small }), { minLength: 4, maxLength: 20 }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        async (initial, steps) => {
          await t.store.exclusive((w) =>
            w.commit(
              [...t.store.docs('items')].map((d) => ({ collection: 'items', id: d._id, after: null })),
            ),
          );
          await put(initial.map((d, i) => ({ _id: `d${String(i).padStart(3, '0')}`, ...d })));
          for (const st of steps) {
            if (st.kind === 'query') {
              const q = new Query(st.filter);
              const expected = [...t.store.docs('items')].filter((d) => q.test(d)).map((d) => d._id);
              expect(t.engine.find('items', st.filter).map((d) => d._id)).toEqual(expected);
              continue;
            }
            const id = `d${String(st.i).padStart(3, '0')}`;
            if (st.kind === 'insert') {
              if (t.store.getDoc('items', id) === undefined)
                await put([{ _id: id, a: st.a, b: st.b, c: st.c }]);
            } else if (st.kind === 'set') {
              const v = st.field === 'n' ? { x: st.v } : st.v;
              await t.engine.update('items', { _id: { $eq: id } }, { $set: { [st.field]: v } }, false);
            } else await t.engine.remove('items', { _id: { $eq: id } }, false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a sorted page read from an index in order answers what sorting every match answers, across changes', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('query' as const),
        b: scalar,
        a: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        dir: fc.constantFrom(1 as const, -1 as const),
        skip: fc.integer({ min: 0, max: 3 }),
        limit: fc.integer({ min: 1, max: 6 }),
      }),
      fc.record({
        kind: fc.constant('set' as const),
        i: fc.nat(29),
        field: fc.constantFrom('b', 'c'),
        v: value,
      }),
      fc.record({ kind: fc.constant('remove' as const), i: fc.nat(29) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(docArb, { maxLength: 30 }),
        fc.array(step, { maxLength: 12 }),
        async (raw, steps) => {
          await t.store.exclusive((w) =>
            w.commit(
              [...t.store.docs('items')].map((d) => ({ collection: 'items', id: d._id, after: null })),
            ),
          );
          const docs = raw.map((d, i) => {
            // Mostly numbers in c (the sortable case), sometimes anything.
            const doc: Doc = { _id: `d${String(i).padStart(3, '0')}`, c: i % 7 };
            for (const [k, v] of Object.entries(d))
              if (v !== undefined && (k !== 'c' || i % 5 === 0)) doc[k] = v;
            return doc;
          });
          if (docs.length > 0) await put(docs);
          for (const st of steps) {
            const id = `d${String(st.kind === 'query' ? 0 : st.i).padStart(3, '0')}`;
            if (st.kind === 'set') {
              await t.engine.update('items', { _id: { $eq: id } }, { $set: { [st.field]: st.v } }, false);
              continue;
            }
            if (st.kind === 'remove') {
              await t.engine.remove('items', { _id: { $eq: id } }, false);
              continue;
            }
            const filter: Record<string, unknown> = { b: { $eq: st.b } };
            if (st.a !== undefined) filter.a = { $gte: st.a };
            const expected = mingoFind([...t.store.docs('items')], filter)
              .sort({ c: st.dir })
              .skip(st.skip)
              .limit(st.limit)
              .all()
              .map((d) => (d as Doc)._id);
            const got = t.engine.find('items', filter, {
              sort: [['c', st.dir]],
              skip: st.skip,
              limit: st.limit,
            });
            expect(got.map((d) => d._id)).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a sorted page examines about a page of documents when an index's last field is the sort", async () => {
    const docs: Doc[] = [];
    for (let i = 0; i < 2000; i++)
      docs.push({ _id: `d${i}`, a: `k${i % 500}`, b: i % 2 === 0 ? 'even' : 'odd', c: i });
    await put(docs);
    const before = t.engine.queryStats();
    const page = t.engine.find('items', { b: { $eq: 'odd' } }, { sort: [['c', -1]], limit: 5 });
    expect(page.map((d) => d.c)).toEqual([1999, 1997, 1995, 1993, 1991]);
    expect(t.engine.queryStats().examined - before.examined).toBe(5);
    // A change inside the order is seen at once.
    await t.engine.update('items', { _id: { $eq: 'd1' } }, { $set: { c: 5000 } }, false);
    const again = t.engine.find('items', { b: { $eq: 'odd' } }, { sort: [['c', -1]], skip: 1, limit: 2 });
    expect(again.map((d) => d.c)).toEqual([1999, 1997]);
    // A document that moves into the key ties with one already there: ties keep the scan's (insertion) order.
    await t.engine.update('items', { _id: { $eq: 'd0' } }, { $set: { b: 'odd', c: 1999 } }, false);
    const tied = t.engine.find('items', { b: { $eq: 'odd' } }, { sort: [['c', -1]], limit: 4 });
    expect(tied.map((d) => d._id)).toEqual(['d1', 'd0', 'd1999', 'd1997']);
  });

  it('examine only the documents the index pins, and follow updates, removals and a reopen', async () => {
    const docs: Doc[] = [];
    for (let i = 0; i < 2000; i++)
      docs.push({ _id: `d${i}`, a: `k${i % 500}`, b: i % 2 === 0 ? 'even' : 'odd', c: i });
    await put(docs);

    expect(t.engine.explain('items', { a: { $eq: 'k7' } })).toEqual({ index: 'a', examined: 4, matched: 4 });
    // Both fields of the compound index pinned: the full key, one document.
    expect(t.engine.explain('items', { $and: [{ b: { $eq: 'odd' } }, { c: { $eq: 7 } }] })).toEqual({
      index: 'b_c',
      examined: 1,
      matched: 1,
    });
    // Two indexes apply: the narrower one is used.
    expect(t.engine.explain('items', { a: { $eq: 'k8' }, b: { $eq: 'even' } })).toMatchObject({
      index: 'a',
      examined: 4,
    });
    expect(t.engine.explain('items', { a: { $in: ['k1', 'k2'] } })).toMatchObject({
      examined: 8,
      matched: 8,
    });
    // No declared index on the field: a scan, counted as one.
    const before = t.engine.queryStats();
    expect(t.engine.explain('items', { c: { $lt: 3 } })).toEqual({ index: null, examined: 2000, matched: 3 });
    expect(t.engine.queryStats().scans).toBe(before.scans + 1);

    await t.engine.update('items', { _id: { $eq: 'd7' } }, { $set: { a: 'moved' } }, false);
    expect(t.engine.find('items', { a: { $eq: 'k7' } }).map((d) => d._id)).toEqual([
      'd507',
      'd1007',
      'd1507',
    ]);
    expect(t.engine.explain('items', { a: { $eq: 'moved' } })).toEqual({
      index: 'a',
      examined: 1,
      matched: 1,
    });
    await t.engine.remove('items', { a: { $eq: 'moved' } }, true);
    expect(t.engine.explain('items', { a: { $eq: 'moved' } })).toEqual({
      index: 'a',
      examined: 0,
      matched: 0,
    });

    await t.close();
    t = await openTestDb(tmp.dir, [ITEMS]);
    expect(t.engine.explain('items', { a: { $eq: 'k7' } })).toEqual({ index: 'a', examined: 3, matched: 3 });
  });
});
