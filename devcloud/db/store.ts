// The durable store behind the wx-server-sdk stand-in.
//
// Storage: one @seald-io/nedb datafile per collection (<dir>/<collection>.db, append-only lines, rewritten crash-safely
// at open). nedb reads the files at open (and replays the journal into them); from then on this class appends the
// lines itself, in nedb's format, through one descriptor per file kept open (appender.ts). It holds the rules:
//  - all writes are serialised by one mutex, so a conditional update (read, compare, write) is a true compare-and-set;
//  - unique indexes are checked here, against in-memory key maps, BEFORE anything is written (nedb's own indexes are not
//    used: its array/missing-field semantics differ from the cloud's, and a write set is applied as remove + insert);
//  - a write set of more than one document goes through the commit journal (journal.ts) so a crash cannot leave half;
//  - readers see an in-memory mirror that is swapped per commit, never a half-applied write set;
//  - a commit resolves only after its lines were handed to the OS: acknowledged writes survive `kill -9`.
// Durability is against process death, not power loss: appends are not fsync'd (README, "Durability").
import Datastore from '@seald-io/nedb';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CollectionSpec, IndexSpec } from './collections-config';
import { COLLECTION_NAME } from './collections-config';
import { LineAppender } from './appender';
import { repairTornTail } from './datafile';
import { CollectionNotFoundError, DuplicateKeyError, StoreIntegrityError } from './errors';
import { SecondaryIndex, sameUnder, topFieldsOf, type Equalities, type IndexCandidates } from './indexes';
import { Journal, type JournalWrite } from './journal';
import { isThenable, Mutex } from './mutex';
import { cloneDoc, encodeLine, getPath, isDate, type Doc } from './values';

/** One document's new state; `after: null` deletes it. `insert` demands that the _id does not exist yet. */
export interface Change {
  collection: string;
  id: string;
  after: Doc | null;
  /**
   * `after` is handed over: a fresh, already normalised copy (plain objects of this realm) that nothing else refers to,
   * so once committed this very object is frozen and stored, without another copy. Otherwise the store copies it.
   */
  owned?: boolean;
  insert?: boolean;
}

/** Points inside a commit where tests may crash the process on purpose. */
export type CommitPhase = 'journaled' | 'partially-applied' | 'applied';

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** Directory of the datafiles, the journal and the lock file (created if missing). */
  dir: string;
  /** Declared collections: created if missing, their unique indexes enforced. */
  collections: readonly CollectionSpec[];
  log?: (line: string) => void;
  /**
   * Open without the unique indexes: nothing checks them until {@link Store.enforceUniqueIndexes} builds them. For data
   * migrations that make old data fit a newly declared unique index (as in the cloud: migrate, then create the index).
   */
  deferUniqueIndexes?: boolean;
  /** Test-only: called at each commit phase (a crash test kills the process there). */
  onCommitPhase?: (phase: CommitPhase, changes: readonly Change[]) => void;
}

/** Handed to the callback of {@link Store.exclusive}: the only way to commit. */
export interface WriteScope {
  commit(changes: readonly Change[]): Promise<void>;
  /** {@link commit} for a section that does not wait: throws instead of rejecting. */
  commitNow(changes: readonly Change[]): void;
}

/** A unique index over the mirror: key (encoded field values) → _id. */
class UniqueIndex {
  readonly keys = new Map<string, string>();
  /** The top-level field each of the index's fields lives under. */
  private readonly tops: readonly string[];
  constructor(
    readonly collection: string,
    readonly spec: IndexSpec,
  ) {
    this.tops = topFieldsOf(spec.fields.map((f) => f.field));
  }

  /** True when `after` keeps `before`'s key for sure (indexes.ts sameUnder); false: compute it. */
  keeps(before: Doc, after: Doc): boolean {
    return sameUnder(this.tops, before, after);
  }

  /** The index key of a document; a missing field counts as null, as in MongoDB (the console has no sparse indexes). */
  keyOf(doc: Doc): string {
    return encodeLine(this.spec.fields.map((f) => normaliseKeyPart(getPath(doc, f.field))));
  }

