// cloud.database(): collections, queries, documents and transactions with the cloud's call shapes and result shapes,
// on top of the local engine. Every public operation counts one database round trip (see README "Round trips").
import type { Engine, FindOptions, TransactionState } from '../db/engine';
import { newId } from '../db/engine';
import {
  CloudSdkError,
  CollectionNotFoundError,
  DuplicateKeyError,
  ErrCodes,
  InvalidInputError,
  sdkError,
  StoreIntegrityError,
  TransactionConflictError,
} from '../db/errors';
import { describeType, isPlainObject, type Doc } from '../db/values';
import { withinRoundTrip } from '../latency';
import { createCommand, DbRegExp, ServerDate } from './command';
import { translateDocument, translateProjection, translateUpdate, translateWhere } from './translate';
import type {
  AddResult,
  CloudDatabase,
  CountResult,
  DataOptions,
  DbCollectionRef,
  DbCommand,
  DbDocumentRef,
  DbQuery,
  DbTransaction,
  DbTransactionCollectionRef,
  DbTransactionDocumentRef,
  DocGetResult,
  GetResult,
  RemoveResult,
  SetResult,
  UpdateResult,
} from './types';

/** Server-side maximum (and default) of limit(), per the project's facts file. */
export const SERVER_MAX_LIMIT = 100;

/** Kinds of database round trips, as counted in stats. */
export type DbOpKind =
  'get' | 'count' | 'add' | 'set' | 'update' | 'remove' | 'transaction' | 'createCollection';

/** What a database handle needs from its host. */
export interface DatabaseHost {
  engine: Engine;
  /** Called once per round trip. */
  meter: (op: DbOpKind) => void;
  /**
   * Each round trip (when given): `begin` is called as it starts and what it answers as it ends (the invocation's
   * dependent steps, ./steps.ts); `delayMs` draws the latency model's database delay (devcloud/latency.ts), half
   * waited before the operation reaches the engine and half before its answer returns. Without it the operation runs
   * as is.
   */
  roundTrip?: { begin: (op: DbOpKind) => (() => void) | undefined; delayMs?: () => number };
  now: () => number;
  throwOnNotFound: boolean;
  /** Largest limit() honoured (100 for cloud functions). */
  maxLimit: number;
}

/** Maps any failure to the cloud's error shape for `api` (e.g. "collection.add"). */
export function toSdkError(api: string, e: unknown): unknown {
  if (e instanceof CloudSdkError) return e;
  if (e instanceof DuplicateKeyError || e instanceof TransactionConflictError) {
    return sdkError(api, ErrCodes.DB_REQUEST_FAILED, `database request fail. [FailedOperation] ${e.message}`);
  }
  if (e instanceof CollectionNotFoundError) return sdkError(api, ErrCodes.DB_COLLECTION_NOT_EXIST, e.message);
  if (e instanceof InvalidInputError) {
    const code = /^Cannot (apply|create)/.test(e.message)
      ? ErrCodes.DB_REQUEST_FAILED
      : ErrCodes.INVALID_PARAM;
    const prefix =
      code === ErrCodes.INVALID_PARAM ? 'invalid parameters.' : 'database request fail. [FailedOperation]';
    return sdkError(api, code, `${prefix} ${e.message}`);
  }
  if (e instanceof StoreIntegrityError) return sdkError(api, -501001, `resource system error. ${e.message}`);
  return e;
}

/**
 * One round trip: counted, timed and stepped by the host's {@link DatabaseHost.roundTrip}, failures in the cloud's
 * shape.
 */
function metered<T>(host: DatabaseHost, op: DbOpKind, api: string, fn: () => Promise<T> | T): Promise<T> {
  host.meter(op);
  return roundTrip(host, op, fn, api);
}

