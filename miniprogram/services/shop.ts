import type { ApiResult } from '../../typings/contracts/envelope';
import type { CartView, GoodsView } from '../../typings/contracts/shop';
import { callFunction } from './cloud';

/** The catalog with live stock. */
export function listGoods(): Promise<ApiResult<GoodsView[]>> {
  return callFunction<GoodsView[]>('shop', { action: 'listGoods' }, { retry: true });
}

export function getCart(): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'getCart' }, { retry: true });
}

/** Adds to the line: not repeated on a lost answer (a repeat would add twice); the caller re-reads the cart. */
export function addToCart(skuId: string, quantity: number): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'addToCart', skuId, quantity }, { retry: false });
}

export function setQuantity(skuId: string, quantity: number): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'setQuantity', skuId, quantity }, { retry: true });
}

export function removeFromCart(skuId: string): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'removeFromCart', skuId }, { retry: true });
}

export function selectLine(skuId: string, selected: boolean): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'select', skuId, selected }, { retry: true });
}

export function selectAll(selected: boolean): Promise<ApiResult<CartView>> {
  return callFunction<CartView>('shop', { action: 'selectAll', selected }, { retry: true });
}
