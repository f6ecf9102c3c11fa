// Data migration: every order gets the `paymentKey` new orders are written with, so the unique index on it
// (`payment_key_unique`, data/collections.json) can be created on data from before it. Orders from then have no key,
// and the cloud has no sparse indexes: every missing key counts as null, and two nulls break a unique index.
//
// Run it BEFORE the index is created (after the functions that write the key are deployed), by hand: `npm run migrate`
// locally (the local stack also runs it at every start), in the cloud through a function's own `cloud.database()`
// (docs/MIGRATIONS.md). It only ever goes through the database port the functions use (CloudDb).
//
// Idempotent and resumable: an order already holding its key is not written again; each write is a compare-and-set on
// the order's version and current key, so an order that changed meanwhile (a payment) is read again, never clobbered;
// a run that died halfway is finished by running it again (from the start, or from the cursor a bounded run answered).
import type { CloudDb } from './cloud-db';
import { isDuplicateKeyError } from './cloud-db';
import { Collections, MAX_PAGE } from './collections';
import { paymentKeyFor } from './order.repository';

/** An order whose payment's key another order already holds: one transaction recorded on two orders. */
export interface PaymentKeyConflict {
  outTradeNo: string;
  transactionId: string;
  /** The order holding `tx:<transactionId>`. */
  heldBy: string;
}

/** What one run did. */
export interface PaymentKeyMigrationReport {
  /** Orders read. */
  examined: number;
  /** Orders given their key by this run (0 on a run after a finished one). */
  updated: number;
  /**
   * Orders whose transaction another order's key already names: kept as they are for a person (docs/MIGRATIONS.md),
   * with the marker key `conflict:<outTradeNo>` so that the index can exist. Reported by every run until resolved.
   */
  conflicts: PaymentKeyConflict[];
  /** Orders whose payment carries no transaction id: kept for a person with the marker key `unreadable:<outTradeNo>`. */
  unreadable: string[];
  /** Orders that kept changing under the run (three times): run it again. */
  retryLater: string[];
  /** Where a bounded run stopped (pass it as `after` to continue); null when the run reached the last order. */
  cursor: string | null;
  /**
   * True when this run started at the first order, reached the last, and left nothing for a person or another run:
   * the index can be created. A run continued from a cursor answers false; finish with one run from the start.
   */
  complete: boolean;
}

/** Options of {@link migrateOrderPaymentKeys}. */
export interface PaymentKeyMigrationOptions {
  /** Continue after this outTradeNo (a bounded run's `cursor`); from the first order when absent. */
  after?: string;
  /** Stop after reading this many orders (a function's time limit); all when absent. */
  maxOrders?: number;
}

const ATTEMPTS = 3;

type Target = { key: string; transactionId: string | null } | 'unreadable';

/** The key an order document must hold, by the derivation new orders are written with (paymentKeyFor). */
function targetOf(doc: Record<string, unknown>): Target {
  const payment = doc.payment;
  if (payment === undefined || payment === null) {
    return { key: paymentKeyFor({ outTradeNo: String(doc._id), payment: null }), transactionId: null };
  }
  const transactionId = (payment as { transactionId?: unknown }).transactionId;
  if (typeof payment !== 'object' || typeof transactionId !== 'string' || transactionId === '')
    return 'unreadable';
  return {
    key: paymentKeyFor({ outTradeNo: String(doc._id), payment: { transactionId } }),
    transactionId,
  };
}

const FIELDS = { _id: true, version: true, payment: true, paymentKey: true };