/** `fn` as one round trip (one async frame: each costs a promise and its hooks); errors mapped for `api` if given. */
async function roundTrip<T>(
  host: DatabaseHost,
  op: DbOpKind,
  fn: () => Promise<T> | T,
  api?: string,
): Promise<T> {
  const end = host.roundTrip?.begin(op);
  try {
    const delayMs = host.roundTrip?.delayMs;
    return await (delayMs === undefined ? fn() : withinRoundTrip(delayMs(), async () => fn(), true));
  } catch (e) {
    throw api === undefined ? e : toSdkError(api, e);
  } finally {
    end?.();
  }
}

function collectionName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw sdkError(
      'db.collection',
      ErrCodes.INVALID_PARAM,
      `invalid parameters. collection name must be a non-empty string`,
    );
  }
  return name;
}

function docId(id: unknown, api: string): string {
  if (typeof id !== 'string' || id === '') {
    throw sdkError(
      api,
      ErrCodes.INVALID_PARAM,
      `invalid parameters. doc() id must be a non-empty string, got ${describeType(id)}`,
    );
  }
  return id;
}

function dataOf(options: unknown, api: string): unknown {
  if (!isPlainObject(options) || !('data' in options)) {
    throw sdkError(
      api,
      ErrCodes.INVALID_PARAM,
      'invalid parameters. expected an options object with a "data" field',
    );
  }
  return options.data;
}

/** Builds the document an add() writes: the given _id (a non-empty string) or a new one. */
function documentForAdd(data: unknown, api: string, nowMs: number): Doc {
  const body = translateDocument(data, api, nowMs);
  const given = body._id;
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw new InvalidInputError(`${api}: data._id must be a non-empty string`);
  }
  return { ...body, _id: given ?? newId() };
}

/** Builds the document a set() writes; refuses an _id in data that differs from the doc() id. */
function documentForSet(data: unknown, id: string, api: string, nowMs: number): Doc {
  const body = translateDocument(data, api, nowMs);
  if (body._id !== undefined && body._id !== id)
    throw new InvalidInputError(`${api}: data._id differs from the doc() id`);
  return { ...body, _id: id };
}

interface QueryState {
  where?: unknown;
  orders: [string, 1 | -1][];
  limit?: number;
  skip?: number;
  projection?: unknown;
}

class QueryImpl implements DbQuery {
  constructor(
    protected readonly host: DatabaseHost,
    readonly collectionName: string,
    protected readonly state: QueryState,
  ) {}

  protected with(patch: Partial<QueryState>): QueryImpl {
    return new QueryImpl(this.host, this.collectionName, { ...this.state, ...patch });
  }

  where(condition: unknown): DbQuery {
    return this.with({ where: condition });
  }

  orderBy(field: string, direction: 'asc' | 'desc'): DbQuery {
    if (typeof field !== 'string' || field === '') {
      throw sdkError(
        'collection.orderBy',
        ErrCodes.INVALID_PARAM,
        'invalid parameters. orderBy() needs a field name',
      );
    }
    if (direction !== 'asc' && direction !== 'desc') {
      throw sdkError(
        'collection.orderBy',
        ErrCodes.INVALID_PARAM,
        `invalid parameters. direction must be "asc" or "desc"`,
      );
    }
    return this.with({ orders: [...this.state.orders, [field, direction === 'asc' ? 1 : -1]] });
  }

  limit(n: number): DbQuery {
    if (!Number.isInteger(n) || n < 1) {
      throw sdkError(
        'collection.limit',
        ErrCodes.INVALID_PARAM,
        `invalid parameters. limit must be a positive integer, got ${String(n)}`,
      );
    }
    return this.with({ limit: n });
  }

  skip(n: number): DbQuery {
    if (!Number.isInteger(n) || n < 0) {
      throw sdkError(
        'collection.skip',
        ErrCodes.INVALID_PARAM,
        `invalid parameters. skip must be an integer >= 0, got ${String(n)}`,
      );
    }
    return this.with({ skip: n });
  }

