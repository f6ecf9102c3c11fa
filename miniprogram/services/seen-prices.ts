// The cart view carries today's catalog price only. To tell the shopper that a price changed since they put the item
// in the cart, the phone remembers the price it showed at that moment (display only: checkout prices on the server).
const KEY = 'cart.seenPrices';

function read(): Record<string, number> {
  const v: unknown = wx.getStorageSync(KEY);
  return typeof v === 'object' && v !== null ? (v as Record<string, number>) : {};
}

/** The price the shopper saw for `skuId` when adding it (undefined if unknown). */
export function seenPrice(skuId: string): number | undefined {
  const p = read()[skuId];
  return typeof p === 'number' ? p : undefined;
}

/** Remembers what the shopper saw (on add, and when they acknowledge a new price). */
export function rememberPrice(skuId: string, priceFen: number): void {
  wx.setStorageSync(KEY, { ...read(), [skuId]: priceFen });
}
