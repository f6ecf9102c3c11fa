// Errors shaped like the cloud's: wx-server-sdk rejects with an Error carrying numeric `errCode` and an `errMsg` that
// starts with the API name ("collection.add:fail ..."). Business code (and server/adapters/db) branches on these, so the
// local cloud answers the same codes and the same message fragments (E11000 for duplicate keys, "cannot find document"
// for a missing doc) that the cloud does.

/** The errCode values the local cloud answers with (the cloud's own numbers, see README "Errors"). */
export const ErrCodes = {
  /** Generic failure of the API call (the cloud uses it for a document.get of a missing _id). */
  GENERIC: -1,
  /** Invalid parameters: malformed query/update data, bad limit, unknown operator. */
  INVALID_PARAM: -501007,
  /** The database refused the request: duplicate key, type errors in updates, transaction conflicts. */
  DB_REQUEST_FAILED: -502001,
  /** A client (mini program) request the collection's permission or security rule does not allow. */
  DB_PERMISSION_DENIED: -502003,
  /** The collection does not exist (not declared in data/collections.json nor created). */
  DB_COLLECTION_NOT_EXIST: -502005,
  /** An SDK feature the local cloud does not build (yet); the message names it. */
  NOT_SUPPORTED: -501000,
} as const;

/** A failure reported the way wx-server-sdk reports it: `errCode` (number) and `errMsg` (also the message). */
export class CloudSdkError extends Error {
  override readonly name = 'CloudSdkError';
  constructor(
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(errMsg);
  }
}

/** Builds a CloudSdkError for `api` (e.g. "collection.add") in the cloud's "api:fail code reason" format. */
export function sdkError(api: string, errCode: number, reason: string): CloudSdkError {
  return new CloudSdkError(errCode, `${api}:fail ${errCode} ${reason}`);
}

/** Thrown by the store when a write would break a unique index; the SDK turns it into the cloud's E11000 error. */
export class DuplicateKeyError extends Error {
  override readonly name = 'DuplicateKeyError';
  constructor(
    readonly collection: string,
    readonly indexName: string,
    readonly keyDescription: string,
  ) {
    super(
      `E11000 duplicate key error collection: ${collection} index: ${indexName} dup key: ${keyDescription}`,
    );
  }
}

/** Thrown when a transaction's reads or writes were changed by another commit after it started. */
export class TransactionConflictError extends Error {
  override readonly name = 'TransactionConflictError';
  constructor(readonly documentKey: string) {
    super(
      `[ResourceUnavailable.TransactionConflict] transaction conflicts with another write on ${documentKey}`,
    );
  }
}

/** Thrown for operations on a collection that does not exist. */
export class CollectionNotFoundError extends Error {
  override readonly name = 'CollectionNotFoundError';
  constructor(readonly collection: string) {
    super(
      `database collection not exists. [ResourceNotFound] Db or Table not exist: ${collection} ` +
        '(declare it in data/collections.json or call db.createCollection)',
    );
  }
}

/** Thrown for bad input (documents, queries, updates) with a message saying what is wrong and where. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** Thrown when the store refuses to open or write because its files are not trustworthy. */
export class StoreIntegrityError extends Error {
  override readonly name = 'StoreIntegrityError';
}