  field(projection: Record<string, unknown>): DbQuery {
    return this.with({ projection });
  }

  private filter(): Record<string, unknown> {
    return this.state.where === undefined ? {} : translateWhere(this.state.where);
  }

  async get(): Promise<GetResult> {
    return metered(this.host, 'get', 'collection.get', () => {
      const opts: FindOptions = {
        sort: this.state.orders,
        skip: this.state.skip ?? 0,
        limit: Math.min(this.state.limit ?? this.host.maxLimit, this.host.maxLimit),
      };
      if (this.state.projection !== undefined) opts.projection = translateProjection(this.state.projection);
      const data = this.host.engine.find(this.collectionName, this.filter(), opts);
      return { data, errMsg: 'collection.get:ok' };
    });
  }

  async count(): Promise<CountResult> {
    return metered(this.host, 'count', 'collection.count', () => ({
      total: this.host.engine.count(this.collectionName, this.filter()),
      errMsg: 'collection.count:ok',
    }));
  }

  async update(options: DataOptions): Promise<UpdateResult> {
    return metered(this.host, 'update', 'collection.update', async () => {
      const modifier = translateUpdate(
        dataOf(options, 'collection.update'),
        'collection.update',
        this.host.now(),
      );
      // The translation's values are fresh copies: the documents may keep them.
      const updated = await this.host.engine.update(this.collectionName, this.filter(), modifier, true, true);
      return { stats: { updated }, errMsg: 'collection.update:ok' };
    });
  }

  async remove(): Promise<RemoveResult> {
    return metered(this.host, 'remove', 'collection.remove', async () => {
      const removed = await this.host.engine.remove(this.collectionName, this.filter(), true);
      return { stats: { removed }, errMsg: 'collection.remove:ok' };
    });
  }
}

class CollectionImpl extends QueryImpl implements DbCollectionRef {
  constructor(host: DatabaseHost, name: string) {
    super(host, name, { orders: [] });
  }

  doc(id: string): DbDocumentRef {
    return new DocumentImpl(this.host, this.collectionName, docId(id, 'collection.doc'));
  }

  async add(options: DataOptions): Promise<AddResult> {
    return metered(this.host, 'add', 'collection.add', async () => {
      const data = dataOf(options, 'collection.add');
      if (Array.isArray(data))
        throw new InvalidInputError('collection.add: adding an array of documents is not built locally');
      const doc = documentForAdd(data, 'collection.add', this.host.now());
      const _id = await this.host.engine.insert(this.collectionName, doc);
      return { _id, errMsg: 'collection.add:ok' };
    });
  }

  watch(): never {
    throw sdkError(
      'collection.watch',
      ErrCodes.NOT_SUPPORTED,
      'realtime watch() is not built in the local cloud',
    );
  }

  aggregate(): never {
    throw sdkError(
      'collection.aggregate',
      ErrCodes.NOT_SUPPORTED,
      'aggregate() is not built in the local cloud',
    );
  }
}

/** document.get's answer for what was read: `data: null`, or the not-found error under `throwOnNotFound`. */
function gotDocument(host: DatabaseHost, id: string, data: DocGetResult['data'] | undefined): DocGetResult {
  if (data === undefined) {
    if (host.throwOnNotFound) throw notFound(id);
    return { data: null, errMsg: 'document.get:ok' };
  }
  return { data, errMsg: 'document.get:ok' };
}

function notFound(id: string): CloudSdkError {
  return new CloudSdkError(
    ErrCodes.GENERIC,
    `document.get:fail document.get:fail cannot find document with _id ${id}, ` +
      'please make sure that the document exists and you have the corresponding Read permission',
  );
}

class DocumentImpl implements DbDocumentRef {
  constructor(
    private readonly host: DatabaseHost,
    private readonly collectionName: string,
    private readonly id: string,
    private readonly projection?: unknown,
  ) {}

