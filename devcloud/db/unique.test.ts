// Unique indexes hold under any sequence of writes: random inserts, field updates (top-level and dotted), unsets,
// removes and two-document write sets are accepted or refused exactly as a naive model that recomputes every key of
// every document decides, and the stored documents stay the model's. The store skips a unique index an update leaves
// alone (its fields shared with the stored document); this is what would catch a skip that is wrong.
import fc from 'fast-check';
import type { CollectionSpec } from './collections-config';
import { DuplicateKeyError } from './errors';
import { openTestDb, tempDir, type TestDb } from '../test-support/temp';

const C = 'things';
const UNIQUE: string[][] = [['k'], ['a', 'n.x']];
const SPEC: CollectionSpec = {
  name: C,
  permission: { read: false, write: false },
  indexes: [
    ...UNIQUE.map((fields, i) => ({
      name: `u${i}`,
      unique: true,
      fields: fields.map((field) => ({ field, order: 'asc' as const })),
    })),
    { name: 'plain_o', unique: false, fields: [{ field: 'o', order: 'asc' as const }] },
  ],
};

type Plain = Record<string, unknown>;

function pathOf(doc: Plain, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Plain)[part];
  }
  return v;
}

/** The model's verdict: every document's key of every unique index is its own (a missing field counts as null). */
function keysUnique(docs: Map<string, Plain>): boolean {
  return UNIQUE.every((fields) => {
    const keys = [...docs.values()].map((d) => JSON.stringify(fields.map((f) => pathOf(d, f) ?? null)));
    return new Set(keys).size === keys.length;
  });
}

const ids = fc.constantFrom('d0', 'd1', 'd2', 'd3', 'd4');
const small = fc.constantFrom(1, 2, 3);
const docArb = fc.record(
  {
    k: small,
    a: fc.constantFrom('x', 'y'),
    n: fc.record({ x: small }),
    o: small,
  },
  { requiredKeys: [] },
);

type Op =
  | { kind: 'insert'; id: string; doc: Plain }
  | { kind: 'set'; id: string; field: 'k' | 'a' | 'n.x' | 'n' | 'o'; value: unknown }
  | { kind: 'unset'; id: string; field: 'k' | 'n' | 'a' }
  | { kind: 'remove'; id: string }
  | { kind: 'pair'; first: { id: string; doc: Plain }; second: { id: string; doc: Plain } };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), id: ids, doc: docArb }),
  fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      id: ids,
      field: fc.constantFrom('k' as const, 'o' as const),
      value: small,
    }),
    fc.record({
      kind: fc.constant('set' as const),
      id: ids,
      field: fc.constant('a' as const),
      value: fc.constantFrom('x', 'y'),
    }),
    fc.record({
      kind: fc.constant('set' as const),
      id: ids,
      field: fc.constant('n.x' as const),
      value: small,
    }),
    fc.record({
      kind: fc.constant('set' as const),
      id: ids,
      field: fc.constant('n' as const),
      value: fc.record({ x: small }),
    }),
  ),
  fc.record({
    kind: fc.constant('unset' as const),
    id: ids,
    field: fc.constantFrom('k' as const, 'n' as const, 'a' as const),
  }),
  fc.record({ kind: fc.constant('remove' as const), id: ids }),
  fc.record({
    kind: fc.constant('pair' as const),
    first: fc.record({ id: ids, doc: docArb }),
    second: fc.record({ id: ids, doc: docArb }),
  }),
);

