// Declared indexes narrow queries without changing their answers: every indexed query answers exactly what a scan
// with mingo answers (random documents, including the awkward ones: arrays, objects, null, missing fields, Dates),
// examines only the documents its index pins, and stays right as documents are updated, removed and reloaded.
import fc from 'fast-check';
import { Query } from 'mingo';
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
