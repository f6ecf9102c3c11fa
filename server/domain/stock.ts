import { DomainError, ErrorCodes } from './errors';

/** A number of items of one SKU to take from (reserve) or give back to (release) stock. */
export interface StockChange {
  readonly skuId: string;
  readonly quantity: number;
}

/** A SKU whose available stock cannot cover a planned reservation. */
export interface StockShortage {
  readonly skuId: string;
  readonly requested: number;
  readonly available: number;
}

/**
 * The stock reservation plan for order lines: one entry per SKU (repeated SKUs merged), quantities > 0, sorted by
 * skuId so that every writer touches stock documents in the same order. The same plan, added back, releases it.
 * Throws ORDER.QUANTITY_INVALID for a quantity that is not an integer >= 1.
 */
export function stockReservationPlan(lines: readonly StockChange[]): StockChange[] {
  const totals = new Map<string, number>();
  for (const { skuId, quantity } of lines) {
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      throw new DomainError(
        ErrorCodes.ORDER_QUANTITY_INVALID,
        `stock quantity for ${skuId} must be an integer >= 1`,
        {
          skuId,
        },
      );
    }
    const total = (totals.get(skuId) ?? 0) + quantity;
    if (!Number.isSafeInteger(total)) {
      throw new DomainError(ErrorCodes.ORDER_QUANTITY_INVALID, `stock quantity for ${skuId} is too large`, {
        skuId,
      });
    }
    totals.set(skuId, total);
  }
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([skuId, quantity]) => ({ skuId, quantity }));
}

/**
 * The entries of `plan` that `available` (current stock per skuId; missing = 0) cannot cover, in plan order.
 * Empty means the whole plan can be reserved.
 */
export function stockShortages(
  plan: readonly StockChange[],
  available: ReadonlyMap<string, number>,
): StockShortage[] {
  const shortages: StockShortage[] = [];
  for (const { skuId, quantity } of plan) {
    const have = available.get(skuId) ?? 0;
    if (quantity > have) shortages.push({ skuId, requested: quantity, available: Math.max(0, have) });
  }
  return shortages;
}

/**
 * Stock after taking `plan` out of `available` (a new map; SKUs not in the plan are copied). Throws
 * ORDER.OUT_OF_STOCK naming the first shortage, so an in-memory store can never go below zero.
 */
export function applyReservation(
  available: ReadonlyMap<string, number>,
  plan: readonly StockChange[],
): Map<string, number> {
  const [first] = stockShortages(plan, available);
  if (first) {
    throw new DomainError(
      ErrorCodes.ORDER_OUT_OF_STOCK,
      `only ${first.available} of ${first.skuId} left, asked for ${first.requested}`,
      { ...first },
    );
  }
  const next = new Map(available);
  for (const { skuId, quantity } of plan) next.set(skuId, (next.get(skuId) ?? 0) - quantity);
  return next;
}

/** Stock after giving `plan` back (a new map): the inverse of applyReservation. */
export function applyRelease(
  available: ReadonlyMap<string, number>,
  plan: readonly StockChange[],
): Map<string, number> {
  const next = new Map(available);
  for (const { skuId, quantity } of plan) next.set(skuId, (next.get(skuId) ?? 0) + quantity);
  return next;
}