/** The model's next state, or 'refused' (duplicate _id on insert, or a unique key taken twice). */
function modelApply(docs: Map<string, Plain>, op: Op): Map<string, Plain> | 'refused' {
  const next = new Map([...docs].map(([id, d]) => [id, structuredClone(d)]));
  switch (op.kind) {
    case 'insert':
      if (next.has(op.id)) return 'refused';
      next.set(op.id, { ...structuredClone(op.doc), _id: op.id });
      break;
    case 'set': {
      const d = next.get(op.id);
      if (d === undefined) return docs;
      if (op.field === 'n.x') d.n = { ...(d.n ?? {}), x: op.value };
      else d[op.field] = structuredClone(op.value);
      break;
    }
    case 'unset': {
      const d = next.get(op.id);
      if (d === undefined) return docs;
      delete d[op.field];
      break;
    }
    case 'remove':
      next.delete(op.id);
      break;
    case 'pair':
      next.set(op.first.id, { ...structuredClone(op.first.doc), _id: op.first.id });
      next.set(op.second.id, { ...structuredClone(op.second.doc), _id: op.second.id });
      break;
  }
  return keysUnique(next) ? next : 'refused';
}

async function engineApply(t: TestDb, op: Op): Promise<void> {
  switch (op.kind) {
    case 'insert':
      await t.engine.insert(C, { ...structuredClone(op.doc), _id: op.id });
      return;
    case 'set':
      await t.engine.update(C, { _id: op.id }, { $set: { [op.field]: structuredClone(op.value) } }, false);
      return;
    case 'unset':
      await t.engine.update(C, { _id: op.id }, { $unset: { [op.field]: '' } }, false);
      return;
    case 'remove':
      await t.engine.remove(C, { _id: op.id }, false);
      return;
    case 'pair':
      await t.store.exclusive((w) =>
        w.commit([
          { collection: C, id: op.first.id, after: { ...structuredClone(op.first.doc), _id: op.first.id } },
          {
            collection: C,
            id: op.second.id,
            after: { ...structuredClone(op.second.doc), _id: op.second.id },
          },
        ]),
      );
  }
}

function stored(t: TestDb): Plain[] {
  return t.engine.find(C, {}).sort((x, y) => String(x._id).localeCompare(String(y._id)));
}

function modelDocs(docs: Map<string, Plain>): Plain[] {
  return [...docs.values()].sort((x, y) => String(x._id).localeCompare(String(y._id)));
}

describe('unique indexes under random writes', () => {
  it('accept and refuse exactly as recomputing every key decides, and keep the model’s documents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const tmp = tempDir();
        const t = await openTestDb(tmp.dir, [SPEC]);
        try {
          let model = new Map<string, Plain>();
          for (const op of ops) {
            // A pair that names one document twice is refused by the store as a malformed write set: not this test's subject.
            if (op.kind === 'pair' && op.first.id === op.second.id) continue;
            const expected = modelApply(model, op);
            let refused = false;
            try {
              await engineApply(t, op);
            } catch (e) {
              if (!(e instanceof DuplicateKeyError)) throw e;
              refused = true;
            }
            expect({ op, refused }).toEqual({ op, refused: expected === 'refused' });
            if (expected !== 'refused') model = expected;
            expect(stored(t)).toEqual(modelDocs(model));
          }
          // What the store rebuilds from its datafile at open holds the same keys: one more write per document of
          // the model, each setting a field no unique index reads, must all be accepted.
          await t.close();
          const again = await openTestDb(tmp.dir, [SPEC]);
          try {
            expect(stored(again)).toEqual(modelDocs(model));
            for (const id of model.keys())
              await again.engine.update(C, { _id: id }, { $set: { o: 9 } }, false);
            for (const [id, d] of model) {
              const clash = modelApply(model, { kind: 'insert', id: `${id}-twin`, doc: { ...d } });
              let refused = false;
              try {
                await again.engine.insert(C, { ...structuredClone(d), _id: `${id}-twin` });
                await again.engine.remove(C, { _id: `${id}-twin` }, false);
              } catch (e) {
                if (!(e instanceof DuplicateKeyError)) throw e;
                refused = true;
              }
              expect(refused).toBe(clash === 'refused');
            }
          } finally {
            await again.close();
          }
        } finally {
          tmp.cleanup();
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
