// The fast paths decide only what mingo would decide the same way: on random documents (scalars, nested objects,
// arrays, Dates, nulls, missing fields) and random simple queries, modifiers and sorts, every answer the fast path
// gives equals mingo's. Where it declines, the engine asks mingo (covered by the engine's own suites).
import fc from 'fast-check';
import { find as mingoFind, Query, update as mingoUpdate } from 'mingo';
import { applyModifier } from './engine';
import { InvalidInputError } from './errors';
import { applyFastModifier, compileFastFilter, fastSort } from './fast-path';
import { cloneDoc, type Doc } from './values';

const scalar = fc.oneof(
  fc.constantFrom('a', 'b', 'B', '', '10', '9', '中'),
  fc.integer({ min: -2, max: 3 }),
  fc.double({ min: -3, max: 3, noNaN: true }),
  fc.constant(null),
  fc.boolean(),
);
const leaf = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant(new Date(5)) },
  { weight: 1, arbitrary: fc.record({ x: scalar }) },
);
const docArb = fc
  .record(
    {
      a: leaf,
      b: leaf,
      n: fc.oneof(
        fc.record({ x: leaf, y: leaf }, { requiredKeys: [] }),
        fc.array(fc.record({ x: scalar })),
        scalar,
      ),
    },
    { requiredKeys: [] },
  )
  .map((d) => ({ _id: 'd', ...d }));

const operand = fc.oneof(scalar, fc.constant(new Date(5)), fc.array(scalar, { maxLength: 2 }));
const cond = fc.oneof(
  scalar,
  fc.record({ $exists: fc.boolean() }),
  fc
    .record(
      {
        $eq: operand,
        $ne: operand,
        $gt: operand,
        $gte: operand,
        $lt: operand,
        $lte: operand,
        $in: fc.array(scalar, { maxLength: 3 }),
        $nin: fc.array(scalar, { maxLength: 3 }),
        $exists: fc.oneof(fc.boolean(), scalar),
      },
      { requiredKeys: [] },
    )
    .filter((c) => Object.keys(c).length > 0),
);
const path = fc.constantFrom('a', 'b', 'n', 'n.x', 'n.y', 'n.x.z');
const filterArb = fc.oneof(
  fc.dictionary(path, cond, { minKeys: 1, maxKeys: 3 }),
  fc
    .array(fc.dictionary(path, cond, { minKeys: 1, maxKeys: 2 }), { minLength: 1, maxLength: 3 })
    .map((cs) => ({ $and: cs })),
);

