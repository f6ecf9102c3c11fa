import fc from 'fast-check';
import { fixtureCatalog } from './catalog.fixture';
import { DomainError, ErrorCodes } from './errors';
import { priceOrder } from './pricing';
import { applyRelease, applyReservation, stockReservationPlan, stockShortages } from './stock';

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

describe('stock helpers', () => {
  it('merges repeated SKUs and sorts by skuId for a stable lock order', () => {
    expect(
      stockReservationPlan([
        { skuId: 'b', quantity: 2 },
        { skuId: 'a', quantity: 1 },
        { skuId: 'b', quantity: 3 },
      ]),
    ).toEqual([
      { skuId: 'a', quantity: 1 },
      { skuId: 'b', quantity: 5 },
    ]);
  });

  it('builds a plan straight from priced lines', () => {
    const order = priceOrder(catalog, [
      { skuId: 'tea-gift', quantity: 2 },
      { skuId: 'few', quantity: 3 },
    ]);
    expect(stockReservationPlan(order.lines)).toEqual([
      { skuId: 'few', quantity: 3 },
      { skuId: 'tea-gift', quantity: 2 },
    ]);
  });

  it('refuses zero, negative and fractional quantities', () => {
    for (const quantity of [0, -1, 0.5]) {
      expect(refusal(() => stockReservationPlan([{ skuId: 'a', quantity }])).code).toBe(
        ErrorCodes.ORDER_QUANTITY_INVALID,
      );
    }
  });

  it('reports shortages, treating unknown SKUs as zero stock', () => {
    const plan = stockReservationPlan([
      { skuId: 'a', quantity: 2 },
      { skuId: 'b', quantity: 5 },
      { skuId: 'c', quantity: 1 },
    ]);
    const available = new Map([
      ['a', 2],
      ['b', 4],
    ]);
    expect(stockShortages(plan, available)).toEqual([
      { skuId: 'b', requested: 5, available: 4 },
      { skuId: 'c', requested: 1, available: 0 },
    ]);
    expect(refusal(() => applyReservation(available, plan)).code).toBe(ErrorCodes.ORDER_OUT_OF_STOCK);
    expect(available.get('a')).toBe(2);
  });

  it('reserve then release restores stock exactly, and stock never goes negative (property)', () => {
    const skus = ['a', 'b', 'c', 'd'];
    const stock = fc.tuple(...skus.map(() => fc.integer({ min: 0, max: 20 })));
    const lines = fc.array(
      fc.record({ skuId: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 10 }) }),
      {
        minLength: 1,
        maxLength: 8,
      },
    );
    fc.assert(
      fc.property(stock, lines, (levels, ls) => {
        const available = new Map(skus.map((s, i) => [s, levels[i]!] as [string, number]));
        const plan = stockReservationPlan(ls);
        const short = stockShortages(plan, available).length > 0;
        let reserved: Map<string, number>;
        try {
          reserved = applyReservation(available, plan);
        } catch {
          return short;
        }
        if (short) return false;
        if ([...reserved.values()].some((v) => v < 0)) return false;
        const restored = applyRelease(reserved, plan);
        return skus.every((s) => restored.get(s) === available.get(s));
      }),
    );
  });
});
