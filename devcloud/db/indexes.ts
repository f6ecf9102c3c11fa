// Secondary indexes over the in-memory mirror, so a query on declared index fields looks at the documents it can
// match instead of the whole collection (the cloud's planner does the same with the indexes in collections.json).
//
// An index over fields f1..fn keeps, for every prefix f1..fk, a map from the encoded values to the _ids holding them.
// A query uses the longest prefix it pins by equality ($eq or $in on scalars, at the top level or inside $and); the
// candidates are then tested with the full query as before, so an index only ever narrows the search, never decides
// a match. Values the maps cannot key the way MongoDB compares them — arrays and objects, or a path through an array
// (MongoDB matches elements there) — put the document on the index's "irregular" list, which every lookup includes.
import type { IndexSpec } from './collections-config';
import { isDate, isPlainObject, type Doc } from './values';

/** Equality constraints of a query: path → the values it may equal (one for $eq, several for $in). */
export type Equalities = ReadonlyMap<string, readonly unknown[]>;

const IRREGULAR = Symbol('irregular');

/** How many orders (see SecondaryIndex.orderedBy) one index keeps; the oldest built is dropped first. */
const MAX_ORDERS_KEPT = 512;

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isDate(v);
}

/**
 * The key text of a scalar: missing and null are the same (MongoDB's `{f: null}` matches both); -0 and 0 are equal to
 * a query and both print as "0"; strings are quoted, so "1" and 1 differ. Keys of several fields join these with ",".
 */