describe('fast paths agree with mingo', () => {
  it('filters', () => {
    fc.assert(
      fc.property(fc.array(docArb, { maxLength: 8 }), filterArb, (docs, filter) => {
        const fast = compileFastFilter(filter);
        let q: Query;
        try {
          q = new Query(filter);
        } catch {
          return; // mingo refuses the filter: the engine compiles it with mingo first and reports that error
        }
        if (fast === null) return;
        for (const d of docs) {
          const answer = fast(d);
          if (answer !== undefined) expect([filter, d, answer]).toEqual([filter, d, q.test(d)]);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('declines what it cannot be sure of', () => {
    expect(compileFastFilter({ a: { $regex: 'x' } })).toBeNull();
    expect(compileFastFilter({ $or: [{ a: 1 }] })).toBeNull();
    expect(compileFastFilter({ 'a.0': 1 })).toBeNull();
    expect(compileFastFilter({ a: { $gt: true } })).toBeNull();
    const f = compileFastFilter({ a: { $eq: 1 } });
    expect(f?.({ _id: 'x', a: [1, 2] })).toBeUndefined();
    expect(f?.({ _id: 'x', a: 1 })).toBe(true);
    expect(f?.({ _id: 'x', a: '1' })).toBe(false);
  });

  const value = fc.oneof(scalar, fc.record({ k: scalar }), fc.array(scalar, { maxLength: 2 }));
  const modPath = fc.constantFrom('a', 'b', 'n.x', 'n.y', 'c.d', 'n.x.z');
  const modifierArb = fc
    .record(
      {
        $set: fc.dictionary(modPath, value, { maxKeys: 2 }),
        $inc: fc.dictionary(modPath, fc.integer({ min: -3, max: 3 }), { maxKeys: 2 }),
        $unset: fc.dictionary(modPath, fc.constant(''), { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    )
    .filter((m) => Object.values(m).some((f) => Object.keys(f).length > 0))
    .map((m) => Object.fromEntries(Object.entries(m).filter(([, f]) => Object.keys(f).length > 0)));

  /** `v` with every -0 as 0. */
  const zeroed = (v: unknown): unknown => {
    if (Object.is(v, -0)) return 0;
    if (Array.isArray(v)) return v.map(zeroed);
    if (v === null || typeof v !== 'object' || v instanceof Date) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zeroed(x)]));
  };

  it('modifiers', () => {
    fc.assert(
      fc.property(docArb, modifierArb, (doc, modifier) => {
        const fast = cloneDoc(doc);
        const applied = applyFastModifier(fast, modifier);
        if (!applied) {
          expect(fast).toEqual(doc); // a decline leaves the copy untouched
          return;
        }
        const slow = cloneDoc(doc);
        mingoUpdate(slow, modifier, undefined, undefined, { cloneMode: 'deep' });
        // -0 and 0 are one stored value (the datafile's JSON and the cloud's answers have no -0); mingo keeps a 0 that
        // a $set of -0 meets, the fast path writes the -0 (and the engine then finds nothing changed).
        expect([modifier, zeroed(fast)]).toEqual([modifier, zeroed(slow)]);
      }),
      { numRuns: 3000 },
    );
  });

  it("an update of a stored (frozen) document gives mingo's answer in a copy, sharing nothing the caller keeps", () => {
    const freeze = (v: unknown): void => {
      if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
        Object.freeze(v);
        for (const x of Object.values(v)) freeze(x);
      }
    };
    fc.assert(
      fc.property(docArb, modifierArb, fc.boolean(), (doc, modifier, owned) => {
        // A path through an array is MongoDB's positional territory, where mingo's answer is not a stored value.
        const throughArray = Object.values(modifier).some((fields) =>
          Object.keys(fields).some((path) => {
            let cur: unknown = doc;
            for (const part of path.split('.').slice(0, -1)) {
              if (Array.isArray(cur)) return true;
              cur =
                cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
            }
            return Array.isArray(cur);
          }),
        );
        if (throughArray) return;
        const stored = cloneDoc(doc);
        freeze(stored);
        let after: Doc | undefined;
        try {
          after = applyModifier(stored, modifier, owned);
        } catch (e) {
          if (e instanceof InvalidInputError) return; // refused (e.g. $inc on a string): the engine's suites
          throw e;
        }
        expect(stored).toEqual(doc); // the stored document is never changed
        const slow = cloneDoc(doc);
        mingoUpdate(slow, cloneDoc(modifier), undefined, undefined, { cloneMode: 'deep' });
        expect(zeroed(after ?? stored)).toEqual(zeroed(slow)); // -0 and 0: one stored value (see above)
        if (after === undefined || owned) return;
        // Not owned: the caller may change its modifier afterwards without changing the new document.
        const before = cloneDoc(after);
        for (const fields of Object.values(modifier))
          for (const v of Object.values(fields as Record<string, unknown>))
            if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date))
              (v as Record<string, unknown>).changed = true;
            else if (Array.isArray(v)) v.push('changed');
        expect(after).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts', () => {
    const sortDoc = fc.record(
      {
        a: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('x', 'y', 'X')),
        b: fc.integer({ min: 0, max: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.array(sortDoc, { maxLength: 10 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom(1 as const, -1 as const)), {
          minLength: 1,
          maxLength: 2,
        }),
        (raw, sort) => {
          const docs = raw.map((d, i) => ({ _id: `d${i}`, ...d }));
          const keys = [...new Map(sort)];
          const fast = fastSort(docs, keys);
          if (fast === null) return;
          const slow = mingoFind<Doc>(docs, {}).sort(Object.fromEntries(keys)).all();
          expect(fast.map((d) => d._id)).toEqual(slow.map((d) => d._id));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
