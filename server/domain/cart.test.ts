import fc from 'fast-check';
import type { Cart } from './cart';
import {
  EMPTY_CART,
  MAX_CART_LINES,
  MAX_QUANTITY_PER_LINE,
  addToCart,
  clearCart,
  copyLinesBack,
  removeFromCart,
  removeSelected,
  reviewCart,
  selectedForCheckout,
  setAllSelected,
  setCartQuantity,
  setLineSelected,
} from './cart';
import { findSku, parseCatalog } from './catalog';
import { fixtureCatalog, wideCatalog } from './catalog.fixture';
import { DomainError, ErrorCodes, isDomainError } from './errors';

const catalog = fixtureCatalog();

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('addToCart', () => {
  it('adds a selected line and leaves the input cart untouched', () => {
    const cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 2);
    expect(cart.lines).toEqual([{ skuId: 'tea-50g', quantity: 2, selected: true }]);
    expect(EMPTY_CART.lines).toEqual([]);
    expect(Object.isFrozen(cart.lines[0])).toBe(true);
  });

  it('adds to an existing line instead of duplicating it, and reselects it', () => {
    let cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 2);
    cart = setLineSelected(cart, 'tea-50g', false);
    cart = addToCart(cart, catalog, 'tea-50g', 3);
    expect(cart.lines).toEqual([{ skuId: 'tea-50g', quantity: 5, selected: true }]);
  });

  it('keeps lines in the order they were first added', () => {
    let cart = addToCart(EMPTY_CART, catalog, 'few', 1);
    cart = addToCart(cart, catalog, 'tea-50g', 1);
    cart = addToCart(cart, catalog, 'few', 1);
    expect(cart.lines.map((l) => l.skuId)).toEqual(['few', 'tea-50g']);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses quantity %p with CART.QUANTITY_INVALID',
    (q) => {
      expect(refusal(() => addToCart(EMPTY_CART, catalog, 'tea-50g', q)).code).toBe(
        ErrorCodes.CART_QUANTITY_INVALID,
      );
    },
  );

  it('refuses a negative increment on an existing line as invalid, not as a decrease', () => {
    const cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 5);
    expect(refusal(() => addToCart(cart, catalog, 'tea-50g', -2)).code).toBe(
      ErrorCodes.CART_QUANTITY_INVALID,
    );
  });

  it('refuses unknown and off-sale SKUs', () => {
    const unknown = refusal(() => addToCart(EMPTY_CART, catalog, 'nope', 1));
    expect(unknown.code).toBe(ErrorCodes.CART_UNKNOWN_SKU);
    expect(unknown.details).toEqual({ skuId: 'nope' });
    expect(refusal(() => addToCart(EMPTY_CART, catalog, 'offsale', 1)).code).toBe(
      ErrorCodes.CART_SKU_OFF_SALE,
    );
  });

  it('cuts a huge client-supplied id in messages', () => {
    const e = refusal(() => addToCart(EMPTY_CART, catalog, 'x'.repeat(10_000), 1));
    expect(e.message.length).toBeLessThan(120);
  });

  it('refuses a sold-out SKU and quantities over stock, saying what is available', () => {
    expect(refusal(() => addToCart(EMPTY_CART, catalog, 'soldout', 1)).code).toBe(
      ErrorCodes.CART_OUT_OF_STOCK,
    );
    const e = refusal(() => addToCart(EMPTY_CART, catalog, 'few', 4));
    expect(e.code).toBe(ErrorCodes.CART_OUT_OF_STOCK);
    expect(e.details).toEqual({ skuId: 'few', requested: 4, available: 3 });
  });

  it('counts what is already in the line against stock', () => {
    const cart = addToCart(EMPTY_CART, catalog, 'few', 2);
    expect(addToCart(cart, catalog, 'few', 1).lines[0]?.quantity).toBe(3);
    expect(refusal(() => addToCart(cart, catalog, 'few', 2)).code).toBe(ErrorCodes.CART_OUT_OF_STOCK);
  });

  it('caps a line at MAX_QUANTITY_PER_LINE and at the SKU maxPerOrder', () => {
    const full = addToCart(EMPTY_CART, catalog, 'plenty', MAX_QUANTITY_PER_LINE);
    expect(full.lines[0]?.quantity).toBe(99);
    const over = refusal(() => addToCart(full, catalog, 'plenty', 1));
    expect(over.code).toBe(ErrorCodes.CART_QUANTITY_LIMIT);
    expect(over.details).toEqual({ skuId: 'plenty', requested: 100, max: 99 });
    expect(refusal(() => addToCart(EMPTY_CART, catalog, 'tea-gift', 6)).code).toBe(
      ErrorCodes.CART_QUANTITY_LIMIT,
    );
    expect(addToCart(EMPTY_CART, catalog, 'tea-gift', 5).lines[0]?.quantity).toBe(5);
    const oneFen = addToCart(EMPTY_CART, catalog, 'cheap', 1);
    expect(refusal(() => addToCart(oneFen, catalog, 'cheap', 1)).code).toBe(ErrorCodes.CART_QUANTITY_LIMIT);
  });

  it(`refuses a line beyond MAX_CART_LINES (${MAX_CART_LINES}) but still grows existing lines`, () => {
    const wide = wideCatalog(MAX_CART_LINES + 1);
    let cart = EMPTY_CART;
    for (let i = 0; i < MAX_CART_LINES; i += 1) cart = addToCart(cart, wide, `sku-${i}`, 1);
    expect(cart.lines).toHaveLength(MAX_CART_LINES);
    expect(refusal(() => addToCart(cart, wide, `sku-${MAX_CART_LINES}`, 1)).code).toBe(
      ErrorCodes.CART_TOO_MANY_LINES,
    );
    expect(addToCart(cart, wide, 'sku-0', 1).lines[0]?.quantity).toBe(2);
  });
});

