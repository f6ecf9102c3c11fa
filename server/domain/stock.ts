import { DomainError, ErrorCodes } from './errors';

/** A number of items of one SKU to take from (reserve) or give back to (release) stock. */
export interface StockChange {
  readonly skuId: string;
  readonly quantity: number;
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
