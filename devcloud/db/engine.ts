// Database operations over the store, in MongoDB terms (filters and modifiers already translated from the cloud's
// syntax by sdk/translate.ts). Queries and updates are evaluated by mingo; every write runs inside the store's write
// lock, so "read, check the condition, write" is atomic: a conditional update has exactly one winner.
//
// Transactions are optimistic, like the cloud's: the callback reads and buffers writes without holding the lock; the
// commit takes the lock, checks that no document the transaction read or wrote was committed by someone else after the
// transaction started (else TransactionConflictError, and runTransaction re-runs the callback), then commits the whole
// write set through the journal. Nothing of a transaction is visible before its commit.
import { find as mingoFind, Query, update as mingoUpdate } from 'mingo';
import { randomBytes } from 'node:crypto';
import { DuplicateKeyError, InvalidInputError, TransactionConflictError } from './errors';
import { applyFastModifier, compileFastFilter, fastSort } from './fast-path';
import { equalitiesOf } from './indexes';
import type { Change, Store, WriteScope } from './store';
import {
  cloneDoc,
  cloneStorable,
  deepEqual,
  getPath,
  isNormalStorable,
  isPlainObject,
  type Doc,
} from './values';

/** A MongoDB-style filter, modifier or projection. */
export type MongoSpec = Record<string, unknown>;

/** Sorting, paging and projection of a find. */
export interface FindOptions {
  sort?: [string, 1 | -1][];
  skip?: number;
  limit?: number;
  projection?: Record<string, 0 | 1>;
}

/** Counts of a replace (doc().set()). */
export interface ReplaceOutcome {
  updated: number;
  created: number;
}

/** How one query was answered: which index (or "_id", or none = a scan) and how many documents it examined. */
export interface QueryPlan {
  index: string | null;
  examined: number;
  matched: number;
}

/** Totals since the engine started: every query (find, count, update, remove), and the documents they examined. */
export interface QueryStats {
  queries: number;
  examined: number;
  /** Queries that had to look at every document of their collection. */
  scans: number;
}

/** A new random _id shaped like the cloud's (32 lowercase hex characters). */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

function compile(filter: MongoSpec): Query {
  try {
    return new Query(filter);
  } catch (e) {
    throw new InvalidInputError(`invalid query: ${(e as Error).message}`);
  }
}

function pinnedIdOf(filter: MongoSpec): string | undefined {
  const cond = filter._id;
  if (isPlainObject(cond) && Object.keys(cond).length === 1 && typeof cond.$eq === 'string') return cond.$eq;
  if (typeof cond === 'string') return cond;
  if (Array.isArray(filter.$and)) {
    for (const c of filter.$and) {
      if (isPlainObject(c)) {
        const id = pinnedIdOf(c);
        if (id !== undefined) return id;
      }
    }
  }
  return undefined;
}

const NUMERIC_OPS = new Set(['$inc', '$mul']);
const ARRAY_OPS = new Set(['$push', '$addToSet', '$pull', '$pullAll', '$pop']);

/**
 * The copy of `doc` a modifier changes: the top-level fields the modifier changes inside (and $rename's targets) are
 * deep copies, every other field is shared with `doc`. `doc` itself is never changed (a store document is frozen), so
 * the shared parts stay as they are, and the store keeps them shared: an update of a large document copies, freezes
 * and re-indexes only what it touched. With `replacedShared`, a top-level field that $set or $unset replaces whole is
 * shared too (its old value is dropped, not changed): only for the fast path, which replaces it by assignment.
 */