describe('setCartQuantity', () => {
  const cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 2);

  it('sets the quantity of an existing line and keeps its selection', () => {
    const unselected = setLineSelected(cart, 'tea-50g', false);
    expect(setCartQuantity(unselected, catalog, 'tea-50g', 7).lines).toEqual([
      { skuId: 'tea-50g', quantity: 7, selected: false },
    ]);
  });

  it('refuses a line that is not in the cart, zero, and anything over the caps', () => {
    expect(refusal(() => setCartQuantity(cart, catalog, 'few', 1)).code).toBe(ErrorCodes.CART_LINE_NOT_FOUND);
    expect(refusal(() => setCartQuantity(cart, catalog, 'tea-50g', 0)).code).toBe(
      ErrorCodes.CART_QUANTITY_INVALID,
    );
    expect(refusal(() => setCartQuantity(cart, catalog, 'tea-50g', 81)).code).toBe(
      ErrorCodes.CART_OUT_OF_STOCK,
    );
    expect(refusal(() => setCartQuantity(cart, catalog, 'tea-50g', 100)).code).toBe(
      ErrorCodes.CART_QUANTITY_LIMIT,
    );
  });
});

describe('remove, select, clear', () => {
  let cart: Cart = EMPTY_CART;
  beforeEach(() => {
    cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 1);
    cart = addToCart(cart, catalog, 'few', 2);
    cart = addToCart(cart, catalog, 'plenty', 3);
  });

  it('removes one line; removing an absent line returns the very same cart', () => {
    expect(removeFromCart(cart, 'few').lines.map((l) => l.skuId)).toEqual(['tea-50g', 'plenty']);
    expect(removeFromCart(cart, 'nope')).toBe(cart);
  });

  it('selects and unselects one line or all of them', () => {
    const one = setLineSelected(cart, 'few', false);
    expect(one.lines.map((l) => l.selected)).toEqual([true, false, true]);
    expect(setAllSelected(one, false).lines.every((l) => !l.selected)).toBe(true);
    expect(setAllSelected(setAllSelected(one, false), true).lines.every((l) => l.selected)).toBe(true);
    expect(refusal(() => setLineSelected(cart, 'nope', true)).code).toBe(ErrorCodes.CART_LINE_NOT_FOUND);
  });

  it('hands only selected lines to checkout, with no prices', () => {
    const picked = setLineSelected(cart, 'tea-50g', false);
    expect(selectedForCheckout(picked)).toEqual([
      { skuId: 'few', quantity: 2 },
      { skuId: 'plenty', quantity: 3 },
    ]);
    expect(removeSelected(picked).lines).toEqual([{ skuId: 'tea-50g', quantity: 1, selected: false }]);
  });

  it('clears everything', () => {
    expect(clearCart().lines).toEqual([]);
  });
});

