import type { Catalog, Sku } from './catalog';
import { findSku } from './catalog';
import { DomainError } from './errors';

/** Most items of one SKU in one cart line or order line, whatever the SKU allows. */
export const MAX_QUANTITY_PER_LINE = 99;
/** Most distinct SKUs in one cart or one order. */
export const MAX_CART_LINES = 50;

/** The codes a caller answers with for each way a purchase of one SKU can be refused. */
export interface PurchaseCodes {
  readonly quantityInvalid: string;
  readonly quantityLimit: string;
  readonly unknownSku: string;
  readonly offSale: string;
  readonly outOfStock: string;
}

/** The most items of `sku` one line may hold before stock is considered: min(99, maxPerOrder). */
export function lineLimitFor(sku: Sku): number {
  return Math.min(MAX_QUANTITY_PER_LINE, sku.maxPerOrder ?? MAX_QUANTITY_PER_LINE);
}

/** The per-order limit the shop set for `sku` when it binds (below the general cap); null when it set none. */
export function shopLimitFor(sku: Sku): number | null {
  return sku.maxPerOrder !== undefined && sku.maxPerOrder < MAX_QUANTITY_PER_LINE ? sku.maxPerOrder : null;
}

/** Throws `codes.quantityInvalid` unless `quantity` is an integer >= 1. */
export function assertQuantity(
  quantity: unknown,
  codes: PurchaseCodes,
  skuId: string,
): asserts quantity is number {
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) {
    throw new DomainError(codes.quantityInvalid, `quantity of ${shown(skuId)} must be a whole number >= 1`, {
      skuId: shown(skuId),
      quantity: typeof quantity === 'number' ? quantity : shown(String(quantity)),
    });
  }
}

/**
 * Checks that `quantity` items of `skuId` may be bought now: a positive integer, a known SKU that is on sale,
 * within the line limit and within stock (checked in that order). Returns the SKU; throws with `codes` otherwise.
 */
export function checkPurchasable(
  catalog: Catalog,
  skuId: string,
  quantity: unknown,
  codes: PurchaseCodes,
): Sku {
  assertQuantity(quantity, codes, skuId);
  const sku = findSku(catalog, skuId);
  if (!sku) {
    throw new DomainError(codes.unknownSku, `no such product variant: ${shown(skuId)}`, {
      skuId: shown(skuId),
    });
  }
  if (!sku.onSale) throw new DomainError(codes.offSale, `${skuId} is not on sale`, { skuId });
  const limit = lineLimitFor(sku);
  if (quantity > limit) {
    const message = `at most ${limit} of ${skuId} per order, asked for ${quantity}`;
    throw new DomainError(codes.quantityLimit, message, { skuId, requested: quantity, max: limit });
  }
  if (quantity > sku.stock) {
    throw new DomainError(
      codes.outOfStock,
      sku.stock === 0 ? `${skuId} is sold out` : `only ${sku.stock} of ${skuId} left, asked for ${quantity}`,
      { skuId, requested: quantity, available: sku.stock },
    );
  }
  return sku;
}

/** `id` cut to at most 64 characters for messages and details (ids from clients may be any length). */
export function shown(id: string): string {
  return id.length > 64 ? `${id.slice(0, 64)}…` : id;
}