function copyForUpdate(doc: Doc, modifier: MongoSpec, replacedShared = false): Doc {
  const touched = new Set<string>();
  for (const [op, fields] of Object.entries(modifier)) {
    if (!isPlainObject(fields)) return cloneDoc(doc);
    const replaces = replacedShared && (op === '$set' || op === '$unset');
    for (const [path, value] of Object.entries(fields)) {
      const dot = path.indexOf('.');
      if (dot >= 0) touched.add(path.slice(0, dot));
      else if (!replaces) touched.add(path);
      if (op === '$rename') {
        if (typeof value !== 'string') return cloneDoc(doc);
        touched.add(value.split('.')[0] ?? value);
      }
    }
  }
  const copy: Doc = { ...doc };
  for (const k of touched) if (Object.hasOwn(doc, k)) copy[k] = cloneDoc(doc[k]);
  return copy;
}

/**
 * Applies a modifier to a copy of `doc`. Returns the new document, or undefined when nothing changed. Refuses what
 * MongoDB (and so the cloud) refuses: $inc/$mul on non-numbers, array operators on non-arrays, paths through scalars.
 */
export function applyModifier(doc: Doc, modifier: MongoSpec, owned = false): Doc | undefined {
  for (const [op, fields] of Object.entries(modifier)) {
    if (!isPlainObject(fields)) throw new InvalidInputError(`modifier ${op} must be an object`);
    for (const path of Object.keys(fields)) {
      // Unsetting a path that cannot exist changes nothing (MongoDB's no-op); every other operator creates it.
      if (op !== '$unset') checkParents(doc, path);
      const current = getPath(doc, path);
      if (NUMERIC_OPS.has(op) && current !== undefined && typeof current !== 'number') {
        throw new InvalidInputError(`Cannot apply ${op} to a value of non-numeric type at "${path}"`);
      }
      if (ARRAY_OPS.has(op) && current !== undefined && !Array.isArray(current)) {
        throw new InvalidInputError(`Cannot apply ${op} to a non-array value at "${path}"`);
      }
    }
  }
  let copy = copyForUpdate(doc, modifier, true);
  const fast = applyFastModifier(copy, modifier, owned);
  if (!fast) {
    // Declined before changing anything; mingo changes what it touches in place, so it gets copies of all of that.
    copy = copyForUpdate(doc, modifier);
    try {
      mingoUpdate(copy, modifier, undefined, undefined, { cloneMode: 'deep' });
    } catch (e) {
      throw new InvalidInputError(`invalid update: ${(e as Error).message}`);
    }
  }
  if (deepEqual(copy, doc)) return undefined;
  // Usually already storable as is (the modifier's values were validated copies); copied again only to normalise.
  // The fast path with owned values made it of the stored document's parts, plain objects and those values (a sum
  // of $inc may overflow to Infinity, so not with $inc): nothing to look at.
  const plain = fast && owned && modifier.$inc === undefined;
  const checked = plain || isNormalStorable(copy) ? copy : (cloneStorable(copy, 'updated document') as Doc);
  if (checked._id !== doc._id) throw new InvalidInputError('_id cannot be updated');
  return checked;
}

/**
 * Refuses, as MongoDB does ("Cannot create field … in element …"), a path whose parent exists but cannot take the next
 * field: a number, string or boolean, a null, or an array addressed by a name instead of an index (or a positional
 * `$`, `$[]`, `$[id]`). A missing parent is created as an object.
 */
function checkParents(doc: Doc, path: string): void {
  const parts = path.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    cur = Array.isArray(cur) ? cur[Number(part)] : (cur as Record<string, unknown>)[part];
    if (cur === undefined) return;
    const next = parts[i + 1] ?? '';
    if (
      cur === null ||
      typeof cur !== 'object' ||
      (Array.isArray(cur) && !/^(\d+|\$|\$\[\w*\])$/.test(next))
    ) {
      const kind = cur === null ? 'null' : Array.isArray(cur) ? 'array' : typeof cur;
      throw new InvalidInputError(`Cannot create field "${next}" in element {${part}: ${kind}} ("${path}")`);
    }
  }
}

/** One optimistic transaction's state. */
export class TransactionState {
  readonly reads = new Set<string>();
  readonly writes = new Map<string, Change>();
  ended = false;
  constructor(readonly startSeq: number) {}
}