  describe(doc: Doc): string {
    const parts = this.spec.fields.map(
      (f) => `${f.field}: ${encodeLine(normaliseKeyPart(getPath(doc, f.field)))}`,
    );
    return `{ ${parts.join(', ')} }`;
  }
}

function normaliseKeyPart(v: unknown): unknown {
  if (v === undefined) return null;
  return isDate(v) ? { $date: v.getTime() } : v;
}

class CollectionState {
  readonly docs = new Map<string, Doc>();
  /** The unique indexes in force (empty while they are deferred: see StoreOptions.deferUniqueIndexes). */
  unique: UniqueIndex[] = [];
  /** Every declared index, for lookups (the unique ones also live in `unique`, for constraint checks). */
  readonly secondary: SecondaryIndex[];
  /** Insertion position of each document, so index lookups answer in the same order as a scan would. */
  readonly positions = new Map<string, number>();
  nextPosition = 0;
  /** The datafile, open for appending from the moment nedb has loaded (and compacted) it until the store closes. */
  readonly out: LineAppender;
  constructor(
    readonly spec: CollectionSpec,
    readonly file: string,
  ) {
    this.out = new LineAppender(file);
    this.secondary = spec.indexes.map((ix) => new SecondaryIndex(ix));
  }

  indexDoc(doc: Doc): void {
    if (!this.positions.has(doc._id)) this.positions.set(doc._id, this.nextPosition++);
    for (const ix of this.secondary) ix.add(doc);
  }

  /** Moves a document's index entries from its old state to its new one (same _id, same insertion position). */
  reindexDoc(before: Doc, after: Doc): void {
    for (const ix of this.secondary) ix.replace(before, after);
  }

  unindexDoc(doc: Doc, deleted: boolean): void {
    for (const ix of this.secondary) ix.remove(doc);
    if (deleted) this.positions.delete(doc._id);
  }
}

/** The documents an index lookup says can match, in insertion order. */
export interface IndexLookup {
  index: string;
  ids: string[];
}

const openDirs = new Set<string>();

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    const o = v as Record<string, unknown>;
    for (const k in o) deepFreeze(o[k]);
  }
  return v;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A durable, serialised document store: see the header comment for its guarantees. */
export class Store {
  /** Commit counter of this process; document versions are compared against it by optimistic transactions. */
  seq = 0;
  private readonly lock = new Mutex();
  private readonly collections = new Map<string, CollectionState>();
  private readonly versions = new Map<string, number>();
  private failure: Error | undefined;
  private closed = false;
  private uniqueEnforced: boolean;

  private constructor(
    readonly dir: string,
    private readonly journal: Journal,
    private readonly opts: StoreOptions,
  ) {
    this.uniqueEnforced = opts.deferUniqueIndexes !== true;
  }

  /** Opens (or creates) the store in `opts.dir`: repairs torn tails, replays the journal, builds mirrors and indexes. */
  static async open(opts: StoreOptions): Promise<Store> {
    const dir = resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    if (openDirs.has(dir))
      throw new StoreIntegrityError(`the database in ${dir} is already open in this process`);
    acquireLockFile(dir);
    openDirs.add(dir);
    const store = new Store(dir, new Journal(join(dir, '.journal')), opts);
    try {
      await store.load();
    } catch (e) {
      store.releaseDir();
      throw e;
    }
    return store;
  }