  field(projection: Record<string, unknown>): DbDocumentRef {
    return new DocumentImpl(this.host, this.collectionName, this.id, projection);
  }

  async get(): Promise<DocGetResult> {
    return metered(this.host, 'get', 'document.get', () => {
      const projection = this.projection === undefined ? undefined : translateProjection(this.projection);
      return gotDocument(
        this.host,
        this.id,
        this.host.engine.getById(this.collectionName, this.id, projection),
      );
    });
  }

  async set(options: DataOptions): Promise<SetResult> {
    return metered(this.host, 'set', 'document.set', async () => {
      const doc = documentForSet(dataOf(options, 'document.set'), this.id, 'document.set', this.host.now());
      const stats = await this.host.engine.replace(this.collectionName, doc);
      return { _id: this.id, stats, errMsg: 'document.set:ok' };
    });
  }

  async update(options: DataOptions): Promise<UpdateResult> {
    return metered(this.host, 'update', 'document.update', async () => {
      const modifier = translateUpdate(
        dataOf(options, 'document.update'),
        'document.update',
        this.host.now(),
      );
      const updated = await this.host.engine.update(
        this.collectionName,
        { _id: { $eq: this.id } },
        modifier,
        false,
        true,
      );
      return { stats: { updated }, errMsg: 'document.update:ok' };
    });
  }

  async remove(): Promise<RemoveResult> {
    return metered(this.host, 'remove', 'document.remove', async () => {
      const removed = await this.host.engine.remove(this.collectionName, { _id: { $eq: this.id } }, false);
      return { stats: { removed }, errMsg: 'document.remove:ok' };
    });
  }
}

/** The handle a transaction callback receives; remembers a rollback() and the reason to reject with. */
class TransactionHandle implements DbTransaction {
  rolledBack = false;
  reason: unknown;

  constructor(
    private readonly host: DatabaseHost,
    readonly state: TransactionState,
  ) {}

  collection(name: string): DbTransactionCollectionRef {
    const coll = collectionName(name);
    return {
      doc: (id: string) => new TransactionDocument(this.host, this.state, coll, docId(id, 'transaction.doc')),
      add: async (options: DataOptions): Promise<AddResult> => {
        return metered(this.host, 'add', 'transaction.add', () => {
          const doc = documentForAdd(dataOf(options, 'transaction.add'), 'transaction.add', this.host.now());
          return { _id: this.host.engine.txAdd(this.state, coll, doc), errMsg: 'collection.add:ok' };
        });
      },
    };
  }

  async rollback(reason?: unknown): Promise<void> {
    await Promise.resolve();
    if (this.state.ended)
      throw sdkError(
        'transaction.rollback',
        ErrCodes.INVALID_PARAM,
        'invalid parameters. the transaction has already ended',
      );
    this.rolledBack = true;
    this.reason = reason;
    this.host.engine.txAbort(this.state);
  }

  async commit(): Promise<void> {
    await metered(this.host, 'transaction', 'transaction.commit', () =>
      this.host.engine.txCommit(this.state),
    );
  }
}

class TransactionDocument implements DbTransactionDocumentRef {
  constructor(
    private readonly host: DatabaseHost,
    private readonly state: TransactionState,
    private readonly collectionName: string,
    private readonly id: string,
  ) {}

  async get(): Promise<DocGetResult> {
    return metered(this.host, 'get', 'document.get', () => {
      return gotDocument(
        this.host,
        this.id,
        this.host.engine.txGet(this.state, this.collectionName, this.id),
      );
    });
  }

  async set(options: DataOptions): Promise<SetResult> {
    return metered(this.host, 'set', 'document.set', () => {
      const doc = documentForSet(dataOf(options, 'document.set'), this.id, 'document.set', this.host.now());
      const stats = this.host.engine.txSet(this.state, this.collectionName, doc);
      return { _id: this.id, stats, errMsg: 'document.set:ok' };
    });
  }