function docKey(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}

/** MongoDB-level operations on a {@link Store}; results are cloned, so callers may mutate them. */
export class Engine {
  private readonly totals: QueryStats = { queries: 0, examined: 0, scans: 0 };
  constructor(readonly store: Store) {}

  /** Query totals so far (a copy). */
  queryStats(): QueryStats {
    return { ...this.totals };
  }

  /** Runs `filter` and tells how it was answered (counted in {@link queryStats} like any query). */
  explain(collection: string, filter: MongoSpec): QueryPlan {
    return this.plan(collection, filter).plan;
  }

  private matching(collection: string, filter: MongoSpec): Doc[] {
    return this.plan(collection, filter).docs;
  }

  // The candidates come from the _id, or from the declared index that narrows them most, or from a scan; every
  // candidate is tested against the whole filter, so an index changes the cost of a query, never its answer.
  private plan(collection: string, filter: MongoSpec): { docs: Doc[]; plan: QueryPlan } {
    const fast = compileFastFilter(filter);
    let query = fast === null ? compile(filter) : undefined;
    const test = (doc: Doc): boolean => {
      const answer = fast?.(doc);
      if (answer !== undefined) return answer;
      query ??= compile(filter);
      return query.test(doc);
    };
    const out: Doc[] = [];
    let index: string | null;
    let examined = 0;
    const id = pinnedIdOf(filter);
    if (id !== undefined) {
      index = '_id';
      const doc = this.store.getDoc(collection, id);
      if (doc !== undefined) {
        examined = 1;
        if (test(doc)) out.push(doc);
      }
    } else {
      const lookup = this.store.lookup(collection, equalitiesOf(filter));
      index = lookup?.index ?? null;
      const candidates =
        lookup === undefined ? this.store.docs(collection) : this.docsOf(collection, lookup.ids);
      for (const doc of candidates) {
        examined += 1;
        if (test(doc)) out.push(doc);
      }
    }
    this.totals.queries += 1;
    this.totals.examined += examined;
    if (index === null) this.totals.scans += 1;
    return { docs: out, plan: { index, examined, matched: out.length } };
  }

  private *docsOf(collection: string, ids: readonly string[]): Generator<Doc> {
    for (const id of ids) {
      const doc = this.store.getDoc(collection, id);
      if (doc !== undefined) yield doc;
    }
  }

  /**
   * A sorted, limited query answered by reading a declared index in order (the cloud's planner does the same): the
   * documents are tested in the sort's order and reading stops at the page's last match, so a shopper's first page
   * of orders looks at about a page of documents, not at all of the shopper's. Undefined when no index can
   * (SecondaryIndex.orderedBy). The answer is the one sorting every match would give: same tests, same order.
   */
  private orderedPage(collection: string, filter: MongoSpec, opts: FindOptions): Doc[] | undefined {
    const [only, ...more] = opts.sort ?? [];
    if (only === undefined || more.length > 0 || opts.limit === undefined || opts.limit <= 0)
      return undefined;
    const lookup = this.store.orderedLookup(collection, equalitiesOf(filter), only[0], only[1]);
    if (lookup === undefined) return undefined;
    const fast = compileFastFilter(filter);
    // As plan(): a filter the fast path cannot read is compiled first, so a bad one is refused however few documents.
    let query = fast === null ? compile(filter) : undefined;
    const want = (opts.skip ?? 0) + opts.limit;
    const out: Doc[] = [];
    let examined = 0;
    for (const id of lookup.ids) {
      const doc = this.store.getDoc(collection, id);
      if (doc === undefined) continue;
      examined += 1;
      const answer = fast?.(doc);
      if (answer ?? (query ??= compile(filter)).test(doc)) out.push(doc);
      if (out.length >= want) break;
    }
    this.totals.queries += 1;
    this.totals.examined += examined;
    return out.slice(opts.skip ?? 0);
  }

