// Secondary indexes over the in-memory mirror, so a query on declared index fields looks at the documents it can
// match instead of the whole collection (the cloud's planner does the same with the indexes in collections.json).
//
// An index over fields f1..fn is a tree: the documents by their f1 value, under each of those by their f2 value, and so
// on; each prefix f1..fk pins a node, which counts the documents under it, and the nodes of fn hold the _ids. (Only
// the last level holds _ids: an inner node's set would be as big as all the documents sharing, say, a status, and
// every change of that status would add to one big set and delete from another.) A query uses the longest prefix it
// pins by equality ($eq or $in on scalars, at the top level or inside $and); the candidates are then tested with the
// full query as before, so an index only ever narrows the search, never decides a match. Values the tree cannot key
// the way MongoDB compares them — arrays and objects, or a path through an array (MongoDB matches elements there) —
// put the document on the index's "irregular" list, which every lookup includes.
import type { IndexSpec } from './collections-config';
import { isDate, isPlainObject, type Doc } from './values';

/** The top-level field each of `paths` lives under ("a.b" → "a"). */
export function topFieldsOf(paths: readonly string[]): string[] {
  return paths.map((p) => p.split('.')[0] ?? '');
}

/**
 * True when `before` and `after` hold the same value in every one of `tops`, so whatever an index reads under them is
 * unchanged: an update shares the top-level fields it did not touch with the stored (frozen) document (engine.ts
 * copyForUpdate). False says nothing: the entries are then recomputed.
 */
export function sameUnder(tops: readonly string[], before: Doc, after: Doc): boolean {
  for (const t of tops) if (before[t] !== after[t]) return false;
  return true;
}

/** Equality constraints of a query: path → the values it may equal (one for $eq, several for $in). */
export type Equalities = ReadonlyMap<string, readonly unknown[]>;

const IRREGULAR = Symbol('irregular');

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isDate(v);
}

/**
 * The value at the path (`parts`) as an index sees it, or IRREGULAR when MongoDB's matching there is not plain
 * equality. Only for the store's own documents, which are plain objects of this realm (values.ts), so `instanceof`
 * tells a Date here.
 */
function indexedValue(doc: Doc, parts: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const part of parts) {
    if (cur === undefined || cur === null || typeof cur !== 'object' || cur instanceof Date) return undefined;
    if (Array.isArray(cur)) return IRREGULAR;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return cur;
  const t = typeof cur;
  if (t === 'string' || t === 'number' || t === 'boolean' || cur instanceof Date) return cur;
  return IRREGULAR;
}

/** A document's value for one field of an index, as a Map key (see keyValue). */
type KeyValue = string | number | boolean | null;

/**
 * The Map key of a scalar: missing and null are the same (MongoDB's `{f: null}` matches both); -0 and 0 are one key
 * (Maps compare with SameValueZero); strings, numbers and booleans stay themselves, so "1" and 1 differ. A Date keys as
 * a string no stored string is expected to start with; were one to, a lookup would only see extra candidates, which
 * the full query test then refuses (an index narrows, never decides).
 */
function keyValue(v: unknown): KeyValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // A query's value may come from a function's realm (jest runs bundles in node:vm): isDate, not instanceof.
  if (isDate(v)) return `\u0000date:${v.getTime()}`;
  // Not reached: only scalars are keyed (anything else is irregular).
  return JSON.stringify(v);
}

/** The _id holding a key, or the _ids when several do: most keys of a declared index belong to one document. */
type Ids = string | Set<string>;

function withId(ids: Ids | undefined, id: string): Ids {
  if (ids === undefined) return id;
  if (typeof ids === 'string') return ids === id ? ids : new Set([ids, id]);
  ids.add(id);
  return ids;
}

/** `ids` without `id`; undefined when none is left. */
function withoutId(ids: Ids | undefined, id: string): Ids | undefined {
  if (ids === undefined || ids === id) return undefined;
  if (typeof ids === 'string') return ids;
  ids.delete(id);
  if (ids.size > 1) return ids;
  return ids.size === 1 ? ids.values().next().value : undefined;
}

function eachId(ids: Ids | undefined, f: (id: string) => void): void {
  if (ids === undefined) return;
  if (typeof ids === 'string') f(ids);
  else for (const id of ids) f(id);
}

