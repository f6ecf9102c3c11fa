import type { Cart } from '../domain/cart';
import {
  addToCart,
  clearCart,
  removeFromCart,
  reviewCart,
  setAllSelected,
  setCartQuantity,
  setLineSelected,
} from '../domain/cart';
import type { Catalog, Product, Sku } from '../domain/catalog';
import { findProduct, findSku } from '../domain/catalog';
import { DomainError } from '../domain/errors';
import { lineLimitFor, shopLimitFor } from '../domain/purchase-rules';
import type { CartLineView, CartView, GoodsView } from '../../typings/contracts/shop';
import { AppErrorCodes } from './errors';
import type { CartStore } from './ports/cart.port';
import type { CatalogReader } from './ports/catalog.port';

/** How often a cart change is retried when another change to the same cart won the compare-and-set. */
const CART_SAVE_ATTEMPTS = 5;
/**
 * How old the catalog behind a cart change may be. A cart is a wish list: its prices and stock are previews that
 * checkout decides again atomically, so a change costs the cart's read and write only (docs/API.md).
 */
export const CART_CATALOG_MAX_AGE_MS = 15_000;

/** A change to a cart, computed from the current cart and catalog (pure domain function). */
export type CartChange = (cart: Cart, catalog: Catalog) => Cart;

/** A product as the goods list shows it, with the SKUs given (listGoods gives the ones on sale; never empty). */
export function goodsView(p: Product, skus: readonly Sku[]): GoodsView {
  return {
    productId: p.productId,
    title: p.title,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.imageUrl !== undefined ? { imageUrl: p.imageUrl } : {}),
    fromPriceFen: Math.min(...skus.map((s) => s.priceFen)),
    skus: skus.map((s) => ({
      skuId: s.skuId,
      spec: s.spec,
      priceFen: s.priceFen,
      stock: s.stock,
      maxQuantity: Math.min(lineLimitFor(s), s.stock),
      limitPerOrder: shopLimitFor(s),
      onSale: s.onSale,
    })),
  };
}

/** Catalog listing and the shopper's cart. Every cart change is a compare-and-set on the cart's version. */
export class ShopService {
  constructor(
    private readonly catalog: CatalogReader,
    private readonly carts: CartStore,
  ) {}

  /**
   * The goods list with live stock, in catalog order. What the shop took off sale is not offered: off-sale SKUs are
   * left out, and so is a product with none left. A sold-out SKU stays (it is still the shop's, and comes back).
   */
  async listGoods(): Promise<GoodsView[]> {
    const catalog = await this.catalog.loadCatalog();
    return catalog.products.flatMap((p) => {
      const onSale = p.skus.filter((s) => s.onSale);
      return onSale.length === 0 ? [] : [goodsView(p, onSale)];
    });
  }

  /** The shopper's cart as the cart page shows it. */
  async getCart(openid: string): Promise<CartView> {
    const [stored, catalog] = await Promise.all([this.carts.load(openid), this.catalog.loadCatalog()]);
    return cartView(stored.cart, catalog);
  }

  /** Applies `change` to the shopper's cart; retried on a concurrent save, refused with CART.BUSY if it keeps losing. */
  async changeCart(openid: string, change: CartChange): Promise<CartView> {
    // The first cart read beside the catalog (cached on a warm instance; a fresh one fills it without a step of its own).
    const [catalog, first] = await Promise.all([
      this.catalog.cachedCatalog(CART_CATALOG_MAX_AGE_MS),
      this.carts.load(openid),
    ]);
    for (let attempt = 0; attempt < CART_SAVE_ATTEMPTS; attempt++) {
      const stored = attempt === 0 ? first : await this.carts.load(openid);
      const next = change(stored.cart, catalog);
      if (next === stored.cart) return cartView(next, catalog);
      if (await this.carts.save(openid, next, stored.version)) return cartView(next, catalog);
    }
    throw new DomainError(AppErrorCodes.CART_BUSY, 'the cart is being changed elsewhere, please retry');
  }
}

/** Cart changes the `shop` function offers, as pure functions of (cart, catalog). */
export const cartChanges = {
  add:
    (skuId: string, quantity: number): CartChange =>
    (cart, catalog) =>
      addToCart(cart, catalog, skuId, quantity),
  setQuantity:
    (skuId: string, quantity: number): CartChange =>
    (cart, catalog) =>
      setCartQuantity(cart, catalog, skuId, quantity),
  remove:
    (skuId: string): CartChange =>
    (cart) =>
      removeFromCart(cart, skuId),
  select:
    (skuId: string, selected: boolean): CartChange =>
    (cart) =>
      setLineSelected(cart, skuId, selected),
  selectAll:
    (selected: boolean): CartChange =>
    (cart) =>
      setAllSelected(cart, selected),
  clear: (): CartChange => (cart) => (cart.lines.length === 0 ? cart : clearCart()),
};

/** The cart page's view: current prices, problems and a display preview of the selected total. */
export function cartView(cart: Cart, catalog: Catalog): CartView {
  const issues = new Map(reviewCart(cart, catalog).map((i) => [i.skuId, i]));
  let selectedCount = 0;
  let selectedTotalFen = 0;
  const lines: CartLineView[] = cart.lines.map((line) => {
    const sku = findSku(catalog, line.skuId);
    const product = sku ? findProduct(catalog, sku.productId) : undefined;
    const issue = issues.get(line.skuId);
    if (line.selected && !issue && sku) {
      selectedCount += line.quantity;
      selectedTotalFen += sku.priceFen * line.quantity;
    }
    return {
      skuId: line.skuId,
      productId: sku?.productId ?? null,
      title: product?.title ?? '已下架商品',
      spec: sku?.spec ?? '',
      imageUrl: product?.imageUrl ?? null,
      unitPriceFen: sku?.priceFen ?? 0,
      quantity: line.quantity,
      selected: line.selected,
      problem: issue?.problem ?? null,
      maxQuantity: issue ? issue.maxQuantity : sku ? Math.min(lineLimitFor(sku), sku.stock) : 0,
    };
  });
  return { lines, selectedCount, selectedTotalFen };
}
