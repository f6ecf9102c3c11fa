import type { ApiResult } from '../../typings/contracts/envelope';
import type { CartView, GoodsView } from '../../typings/contracts/shop';
import { call } from './cloud';

/** The catalog with live stock. */
export function listGoods(): Promise<ApiResult<GoodsView[]>> {
  return call('shop', 'listGoods', {}, { retry: true });
}

export function getCart(): Promise<ApiResult<CartView>> {
  return call('shop', 'getCart', {}, { retry: true });
}

/** Adds to the line: not repeated on a lost answer (a repeat would add twice); the caller re-reads the cart. */
export function addToCart(skuId: string, quantity: number): Promise<ApiResult<CartView>> {
  return call('shop', 'addToCart', { skuId, quantity }, { retry: false });
}

export function setQuantity(skuId: string, quantity: number): Promise<ApiResult<CartView>> {
  return call('shop', 'setQuantity', { skuId, quantity }, { retry: true });
}

export function removeFromCart(skuId: string): Promise<ApiResult<CartView>> {
  return call('shop', 'removeFromCart', { skuId }, { retry: true });
}

export function selectLine(skuId: string, selected: boolean): Promise<ApiResult<CartView>> {
  return call('shop', 'select', { skuId, selected }, { retry: true });
}

export function selectAll(selected: boolean): Promise<ApiResult<CartView>> {
  return call('shop', 'selectAll', { selected }, { retry: true });
}
