// Secondary indexes over the in-memory mirror, so a query on declared index fields looks at the documents it can
// match instead of the whole collection (the cloud's planner does the same with the indexes in collections.json).
//
// An index over fields f1..fn keeps, for every prefix f1..fk, a map from the encoded values to the _ids holding them.
// A query uses the longest prefix it pins by equality ($eq or $in on scalars, at the top level or inside $and); the
// candidates are then tested with the full query as before, so an index only ever narrows the search, never decides
// a match. Values the maps cannot key the way MongoDB compares them — arrays and objects, or a path through an array
// (MongoDB matches elements there) — put the document on the index's "irregular" list, which every lookup includes.
import type { IndexSpec } from './collections-config';
import { encodeLine, isDate, isPlainObject, type Doc } from './values';

/** Equality constraints of a query: path → the values it may equal (one for $eq, several for $in). */
export type Equalities = ReadonlyMap<string, readonly unknown[]>;

const IRREGULAR = Symbol('irregular');

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isDate(v);
}

/** The key part of a scalar: missing and null are the same (MongoDB's `{f: null}` matches both). */
function keyPart(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (isDate(v)) return { $date: v.getTime() };
  // -0 and 0 are equal to a query; JSON already writes both as 0.
  return v;
}

/** The value at `path` as an index sees it, or IRREGULAR when MongoDB's matching there is not plain equality. */
function indexedValue(doc: Doc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    if (Array.isArray(cur)) return IRREGULAR;
    if (typeof cur !== 'object' || isDate(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || isScalar(cur)) return cur;
  return IRREGULAR;
}

/** One declared index (unique or not), kept in step with the mirror by the store. */
export class SecondaryIndex {
  /** prefixes[k] maps the encoded values of fields 0..k to the _ids that have them. */
  private readonly prefixes: Map<string, Set<string>>[];
  private readonly irregular = new Set<string>();
  readonly paths: readonly string[];

  constructor(readonly spec: IndexSpec) {
    this.paths = spec.fields.map((f) => f.field);
    this.prefixes = this.paths.map(() => new Map<string, Set<string>>());
  }

  private keysOf(doc: Doc): string[] | undefined {
    const parts: unknown[] = [];
    const keys: string[] = [];
    for (const path of this.paths) {
      const v = indexedValue(doc, path);
      if (v === IRREGULAR) return undefined;
      parts.push(keyPart(v));
      keys.push(encodeLine(parts));
    }
    return keys;
  }

  add(doc: Doc): void {
    const keys = this.keysOf(doc);
    if (keys === undefined) {
      this.irregular.add(doc._id);
      return;
    }
    keys.forEach((key, k) => {
      const map = this.prefixes[k];
      if (map === undefined) return;
      let ids = map.get(key);
      if (ids === undefined) map.set(key, (ids = new Set()));
      ids.add(doc._id);
    });
  }

  remove(doc: Doc): void {
    if (this.irregular.delete(doc._id)) return;
    const keys = this.keysOf(doc);
    if (keys === undefined) return;
    keys.forEach((key, k) => {
      const map = this.prefixes[k];
      const ids = map?.get(key);
      if (ids === undefined) return;
      ids.delete(doc._id);
      if (ids.size === 0) map?.delete(key);
    });
  }

  /**
   * The _ids that can match `eq`, or undefined when `eq` does not pin this index's first field. At most
   * `maxCombinations` key lookups ($in lists multiply); beyond that the index is not worth using.
   */
  candidates(eq: Equalities, maxCombinations = 256): Set<string> | undefined {
    const pinned: (readonly unknown[])[] = [];
    for (const path of this.paths) {
      const values = eq.get(path);
      if (values === undefined) break;
      pinned.push(values);
    }
    if (pinned.length === 0) return undefined;
    let combos: unknown[][] = [[]];
    for (const values of pinned) {
      const next: unknown[][] = [];
      for (const c of combos) for (const v of values) next.push([...c, keyPart(v)]);
      if (next.length > maxCombinations) break;
      combos = next;
    }
    const depth = combos[0]?.length ?? 0;
    if (depth === 0) return undefined;
    const map = this.prefixes[depth - 1];
    const out = new Set<string>(this.irregular);
    for (const c of combos) for (const id of map?.get(encodeLine(c)) ?? []) out.add(id);
    return out;
  }
}

function scalarValues(cond: unknown): unknown[] | undefined {
  if (isScalar(cond)) return [cond];
  if (!isPlainObject(cond)) return undefined;
  if ('$eq' in cond && isScalar(cond.$eq)) return [cond.$eq];
  const list: unknown = cond.$in;
  if (Array.isArray(list)) {
    const values: unknown[] = list;
    if (values.every(isScalar)) return [...values];
  }
  return undefined;
}

/**
 * The equality constraints every matching document must meet: top-level fields and $and clauses (not $or/$nor,
 * which do not constrain each document). A field constrained twice keeps its first constraint: still a superset.
 */
export function equalitiesOf(filter: Record<string, unknown>): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (f: Record<string, unknown>): void => {
    for (const [key, cond] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(cond)) {
        for (const c of cond) if (isPlainObject(c)) walk(c);
        continue;
      }
      if (key.startsWith('$')) continue;
      const values = scalarValues(cond);
      if (values !== undefined && !out.has(key)) out.set(key, values);
    }
  };
  walk(filter);
  return out;
}
