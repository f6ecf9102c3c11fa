import fc from 'fast-check';
import { findSku, parseCatalog } from './catalog';
import { fixtureCatalog } from './catalog.fixture';
import { DomainError, ErrorCodes } from './errors';
import type { OrderLineRequest } from './pricing';
import type { Fen } from './money';
import {
  MAX_PAYMENT_DESCRIPTION_BYTES,
  MAX_TESTER_PAYABLE_FEN,
  TESTER_PAYABLE_FEN,
  paymentDescription,
  priceOrder,
} from './pricing';
import { MAX_CART_LINES } from './purchase-rules';

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

describe('priceOrder', () => {
  it('prices every line from the catalog and sums the total', () => {
    const order = priceOrder(catalog, [
      { skuId: 'tea-50g', quantity: 2 },
      { skuId: 'few', quantity: 3 },
    ]);
    expect(order.lines).toEqual([
      {
        skuId: 'tea-50g',
        productId: 'p-tea',
        title: '明前龙井',
        spec: '50g',
        unitPriceFen: 9900,
        quantity: 2,
        lineTotalFen: 19800,
        linePayableFen: 19800,
      },
      {
        skuId: 'few',
        productId: 'p-misc',
        title: '杂货',
        spec: '小包',
        unitPriceFen: 250,
        quantity: 3,
        lineTotalFen: 750,
        linePayableFen: 750,
      },
    ]);
    expect(order.totalFen).toBe(20550);
    expect(order.payableFen).toBe(20550);
    expect(order.isTestOrder).toBe(false);
  });

  it("keeps the product's picture on each line it prices, and none for a product without one", () => {
    const pictured = parseCatalog({
      products: [
        {
          productId: 'p-tea',
          title: '明前龙井',
          imageUrl: 'https://img.example.com/tea-v1.jpg',
          skus: [{ skuId: 'tea-50g', spec: '50g', priceFen: 9900, stock: 80, onSale: true }],
        },
        {
          productId: 'p-misc',
          title: '杂货',
          skus: [{ skuId: 'few', spec: '小包', priceFen: 250, stock: 3, onSale: true }],
        },
      ],
    });
    const order = priceOrder(pictured, [
      { skuId: 'tea-50g', quantity: 1 },
      { skuId: 'few', quantity: 1 },
    ]);
    expect(order.lines[0]?.imageUrl).toBe('https://img.example.com/tea-v1.jpg');
    expect(order.lines[1]).not.toHaveProperty('imageUrl');
    // A picture a client sends is ignored like its prices.
    const forged = [{ skuId: 'few', quantity: 1, imageUrl: 'https://evil.example.com/x.jpg' }];
    expect(priceOrder(pictured, forged).lines[0]).not.toHaveProperty('imageUrl');
  });

  it('ignores any price, total or discount a client puts on its lines', () => {
    const forged = [{ skuId: 'tea-gift', quantity: 1, unitPriceFen: 1, priceFen: 1, lineTotalFen: 1 }];
    const order = priceOrder(catalog, forged);
    expect(order.lines[0]?.unitPriceFen).toBe(18800);
    expect(order.totalFen).toBe(18800);
    expect(order.payableFen).toBe(18800);
  });

  it('charges a tester 1 fen while the total stays real, and spreads that fen over the lines', () => {
    const order = priceOrder(
      catalog,
      [
        { skuId: 'tea-50g', quantity: 1 },
        { skuId: 'tea-gift', quantity: 2 },
      ],
      { tester: true },
    );
    expect(order.totalFen).toBe(9900 + 2 * 18800);
    expect(order.payableFen).toBe(TESTER_PAYABLE_FEN);
    expect(order.payableFen).toBe(1);
    expect(order.isTestOrder).toBe(true);
    expect(order.lines.map((l) => l.linePayableFen)).toEqual([0, 1]);
    expect(order.lines.map((l) => l.lineTotalFen)).toEqual([9900, 37600]);
  });

  it('charges a tester the configured tester amount, never more than the real total', () => {
    const lines = [
      { skuId: 'tea-50g', quantity: 1 },
      { skuId: 'tea-gift', quantity: 2 },
    ];
    const order = priceOrder(catalog, lines, { tester: true, testerPayableFen: 250 as Fen });
    expect(order).toMatchObject({ totalFen: 9900 + 2 * 18800, payableFen: 250, isTestOrder: true });
    expect(order.lines.reduce((sum, l) => sum + l.linePayableFen, 0)).toBe(250);
    // A shopper who is not a tester pays the real total whatever the tester amount.
    expect(priceOrder(catalog, lines, { testerPayableFen: 250 as Fen }).payableFen).toBe(9900 + 2 * 18800);
    // A tester amount above the goods' value charges the value.
    const small = priceOrder(catalog, [{ skuId: 'tea-50g', quantity: 1 }], {
      tester: true,
      testerPayableFen: MAX_TESTER_PAYABLE_FEN,
    });
    expect(small.payableFen).toBe(9900);
    for (const bad of [0, -1, 1.5, MAX_TESTER_PAYABLE_FEN + 1]) {
      expect(() => priceOrder(catalog, lines, { tester: true, testerPayableFen: bad as Fen })).toThrow(
        DomainError,
      );
    }
  });

  it('only a literal true makes a tester order', () => {
    const truthy = { tester: 'yes' } as unknown as { tester: boolean };
    expect(priceOrder(catalog, [{ skuId: 'cheap', quantity: 1 }], truthy).isTestOrder).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['an empty order', [], ErrorCodes.ORDER_EMPTY],
    ['a non-array', { skuId: 'tea-50g', quantity: 1 }, ErrorCodes.ORDER_LINES_INVALID],
    ['a null line', [null], ErrorCodes.ORDER_LINES_INVALID],
    ['a line without skuId', [{ quantity: 1 }], ErrorCodes.ORDER_LINES_INVALID],
    ['a numeric skuId', [{ skuId: 7, quantity: 1 }], ErrorCodes.ORDER_LINES_INVALID],
    ['quantity 0', [{ skuId: 'tea-50g', quantity: 0 }], ErrorCodes.ORDER_QUANTITY_INVALID],
    ['a negative quantity', [{ skuId: 'tea-50g', quantity: -2 }], ErrorCodes.ORDER_QUANTITY_INVALID],
    ['a fractional quantity', [{ skuId: 'tea-50g', quantity: 1.5 }], ErrorCodes.ORDER_QUANTITY_INVALID],
    ['a string quantity', [{ skuId: 'tea-50g', quantity: '2' }], ErrorCodes.ORDER_QUANTITY_INVALID],
    ['an unknown SKU', [{ skuId: 'nope', quantity: 1 }], ErrorCodes.ORDER_UNKNOWN_SKU],
    ['an off-sale SKU', [{ skuId: 'offsale', quantity: 1 }], ErrorCodes.ORDER_SKU_OFF_SALE],
    ['a sold-out SKU', [{ skuId: 'soldout', quantity: 1 }], ErrorCodes.ORDER_OUT_OF_STOCK],
    ['more than the stock', [{ skuId: 'few', quantity: 4 }], ErrorCodes.ORDER_OUT_OF_STOCK],
    ['more than maxPerOrder', [{ skuId: 'tea-gift', quantity: 6 }], ErrorCodes.ORDER_QUANTITY_LIMIT],
    ['more than 99 in a line', [{ skuId: 'plenty', quantity: 100 }], ErrorCodes.ORDER_QUANTITY_LIMIT],
    [
      'the same SKU twice',
      [
        { skuId: 'few', quantity: 2 },
        { skuId: 'few', quantity: 2 },
      ],
      ErrorCodes.ORDER_DUPLICATE_LINE,
    ],
  ])('refuses %s', (_name, lines, code) => {
    expect(refusal(() => priceOrder(catalog, lines as OrderLineRequest[])).code).toBe(code);
  });

  it(`refuses more than ${MAX_CART_LINES} lines`, () => {
    const lines = Array.from({ length: MAX_CART_LINES + 1 }, (_, i) => ({ skuId: `s${i}`, quantity: 1 }));
    expect(refusal(() => priceOrder(catalog, lines)).code).toBe(ErrorCodes.ORDER_TOO_MANY_LINES);
  });

  it('always equals the catalog price × quantity, whatever the client sends (property)', () => {
    const buyable = ['tea-50g', 'tea-gift', 'cheap', 'plenty', 'few'];
    const lines = fc
      .uniqueArray(
        fc.record({
          skuId: fc.constantFrom(...buyable),
          quantity: fc.integer({ min: 1, max: 3 }),
          unitPriceFen: fc.integer(),
          totalFen: fc.integer(),
        }),
        { minLength: 1, maxLength: 5, selector: (l) => l.skuId },
      )
      .filter((ls) => ls.every((l) => l.skuId !== 'cheap' || l.quantity === 1));
    fc.assert(
      fc.property(lines, fc.boolean(), (ls, tester) => {
        const order = priceOrder(catalog, ls, { tester });
        const expected = ls.reduce((sum, l) => sum + findSku(catalog, l.skuId)!.priceFen * l.quantity, 0);
        const shares = order.lines.reduce((sum, l) => sum + l.linePayableFen, 0);
        return (
          order.totalFen === expected &&
          order.payableFen === (tester ? 1 : expected) &&
          shares === order.payableFen &&
          order.isTestOrder === tester
        );
      }),
    );
  });
});