describe('reviewCart', () => {
  it('flags lines the catalog no longer supports and says how many could be bought', () => {
    let cart = addToCart(EMPTY_CART, catalog, 'tea-50g', 10);
    cart = addToCart(cart, catalog, 'few', 3);
    cart = addToCart(cart, catalog, 'tea-gift', 5);
    cart = addToCart(cart, catalog, 'plenty', 1);
    const later = parseCatalog({
      products: [
        {
          productId: 'p-tea',
          title: '明前龙井',
          skus: [
            { skuId: 'tea-gift', spec: '礼盒', priceFen: 18800, stock: 15, maxPerOrder: 2, onSale: true },
          ],
        },
        {
          productId: 'p-misc',
          title: '杂货',
          skus: [
            { skuId: 'plenty', spec: '大包', priceFen: 100, stock: 100000, onSale: false },
            { skuId: 'few', spec: '小包', priceFen: 250, stock: 1, onSale: true },
          ],
        },
      ],
    });
    expect(reviewCart(cart, later)).toEqual([
      { skuId: 'tea-50g', problem: 'UNKNOWN_SKU', maxQuantity: 0 },
      { skuId: 'few', problem: 'OUT_OF_STOCK', maxQuantity: 1 },
      { skuId: 'tea-gift', problem: 'OVER_LIMIT', maxQuantity: 2 },
      { skuId: 'plenty', problem: 'OFF_SALE', maxQuantity: 0 },
    ]);
    expect(reviewCart(cart, catalog)).toEqual([]);
  });
});

describe('cart invariants (property)', () => {
  const skuIds = ['tea-50g', 'tea-gift', 'cheap', 'soldout', 'offsale', 'plenty', 'few', 'unknown'];
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      skuId: fc.constantFrom(...skuIds),
      q: fc.integer({ min: -3, max: 120 }),
    }),
    fc.record({
      kind: fc.constant('set' as const),
      skuId: fc.constantFrom(...skuIds),
      q: fc.integer({ min: -3, max: 120 }),
    }),
    fc.record({ kind: fc.constant('remove' as const), skuId: fc.constantFrom(...skuIds) }),
    fc.record({ kind: fc.constant('select' as const), skuId: fc.constantFrom(...skuIds), on: fc.boolean() }),
    fc.record({ kind: fc.constant('selectAll' as const), on: fc.boolean() }),
  );

  it('every reachable cart has unique, buyable lines within every cap; a refusal changes nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let cart = EMPTY_CART;
        for (const o of ops) {
          const before = JSON.stringify(cart);
          try {
            if (o.kind === 'add') cart = addToCart(cart, catalog, o.skuId, o.q);
            else if (o.kind === 'set') cart = setCartQuantity(cart, catalog, o.skuId, o.q);
            else if (o.kind === 'remove') cart = removeFromCart(cart, o.skuId);
            else if (o.kind === 'select') cart = setLineSelected(cart, o.skuId, o.on);
            else cart = setAllSelected(cart, o.on);
          } catch (e) {
            if (!isDomainError(e) || !e.code.startsWith('CART.')) throw e;
            if (JSON.stringify(cart) !== before) return false;
          }
          const ids = cart.lines.map((l) => l.skuId);
          if (new Set(ids).size !== ids.length || ids.length > MAX_CART_LINES) return false;
          for (const line of cart.lines) {
            const sku = findSku(catalog, line.skuId);
            if (!sku || !sku.onSale || !Number.isInteger(line.quantity) || line.quantity < 1) return false;
            if (line.quantity > sku.stock || line.quantity > (sku.maxPerOrder ?? 99) || line.quantity > 99) {
              return false;
            }
          }
          if (reviewCart(cart, catalog).length !== 0) return false;
        }
        return true;
      }),
    );
  });
});