  private async load(): Promise<void> {
    const specs = new Map<string, CollectionSpec>();
    for (const spec of this.opts.collections) specs.set(spec.name, spec);
    for (const file of readdirSync(this.dir)) {
      const m = /^(.+)\.db$/.exec(file);
      const name = m?.[1];
      if (name !== undefined && COLLECTION_NAME.test(name) && !specs.has(name)) {
        specs.set(name, undeclared(name));
        this.log(
          `collection "${name}" has a datafile but is not declared; it is kept with ADMINONLY permission`,
        );
      }
    }
    // nedb reads (and compacts) each datafile and replays the journal into it; its in-memory copy then seeds the mirror
    // and is dropped: from here on the store appends the lines itself.
    const loaded = new Map<string, Datastore>();
    for (const spec of specs.values()) loaded.set(spec.name, await this.loadCollection(spec));

    for (const entry of await this.journal.readCommitted()) {
      this.log(
        `replaying committed write set #${entry.seq} (${entry.writes.length} documents) from the journal`,
      );
      for (const w of entry.writes) {
        if (!loaded.has(w.collection))
          loaded.set(w.collection, await this.loadCollection(undeclared(w.collection)));
      }
      await replayIntoDatafiles(loaded, entry.writes);
    }
    this.journal.clear();

    for (const [name, ds] of loaded) {
      const state = this.state(name);
      for (const raw of ds.getAllData()) {
        const doc = deepFreeze(cloneDoc(raw as Doc));
        state.docs.set(doc._id, doc);
        state.indexDoc(doc);
      }
    }
    if (this.opts.deferUniqueIndexes !== true) this.buildUniqueIndexes();
  }

  /** Builds every declared unique index from the documents; throws (changing nothing) when the data breaks one. */
  private buildUniqueIndexes(): void {
    const built = new Map<CollectionState, UniqueIndex[]>();
    for (const state of this.collections.values()) {
      const unique = state.spec.indexes
        .filter((ix) => ix.unique)
        .map((ix) => new UniqueIndex(state.spec.name, ix));
      for (const ix of unique) {
        for (const doc of state.docs.values()) {
          const key = ix.keyOf(doc);
          const owner = ix.keys.get(key);
          if (owner !== undefined) {
            throw new StoreIntegrityError(
              `collection ${state.spec.name}: documents ${owner} and ${doc._id} both have ${ix.describe(doc)}, ` +
                `which breaks unique index ${ix.spec.name}; fix the data or the index in collections.json`,
            );
          }
          ix.keys.set(key, doc._id);
        }
      }
      built.set(state, unique);
    }
    for (const [state, unique] of built) state.unique = unique;
  }

  /**
   * Builds and from now on enforces the declared unique indexes of a store opened with `deferUniqueIndexes` (no-op
   * otherwise). Throws StoreIntegrityError naming two documents that share a key; the indexes then stay deferred.
   */
  async enforceUniqueIndexes(): Promise<void> {
    await this.lock.run(() => {
      this.assertWritable();
      if (this.uniqueEnforced) return;
      this.buildUniqueIndexes();
      this.uniqueEnforced = true;
    });
  }

  /**
   * Repairs the datafile's torn tail, has nedb load (and compact: it rewrites the file by renaming a temp file over it)
   * it, then opens the datafile for appending — after the rewrite, so the descriptor is the new file's. Answers nedb's
   * loaded datastore (for journal replay and the mirror).
   */
  private async loadCollection(spec: CollectionSpec): Promise<Datastore> {
    const file = join(this.dir, `${spec.name}.db`);
    const repair = await repairTornTail(file);
    if (repair.droppedBytes > 0) {
      this.log(
        `${file}: dropped a torn last line (${repair.droppedBytes} bytes) left by a crash; it was never acknowledged`,
      );
    }
    const ds = new Datastore({ filename: file, corruptAlertThreshold: 0 });
    await ds.loadDatabaseAsync();
    const state = new CollectionState(spec, file);
    state.out.open();
    this.collections.set(spec.name, state);
    return ds;
  }

  private log(line: string): void {
    this.opts.log?.(`[devcloud db] ${line}`);
  }

  /** Names of all collections (declared and created). */
  collectionNames(): string[] {
    return [...this.collections.keys()].sort();
  }

  /** True when the collection exists. */
  hasCollection(name: string): boolean {
    return this.collections.has(name);
  }

  /** The declaration (permission, indexes) of a collection; throws CollectionNotFoundError. */
  spec(name: string): CollectionSpec {
    return this.state(name).spec;
  }

  private state(name: string): CollectionState {
    const s = this.collections.get(name);
    if (s === undefined) throw new CollectionNotFoundError(name);
    return s;
  }

