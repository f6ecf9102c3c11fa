import type { Catalog } from './catalog';
import { findSku } from './catalog';
import { DomainError, ErrorCodes } from './errors';
import type { PurchaseCodes } from './purchase-rules';
import {
  MAX_CART_LINES,
  MAX_QUANTITY_PER_LINE,
  assertQuantity,
  checkPurchasable,
  lineLimitFor,
  shown,
} from './purchase-rules';

// Re-exported so that callers find the cart limits where they use the cart.
export { MAX_CART_LINES, MAX_QUANTITY_PER_LINE };

/** One SKU in a shopper's cart: quantity is an integer 1..limit; only selected lines go to checkout. */
export interface CartLine {
  readonly skuId: string;
  readonly quantity: number;
  readonly selected: boolean;
}

/** A shopper's cart: at most MAX_CART_LINES lines, one per SKU, in the order they were first added. Immutable. */
export interface Cart {
  readonly lines: readonly CartLine[];
}

/** What checkout sends to pricing: a SKU and how many, never a price. */
export interface CartSelection {
  readonly skuId: string;
  readonly quantity: number;
}

/** The cart with nothing in it. */
export const EMPTY_CART: Cart = Object.freeze({ lines: Object.freeze([]) });

const CART_CODES: PurchaseCodes = {
  quantityInvalid: ErrorCodes.CART_QUANTITY_INVALID,
  quantityLimit: ErrorCodes.CART_QUANTITY_LIMIT,
  unknownSku: ErrorCodes.CART_UNKNOWN_SKU,
  offSale: ErrorCodes.CART_SKU_OFF_SALE,
  outOfStock: ErrorCodes.CART_OUT_OF_STOCK,
};

function makeCart(lines: readonly CartLine[]): Cart {
  return Object.freeze({ lines: Object.freeze(lines.map((l) => Object.freeze({ ...l }))) });
}

function lineIndex(cart: Cart, skuId: string): number {
  return cart.lines.findIndex((l) => l.skuId === skuId);
}

function lineNotFound(skuId: string): DomainError {
  return new DomainError(ErrorCodes.CART_LINE_NOT_FOUND, `the cart has no line for ${shown(skuId)}`, {
    skuId: shown(skuId),
  });
}

/**
 * Adds `quantity` items of `skuId` and selects the line; an existing line's quantity grows. Refuses with CART.*:
 * QUANTITY_INVALID, UNKNOWN_SKU, SKU_OFF_SALE, QUANTITY_LIMIT (line total over min(99, maxPerOrder)),
 * OUT_OF_STOCK (line total over stock), TOO_MANY_LINES (a SKU beyond MAX_CART_LINES).
 */
export function addToCart(cart: Cart, catalog: Catalog, skuId: string, quantity: number): Cart {
  // The increment itself must be a positive integer: "add -1" is a bad request, not a smaller total.
  assertQuantity(quantity, CART_CODES, skuId);
  const i = lineIndex(cart, skuId);
  const existing = cart.lines[i];
  if (existing) {
    checkPurchasable(catalog, skuId, existing.quantity + quantity, CART_CODES);
    return makeCart(
      cart.lines.map((l, j) => (j === i ? { skuId, quantity: l.quantity + quantity, selected: true } : l)),
    );
  }
  checkPurchasable(catalog, skuId, quantity, CART_CODES);
  if (cart.lines.length >= MAX_CART_LINES) {
    throw new DomainError(
      ErrorCodes.CART_TOO_MANY_LINES,
      `a cart holds at most ${MAX_CART_LINES} different items`,
      {
        max: MAX_CART_LINES,
      },
    );
  }
  return makeCart([...cart.lines, { skuId, quantity, selected: true }]);
}

/** Sets an existing line's quantity (>= 1; use removeFromCart for 0). Same CART.* refusals as addToCart, plus LINE_NOT_FOUND. */
export function setCartQuantity(cart: Cart, catalog: Catalog, skuId: string, quantity: number): Cart {
  const i = lineIndex(cart, skuId);
  if (i < 0) throw lineNotFound(skuId);
  checkPurchasable(catalog, skuId, quantity, CART_CODES);
  return makeCart(cart.lines.map((l, j) => (j === i ? { ...l, quantity } : l)));
}

/** Removes the line for `skuId`; removing an absent line returns the same cart (a double tap is not an error). */
export function removeFromCart(cart: Cart, skuId: string): Cart {
  return lineIndex(cart, skuId) < 0 ? cart : makeCart(cart.lines.filter((l) => l.skuId !== skuId));
}

