import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from '../../server/domain/catalog';

describe('data/catalog.demo.json', () => {
  const catalog = parseCatalog(
    JSON.parse(readFileSync(join(__dirname, '../../data/catalog.demo.json'), 'utf8')),
  );
  const skus = catalog.products.flatMap((p) => p.skus);

  it('is a valid catalog with the demo cases the local stack relies on', () => {
    expect(catalog.products).toHaveLength(8);
    expect(skus.some((s) => s.priceFen === 1 && s.onSale && s.stock > 0)).toBe(true);
    expect(skus.some((s) => s.stock === 0)).toBe(true);
    expect(skus.some((s) => !s.onSale)).toBe(true);
  });
});
