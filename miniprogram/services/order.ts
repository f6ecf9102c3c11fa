import type { ApiResult } from '../../typings/contracts/envelope';
import type {
  CheckoutLineRequest,
  CheckoutQuoteView,
  CheckoutView,
  OrderPhase,
  OrderView,
} from '../../typings/contracts/order';
import type { CartView } from '../../typings/contracts/shop';
import type { DeliveryRequest } from '../../typings/contracts/fulfilment';
import { call } from './cloud';
import { buildVersion } from './env-info';

/** Places the order from the cart's selected lines; the same key answers the same order (safe to repeat). */
export function placeOrder(
  clientRequestKey: string,
  delivery: DeliveryRequest,
): Promise<ApiResult<OrderView>> {
  return call('order', 'place', { clientRequestKey, delivery }, { retry: true });
}

/** What checkout would charge now for the cart's selected lines (the tester amount for a tester). */
export function quoteCheckout(): Promise<ApiResult<CheckoutQuoteView>> {
  return call('order', 'quote', {}, { retry: true });
}

/**
 * Places the order at the total the page showed and answers its payment parameters; ORDER.PRICE_CHANGED (details:
 * the new quote) when the server's total is another. The same key answers the same order (safe to repeat).
 */
export function checkout(
  clientRequestKey: string,
  lines: CheckoutLineRequest[],
  displayedPayableFen: number,
  delivery: DeliveryRequest,
  remark: string,
): Promise<ApiResult<CheckoutView>> {
  const envVersion = buildVersion();
  const fields = {
    clientRequestKey,
    lines,
    displayedPayableFen,
    delivery,
    ...(envVersion ? { envVersion } : {}),
  };
  // An empty remark is left out of the event rather than sent as ''.
  return call('order', 'checkout', remark === '' ? fields : { ...fields, remark }, { retry: true });
}

/**
 * After WeChat's confirm-receipt view: the server asks WeChat's order state and answers the order (RECEIVED only
 * when WeChat says confirmed). Safe to repeat.
 */
export function confirmReceipt(outTradeNo: string): Promise<ApiResult<OrderView>> {
  return call('order', 'confirmReceipt', { outTradeNo }, { retry: true });
}

export function getOrder(outTradeNo: string): Promise<ApiResult<OrderView>> {
  return call('order', 'get', { outTradeNo }, { retry: true });
}

/**
 * One page of the shopper's orders, newest first; `beforeMs` = the last createdAtMs of the previous page; `phase` =
 * only that phase's orders (the server filters).
 */
export function listMyOrders(
  limit: number,
  beforeMs?: number,
  phase?: OrderPhase,
): Promise<ApiResult<OrderView[]>> {
  // Absent fields are left out of the event rather than sent as undefined.
  return call(
    'order',
    'listMine',
    {
      limit,
      ...(beforeMs === undefined ? {} : { beforeMs }),
      ...(phase === undefined ? {} : { phase }),
    },
    { retry: true },
  );
}

/** The newest order that can still be paid, or null (also when the call fails: callers never block on it). */
export async function pendingPayableOrder(): Promise<OrderView | null> {
  const r = await listMyOrders(1, undefined, 'awaiting');
  const o = r.ok ? r.data[0] : undefined;
  return o && o.canPay ? o : null;
}

/** 再来一单: the order's lines back in the cart (selected, the other lines unselected); answers the cart. */
export function buyAgain(outTradeNo: string): Promise<ApiResult<CartView>> {
  // Copying the same lines twice leaves the same cart: safe to repeat.
  return call('order', 'again', { outTradeNo }, { retry: true });
}

/** Cancelling twice answers the same closed order (safe to repeat). */
export function cancelOrder(outTradeNo: string): Promise<ApiResult<OrderView>> {
  return call('order', 'cancel', { outTradeNo }, { retry: true });
}

/** A fresh key per checkout: 8–64 of [0-9A-Za-z_-] as `place` requires. */
export function newClientRequestKey(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let rand = '';
  for (let i = 0; i < 16; i++) rand += alphabet[Math.floor(Math.random() * alphabet.length)] ?? '0';
  return `ck-${Date.now().toString(36)}-${rand}`;
}