/**
 * The documents whose first k+1 fields have given values (a node at depth k of the index's tree): how many there are,
 * their _ids when k is the last field's depth, and otherwise the nodes of the next field's values under them. The
 * order of the last field under a node of the field before it is cached on that node (see SecondaryIndex.orderedBy)
 * and dropped when a document enters, leaves or moves under it.
 */
export interface IndexNode {
  count: number;
  /** The _ids (last level only). */
  ids: Ids | undefined;
  next: Map<KeyValue, IndexNode> | undefined;
  asc?: string[];
  desc?: string[];
}

/** Every _id under `node`, leaf by leaf. */
function eachIdUnder(node: IndexNode, f: (id: string) => void): void {
  if (node.next === undefined) eachId(node.ids, f);
  else for (const child of node.next.values()) eachIdUnder(child, f);
}

/**
 * One declared index (unique or not), kept in step with the mirror by the store: a tree of Maps keyed by the fields'
 * values in order, so a document's entry is found by hashing its own values (strings the document holds, numbers) —
 * no key text is built per change — and a prefix of the fields pins its node.
 */
export class SecondaryIndex {
  private readonly root = new Map<KeyValue, IndexNode>();
  private readonly irregular = new Set<string>();
  readonly paths: readonly string[];
  /** Each path's parts, and the top-level field of each. */
  private readonly parts: readonly (readonly string[])[];
  private readonly tops: readonly string[];

  constructor(readonly spec: IndexSpec) {
    this.paths = spec.fields.map((f) => f.field);
    this.parts = this.paths.map((p) => p.split('.'));
    this.tops = topFieldsOf(this.paths);
  }

  /** The key value of each field, or undefined when the document is irregular for this index. */
  private valuesOf(doc: Doc): KeyValue[] | undefined {
    const out: KeyValue[] = [];
    for (const parts of this.parts) {
      const v = indexedValue(doc, parts);
      if (v === IRREGULAR) return undefined;
      out.push(keyValue(v));
    }
    return out;
  }

  add(doc: Doc): void {
    const values = this.valuesOf(doc);
    if (values === undefined) this.irregular.add(doc._id);
    else this.insertPath(doc._id, values, 0);
  }

  remove(doc: Doc): void {
    if (this.irregular.delete(doc._id)) return;
    const values = this.valuesOf(doc);
    if (values !== undefined) this.removePath(doc._id, values, 0);
  }

  /** Moves a document from its old state's entries to its new state's, from the first field whose value changed. */
  replace(before: Doc, after: Doc): void {
    // When all of this index's fields are under top-level fields the update did not touch, its entries cannot have
    // changed.
    if (!this.irregular.has(after._id) && sameUnder(this.tops, before, after)) return;
    const id = after._id;
    const old = this.irregular.delete(id) ? undefined : this.valuesOf(before);
    const now = this.valuesOf(after);
    if (old === undefined || now === undefined) {
      if (old !== undefined) this.removePath(id, old, 0);
      if (now === undefined) this.irregular.add(id);
      else this.insertPath(id, now, 0);
      return;
    }
    let from = 0;
    while (from < now.length && old[from] === now[from]) from++;
    if (from === now.length) return;
    this.removePath(id, old, from);
    this.insertPath(id, now, from);
  }

  /** The node of `values[0..depth-1]`, or undefined (the root Map stands for depth 0). */
  private nodeAt(values: readonly KeyValue[], depth: number): IndexNode | undefined {
    let map: Map<KeyValue, IndexNode> | undefined = this.root;
    let node: IndexNode | undefined;
    for (let k = 0; k < depth; k++) {
      node = map?.get(values[k] ?? null);
      if (node === undefined) return undefined;
      map = node.next;
    }
    return node;
  }

  /** Adds `id` under every node of `values` from depth `from` on (the nodes above count it already). */
  private insertPath(id: string, values: readonly KeyValue[], from: number): void {
    const last = values.length - 1;
    let parent = from === 0 ? undefined : this.nodeAt(values, from);
    if (from > 0 && parent === undefined) return;
    // The order under the node of the field before the last changes when a document enters it or moves in it.
    if (parent !== undefined && from >= last) forgetOrder(parent);
    for (let k = from; k <= last; k++) {
      let map = parent === undefined ? this.root : parent.next;
      if (map === undefined) {
        map = new Map();
        if (parent !== undefined) parent.next = map;
      }
      const v = values[k] ?? null;
      let node = map.get(v);
      if (node === undefined) map.set(v, (node = { count: 0, ids: undefined, next: undefined }));
      node.count += 1;
      if (k === last) node.ids = withId(node.ids, id);
      else if (k === last - 1) forgetOrder(node);
      parent = node;
    }
  }

