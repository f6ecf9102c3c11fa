// Test helpers shared by devcloud's suites: temp dirs that are always removed, and a database on a fresh store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionSpec } from '../db/collections-config';
import { Engine } from '../db/engine';
import { Store, type StoreOptions } from '../db/store';
import { Database, SERVER_MAX_LIMIT } from '../sdk/database';

/** Makes a fresh temp dir; call the returned cleanup in afterEach/afterAll. */
export function tempDir(prefix = 'devcloud-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A collection spec with no client access and the given unique indexes (field lists). */
export function spec(name: string, uniques: string[][] = []): CollectionSpec {
  return {
    name,
    permission: { read: false, write: false },
    indexes: uniques.map((fields, i) => ({
      name: `u${i}_${fields.join('_')}`,
      unique: true,
      fields: fields.map((field) => ({ field, order: 'asc' as const })),
    })),
  };
}

/** An open store + engine + admin database handle; `ops` counts metered round trips. */
export interface TestDb {
  store: Store;
  engine: Engine;
  db: Database;
  ops: string[];
  close(): Promise<void>;
}

/** Opens a store in `dir` and wraps it in an admin Database (throwOnNotFound as the cloud's default). */
export async function openTestDb(
  dir: string,
  collections: CollectionSpec[],
  extra: Partial<StoreOptions> & { throwOnNotFound?: boolean; now?: () => number } = {},
): Promise<TestDb> {
  const store = await Store.open({ dir, collections, ...extra });
  const engine = new Engine(store);
  const ops: string[] = [];
  const db = new Database({
    engine,
    meter: (op) => ops.push(op),
    now: extra.now ?? (() => Date.now()),
    throwOnNotFound: extra.throwOnNotFound ?? true,
    maxLimit: SERVER_MAX_LIMIT,
  });
  return { store, engine, db, ops, close: () => store.close() };
}