  /** All committed documents of a collection, in insertion order. They are frozen: clone before handing out. */
  docs(name: string): IterableIterator<Doc> {
    return this.state(name).docs.values();
  }

  /** Number of documents in a collection. */
  size(name: string): number {
    return this.state(name).docs.size;
  }

  /**
   * The _ids that can match a query with these equality constraints, from the declared index that narrows them most,
   * or undefined when no declared index applies (the caller scans). Callers still test every candidate.
   */
  lookup(name: string, eq: Equalities): IndexLookup | undefined {
    if (eq.size === 0) return undefined;
    const state = this.state(name);
    let best: { ix: SecondaryIndex; found: IndexCandidates } | undefined;
    for (const ix of state.secondary) {
      const found = ix.candidates(eq);
      if (found !== undefined && (best === undefined || found.count < best.found.count)) best = { ix, found };
    }
    if (best === undefined) return undefined;
    const pos = state.positions;
    const ids = [...best.ix.idsOf(best.found)].sort((a, b) => (pos.get(a) ?? 0) - (pos.get(b) ?? 0));
    return { index: best.ix.spec.name, ids };
  }

  /**
   * The _ids a declared index lists in the order of `field` (see SecondaryIndex.orderedBy) under `eq`'s single-valued
   * pins of its other fields, or undefined when no index can.
   */
  orderedLookup(name: string, eq: Equalities, field: string, dir: 1 | -1): IndexLookup | undefined {
    if (eq.size === 0) return undefined;
    const state = this.state(name);
    const valueOf = (id: string) => getPath(state.docs.get(id), field);
    const positionOf = (id: string) => state.positions.get(id) ?? 0;
    for (const ix of state.secondary) {
      const ids = ix.orderedBy(field, dir, eq, valueOf, positionOf);
      if (ids !== undefined) return { index: ix.spec.name, ids };
    }
    return undefined;
  }

  /** The committed document with this _id (frozen), or undefined. */
  getDoc(name: string, id: string): Doc | undefined {
    return this.state(name).docs.get(id);
  }

  /** The commit sequence number that last wrote this document in this process (0 = not since open). */
  versionOf(name: string, id: string): number {
    return this.versions.get(`${name}\u0000${id}`) ?? 0;
  }

  /**
   * Runs `fn` with the write lock held; `scope.commit` is only valid inside it. Reads stay lock-free. A section that
   * returns without waiting (no promise) runs at once when the lock is free.
   */
  exclusive<T>(fn: (scope: WriteScope) => Promise<T> | T): Promise<T> {
    return this.lock.run(() => {
      this.assertWritable();
      let open = true;
      const commitNow = (changes: readonly Change[]): void => {
        if (!open) throw new Error('WriteScope.commit called after its exclusive() section ended');
        this.commit(changes);
      };
      const scope: WriteScope = {
        commitNow,
        commit: (changes) => {
          try {
            commitNow(changes);
            return Promise.resolve();
          } catch (e) {
            return Promise.reject(e instanceof Error ? e : new Error(String(e)));
          }
        },
      };
      let out: Promise<T> | T;
      try {
        out = fn(scope);
      } catch (e) {
        open = false;
        throw e;
      }
      if (!isThenable(out)) {
        open = false;
        return out;
      }
      return Promise.resolve(out).finally(() => {
        open = false;
      });
    });
  }

  /** Creates an empty collection (ADMINONLY, no indexes); false when it already exists. */
  async createCollection(name: string): Promise<boolean> {
    if (!COLLECTION_NAME.test(name)) {
      throw new StoreIntegrityError(
        `invalid collection name ${JSON.stringify(name)}: must match ${String(COLLECTION_NAME)}`,
      );
    }
    return this.lock.run(async () => {
      this.assertWritable();
      if (this.collections.has(name)) return false;
      await this.loadCollection(undeclared(name));
      return true;
    });
  }

  private assertWritable(): void {
    if (this.closed) throw new Error('the local cloud database is closed');
    if (this.failure !== undefined) {
      throw new StoreIntegrityError(
        `the local cloud database stopped accepting writes after an I/O failure (${this.failure.message}); ` +
          'restart it: the journal completes or discards the interrupted write set',
      );
    }
  }

