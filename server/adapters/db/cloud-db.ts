// The typed subset of the wx-server-sdk database that the repositories use. The real SDK (in the cloud) and the
// local stand-in (devcloud/) both satisfy it; repositories never touch the untyped SDK object directly.

/** A query/update operator value built by db.command (opaque to the adapters). */
export type DbOperator = { readonly __dbOperator?: never } & object;

/** The operators this project uses. */
export interface DbCommand {
  eq(v: unknown): DbOperator;
  neq(v: unknown): DbOperator;
  lt(v: unknown): DbOperator;
  lte(v: unknown): DbOperator;
  gt(v: unknown): DbOperator;
  gte(v: unknown): DbOperator;
  in(v: unknown[]): DbOperator;
  nin(v: unknown[]): DbOperator;
  exists(v: boolean): DbOperator;
  inc(n: number): DbOperator;
  set(v: unknown): DbOperator;
  remove(): DbOperator;
  push(v: unknown): DbOperator;
  or(...conditions: unknown[]): DbOperator;
  and(...conditions: unknown[]): DbOperator;
}

/** A query over one collection. */
export interface DbQuery {
  where(condition: Record<string, unknown>): DbQuery;
  orderBy(field: string, direction: 'asc' | 'desc'): DbQuery;
  limit(n: number): DbQuery;
  skip(n: number): DbQuery;
  field(projection: Record<string, boolean>): DbQuery;
  get(): Promise<{ data: Record<string, unknown>[] }>;
  count(): Promise<{ total: number }>;
  update(options: { data: Record<string, unknown> }): Promise<{ stats: { updated: number } }>;
  remove(): Promise<{ stats: { removed: number } }>;
}

/** One document by _id. */
export interface DbDocument {
  get(): Promise<{ data: Record<string, unknown> }>;
  set(options: { data: Record<string, unknown> }): Promise<unknown>;
  update(options: { data: Record<string, unknown> }): Promise<{ stats: { updated: number } }>;
  remove(): Promise<{ stats: { removed: number } }>;
}

/** A collection: a query plus add and doc. */
export interface DbCollection extends DbQuery {
  doc(id: string): DbDocument;
  add(options: { data: Record<string, unknown> }): Promise<{ _id: string }>;
}

/** Document operations allowed inside a transaction. */
export interface DbTransaction {
  collection(name: string): {
    doc(id: string): DbDocument;
    add?(options: { data: Record<string, unknown> }): Promise<{ _id: string }>;
  };
  rollback(reason?: unknown): Promise<void> | void;
}

/** The database handle (cloud.database()). */
export interface CloudDb {
  collection(name: string): DbCollection;
  readonly command: DbCommand;
  serverDate(): unknown;
  runTransaction<T>(fn: (t: DbTransaction) => Promise<T>): Promise<T>;
}

// The SDK rejects with an Error whose errMsg (or message) carries the cloud's reason text.
function errorText(e: unknown): string {
  if (typeof e !== 'object' || e === null) return '';
  const { errMsg, message } = e as { errMsg?: unknown; message?: unknown };
  if (typeof errMsg === 'string') return errMsg;
  return typeof message === 'string' ? message : '';
}

/** True for the cloud database's unique-index violation (duplicate key, E11000). */
export function isDuplicateKeyError(e: unknown): boolean {
  return /duplicate key|E11000/i.test(errorText(e));
}

/** True when a transaction lost a write conflict to a concurrent one, even after the SDK's own re-runs. */
export function isTransactionConflict(e: unknown): boolean {
  return /TransactionConflict|transaction conflict|write conflict/i.test(errorText(e));
}

/** True when a doc().get() failed because the document does not exist (the cloud throws instead of answering null). */
export function isNotFoundError(e: unknown): boolean {
  return /does not exist|not exist|cannot find document/i.test(errorText(e));
}
