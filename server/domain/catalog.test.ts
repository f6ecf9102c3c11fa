import { findProduct, findSku, parseCatalog } from './catalog';
import { DomainError, ErrorCodes } from './errors';

/** A small valid data-file value; tests copy it and break one thing at a time. */
function validFile(): { products: Record<string, unknown>[] } {
  return {
    products: [
      {
        productId: 'p-1',
        title: '测试商品',
        description: '一分钱测试',
        imageUrl: '/assets/goods/p-1.png',
        skus: [{ skuId: 's-1', spec: '默认', priceFen: 1, stock: 10, maxPerOrder: 1, onSale: true }],
      },
      {
        productId: 'p-2',
        title: '咖啡豆',
        skus: [
          { skuId: 's-2a', productId: 'p-2', spec: '250g', priceFen: 6800, stock: 0, onSale: true },
          { skuId: 's-2b', spec: '500g', priceFen: 12800, stock: 5, onSale: false },
        ],
      },
      {
        productId: 'p-3',
        title: 'T恤',
        skus: [{ skuId: 's-3', spec: 'L', priceFen: 7900, stock: 3, onSale: true }],
      },
    ],
  };
}

function invalid(value: unknown): DomainError {
  try {
    parseCatalog(value);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected parseCatalog to refuse the value');
}

function skuOf(file: { products: Record<string, unknown>[] }, p: number, s: number): Record<string, unknown> {
  return (file.products[p]!['skus'] as Record<string, unknown>[])[s]!;
}

describe('parseCatalog', () => {
  it('accepts a valid file and fills each SKU productId from its product', () => {
    const catalog = parseCatalog(validFile());
    expect(catalog.products.map((p) => p.productId)).toEqual(['p-1', 'p-2', 'p-3']);
    expect(findSku(catalog, 's-2b')).toEqual({
      skuId: 's-2b',
      productId: 'p-2',
      spec: '500g',
      priceFen: 12800,
      stock: 5,
      onSale: false,
    });
    expect(findSku(catalog, 's-1')?.maxPerOrder).toBe(1);
    expect(findProduct(catalog, 'p-1')?.imageUrl).toBe('/assets/goods/p-1.png');
    expect(findProduct(catalog, 'p-3')).not.toHaveProperty('description');
    expect(catalog.products.flatMap((p) => p.skus.map((s) => s.skuId))).toEqual([
      's-1',
      's-2a',
      's-2b',
      's-3',
    ]);
    expect(findSku(catalog, 'nope')).toBeUndefined();
    expect(findProduct(catalog, 'nope')).toBeUndefined();
  });

  it('accepts an empty shop', () => {
    expect(parseCatalog({ products: [] }).products).toEqual([]);
  });

  it('returns a deeply frozen value, detached from the input', () => {
    const file = validFile();
    const catalog = parseCatalog(file);
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.products)).toBe(true);
    expect(Object.isFrozen(catalog.products[0])).toBe(true);
    expect(Object.isFrozen(catalog.products[0]!.skus[0])).toBe(true);
    skuOf(file, 0, 0)['priceFen'] = 999;
    expect(findSku(catalog, 's-1')?.priceFen).toBe(1);
  });

  it.each<[string, (f: ReturnType<typeof validFile>) => void, string]>([
    [
      'price 0',
      (f) => (skuOf(f, 2, 0)['priceFen'] = 0),
      'products[2].skus[0].priceFen must be an integer of fen >= 1, got 0',
    ],
    [
      'fractional price',
      (f) => (skuOf(f, 1, 1)['priceFen'] = 12.5),
      'products[1].skus[1].priceFen must be an integer of fen >= 1',
    ],
    [
      'price as a yuan string',
      (f) => (skuOf(f, 0, 0)['priceFen'] = '0.01'),
      'products[0].skus[0].priceFen must be an integer of fen >= 1, got "0.01"',
    ],
    [
      'negative stock',
      (f) => (skuOf(f, 0, 0)['stock'] = -1),
      'products[0].skus[0].stock must be an integer count of items >= 0',
    ],
    [
      'fractional stock',
      (f) => (skuOf(f, 0, 0)['stock'] = 1.5),
      'products[0].skus[0].stock must be an integer',
    ],
    ['maxPerOrder 0', (f) => (skuOf(f, 0, 0)['maxPerOrder'] = 0), 'products[0].skus[0].maxPerOrder must be'],
    [
      'onSale missing',
      (f) => delete skuOf(f, 0, 0)['onSale'],
      'products[0].skus[0].onSale must be true or false',
    ],
    [
      'onSale as string',
      (f) => (skuOf(f, 0, 0)['onSale'] = 'yes'),
      'products[0].skus[0].onSale must be true or false',
    ],
    [
      'empty spec',
      (f) => (skuOf(f, 0, 0)['spec'] = ''),
      'products[0].skus[0].spec must be a non-empty string',
    ],
    [
      'padded title',
      (f) => (f.products[1]!['title'] = ' 咖啡 '),
      'products[1].title must be a non-empty string',
    ],
    [
      'long title',
      (f) => (f.products[1]!['title'] = '长'.repeat(61)),
      'products[1].title must be at most 60 characters',
    ],
    ['missing title', (f) => delete f.products[0]!['title'], 'products[0].title must be a non-empty string'],
    [
      'bad product id',
      (f) => (f.products[0]!['productId'] = 'p 1'),
      'products[0].productId must be 1-64 characters',
    ],
    [
      'bad sku id',
      (f) => (skuOf(f, 1, 0)['skuId'] = 'a/b'),
      'products[1].skus[0].skuId must be 1-64 characters',
    ],
    ['no SKUs', (f) => (f.products[2]!['skus'] = []), 'products[2].skus must be a non-empty array'],
    [
      'image over http',
      (f) => (f.products[0]!['imageUrl'] = 'http://x/y.png'),
      'products[0].imageUrl must start with',
    ],
    [
      'mismatching SKU productId',
      (f) => (skuOf(f, 1, 0)['productId'] = 'p-1'),
      `products[1].skus[0].productId must equal the enclosing product's productId`,
    ],
    [
      'a misspelt field',
      (f) => (skuOf(f, 2, 0)['pricefen'] = 100),
      'products[2].skus[0].pricefen is not a known field',
    ],
    [
      'a product that is not an object',
      (f) => (f.products[1] = [] as never),
      'products[1] must be an object, got an array',
    ],
  ])('refuses %s, naming the path', (_name, breakIt, message) => {
    const file = validFile();
    breakIt(file);
    const e = invalid(file);
    expect(e.code).toBe(ErrorCodes.CATALOG_INVALID);
    expect(e.message).toContain(message);
  });

  it('refuses duplicate skuIds across products, naming both places', () => {
    const file = validFile();
    skuOf(file, 2, 0)['skuId'] = 's-2a';
    const e = invalid(file);
    expect(e.code).toBe(ErrorCodes.CATALOG_INVALID);
    expect(e.message).toContain('products[2].skus[0].skuId duplicates products[1].skus[0].skuId ("s-2a")');
  });

  it('refuses duplicate skuIds within one product', () => {
    const file = validFile();
    skuOf(file, 1, 1)['skuId'] = 's-2a';
    expect(invalid(file).message).toContain('products[1].skus[1].skuId duplicates products[1].skus[0].skuId');
  });

  it('refuses duplicate productIds', () => {
    const file = validFile();
    file.products[2]!['productId'] = 'p-1';
    expect(invalid(file).message).toContain('products[2].productId duplicates products[0].productId ("p-1")');
  });

  it.each([null, 42, 'catalog', [], {}, { products: {} }])('refuses the root value %p', (value) => {
    expect(invalid(value).code).toBe(ErrorCodes.CATALOG_INVALID);
  });

  it('lists every issue in details and counts the rest in the message', () => {
    const file = validFile();
    skuOf(file, 0, 0)['priceFen'] = -5;
    skuOf(file, 2, 0)['stock'] = 'many';
    const e = invalid(file);
    expect(e.message).toMatch(/products\[0\]\.skus\[0\]\.priceFen .*\(and 1 more\)$/);
    expect(e.details?.['issues']).toEqual([
      'products[0].skus[0].priceFen must be an integer of fen >= 1, got -5',
      'products[2].skus[0].stock must be an integer count of items >= 0, got "many"',
    ]);
  });

  it('caps the reported issues at 20', () => {
    const products = Array.from({ length: 30 }, (_, i) => ({
      productId: `p${i}`,
      title: 't',
      skus: [{ skuId: `s${i}`, spec: 'x', priceFen: 0, stock: 1, onSale: true }],
    }));
    const e = invalid({ products });
    expect(e.message).toContain('(and 29 more)');
    expect(e.details?.['issues']).toHaveLength(20);
  });
});