/** Selects or unselects one line; CART.LINE_NOT_FOUND when the cart has no such line. */
export function setLineSelected(cart: Cart, skuId: string, selected: boolean): Cart {
  const i = lineIndex(cart, skuId);
  if (i < 0) throw lineNotFound(skuId);
  return makeCart(cart.lines.map((l, j) => (j === i ? { ...l, selected } : l)));
}

/** Selects or unselects every line. */
export function setAllSelected(cart: Cart, selected: boolean): Cart {
  return makeCart(cart.lines.map((l) => ({ ...l, selected })));
}

/** Empties the cart. */
export function clearCart(): Cart {
  return EMPTY_CART;
}

/** Drops the selected lines (what an order was just placed for) and keeps the rest. */
export function removeSelected(cart: Cart): Cart {
  return makeCart(cart.lines.filter((l) => !l.selected));
}

/** The selected lines as checkout input: skuId and quantity only, in cart order. */
export function selectedForCheckout(cart: Cart): CartSelection[] {
  return cart.lines.filter((l) => l.selected).map((l) => ({ skuId: l.skuId, quantity: l.quantity }));
}

/**
 * The cart after "buy again": `lines` (an order's SKUs and quantities) copied back at today's availability, selected,
 * and every other line unselected, so that checkout buys what was asked for again. A line already in the cart takes the
 * ordered quantity. A quantity above what can be bought now is cut to it (the line limit, the stock). A SKU that cannot
 * be bought at all (unknown, off sale, sold out) is still copied, unselected, with its ordered quantity (within the line
 * cap): {@link reviewCart} marks it, and the cart shows it as 失效. CART.TOO_MANY_LINES when the copied SKUs do not fit
 * beside the cart's other lines (nothing changed).
 */
export function copyLinesBack(cart: Cart, catalog: Catalog, lines: readonly CartSelection[]): Cart {
  const wanted = new Map<string, number>();
  for (const l of lines) wanted.set(l.skuId, (wanted.get(l.skuId) ?? 0) + l.quantity);
  let next = setAllSelected(cart, false);
  for (const [skuId, ordered] of wanted) {
    const sku = findSku(catalog, skuId);
    const buyable = sku && sku.onSale ? Math.min(lineLimitFor(sku), sku.stock) : 0;
    const quantity = Math.max(1, Math.min(ordered, buyable > 0 ? buyable : MAX_QUANTITY_PER_LINE));
    const line: CartLine = { skuId, quantity, selected: buyable > 0 };
    const i = lineIndex(next, skuId);
    if (i >= 0) {
      next = makeCart(next.lines.map((l, j) => (j === i ? line : l)));
      continue;
    }
    if (next.lines.length >= MAX_CART_LINES) {
      throw new DomainError(
        ErrorCodes.CART_TOO_MANY_LINES,
        `a cart holds at most ${MAX_CART_LINES} different items`,
        { max: MAX_CART_LINES },
      );
    }
    next = makeCart([...next.lines, line]);
  }
  return next;
}

/** Why a line that was fine when added can no longer be bought as it stands. */
export type CartLineProblem = 'UNKNOWN_SKU' | 'OFF_SALE' | 'OUT_OF_STOCK' | 'OVER_LIMIT';

/** One line's current problem; `maxQuantity` is how many could be bought now (0 = none). */
export interface CartLineIssue {
  readonly skuId: string;
  readonly problem: CartLineProblem;
  readonly maxQuantity: number;
}

/**
 * Re-checks every line against the current catalog (prices and stock move after items are added) without throwing,
 * so the cart page can mark lines and offer the largest quantity that still works.
 */
export function reviewCart(cart: Cart, catalog: Catalog): CartLineIssue[] {
  const issues: CartLineIssue[] = [];
  for (const line of cart.lines) {
    const sku = findSku(catalog, line.skuId);
    if (!sku) {
      issues.push({ skuId: line.skuId, problem: 'UNKNOWN_SKU', maxQuantity: 0 });
      continue;
    }
    if (!sku.onSale) {
      issues.push({ skuId: line.skuId, problem: 'OFF_SALE', maxQuantity: 0 });
      continue;
    }
    const limit = lineLimitFor(sku);
    const maxQuantity = Math.min(limit, sku.stock);
    if (line.quantity > limit) issues.push({ skuId: line.skuId, problem: 'OVER_LIMIT', maxQuantity });
    else if (line.quantity > sku.stock)
      issues.push({ skuId: line.skuId, problem: 'OUT_OF_STOCK', maxQuantity });
  }
  return issues;
}