  /** Writes a write set (synchronously: when it returns, its lines are in the OS's hands) and swaps the mirror. */
  private commit(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    this.checkConstraints(changes);
    const seq = this.seq + 1;
    const writes: JournalWrite[] = changes.map((c) => ({ collection: c.collection, id: c.id, doc: c.after }));
    const journaled = changes.length > 1;
    try {
      if (journaled) {
        this.journal.append({ seq, writes });
        this.opts.onCommitPhase?.('journaled', changes);
      }
      this.applyToFiles(writes, !journaled);
    } catch (e) {
      // The files may now hold part of the write set; only a reopen (journal replay) restores a known state.
      this.failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    }
    this.seq = seq;
    for (const c of changes) this.applyToMirror(c, seq);
    this.opts.onCommitPhase?.('applied', changes);
    if (journaled) {
      try {
        this.journal.clear();
      } catch (e) {
        // The write set is committed; but a stale journal entry replayed later could undo newer single writes.
        this.failure = e instanceof Error ? e : new Error(String(e));
      }
    }
  }

  private checkConstraints(changes: readonly Change[]): void {
    const only = changes.length === 1 ? changes[0] : undefined;
    if (only !== undefined) {
      this.checkOne(only);
      return;
    }
    const byCollection = new Map<string, Change[]>();
    for (const c of changes) {
      this.checkId(c);
      const list = byCollection.get(c.collection) ?? [];
      if (list.some((x) => x.id === c.id)) throw new Error(`write set touches ${c.collection}/${c.id} twice`);
      list.push(c);
      byCollection.set(c.collection, list);
    }
    for (const [name, list] of byCollection) {
      const state = this.state(name);
      const touched = new Set(list.map((c) => c.id));
      for (const ix of state.unique) {
        const added = new Map<string, string>();
        for (const c of list) {
          if (c.after === null) continue;
          const key = ix.keyOf(c.after);
          const owner = ix.keys.get(key);
          if (added.has(key) || (owner !== undefined && !touched.has(owner))) {
            throw new DuplicateKeyError(name, ix.spec.name, ix.describe(c.after));
          }
          added.set(key, c.id);
        }
      }
    }
  }

  /** A change's own _id: the one its document carries, and a new one for an insert. Answers the stored document. */
  private checkId(c: Change): Doc | undefined {
    if (c.after !== null && c.after._id !== c.id)
      throw new Error(`change for ${c.collection}/${c.id} carries another _id`);
    const before = this.state(c.collection).docs.get(c.id);
    if (c.insert === true && before !== undefined) {
      throw new DuplicateKeyError(c.collection, '_id_', `{ _id: ${JSON.stringify(c.id)} }`);
    }
    return before;
  }

  /** {@link checkConstraints} for a write set of one change: a key conflicts only with another document's. */
  private checkOne(c: Change): void {
    const before = this.checkId(c);
    if (c.after === null) return;
    const state = this.state(c.collection);
    for (const ix of state.unique) {
      if (before !== undefined && ix.keeps(before, c.after)) continue;
      const owner = ix.keys.get(ix.keyOf(c.after));
      if (owner !== undefined && owner !== c.id) {
        throw new DuplicateKeyError(c.collection, ix.spec.name, ix.describe(c.after));
      }
    }
  }

