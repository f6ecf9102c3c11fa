import type { CloudDb } from './cloud-db';

/**
 * Turns a patch into update data with the cloud's semantics in mind: a nested object in update() is merged field by
 * field (and cannot be written into a null field), so every object or array value is replaced whole with `_.set`.
 */
export function toUpdateData(db: CloudDb, patch: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    data[k] = v !== null && typeof v === 'object' ? db.command.set(v) : v;
  }
  return data;
}

/** A stored document as a record: `_id` renamed to `idField`. */
export function fromDoc<T>(doc: Record<string, unknown>, idField: string): T {
  const { _id, ...rest } = doc;
  return { ...rest, [idField]: _id } as T;
}

/** A record as a stored document: `idField` becomes `_id`. */
export function toDoc(record: object, idField: string): Record<string, unknown> {
  const { [idField]: id, ...rest } = record as Record<string, unknown>;
  return { _id: id, ...rest };
}

/** A value passed to transaction.rollback() to say why, so the caller can tell its own reasons from failures. */
export class RollbackReason extends Error {
  override readonly name = 'RollbackReason';
  constructor(
    readonly kind: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`transaction rolled back: ${kind}`);
  }
}

/** Unwraps the reason runTransaction rejected with (the SDK may reject with the reason itself or wrap it). */
export function rollbackReasonOf(e: unknown): RollbackReason | null {
  if (e instanceof RollbackReason) return e;
  if (typeof e === 'object' && e !== null) {
    for (const key of ['reason', 'cause']) {
      const inner = (e as Record<string, unknown>)[key];
      if (inner instanceof RollbackReason) return inner;
    }
  }
  return null;
}