  /** Documents matching `filter`, sorted, paged and projected. */
  find(collection: string, filter: MongoSpec, opts: FindOptions = {}): Doc[] {
    const page = this.orderedPage(collection, filter, opts);
    if (page !== undefined) {
      if (opts.projection === undefined) return page.map((d) => cloneDoc(d));
      try {
        return mingoFind<Doc>(page, {}, opts.projection)
          .all()
          .map((d) => cloneDoc(d));
      } catch (e) {
        throw new InvalidInputError(`invalid query options: ${(e as Error).message}`);
      }
    }
    const matched = this.matching(collection, filter);
    if (opts.projection === undefined && (opts.limit === undefined || opts.limit > 0)) {
      const sorted =
        opts.sort === undefined || opts.sort.length === 0 ? matched : fastSort(matched, opts.sort);
      if (sorted !== null) {
        const from = opts.skip !== undefined && opts.skip > 0 ? opts.skip : 0;
        const to = opts.limit === undefined ? undefined : from + opts.limit;
        return sorted.slice(from, to).map((d) => cloneDoc(d));
      }
    }
    try {
      let cursor = mingoFind<Doc>(matched, {}, opts.projection);
      if (opts.sort !== undefined && opts.sort.length > 0)
        cursor = cursor.sort(Object.fromEntries(opts.sort));
      if (opts.skip !== undefined && opts.skip > 0) cursor = cursor.skip(opts.skip);
      if (opts.limit !== undefined) cursor = cursor.limit(opts.limit);
      return cursor.all().map((d) => cloneDoc(d));
    } catch (e) {
      throw new InvalidInputError(`invalid query options: ${(e as Error).message}`);
    }
  }

  /** Number of documents matching `filter`. */
  count(collection: string, filter: MongoSpec): number {
    return this.matching(collection, filter).length;
  }

  /** The document with this _id (projected), or undefined. */
  getById(collection: string, id: string, projection?: Record<string, 0 | 1>): Doc | undefined {
    const doc = this.store.getDoc(collection, id);
    if (doc === undefined) return undefined;
    if (projection === undefined) return cloneDoc(doc);
    return this.find(collection, { _id: { $eq: id } }, { projection })[0];
  }