  async update(options: DataOptions): Promise<UpdateResult> {
    return metered(this.host, 'update', 'document.update', () => {
      const modifier = translateUpdate(
        dataOf(options, 'document.update'),
        'document.update',
        this.host.now(),
      );
      const updated = this.host.engine.txUpdate(this.state, this.collectionName, this.id, modifier, true);
      return { stats: { updated }, errMsg: 'document.update:ok' };
    });
  }

  async remove(): Promise<RemoveResult> {
    return metered(this.host, 'remove', 'document.remove', () => ({
      stats: { removed: this.host.engine.txRemove(this.state, this.collectionName, this.id) },
      errMsg: 'document.remove:ok',
    }));
  }

  delete(): Promise<RemoveResult> {
    return this.remove();
  }
}

/** The `cloud.database()` object. */
export class Database implements CloudDatabase {
  readonly command: DbCommand = createCommand();

  constructor(private readonly host: DatabaseHost) {}

  collection(name: string): DbCollectionRef {
    return new CollectionImpl(this.host, collectionName(name));
  }

  serverDate(options?: { offset?: number }): ServerDate {
    const offset = options?.offset ?? 0;
    if (typeof offset !== 'number' || !Number.isFinite(offset)) {
      throw sdkError(
        'db.serverDate',
        ErrCodes.INVALID_PARAM,
        'invalid parameters. offset must be a number of milliseconds',
      );
    }
    return new ServerDate(offset);
  }

  RegExp(options: { regexp: string; options?: string }): DbRegExp {
    if (!isPlainObject(options) || typeof options.regexp !== 'string') {
      throw sdkError(
        'db.RegExp',
        ErrCodes.INVALID_PARAM,
        'invalid parameters. db.RegExp({regexp, options}) needs a regexp string',
      );
    }
    return new DbRegExp(options.regexp, typeof options.options === 'string' ? options.options : '');
  }

  /**
   * Runs `callback` as one transaction, re-running it (up to `times` runs in all) only when it lost a write conflict.
   * Resolves with the callback's value; rejects with what it threw, or with the reason given to rollback().
   */
  async runTransaction<T>(callback: (t: DbTransaction) => Promise<T>, times = 3): Promise<T> {
    if (typeof callback !== 'function') {
      throw sdkError(
        'database.runTransaction',
        ErrCodes.INVALID_PARAM,
        'invalid parameters. callback must be a function',
      );
    }
    for (let attempt = 1; ; attempt++) {
      const handle = new TransactionHandle(this.host, this.host.engine.begin());
      let result: T;
      try {
        result = await callback(handle);
      } catch (e) {
        this.host.engine.txAbort(handle.state);
        if (handle.rolledBack) throw handle.reason;
        throw e;
      }
      if (handle.rolledBack) throw handle.reason;
      if (handle.state.ended) return result;
      this.host.meter('transaction');
      try {
        await roundTrip(this.host, 'transaction', () => this.host.engine.txCommit(handle.state));
        return result;
      } catch (e) {
        if (e instanceof TransactionConflictError && attempt < Math.max(1, times)) continue;
        throw toSdkError('database.runTransaction', e);
      }
    }
  }

  /** Starts a transaction the caller ends with commit() or rollback(). */
  async startTransaction(): Promise<DbTransaction> {
    await Promise.resolve();
    return new TransactionHandle(this.host, this.host.engine.begin());
  }

  /** Creates a collection (no indexes, admin-only client permission). */
  async createCollection(name: string): Promise<{ errMsg: string }> {
    return metered(this.host, 'createCollection', 'database.createCollection', async () => {
      const created = await this.host.engine.store.createCollection(collectionName(name));
      if (!created)
        throw sdkError(
          'database.createCollection',
          ErrCodes.DB_REQUEST_FAILED,
          `collection ${name} already exists`,
        );
      return { errMsg: 'database.createCollection:ok' };
    });
  }
}
