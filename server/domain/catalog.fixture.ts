import type { Catalog } from './catalog';
import { parseCatalog } from './catalog';

/**
 * A small catalog for tests (not shipped data): one SKU of each kind a rule cares about. Prices in fen.
 * tea-50g 9900 ×80 · tea-gift 18800 ×15 max 5 · cheap 1 ×9999 max 1 · soldout 7900 ×0 · offsale 4590 ×40 (off sale)
 * · plenty 100 ×100000 · few 250 ×3.
 */
export function fixtureCatalog(): Catalog {
  return parseCatalog({
    products: [
      {
        productId: 'p-tea',
        title: '明前龙井',
        skus: [
          { skuId: 'tea-50g', spec: '50g', priceFen: 9900, stock: 80, onSale: true },
          { skuId: 'tea-gift', spec: '礼盒', priceFen: 18800, stock: 15, maxPerOrder: 5, onSale: true },
        ],
      },
      {
        productId: 'p-test',
        title: '测试商品',
        skus: [{ skuId: 'cheap', spec: '默认', priceFen: 1, stock: 9999, maxPerOrder: 1, onSale: true }],
      },
      {
        productId: 'p-shirt',
        title: 'T恤',
        skus: [{ skuId: 'soldout', spec: '黑色 / L', priceFen: 7900, stock: 0, onSale: true }],
      },
      {
        productId: 'p-cutlery',
        title: '餐具',
        skus: [{ skuId: 'offsale', spec: '套装', priceFen: 4590, stock: 40, onSale: false }],
      },
      {
        productId: 'p-misc',
        title: '杂货',
        skus: [
          { skuId: 'plenty', spec: '大包', priceFen: 100, stock: 100000, onSale: true },
          { skuId: 'few', spec: '小包', priceFen: 250, stock: 3, onSale: true },
        ],
      },
    ],
  });
}

/** A catalog of `count` plain on-sale SKUs named sku-0 … sku-(count-1), each 100 fen with stock 1000. */
export function wideCatalog(count: number): Catalog {
  return parseCatalog({
    products: Array.from({ length: count }, (_, i) => ({
      productId: `p-${i}`,
      title: `商品 ${i}`,
      skus: [{ skuId: `sku-${i}`, spec: '默认', priceFen: 100, stock: 1000, onSale: true }],
    })),
  });
}
