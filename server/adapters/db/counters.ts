import { ORDER_STATES } from '../../domain/order-state';
import type { CloudDb } from './cloud-db';
import { Collections } from './collections';
import { fetchAll } from './query';

const REFUND_STATUSES = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'] as const;

/**
 * The shop's counters as staff see them. Money-path counts are derived from the orders and refunds themselves, so they
 * agree with them after any crash (a counter written beside a state change loses increments on kill -9, and costs a
 * round trip on every payment). The `metrics` collection keeps only counts of things that leave no document behind
 * (rejected notifications, mismatches, provider failures); a derived name wins over a stored one.
 *
 * Derived: orders.placed, payments.created (orders with a prepay), payments.succeeded (orders with a payment),
 * orders.status.<STATE> per order state, refunds.<status> per refund status.
 */
export async function readCounters(db: CloudDb): Promise<Record<string, number>> {
  const _ = db.command;
  const orders = db.collection(Collections.orders);
  const refunds = db.collection(Collections.refunds);
  const count = async (q: { count(): Promise<{ total: number }> }) => (await q.count()).total;
  const [stored, placed, created, succeeded, byState, byRefund] = await Promise.all([
    fetchAll(db.collection(Collections.metrics)),
    count(orders),
    count(orders.where({ prepay: _.neq(null) })),
    count(orders.where({ payment: _.neq(null) })),
    Promise.all(ORDER_STATES.map((s) => count(orders.where({ status: s })))),
    Promise.all(REFUND_STATUSES.map((s) => count(refunds.where({ status: s })))),
  ]);
  const out: Record<string, number> = {};
  for (const d of stored) if (typeof d.value === 'number') out[String(d._id)] = d.value;
  out['orders.placed'] = placed;
  out['payments.created'] = created;
  out['payments.succeeded'] = succeeded;
  ORDER_STATES.forEach((s, i) => (out[`orders.status.${s}`] = byState[i] ?? 0));
  REFUND_STATUSES.forEach((s, i) => (out[`refunds.${s.toLowerCase()}`] = byRefund[i] ?? 0));
  return out;
}