function keyText(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return v === 0 ? '0' : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isDate(v)) return `D${v.getTime()}`;
  // Not reached: only scalars are keyed (anything else is irregular).
  return JSON.stringify(v);
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
  /** prefixes[k] maps the encoded values of fields 0..k to the _id that has them, or the _ids when several do. */
  private readonly prefixes: Map<string, string | Set<string>>[];
  private readonly irregular = new Set<string>();
  readonly paths: readonly string[];
  /** The top-level field of each path. */
  private readonly tops: readonly string[];
  /**
   * Orders of the last field under a key of the others (see {@link orderedBy}), built when first asked and dropped
   * when a document enters, leaves or moves within that key. Keyed by direction and the key of the other fields.
   */
  private readonly ordered = new Map<string, string[]>();

  constructor(readonly spec: IndexSpec) {
    this.paths = spec.fields.map((f) => f.field);
    this.tops = this.paths.map((p) => p.split('.')[0] ?? p);
    this.prefixes = this.paths.map(() => new Map<string, string | Set<string>>());
  }

  /** The key of each prefix (fields 0..k), or undefined when the document is irregular for this index. */
  private keysOf(doc: Doc): string[] | undefined {
    const keys: string[] = [];
    let key = '';
    for (const path of this.paths) {
      const v = indexedValue(doc, path);
      if (v === IRREGULAR) return undefined;
      key = key === '' ? keyText(v) : `${key},${keyText(v)}`;
      keys.push(key);
    }
    return keys;
  }

  add(doc: Doc): void {
    const keys = this.keysOf(doc);
    this.forgetOrder(keys);
    this.addKeys(doc._id, keys);
  }

  remove(doc: Doc): void {
    if (this.irregular.delete(doc._id)) return;
    const keys = this.keysOf(doc);
    this.forgetOrder(keys);
    this.removeKeys(doc._id, keys);
  }

  /** Drops the cached order a document's keys belong to (all of them when the document is irregular). */
  private forgetOrder(keys: readonly string[] | undefined): void {
    if (this.ordered.size === 0) return;
    const under = keys?.[this.paths.length - 2];
    if (keys === undefined || under === undefined) {
      this.ordered.clear();
      return;
    }
    this.ordered.delete(`1\u0000${under}`);
    this.ordered.delete(`-1\u0000${under}`);
  }

  /** Moves a document from its old state's keys to its new state's, touching only the prefixes whose key changed. */
  replace(before: Doc, after: Doc): void {
    // An update shares every top-level field it did not touch with the old state (engine.ts copyForUpdate): when all
    // of this index's fields are under such fields, its keys cannot have changed.
    if (!this.irregular.has(after._id) && this.tops.every((t) => before[t] === after[t])) return;
    const id = after._id;
    const old = this.irregular.delete(id) ? undefined : this.keysOf(before);
    const now = this.keysOf(after);
    if (old === undefined || now === undefined) {
      this.forgetOrder(undefined);
      this.removeKeys(id, old);
      this.addKeys(id, now);
      return;
    }
    let moved = false;
    for (let k = 0; k < now.length; k++) {
      const a = old[k];
      const b = now[k];
      if (a === b || a === undefined || b === undefined) continue;
      moved = true;
      this.removeKey(k, a, id);
      this.addKey(k, b, id);
    }
    if (moved) {
      this.forgetOrder(old);
      this.forgetOrder(now);
    }
  }

  /**
   * The _ids whose fields before the last equal `eq`'s single value for each, in the order of the last field
   * (`field`, `dir`; ties in insertion order, as a stable sort of a scan) — the index read in order, as the cloud's
   * planner reads it for a sort on it. Undefined when this index cannot answer that: `field` is not its last field, a
   * field before it is not pinned to one value, `eq` pins other fields too, a document is irregular for the index, or
   * the values of `field` are not all numbers or all strings (only those sort the same here as in mingo).
   */
  orderedBy(
    field: string,
    dir: 1 | -1,
    eq: Equalities,
    valueOf: (id: string) => unknown,
    positionOf: (id: string) => number,
  ): string[] | undefined {
    const last = this.paths.length - 1;
    if (last < 1 || this.paths[last] !== field || this.irregular.size > 0) return undefined;
    // Only when the pins are all the query's equalities: another one would let another index narrow more (read in
    // order, this one could examine many documents that equality then refuses).
    if (eq.size !== last) return undefined;
    let under = '';
    for (let k = 0; k < last; k++) {
      const values = eq.get(this.paths[k] ?? '');
      if (values === undefined || values.length !== 1) return undefined;
      const text = keyText(values[0]);
      under = k === 0 ? text : `${under},${text}`;
    }
    const cacheKey = `${dir}\u0000${under}`;
    const cached = this.ordered.get(cacheKey);
    if (cached !== undefined) return cached;
    const held = this.prefixes[last - 1]?.get(under);
    const ids = held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
    const values = ids.map(valueOf);
    const kind = typeof values[0];
    if (values.some((v) => typeof v !== kind || (kind !== 'number' && kind !== 'string'))) return undefined;
    const order = ids.map((_, i) => i);
    order.sort((a, b) => {
      const x = values[a] as number | string;
      const y = values[b] as number | string;
      if (x !== y) return x < y ? -dir : dir;
      return positionOf(ids[a] ?? '') - positionOf(ids[b] ?? '');
    });
    const sorted = order.map((i) => ids[i] ?? '');
    if (this.ordered.size >= MAX_ORDERS_KEPT) this.ordered.delete(this.ordered.keys().next().value as string);
    this.ordered.set(cacheKey, sorted);
    return sorted;
  }

  private addKeys(id: string, keys: string[] | undefined): void {
    if (keys === undefined) {
      this.irregular.add(id);
      return;
    }
    for (let k = 0; k < keys.length; k++) this.addKey(k, keys[k] ?? '', id);
  }

  private removeKeys(id: string, keys: string[] | undefined): void {
    if (keys === undefined) return;
    for (let k = 0; k < keys.length; k++) this.removeKey(k, keys[k] ?? '', id);
  }

  // Most keys of a declared index belong to one document (an order's shopper and creation time, a job's due time): such
  // a key maps to the _id itself, and only a key that two documents share holds a Set. At 100 k orders that is over a
  // million Sets fewer — memory the garbage collector no longer walks, and no Set made and dropped per key change.
  private addKey(k: number, key: string, id: string): void {
    const map = this.prefixes[k];
    if (map === undefined) return;
    const held = map.get(key);
    if (held === undefined) map.set(key, id);
    else if (typeof held === 'string') {
      if (held !== id) map.set(key, new Set([held, id]));
    } else held.add(id);
  }

  private removeKey(k: number, key: string, id: string): void {
    const map = this.prefixes[k];
    const held = map?.get(key);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === id) map?.delete(key);
      return;
    }
    held.delete(id);
    if (held.size === 1) map?.set(key, held.values().next().value as string);
    else if (held.size === 0) map?.delete(key);
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
    let combos: string[] = [''];
    let depth = 0;
    for (const values of pinned) {
      const next: string[] = [];
      for (const c of combos) for (const v of values) next.push(c === '' ? keyText(v) : `${c},${keyText(v)}`);
      if (next.length > maxCombinations) break;
      combos = next;
      depth += 1;
    }
    if (depth === 0) return undefined;
    const map = this.prefixes[depth - 1];
    const out = new Set<string>(this.irregular);
    for (const c of combos) {
      const held = map?.get(c);
      if (typeof held === 'string') out.add(held);
      else if (held !== undefined) for (const id of held) out.add(id);
    }
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
