import { fixtureCatalog } from './catalog.fixture';
import { DomainError, ErrorCodes } from './errors';
import { priceOrder } from './pricing';
import { stockReservationPlan } from './stock';

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
});
