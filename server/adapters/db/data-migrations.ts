// The data migrations an operator runs in the cloud after deploying the functions (npm run deploy calls them through
// WeChat's HTTP API, tcb/invokecloudfunction; docs/MIGRATIONS.md). One bounded batch per call — an HTTP API invocation
// has 5 s — answered with a cursor to continue from; the caller repeats until a whole pass from the first order changes
// nothing. Only ids and counts leave the function, never order contents beyond the ids a person must look at.
import type { CloudDb } from './cloud-db';
import { migrateOrderPaymentKeys } from './payment-key.migration';

/** The migrations by id (scripts/deploy/migrations.ts lists the same ids, in order). */
export const DATA_MIGRATION_IDS = ['order-payment-keys'] as const;
export type DataMigrationId = (typeof DATA_MIGRATION_IDS)[number];

/** Orders one call reads by default, and at most (each may cost a query and a write: 5 s in all). */
export const MIGRATION_BATCH_DEFAULT = 100;
export const MIGRATION_BATCH_MAX = 500;

/** What one call asks: `{migration, after?, maxOrders?}`. */
export interface DataMigrationRequest {
  migration: DataMigrationId;
  after?: string;
  maxOrders?: number;
}

/** One batch's answer. */
export type DataMigrationAnswer =
  | {
      ok: true;
      migration: DataMigrationId;
      examined: number;
      updated: number;
      /** Ids left for a person (docs/MIGRATIONS.md): orders sharing a payment, payments without a transaction id. */
      needsPerson: string[];
      /** Ids that kept changing under the batch: the next pass reads them again. */
      retryLater: string[];
      /** Continue after this id; null when the batch reached the last order. */
      cursor: string | null;
    }
  | { ok: false; error: { code: 'MIGRATION.BAD_REQUEST'; message: string } };

/** True when `event` asks for a data migration (the only events an operator action takes). */
export function isDataMigrationEvent(event: unknown): event is { migration: unknown } {
  return typeof event === 'object' && event !== null && 'migration' in event;
}

function bad(message: string): DataMigrationAnswer {
  return { ok: false, error: { code: 'MIGRATION.BAD_REQUEST', message } };
}

/** Runs one batch of the migration `event` names. Throws only for database failures (the caller retries). */
export async function runDataMigration(
  db: CloudDb,
  event: Record<string, unknown>,
): Promise<DataMigrationAnswer> {
  const id = event['migration'];
  if (!(DATA_MIGRATION_IDS as readonly unknown[]).includes(id))
    return bad(`unknown migration ${JSON.stringify(id)}; known: ${DATA_MIGRATION_IDS.join(', ')}`);
  const after = event['after'];
  if (after !== undefined && (typeof after !== 'string' || after === ''))
    return bad('after must be an order id');
  const max = event['maxOrders'] ?? MIGRATION_BATCH_DEFAULT;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MIGRATION_BATCH_MAX)
    return bad(`maxOrders must be an integer from 1 to ${MIGRATION_BATCH_MAX}`);
  const r = await migrateOrderPaymentKeys(db, { maxOrders: max, ...(after === undefined ? {} : { after }) });
  return {
    ok: true,
    migration: 'order-payment-keys',
    examined: r.examined,
    updated: r.updated,
    needsPerson: [...r.conflicts.map((c) => c.outTradeNo), ...r.unreadable],
    retryLater: r.retryLater,
    cursor: r.cursor,
  };
}