  /**
   * Runs `section` under the write lock once `collection` is known (a rejection otherwise, as from an async method).
   * The sections below do not wait, so a write costs one promise, its answer.
   */
  private write<T>(collection: string, section: (w: WriteScope) => T): Promise<T> {
    try {
      this.store.spec(collection);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.store.exclusive(section);
  }

  /** Inserts a new document; DuplicateKeyError when its _id or a unique key exists. */
  insert(collection: string, doc: Doc): Promise<string> {
    return this.write(collection, (w) => {
      w.commitNow([{ collection, id: doc._id, after: doc, insert: true }]);
      return doc._id;
    });
  }

  /**
   * Applies `modifier` to every (or the first) document matching `filter`; answers how many changed. `owned`: the
   * modifier's values are the caller's fresh copies, which the documents may keep as they are (the SDK's translation).
   */
  update(
    collection: string,
    filter: MongoSpec,
    modifier: MongoSpec,
    multi: boolean,
    owned = false,
  ): Promise<number> {
    return this.write(collection, (w) => {
      const changes: Change[] = [];
      for (const doc of this.matching(collection, filter)) {
        const after = applyModifier(doc, modifier, owned);
        // applyModifier's result is a fresh normalised copy: the store may keep it as is.
        if (after !== undefined) changes.push({ collection, id: doc._id, after, owned: true });
        if (!multi) break;
      }
      w.commitNow(changes);
      return changes.length;
    });
  }

  /** Replaces (or creates) the document with this _id. */
  replace(collection: string, doc: Doc): Promise<ReplaceOutcome> {
    return this.write(collection, (w): ReplaceOutcome => {
      const before = this.store.getDoc(collection, doc._id);
      if (before !== undefined && deepEqual(before, doc)) return { updated: 0, created: 0 };
      w.commitNow([{ collection, id: doc._id, after: doc }]);
      return before === undefined ? { updated: 0, created: 1 } : { updated: 1, created: 0 };
    });
  }

  /** Removes every (or the first) document matching `filter`; answers how many were removed. */
  remove(collection: string, filter: MongoSpec, multi: boolean): Promise<number> {
    return this.write(collection, (w) => {
      const matched = this.matching(collection, filter);
      const victims = multi ? matched : matched.slice(0, 1);
      w.commitNow(victims.map((d) => ({ collection, id: d._id, after: null })));
      return victims.length;
    });
  }

  /** Starts an optimistic transaction. */
  begin(): TransactionState {
    return new TransactionState(this.store.seq);
  }

  private view(t: TransactionState, collection: string, id: string): Doc | undefined {
    this.store.spec(collection);
    const key = docKey(collection, id);
    const buffered = t.writes.get(key);
    if (buffered !== undefined) return buffered.after ?? undefined;
    t.reads.add(key);
    return this.store.getDoc(collection, id);
  }

  private assertOpen(t: TransactionState): void {
    if (t.ended) throw new InvalidInputError('the transaction has already ended (committed or rolled back)');
  }

  /** Reads a document inside a transaction (its own writes included). */
  txGet(t: TransactionState, collection: string, id: string): Doc | undefined {
    this.assertOpen(t);
    const doc = this.view(t, collection, id);
    return doc === undefined ? undefined : cloneDoc(doc);
  }

  /** Buffers a replace inside a transaction. */
  txSet(t: TransactionState, collection: string, doc: Doc): ReplaceOutcome {
    this.assertOpen(t);
    const before = this.view(t, collection, doc._id);
    const key = docKey(collection, doc._id);
    t.writes.set(key, { collection, id: doc._id, after: doc });
    return before === undefined ? { updated: 0, created: 1 } : { updated: 1, created: 0 };
  }

  /** Buffers an update of one document inside a transaction; 0 when it does not exist or nothing changes. */
  txUpdate(t: TransactionState, collection: string, id: string, modifier: MongoSpec, owned = false): number {
    this.assertOpen(t);
    const before = this.view(t, collection, id);
    if (before === undefined) return 0;
    const after = applyModifier(before, modifier, owned);
    if (after === undefined) return 0;
    t.writes.set(docKey(collection, id), { collection, id, after, owned: true });
    return 1;
  }

  /** Buffers a removal inside a transaction. */
  txRemove(t: TransactionState, collection: string, id: string): number {
    this.assertOpen(t);
    const before = this.view(t, collection, id);
    if (before === undefined) return 0;
    t.writes.set(docKey(collection, id), { collection, id, after: null });
    return 1;
  }

  /** Buffers an insert inside a transaction. */
  txAdd(t: TransactionState, collection: string, doc: Doc): string {
    this.assertOpen(t);
    const before = this.view(t, collection, doc._id);
    if (before !== undefined)
      throw new DuplicateKeyError(collection, '_id_', `{ _id: ${JSON.stringify(doc._id)} }`);
    t.writes.set(docKey(collection, doc._id), { collection, id: doc._id, after: doc, insert: true });
    return doc._id;
  }

  /** Ends a transaction without writing. */
  txAbort(t: TransactionState): void {
    t.ended = true;
  }

  /** Validates and commits a transaction's write set atomically; TransactionConflictError when it lost a race. */
  async txCommit(t: TransactionState): Promise<void> {
    this.assertOpen(t);
    t.ended = true;
    await this.store.exclusive((w) => {
      for (const key of new Set([...t.reads, ...t.writes.keys()])) {
        const [collection = '', id = ''] = key.split('\u0000');
        if (this.store.versionOf(collection, id) > t.startSeq)
          throw new TransactionConflictError(`${collection}/${id}`);
      }
      w.commitNow([...t.writes.values()]);
    });
  }
}
