// What an order line shows of its picture: the one kept when the order was priced, never the catalog's current one.
import { parseCatalog } from '../domain/catalog';
import { priceOrder, type PricedLine } from '../domain/pricing';
import { toOrderLineView } from './order-view';

function catalogWithTeaPicture(imageUrl: string | undefined) {
  return parseCatalog({
    products: [
      {
        productId: 'p-tea',
        title: '明前龙井',
        ...(imageUrl === undefined ? {} : { imageUrl }),
        skus: [{ skuId: 'tea-50g', spec: '50g', priceFen: 9900, stock: 80, onSale: true }],
      },
    ],
  });
}

describe('toOrderLineView', () => {
  it('shows the picture priced into the line, whatever the catalog says later', () => {
    const placed = priceOrder(catalogWithTeaPicture('https://img.example.com/tea-v1.jpg'), [
      { skuId: 'tea-50g', quantity: 2 },
    ]);
    // The stored order is what was priced; the catalog then changes its picture (or drops it).
    const stored: PricedLine[] = JSON.parse(JSON.stringify(placed.lines)) as PricedLine[];
    const repriced = priceOrder(catalogWithTeaPicture('https://img.example.com/tea-v2.jpg'), [
      { skuId: 'tea-50g', quantity: 2 },
    ]);
    expect(repriced.lines[0]?.imageUrl).toBe('https://img.example.com/tea-v2.jpg');
    expect(stored.map(toOrderLineView)).toEqual([
      expect.objectContaining({ skuId: 'tea-50g', imageUrl: 'https://img.example.com/tea-v1.jpg' }),
    ]);
  });

  it('shows no picture (null) for a line stored without one, or with something that is not a URL string', () => {
    const [line] = priceOrder(catalogWithTeaPicture(undefined), [{ skuId: 'tea-50g', quantity: 1 }]).lines;
    expect(line).toBeDefined();
    const old = { ...line! };
    expect(toOrderLineView(old).imageUrl).toBeNull();
    const corrupt = { ...line!, imageUrl: 42 } as unknown as PricedLine;
    expect(toOrderLineView(corrupt).imageUrl).toBeNull();
    expect(toOrderLineView({ ...line!, imageUrl: '' }).imageUrl).toBeNull();
  });
});
