import type { Cart } from '../../domain/cart';

/** The order the cart's last checkout made: a repeated "place" with the same key answers it without a query. */
export interface LastOrder {
  clientRequestKey: string;
  outTradeNo: string;
}

/** A cart as stored, with the version used for compare-and-set saves. */
export interface StoredCart {
  cart: Cart;
  /** 0 when the shopper has no stored cart yet. */
  version: number;
  lastOrder?: LastOrder;
}

/** Persists one cart per shopper (keyed by OPENID). */
export interface CartStore {
  /** The shopper's cart, or an empty one at version 0. */
  load(openid: string): Promise<StoredCart>;
  /**
   * Saves `cart` only if the stored version is still `expectedVersion`; false when someone else saved first.
   * `lastOrder`, when given, replaces the recorded last checkout (otherwise it is kept).
   */
  save(openid: string, cart: Cart, expectedVersion: number, lastOrder?: LastOrder): Promise<boolean>;
}