describe('copyLinesBack (再来一单)', () => {
  it('copies the lines selected, unselects the rest, takes the ordered quantity for a line already there', () => {
    let cart = addToCart(EMPTY_CART, catalog, 'plenty', 4);
    cart = addToCart(cart, catalog, 'tea-50g', 9);
    const again = copyLinesBack(cart, catalog, [
      { skuId: 'tea-50g', quantity: 2 },
      { skuId: 'few', quantity: 1 },
    ]);
    expect(again.lines).toEqual([
      { skuId: 'plenty', quantity: 4, selected: false },
      { skuId: 'tea-50g', quantity: 2, selected: true },
      { skuId: 'few', quantity: 1, selected: true },
    ]);
    expect(reviewCart(again, catalog)).toEqual([]);
    expect(selectedForCheckout(again)).toEqual([
      { skuId: 'tea-50g', quantity: 2 },
      { skuId: 'few', quantity: 1 },
    ]);
  });

  it('cuts a quantity to what can be bought now (limit, stock) and merges repeated SKUs', () => {
    const again = copyLinesBack(EMPTY_CART, catalog, [
      { skuId: 'tea-gift', quantity: 4 },
      { skuId: 'tea-gift', quantity: 4 },
      { skuId: 'few', quantity: 7 },
    ]);
    expect(again.lines).toEqual([
      { skuId: 'tea-gift', quantity: 5, selected: true },
      { skuId: 'few', quantity: 3, selected: true },
    ]);
  });

  it('keeps what cannot be bought as an unselected line the cart reviews as a problem (失效)', () => {
    const again = copyLinesBack(EMPTY_CART, catalog, [
      { skuId: 'soldout', quantity: 2 },
      { skuId: 'offsale', quantity: 1 },
      { skuId: 'gone', quantity: 1 },
    ]);
    expect(again.lines.map((l) => [l.skuId, l.selected])).toEqual([
      ['soldout', false],
      ['offsale', false],
      ['gone', false],
    ]);
    expect(reviewCart(again, catalog).map((i) => [i.skuId, i.problem, i.maxQuantity])).toEqual([
      ['soldout', 'OUT_OF_STOCK', 0],
      ['offsale', 'OFF_SALE', 0],
      ['gone', 'UNKNOWN_SKU', 0],
    ]);
  });

  it('refuses with CART.TOO_MANY_LINES when the copied SKUs do not fit beside the other lines', () => {
    const wide = wideCatalog(MAX_CART_LINES + 1);
    let cart: Cart = EMPTY_CART;
    for (let i = 0; i < MAX_CART_LINES; i++) cart = addToCart(cart, wide, `sku-${i}`, 1);
    expect(copyLinesBack(cart, wide, [{ skuId: 'sku-3', quantity: 2 }]).lines).toHaveLength(MAX_CART_LINES);
    const e = refusal(() => copyLinesBack(cart, wide, [{ skuId: `sku-${MAX_CART_LINES}`, quantity: 1 }]));
    expect(e.code).toBe(ErrorCodes.CART_TOO_MANY_LINES);
  });
});
