// Requests and answers of the `shop` cloud function (catalog and cart). Money is integer fen. Type-only.

/** One buyable variant as the goods list shows it. */
export interface GoodsSkuView {
  skuId: string;
  spec: string;
  priceFen: number;
  stock: number;
  /** Most of this SKU one order may hold (the per-line cap already applied). */
  maxQuantity: number;
  /** The shop's own per-order limit ("每单限购 N 件"); null when it set none (the general cap of 99 is not shown). */
  limitPerOrder: number | null;
  onSale: boolean;
}

/** One product in the goods list (listGoods leaves out off-sale SKUs and products with none on sale). */
export interface GoodsView {
  productId: string;
  title: string;
  description?: string;
  imageUrl?: string;
  /** The lowest price among SKUs on sale, in fen (for "from ¥x" display); null when nothing is on sale. */
  fromPriceFen: number | null;
  skus: GoodsSkuView[];
}

/** A cart line with what the page needs to show it; prices are the catalog's current ones. */
export interface CartLineView {
  skuId: string;
  productId: string | null;
  title: string;
  spec: string;
  /** The product's picture as the catalog has it now; null when it has none or the SKU is unknown. */
  imageUrl?: string | null;
  unitPriceFen: number;
  quantity: number;
  selected: boolean;
  /** Why the line cannot be checked out as it stands, if it cannot. */
  problem: 'UNKNOWN_SKU' | 'OFF_SALE' | 'OUT_OF_STOCK' | 'OVER_LIMIT' | null;
  /** How many of this SKU could be in the line now (stock and per-order caps applied; 0 = none). */
  maxQuantity: number;
}

/** The shopper's cart with a display preview of the selected total (checkout prices it again on the server). */
export interface CartView {
  lines: CartLineView[];
  selectedCount: number;
  selectedTotalFen: number;
}
