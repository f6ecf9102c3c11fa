// Local data as it was before the unique paymentKey index: the orders collection declared without
// `payment_key_unique`, and orders written without a `paymentKey` (or with null, as a hand edit leaves it). Written
// through the real local database, as the old code wrote them.
import { join } from 'node:path';
import { loadCollectionsConfig, type CollectionSpec } from '../../devcloud/db/collections-config';
import { Engine } from '../../devcloud/db/engine';
import { Store, type StoreOptions } from '../../devcloud/db/store';
import { Database, SERVER_MAX_LIMIT } from '../../devcloud/sdk/database';
import { settled } from '../../server/application/job-queue';
import type { PaymentRecord } from '../../server/application/order.model';
import { storedOrder } from '../../server/adapters/functions/core.testkit';
import type { Fen } from '../../server/domain/money';

const ROOT = join(__dirname, '..', '..');

/** data/collections.json as it was before the paymentKey index. */
export function collectionsBeforePaymentKey(): CollectionSpec[] {
  return loadCollectionsConfig(join(ROOT, 'data', 'collections.json')).collections.map((c) => ({
    ...c,
    indexes: c.indexes.filter((ix) => ix.name !== 'payment_key_unique'),
  }));
}

/** The local cloud's database directory of a stack data dir. */
export function cloudDbDir(dataDir: string): string {
  return join(dataDir, 'cloud', 'db');
}

/** Opens a stack data dir's database directly (admin handle), with the given declaration and store options. */
export async function openCloudDb(
  dataDir: string,
  collections: CollectionSpec[],
  extra: Partial<StoreOptions> = {},
): Promise<{ db: Database; close: () => Promise<void> }> {
  const store = await Store.open({ dir: cloudDbDir(dataDir), collections, ...extra });
  const db = new Database({
    engine: new Engine(store),
    meter: () => undefined,
    now: () => Date.now(),
    throwOnNotFound: true,
    maxLimit: SERVER_MAX_LIMIT,
  });
  return { db, close: () => store.close() };
}

/** What an old order holds: no paymentKey (or an explicit null), paid or not. */
export interface OldOrder {
  outTradeNo: string;
  openid: string;
  transactionId: string | null;
  paymentKey?: null;
}

/**
 * `count` old orders under `dataDir`: every third paid (transaction `4200…<i>`), every fifth with `paymentKey: null`,
 * the rest without the field; plus `extra` as given. Answers what was written.
 */
export async function writeOldOrders(
  dataDir: string,
  count: number,
  extra: OldOrder[] = [],
): Promise<OldOrder[]> {
  const t0 = Date.UTC(2026, 10, 1);
  const orders: OldOrder[] = [];
  for (let i = 0; i < count; i++) {
    const no = String(i).padStart(4, '0');
    orders.push({
      outTradeNo: `O20261101000000OLD${no}`,
      openid: `o-old-shopper-${i % 3}`,
      transactionId: i % 3 === 0 ? `42000000002026110100${no}` : null,
      ...(i % 5 === 0 ? { paymentKey: null } : {}),
    });
  }
  orders.push(...extra);
  const { db, close } = await openCloudDb(dataDir, collectionsBeforePaymentKey());
  try {
    for (const [i, o] of orders.entries()) {
      const at = t0 + i * 60_000;
      const payment: PaymentRecord | null =
        o.transactionId === null
          ? null
          : {
              transactionId: o.transactionId,
              paidFen: 1200 as Fen,
              successTimeMs: at + 30_000,
              source: 'notification',
              appliedAtMs: at + 31_000,
            };
      const { outTradeNo, ...rest } = storedOrder(o.outTradeNo, at, {
        openid: o.openid,
        payment,
        ...(payment ? { status: 'PAID', version: 2, closeJob: settled(null), syncJob: settled(null) } : {}),
      });
      await db.collection('orders').add({
        data: { _id: outTradeNo, ...rest, ...('paymentKey' in o ? { paymentKey: null } : {}) },
      });
    }
  } finally {
    await close();
  }
  return orders;
}

/** The key each order must end up with: `tx:<transaction_id>` when paid, `unpaid:<outTradeNo>` before (docs/API.md). */
export function expectedPaymentKey(o: OldOrder): string {
  return o.transactionId === null ? `unpaid:${o.outTradeNo}` : `tx:${o.transactionId}`;
}