/** Gives every order its paymentKey; see the header comment. Never throws for one order's data. */
export async function migrateOrderPaymentKeys(
  db: CloudDb,
  opts: PaymentKeyMigrationOptions = {},
): Promise<PaymentKeyMigrationReport> {
  const _ = db.command;
  const orders = db.collection(Collections.orders);
  const report: PaymentKeyMigrationReport = {
    examined: 0,
    updated: 0,
    conflicts: [],
    unreadable: [],
    retryLater: [],
    cursor: null,
    complete: false,
  };
  const max = opts.maxOrders ?? Number.POSITIVE_INFINITY;
  let after = opts.after ?? '';

  /** The key `doc` gets here, and why it is not the derived one when it is not. */
  const plan = async (
    doc: Record<string, unknown>,
  ): Promise<{ key: string; conflict?: PaymentKeyConflict; unreadable?: true }> => {
    const id = String(doc._id);
    const target = targetOf(doc);
    if (target === 'unreadable') return { key: `unreadable:${id}`, unreadable: true };
    if (target.transactionId === null || doc.paymentKey === target.key) return { key: target.key };
    const { data } = await orders.where({ paymentKey: target.key }).field({ _id: true }).limit(1).get();
    const holder = data[0];
    if (holder === undefined || String(holder._id) === id) return { key: target.key };
    const conflict = { outTradeNo: id, transactionId: target.transactionId, heldBy: String(holder._id) };
    return { key: `conflict:${id}`, conflict };
  };

  /**
   * Writes `doc`'s key unless it already holds it (compare-and-set on its version and current key); reads the order
   * again when it changed under us. An order left for a person gets a marker key of its own, so that the index can
   * still exist: `conflict:<outTradeNo>` (its transaction is another order's key) or `unreadable:<outTradeNo>`.
   */
  const migrate = async (first: Record<string, unknown>): Promise<void> => {
    let doc: Record<string, unknown> | undefined = first;
    for (let attempt = 0; attempt < ATTEMPTS && doc !== undefined; attempt++) {
      const id = String(doc._id);
      const p = await plan(doc);
      const settle = () => {
        if (p.conflict) report.conflicts.push(p.conflict);
        if (p.unreadable) report.unreadable.push(id);
      };
      if (doc.paymentKey === p.key) return settle();
      try {
        const { stats } = await orders
          .where({
            _id: id,
            version: typeof doc.version === 'number' ? doc.version : _.exists(false),
            paymentKey: doc.paymentKey === undefined ? _.exists(false) : doc.paymentKey,
          })
          .update({ data: { paymentKey: p.key } });
        if (stats.updated === 1) {
          report.updated++;
          return settle();
        }
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        // The index exists already and another order took the key meanwhile: the next run marks this one.
        report.retryLater.push(id);
        return;
      }
      // Changed since it was read (or gone): read it again.
      const again: { data: Record<string, unknown>[] } = await orders
        .where({ _id: id })
        .field(FIELDS)
        .limit(1)
        .get();
      doc = again.data[0];
    }
    if (doc !== undefined) report.retryLater.push(String(doc._id));
  };

  for (;;) {
    const room = Math.min(MAX_PAGE, max - report.examined);
    if (room <= 0) {
      report.cursor = after;
      break;
    }
    const { data } = await orders
      .where({ _id: _.gt(after) })
      .orderBy('_id', 'asc')
      .field(FIELDS)
      .limit(room)
      .get();
    for (const doc of data) {
      report.examined++;
      await migrate(doc);
      after = String(doc._id);
    }
    if (data.length < room) break;
  }
  report.complete =
    report.cursor === null &&
    opts.after === undefined &&
    report.conflicts.length === 0 &&
    report.unreadable.length === 0 &&
    report.retryLater.length === 0;
  return report;
}

/** One line for a log or a terminal: counts and the orders that need a person (ids only, no payment data beyond). */
export function describePaymentKeyReport(r: PaymentKeyMigrationReport): string {
  const parts = [`examined ${r.examined} orders`, `gave ${r.updated} their paymentKey`];
  if (r.conflicts.length > 0)
    parts.push(
      `${r.conflicts.length} share a payment with another order (${r.conflicts
        .map((c) => `${c.outTradeNo} and ${c.heldBy}: tx ${c.transactionId}`)
        .join('; ')})`,
    );
  if (r.unreadable.length > 0)
    parts.push(`${r.unreadable.length} have a payment without transactionId (${r.unreadable.join(', ')})`);
  if (r.conflicts.length + r.unreadable.length > 0) parts.push('left for a person: see docs/MIGRATIONS.md');
  if (r.retryLater.length > 0) parts.push(`${r.retryLater.length} kept changing, run again`);
  if (r.cursor !== null) parts.push(`stopped after ${r.cursor}: continue with after=${r.cursor}`);
  return parts.join('; ');
}