  /** Removes `id` from every node of `values` from depth `from` on, dropping nodes left empty. */
  private removePath(id: string, values: readonly KeyValue[], from: number): void {
    const last = values.length - 1;
    const parent = from === 0 ? undefined : this.nodeAt(values, from);
    if (from > 0 && parent === undefined) return;
    if (parent !== undefined && from >= last) forgetOrder(parent);
    if (
      this.removeBelow(parent === undefined ? this.root : parent.next, id, values, from) &&
      parent !== undefined
    )
      parent.next = undefined;
  }

  /** Removes `id` from the node of `values[k]` in `map` and below; answers whether `map` is left empty. */
  private removeBelow(
    map: Map<KeyValue, IndexNode> | undefined,
    id: string,
    values: readonly KeyValue[],
    k: number,
  ): boolean {
    const v = values[k] ?? null;
    const node = map?.get(v);
    if (map === undefined || node === undefined) return false;
    const last = values.length - 1;
    if (k < last) {
      if (k === last - 1) forgetOrder(node);
      if (this.removeBelow(node.next, id, values, k + 1)) node.next = undefined;
      node.count -= 1;
    } else {
      const ids = withoutId(node.ids, id);
      node.ids = ids;
      node.count = ids === undefined ? 0 : typeof ids === 'string' ? 1 : ids.size;
    }
    if (node.count <= 0) map.delete(v);
    return map.size === 0 && map !== this.root;
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
    const pinned: KeyValue[] = [];
    for (let k = 0; k < last; k++) {
      const values = eq.get(this.paths[k] ?? '');
      if (values === undefined || values.length !== 1) return undefined;
      pinned.push(keyValue(values[0]));
    }
    const node = this.nodeAt(pinned, last);
    if (node === undefined) return [];
    const cached = dir === 1 ? node.asc : node.desc;
    if (cached !== undefined) return cached;
    const ids: string[] = [];
    eachIdUnder(node, (id) => ids.push(id));
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
    if (dir === 1) node.asc = sorted;
    else node.desc = sorted;
    return sorted;
  }

  /**
   * The nodes whose documents can match `eq`, and how many documents that is (the irregular ones included), or
   * undefined when `eq` does not pin this index's first field. At most `maxCombinations` node lookups ($in lists
   * multiply); beyond that the index is not worth using. {@link idsOf} lists their _ids.
   */
  candidates(eq: Equalities, maxCombinations = 256): IndexCandidates | undefined {
    let nodes: IndexNode[] | undefined;
    for (const path of this.paths) {
      const values = eq.get(path);
      if (values === undefined) break;
      const maps = nodes === undefined ? [this.root] : nodes.map((n) => n.next);
      if (maps.length * values.length > maxCombinations) break;
      const next: IndexNode[] = [];
      for (const map of maps) {
        if (map === undefined) continue;
        for (const v of values) {
          const node = map.get(keyValue(v));
          if (node !== undefined) next.push(node);
        }
      }
      nodes = next;
    }
    if (nodes === undefined) return undefined;
    // An $in listing a value twice finds its node twice.
    const unique = [...new Set(nodes)];
    let count = this.irregular.size;
    for (const node of unique) count += node.count;
    return { count, nodes: unique };
  }

  /** The _ids of {@link candidates}' answer: the irregular documents, then the nodes' (no _id twice). */
  idsOf(found: IndexCandidates): Set<string> {
    const out = new Set<string>(this.irregular);
    for (const node of found.nodes) eachIdUnder(node, (id) => out.add(id));
    return out;
  }
}

/** Where an index finds the documents a query can match (SecondaryIndex.candidates). */
export interface IndexCandidates {
  /** How many documents (an upper bound when a document is both irregular and listed, which cannot happen). */
  count: number;
  nodes: readonly IndexNode[];
}

function forgetOrder(node: IndexNode): void {
  node.asc = undefined;
  node.desc = undefined;
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
