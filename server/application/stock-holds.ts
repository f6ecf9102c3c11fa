// The stock holds every order creation takes (docs/adr/0007), one copy for the mini program checkout and the counter /
// web orders (docs/adr/0012): one pinned conditional decrement per SKU, given back on a refusal, a concurrent twin's
// order found by its key, and a placement that took too long refused before its order is written (the sweep would by
// then count its holds as orphans).
import { findSku } from '../domain/catalog';
import type { Catalog } from '../domain/catalog';
import { DomainError, ErrorCodes } from '../domain/errors';
import type { StockChange } from '../domain/stock';
import type { CoreDeps } from './core.deps';
import { AppErrorCodes } from './errors';
import type { OrderRecord } from './order.model';

/**
 * How long a placement may take from its first read to its insert. A slower one gives its holds back and fails
 * instead of inserting: the sweep treats holds without an order as orphans only after ORPHAN_HOLD_AFTER_MS, far later.
 */
export const MAX_PLACEMENT_MS = 60_000;
/** A hold whose order does not exist this long after it was taken is an orphan of a crashed checkout (docs/adr/0007). */
export const ORPHAN_HOLD_AFTER_MS = 10 * 60_000;
/** How long a concurrent twin of a placement (same client key) waits for its sibling's order to appear. */
const TWIN_WAIT_MS = 3_000;
const TWIN_POLL_MS = 50;

/** What taking the holds of an order came to. */
export type Reservation =
  | { kind: 'held' }
  /** The catalog the order was priced from is not the stored one any more: price again from a fresh load. */
  | { kind: 'stale' }
  | { kind: 'short'; skuId: string; available: number; twinInFlight: boolean };

type HoldDeps = Pick<CoreDeps, 'stock' | 'log'>;

/**
 * Takes the order's holds, one pinned conditional decrement per line (priced as `catalog` says). A refused line gives
 * back what was held: 'stale' when the SKU's terms changed (price again), 'short' when its stock is not there.
 */
export async function reserveStock(
  d: HoldDeps,
  order: Pick<OrderRecord, 'outTradeNo' | 'openid' | 'clientRequestKey' | 'createdAtMs'>,
  plan: readonly StockChange[],
  catalog: Catalog,
): Promise<Reservation> {
  const owner = { openid: order.openid, clientRequestKey: order.clientRequestKey };
  const held: StockChange[] = [];
  for (const line of plan) {
    const sku = findSku(catalog, line.skuId);
    if (!sku) return { kind: 'stale' };
    const pin = {
      skuId: line.skuId,
      quantity: line.quantity,
      priceFen: sku.priceFen,
      maxPerOrder: sku.maxPerOrder ?? null,
    };
    let taken: boolean;
    try {
      taken = await d.stock.hold(order.outTradeNo, pin, owner, order.createdAtMs);
    } catch (e) {
      // The decrement may have landed with its answer lost: the give-back is conditional on the hold, so returning
      // this line too is safe either way (and the order is never inserted, so nothing else owns that stock).
      await releaseHolds(d, order.outTradeNo, [...held, line]);
      throw e;
    }
    if (taken) {
      held.push(line);
      continue;
    }
    await releaseHolds(d, order.outTradeNo, held);
    const current = await d.stock.read(line.skuId);
    const sameTerms =
      current !== null &&
      current.onSale &&
      current.priceFen === pin.priceFen &&
      current.maxPerOrder === pin.maxPerOrder;
    if (!sameTerms || current.stock >= line.quantity) return { kind: 'stale' };
    const twinInFlight = current.holds.some(
      (h) => h.owner.openid === owner.openid && h.owner.clientRequestKey === owner.clientRequestKey,
    );
    return { kind: 'short', skuId: line.skuId, available: Math.max(0, current.stock), twinInFlight };
  }
  return { kind: 'held' };
}

/** Gives holds back (each exactly once); a failure is left to the sweep, which finds the orphan holds. */
export async function releaseHolds(
  d: HoldDeps,
  holdId: string,
  lines: readonly StockChange[],
): Promise<void> {
  for (const { skuId, quantity } of lines) {
    try {
      await d.stock.releaseHold(holdId, skuId, quantity);
    } catch (e) {
      d.log.error('stock.release_failed', { holdId, skuId, error: e });
    }
  }
}

/** The order of a concurrent twin placement (same owner and key), waiting briefly while its holds show it in flight. */
export async function twinsOrder(
  d: Pick<CoreDeps, 'orders'>,
  owner: string,
  clientRequestKey: string,
  inFlight: boolean,
): Promise<OrderRecord | null> {
  const polls = inFlight ? TWIN_WAIT_MS / TWIN_POLL_MS : 0;
  for (let i = 0; ; i++) {
    const first = await d.orders.findByClientKey(owner, clientRequestKey);
    if (first || i >= polls) return first;
    await new Promise((resolve) => setTimeout(resolve, TWIN_POLL_MS));
  }
}

/** ORDER.OUT_OF_STOCK for a short reservation, naming the SKU and what is left. */
export function outOfStock(r: { skuId: string; available: number }): DomainError {
  return new DomainError(
    ErrorCodes.ORDER_OUT_OF_STOCK,
    r.available === 0 ? `${r.skuId} is sold out` : `only ${r.available} left of ${r.skuId}`,
    { skuId: r.skuId, available: r.available },
  );
}

/** Refuses a placement that took longer than MAX_PLACEMENT_MS since `startedAtMs`, giving its holds back first. */
async function assertPlacedInTime(
  d: HoldDeps & Pick<CoreDeps, 'clock'>,
  holdId: string,
  plan: readonly StockChange[],
  startedAtMs: number,
): Promise<void> {
  if (d.clock.now() - startedAtMs <= MAX_PLACEMENT_MS) return;
  await releaseHolds(d, holdId, plan);
  throw new DomainError(AppErrorCodes.ORDER_BUSY, 'placing the order took too long, please retry');
}

/** What writing a placement's order came to: written (its holds are the order's now), or the first order of its key. */
export type Written = { kind: 'written' } | { kind: 'twin'; first: OrderRecord };

/**
 * Writes the order of a placement whose holds are taken. Refused (holds given back) when the placement took longer
 * than MAX_PLACEMENT_MS; on a duplicate request key the holds go back and the first order of that key is the answer.
 * Once written, the holds belong to the order, and the stock store forgets them in its next decrement of those SKUs.
 */
export async function writePlacedOrder(
  d: HoldDeps & Pick<CoreDeps, 'clock' | 'orders'>,
  order: OrderRecord,
  plan: readonly StockChange[],
  startedAtMs: number,
): Promise<Written> {
  await assertPlacedInTime(d, order.outTradeNo, plan, startedAtMs);
  if ((await d.orders.insert(order)) === 'duplicate') {
    await releaseHolds(d, order.outTradeNo, plan);
    const first = await d.orders.findByClientKey(order.openid, order.clientRequestKey);
    if (first) return { kind: 'twin', first };
    throw new DomainError(AppErrorCodes.ORDER_NOT_FOUND, 'the order for this request could not be read back');
  }
  d.stock.orderWritten(
    order.outTradeNo,
    plan.map((l) => l.skuId),
  );
  return { kind: 'written' };
}