describe('paymentDescription', () => {
  it('names the first item and counts the rest', () => {
    const one = priceOrder(catalog, [{ skuId: 'tea-50g', quantity: 1 }]);
    expect(paymentDescription(one)).toBe('明前龙井');
    const two = priceOrder(catalog, [
      { skuId: 'tea-50g', quantity: 1 },
      { skuId: 'few', quantity: 1 },
    ]);
    expect(paymentDescription(two)).toBe('明前龙井 等2件商品');
    const test = priceOrder(catalog, [{ skuId: 'cheap', quantity: 1 }], { tester: true });
    expect(paymentDescription(test)).toBe('[测试] 测试商品');
  });

  it(`never exceeds ${MAX_PAYMENT_DESCRIPTION_BYTES} UTF-8 bytes, cutting whole characters and keeping the count`, () => {
    const order = priceOrder(catalog, [
      { skuId: 'few', quantity: 1 },
      { skuId: 'tea-50g', quantity: 1 },
    ]);
    for (const title of ['𠀀'.repeat(200), '龙'.repeat(60), 'a'.repeat(200)]) {
      const long = { ...order, isTestOrder: true, lines: [{ ...order.lines[0]!, title }, order.lines[1]!] };
      const text = paymentDescription(long);
      const bytes = Buffer.byteLength(text, 'utf8');
      expect(bytes).toBeLessThanOrEqual(MAX_PAYMENT_DESCRIPTION_BYTES);
      // Nothing more of the title would have fitted.
      expect(bytes + Buffer.byteLength(Array.from(title)[0]!, 'utf8')).toBeGreaterThan(
        MAX_PAYMENT_DESCRIPTION_BYTES,
      );
      expect(text.startsWith('[测试] ')).toBe(true);
      expect(text.endsWith(' 等2件商品')).toBe(true);
      expect(text).not.toContain('\uFFFD');
    }
  });
  it('never cuts an emoji sequence in half at the byte limit (family, flag, skin tone)', () => {
    const order = priceOrder(catalog, [{ skuId: 'few', quantity: 1 }]);
    for (const emoji of ['👨‍👩‍👧', '🇨🇳', '✋🏽']) {
      // Pad so that the limit falls inside the emoji whatever its length.
      for (let pad = 100; pad < 127; pad++) {
        const title = `${'a'.repeat(pad)}${emoji}${emoji}`;
        const text = paymentDescription({ ...order, lines: [{ ...order.lines[0]!, title }] });
        expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_PAYMENT_DESCRIPTION_BYTES);
        const rest = text.slice(pad);
        expect(rest === '' || rest === emoji || rest === `${emoji}${emoji}`).toBe(true);
      }
    }
  });
});
