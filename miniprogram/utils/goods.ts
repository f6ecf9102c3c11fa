import type { GoodsSkuView, GoodsView } from '../../typings/contracts/shop';
import { fenToYuanText } from './money';

/** One card of the goods list: only what the card shows. */
export interface GoodsCardVM {
  productId: string;
  title: string;
  imageUrl: string;
  priceText: string;
  /** "起" after the price when specs differ in price. */
  fromPrice: boolean;
  stockHint: string;
  soldOut: boolean;
}

/** "仅剩 3 件" below this. */
const LOW_STOCK = 10;

/** A SKU can be bought now. */
export function buyable(s: GoodsSkuView): boolean {
  return s.onSale && s.stock > 0 && s.maxQuantity > 0;
}

export function stockHint(stock: number, onSale = true): string {
  if (!onSale) return '已下架';
  if (stock <= 0) return '已售罄';
  if (stock <= LOW_STOCK) return `仅剩 ${stock} 件`;
  return '有货';
}

export function toGoodsCard(g: GoodsView): GoodsCardVM {
  const onSale = g.skus.filter((s) => s.onSale);
  const stock = onSale.reduce((n, s) => n + Math.max(0, s.stock), 0);
  const soldOut = !g.skus.some(buyable);
  const prices = new Set(onSale.map((s) => s.priceFen));
  return {
    productId: g.productId,
    title: g.title,
    imageUrl: g.imageUrl ?? '',
    priceText: g.fromPriceFen === null ? '--' : fenToYuanText(g.fromPriceFen),
    fromPrice: prices.size > 1,
    stockHint: onSale.length === 0 ? '已下架' : stockHint(stock),
    soldOut,
  };
}