describe('parseCatalog picture URLs', () => {
  const withImage = (url: string) => {
    const f = validFile();
    f.products[0]!['imageUrl'] = url;
    return f;
  };

  it('accepts https, cloud file IDs and package paths in a production catalog, never http', () => {
    for (const url of [
      'https://img.example.com/p-1.jpg',
      'cloud://env-1.abcd/goods/p-1.png',
      '/assets/p.png',
    ]) {
      expect(findProduct(parseCatalog(withImage(url)), 'p-1')?.imageUrl).toBe(url);
    }
    for (const url of [
      'http://127.0.0.1:7300/static/goods/p-1.svg',
      'http://192.168.1.20:7300/static/p.svg',
    ]) {
      expect(() => parseCatalog(withImage(url))).toThrow(/imageUrl must start with https:\/\/.*local stack/);
    }
  });

  it("accepts http only on loopback or private-network hosts for the local stack's seed", () => {
    const local = { localHttpImages: true };
    for (const url of [
      'http://127.0.0.1:7300/static/goods/p-1.svg',
      'http://localhost:7300/static/goods/p-1.svg',
      'http://192.168.1.20:7300/static/goods/p-1.svg',
      'http://10.0.0.5/static/p.svg',
      'http://172.20.1.2:7300/static/p.svg',
    ]) {
      expect(findProduct(parseCatalog(withImage(url), local), 'p-1')?.imageUrl).toBe(url);
    }
    for (const url of [
      'http://img.example.com/p-1.jpg',
      'http://8.8.8.8/p.png',
      'http://172.32.0.1/p.png',
      'http://127.0.0.1.example.com/p.png',
      'ftp://127.0.0.1/p.png',
    ]) {
      expect(() => parseCatalog(withImage(url), local)).toThrow(/products\[0\]\.imageUrl must start with/);
    }
  });
});
