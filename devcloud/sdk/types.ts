// The typed surface of the wx-server-sdk stand-in: the subset of wx-server-sdk 4.x this project uses, with the
// result shapes the cloud answers. Errors are CloudSdkError {errCode, errMsg} (devcloud/db/errors.ts).

/** Field-level query operators of db.command. */
export type QueryOp =
  'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'nin' | 'exists' | 'size' | 'all' | 'elemMatch';
/** Logic combinators of db.command. */
export type LogicOp = 'and' | 'or' | 'nor' | 'not';
/** Update operators of db.command. */
export type UpdateOp =
  | 'set'
  | 'remove'
  | 'inc'
  | 'mul'
  | 'push'
  | 'pull'
  | 'pullAll'
  | 'addToSet'
  | 'pop'
  | 'shift'
  | 'unshift'
  | 'min'
  | 'max'
  | 'rename';

/** A field query operator value (`_.gt(1)`), chainable. */
export interface DbQueryCommand {
  readonly kind: 'query';
  readonly op: QueryOp;
  and(...others: unknown[]): DbLogicCommand;
  or(...others: unknown[]): DbLogicCommand;
}

/** A logic combination (`_.or([...])`, `_.gt(1).and(_.lt(5))`). */
export interface DbLogicCommand {
  readonly kind: 'logic';
  readonly op: LogicOp;
  and(...others: unknown[]): DbLogicCommand;
  or(...others: unknown[]): DbLogicCommand;
}

/** An update operator value (`_.inc(1)`). */
export interface DbUpdateCommand {
  readonly kind: 'update';
  readonly op: UpdateOp;
}

/** `db.serverDate()`: resolved to the server clock when written. */
export interface DbServerDate {
  readonly kind: 'serverDate';
  readonly offsetMs: number;
}

/** `db.RegExp({regexp, options})`. */
export interface DbRegExpValue {
  readonly kind: 'regexp';
  readonly regexp: string;
  readonly options: string;
}

/** `db.command`. */
export interface DbCommand {
  eq(v: unknown): DbQueryCommand;
  neq(v: unknown): DbQueryCommand;
  lt(v: unknown): DbQueryCommand;
  lte(v: unknown): DbQueryCommand;
  gt(v: unknown): DbQueryCommand;
  gte(v: unknown): DbQueryCommand;
  in(values: unknown): DbQueryCommand;
  nin(values: unknown): DbQueryCommand;
  exists(v: unknown): DbQueryCommand;
  size(n: unknown): DbQueryCommand;
  all(values: unknown): DbQueryCommand;
  elemMatch(query: unknown): DbQueryCommand;
  and(...conditions: unknown[]): DbLogicCommand;
  or(...conditions: unknown[]): DbLogicCommand;
  nor(...conditions: unknown[]): DbLogicCommand;
  not(condition: unknown): DbLogicCommand;
  set(v: unknown): DbUpdateCommand;
  remove(): DbUpdateCommand;
  inc(n: unknown): DbUpdateCommand;
  mul(n: unknown): DbUpdateCommand;
  push(v: unknown): DbUpdateCommand;
  pull(v: unknown): DbUpdateCommand;
  pullAll(values: unknown): DbUpdateCommand;
  addToSet(v: unknown): DbUpdateCommand;
  pop(): DbUpdateCommand;
  shift(): DbUpdateCommand;
  unshift(values: unknown): DbUpdateCommand;
  min(v: unknown): DbUpdateCommand;
  max(v: unknown): DbUpdateCommand;
  rename(newName: unknown): DbUpdateCommand;
}

/** A stored document as returned to callers. */
export type DbDoc = { _id: string } & Record<string, unknown>;

/** `collection.get()` / `where().get()`. */
export interface GetResult {
  data: DbDoc[];
  errMsg: string;
}
/** `doc().get()`; `data` is null only with `database({throwOnNotFound: false})`. */
export interface DocGetResult {
  data: DbDoc | null;
  errMsg: string;
}
/** `count()`. */
export interface CountResult {
  total: number;
  errMsg: string;
}
/** `add()`. */
export interface AddResult {
  _id: string;
  errMsg: string;
}
/** `update()`: documents whose content changed (MongoDB's nModified). */
export interface UpdateResult {
  stats: { updated: number };
  errMsg: string;
}
/** `doc().set()`: `updated` 1 when it replaced a document, `created` 1 when it made one. */
export interface SetResult {
  _id: string;
  stats: { updated: number; created: number };
  errMsg: string;
}
/** `remove()`. */
export interface RemoveResult {
  stats: { removed: number };
  errMsg: string;
}