  /**
   * Writes a write set to the datafiles, in nedb's line format. A single document is one appended line (atomic by
   * itself); a set is applied per collection as "remove every touched _id, insert every after-image" (two appends), so
   * a crash between them leaves a state the journal replay completes.
   */
  private applyToFiles(writes: readonly JournalWrite[], single: boolean): void {
    if (single) {
      const w = writes[0];
      if (w === undefined) return;
      const state = this.state(w.collection);
      if (w.doc === null) {
        if (state.docs.has(w.id)) state.out.append(deletedLine(w.id));
      } else state.out.append(encodeLine(w.doc) + '\n');
      return;
    }
    const groups = new Map<string, JournalWrite[]>();
    for (const w of writes) groups.set(w.collection, [...(groups.get(w.collection) ?? []), w]);
    const steps: (() => void)[] = [];
    for (const [name, list] of groups) {
      const state = this.state(name);
      const removed = list.filter((w) => state.docs.has(w.id)).map((w) => deletedLine(w.id));
      if (removed.length > 0) steps.push(() => state.out.append(removed.join('')));
      const docs = list.flatMap((w) => (w.doc === null ? [] : [encodeLine(w.doc) + '\n']));
      if (docs.length > 0) steps.push(() => state.out.append(docs.join('')));
    }
    for (let i = 0; i < steps.length; i++) {
      steps[i]?.();
      if (i < steps.length - 1) this.opts.onCommitPhase?.('partially-applied', []);
    }
  }

  private applyToMirror(c: Change, seq: number): void {
    const state = this.state(c.collection);
    const before = state.docs.get(c.id);
    // The unique indexes whose key the change leaves as it was need no upkeep.
    const moved =
      before === undefined || c.after === null
        ? state.unique
        : state.unique.filter((ix) => !ix.keeps(before, c.after as Doc));
    for (const ix of moved) {
      if (before !== undefined) {
        const key = ix.keyOf(before);
        if (ix.keys.get(key) === c.id) ix.keys.delete(key);
      }
    }
    if (c.after === null) {
      if (before !== undefined) state.unindexDoc(before, true);
      state.docs.delete(c.id);
    } else {
      const after = deepFreeze(c.owned === true ? c.after : cloneDoc(c.after));
      state.docs.set(c.id, after);
      for (const ix of moved) ix.keys.set(ix.keyOf(after), c.id);
      if (before !== undefined) state.reindexDoc(before, after);
      else state.indexDoc(after);
    }
    this.versions.set(`${c.collection}\u0000${c.id}`, seq);
  }

  /** Waits for pending writes, then releases the data directory. Later calls fail with "closed". */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.lock.run(() => undefined);
    this.closed = true;
    this.releaseDir();
  }

  private releaseDir(): void {
    for (const out of [...[...this.collections.values()].map((state) => state.out), this.journal]) {
      try {
        out.close();
      } catch {
        // nothing more to do for a descriptor that will not close
      }
    }
    openDirs.delete(this.dir);
    const lockFile = join(this.dir, 'LOCK');
    try {
      if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) rmSync(lockFile, { force: true });
    } catch {
      // already gone
    }
  }
}

/** nedb's removal line. */
function deletedLine(id: string): string {
  return `${encodeLine({ $$deleted: true, _id: id })}\n`;
}

/**
 * Re-applies a journaled write set through nedb at open (before the mirror exists): per collection, remove every
 * touched _id, then insert every after-image. Idempotent, so a replay interrupted by another crash can run again.
 */
async function replayIntoDatafiles(
  loaded: ReadonlyMap<string, Datastore>,
  writes: readonly JournalWrite[],
): Promise<void> {
  const groups = new Map<string, JournalWrite[]>();
  for (const w of writes) groups.set(w.collection, [...(groups.get(w.collection) ?? []), w]);
  for (const [name, list] of groups) {
    const ds = loaded.get(name);
    if (ds === undefined) throw new Error(`journal replay: collection ${name} is not loaded`);
    await ds.removeAsync({ _id: { $in: list.map((w) => w.id) } }, { multi: true });
    const docs = list.flatMap((w) => (w.doc === null ? [] : [w.doc]));
    if (docs.length > 0) await ds.insertAsync(docs);
  }
}

function undeclared(name: string): CollectionSpec {
  return { name, permission: 'ADMINONLY', indexes: [] };
}

/** A pid lock file: a second live process on the same data dir would interleave appends and corrupt it. */
function acquireLockFile(dir: string): void {
  const lockFile = join(dir, 'LOCK');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new StoreIntegrityError(`the database in ${dir} is in use by process ${pid}; stop it first`);
    }
  }
  writeFileSync(lockFile, String(process.pid));
}
