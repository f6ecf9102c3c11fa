import type { ActionTable } from '../runtime/handler';
import type { ShopService } from '../../application/shop.service';
import { cartChanges } from '../../application/shop.service';
import { requireBoolean, requireInteger, requireString } from '../../application/input';

/** What the `shop` function's actions need. */
export interface ShopDeps {
  shop: ShopService;
}

function shopper(openid: string | undefined): string {
  // The runtime refuses identity-less calls before any non-anonymous action runs.
  if (!openid) throw new Error('unreachable: no OPENID');
  return openid;
}

/** The `shop` function's actions (see docs/API.md). */
export const shopActions: ActionTable<'shop', ShopDeps> = {
  listGoods: (_input, _inv, d) => d.shop.listGoods(),
  getCart: (_input, inv, d) => d.shop.getCart(shopper(inv.openid)),
  addToCart: (input, inv, d) =>
    d.shop.changeCart(
      shopper(inv.openid),
      cartChanges.add(requireString(input, 'skuId', 64), requireInteger(input, 'quantity')),
    ),
  setQuantity: (input, inv, d) =>
    d.shop.changeCart(
      shopper(inv.openid),
      cartChanges.setQuantity(requireString(input, 'skuId', 64), requireInteger(input, 'quantity')),
    ),
  removeFromCart: (input, inv, d) =>
    d.shop.changeCart(shopper(inv.openid), cartChanges.remove(requireString(input, 'skuId', 64))),
  select: (input, inv, d) =>
    d.shop.changeCart(
      shopper(inv.openid),
      cartChanges.select(requireString(input, 'skuId', 64), requireBoolean(input, 'selected')),
    ),
  selectAll: (input, inv, d) =>
    d.shop.changeCart(shopper(inv.openid), cartChanges.selectAll(requireBoolean(input, 'selected'))),
  clearCart: (_input, inv, d) => d.shop.changeCart(shopper(inv.openid), cartChanges.clear()),
};