/** Options with a `data` field, as every write takes. */
export interface DataOptions {
  data: unknown;
}

/** A query over one collection (immutable: each call returns a new query). */
export interface DbQuery {
  where(condition: unknown): DbQuery;
  orderBy(field: string, direction: 'asc' | 'desc'): DbQuery;
  limit(n: number): DbQuery;
  skip(n: number): DbQuery;
  field(projection: Record<string, unknown>): DbQuery;
  get(): Promise<GetResult>;
  count(): Promise<CountResult>;
  update(options: DataOptions): Promise<UpdateResult>;
  remove(): Promise<RemoveResult>;
}

/** One document by _id. */
export interface DbDocumentRef {
  field(projection: Record<string, unknown>): DbDocumentRef;
  get(): Promise<DocGetResult>;
  set(options: DataOptions): Promise<SetResult>;
  update(options: DataOptions): Promise<UpdateResult>;
  remove(): Promise<RemoveResult>;
}

/** A collection reference. */
export interface DbCollectionRef extends DbQuery {
  readonly collectionName: string;
  doc(id: string): DbDocumentRef;
  add(options: DataOptions): Promise<AddResult>;
  /** Not built locally (realtime push): throws NOT_SUPPORTED. */
  watch(): never;
  /** Not built locally: throws NOT_SUPPORTED. */
  aggregate(): never;
}

/** A document inside a transaction (reads see the transaction's own writes). */
export interface DbTransactionDocumentRef {
  get(): Promise<DocGetResult>;
  set(options: DataOptions): Promise<SetResult>;
  update(options: DataOptions): Promise<UpdateResult>;
  remove(): Promise<RemoveResult>;
  /** Alias some SDK versions use for remove(). */
  delete(): Promise<RemoveResult>;
}

/** A collection inside a transaction: single-document operations only (no where), as in the cloud. */
export interface DbTransactionCollectionRef {
  doc(id: string): DbTransactionDocumentRef;
  add(options: DataOptions): Promise<AddResult>;
}

/** The handle runTransaction passes to its callback (and startTransaction returns). */
export interface DbTransaction {
  collection(name: string): DbTransactionCollectionRef;
  /** Ends the transaction without writing; runTransaction rejects with `reason`. */
  rollback(reason?: unknown): Promise<void>;
  /** Commits (startTransaction style); runTransaction commits by itself when the callback returns. */
  commit(): Promise<void>;
}

/** Options of `database()`. */
export interface DatabaseOptions {
  env?: unknown;
  /** When false, doc().get() of a missing document answers {data: null} instead of throwing. Default true. */
  throwOnNotFound?: boolean;
}

/** `cloud.database()`. */
export interface CloudDatabase {
  readonly command: DbCommand;
  collection(name: string): DbCollectionRef;
  serverDate(options?: { offset?: number }): DbServerDate;
  RegExp(options: { regexp: string; options?: string }): DbRegExpValue;
  runTransaction<T>(callback: (t: DbTransaction) => Promise<T>, times?: number): Promise<T>;
  startTransaction(): Promise<DbTransaction>;
  createCollection(name: string): Promise<{ errMsg: string }>;
}

/** `cloud.getWXContext()` of the current invocation. */
export interface WXContext {
  OPENID?: string;
  APPID?: string;
  UNIONID?: string;
  ENV?: string;
  SOURCE?: string;
}

/** The module object `require('wx-server-sdk')` answers inside a function run by the local cloud. */
export interface WxServerSdk {
  readonly DYNAMIC_CURRENT_ENV: symbol;
  init(options?: { env?: unknown; traceUser?: boolean }): void;
  getWXContext(): WXContext;
  database(options?: DatabaseOptions): CloudDatabase;
  /** What startDevCloud's `cloudPay` option supplies; by default every method rejects with NOT_SUPPORTED. */
  readonly cloudPay: object;
  /** What startDevCloud's `openapi` option supplies (the cloud calls); by default every call rejects NOT_SUPPORTED. */
  readonly openapi: object;
}
