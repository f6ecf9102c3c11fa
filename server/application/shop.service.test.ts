// The cart page's view shows each line's picture as the catalog has it now.
import { addToCart, EMPTY_CART } from '../domain/cart';
import { parseCatalog } from '../domain/catalog';
import { cartView } from './shop.service';

function catalog(teaPicture: string | undefined) {
  return parseCatalog({
    products: [
      {
        productId: 'p-tea',
        title: '明前龙井',
        ...(teaPicture === undefined ? {} : { imageUrl: teaPicture }),
        skus: [{ skuId: 'tea-50g', spec: '50g', priceFen: 9900, stock: 80, onSale: true }],
      },
      {
        productId: 'p-misc',
        title: '杂货',
        skus: [{ skuId: 'few', spec: '小包', priceFen: 250, stock: 3, onSale: true }],
      },
    ],
  });
}

describe('cartView pictures', () => {
  const v1 = catalog('https://img.example.com/tea-v1.jpg');
  const cart = addToCart(addToCart(EMPTY_CART, v1, 'tea-50g', 1), v1, 'few', 1);

  it("carries the product's current picture, and null for a product without one", () => {
    expect(cartView(cart, v1).lines.map((l) => [l.skuId, l.imageUrl])).toEqual([
      ['tea-50g', 'https://img.example.com/tea-v1.jpg'],
      ['few', null],
    ]);
    const v2 = catalog('https://img.example.com/tea-v2.jpg');
    expect(cartView(cart, v2).lines[0]?.imageUrl).toBe('https://img.example.com/tea-v2.jpg');
  });

  it('shows no picture for a SKU the catalog no longer has', () => {
    const without = parseCatalog({
      products: [
        {
          productId: 'p-misc',
          title: '杂货',
          skus: [{ skuId: 'few', spec: '小包', priceFen: 250, stock: 3, onSale: true }],
        },
      ],
    });
    const tea = cartView(cart, without).lines.find((l) => l.skuId === 'tea-50g');
    expect(tea).toMatchObject({ problem: 'UNKNOWN_SKU', imageUrl: null });
  });
});
