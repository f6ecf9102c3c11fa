// Compile-time test (checked by `npm run typecheck`, never imported or run): the mini program's `call` accepts exactly
// the contract's actions and fields and answers the contract's type. Each @ts-expect-error line is a refusal the
// compiler must keep making; if it stopped, the unused directive is itself the error.
import type { ApiResult } from '../../typings/contracts/envelope';
import type { OrderView, StartPaymentView } from '../../typings/contracts/order';
import type { CartView } from '../../typings/contracts/shop';
import { call } from './cloud';

function answers<T>(_answer: Promise<ApiResult<T>>): void {}

export function callContractChecks(): void {
  const once = { retry: false };
  answers<OrderView>(
    call('order', 'place', { clientRequestKey: 'ck-0000000000', delivery: { kind: 'virtual' } }, once),
  );
  answers<StartPaymentView>(call('pay', 'start', { outTradeNo: 'O1' }, once));
  answers<OrderView>(call('pay', 'demoPay', { outTradeNo: 'O1' }, once));
  answers<CartView>(call('shop', 'getCart', {}, once));

  // @ts-expect-error -- an action the `order` function does not have
  answers(call('order', 'refundEverything', {}, once));
  // @ts-expect-error -- a field order.get does not take
  answers(call('order', 'get', { outTradeNo: 'O1', openid: 'someone-else' }, once));
  // @ts-expect-error -- order.get without its outTradeNo
  answers(call('order', 'get', {}, once));
  // @ts-expect-error -- shop.getCart takes no fields
  answers(call('shop', 'getCart', { skuId: 'sku-1' }, once));
  // @ts-expect-error -- a price is never sent: addToCart takes skuId and quantity only
  answers(call('shop', 'addToCart', { skuId: 'sku-1', quantity: 1, priceFen: 1 }, once));
  // @ts-expect-error -- payNotify is not client-callable
  answers(call('payNotify', 'start', {}, once));
  // @ts-expect-error -- pay.start answers a StartPaymentView, not an OrderView
  answers<OrderView>(call('pay', 'start', { outTradeNo: 'O1' }, once));
  // @ts-expect-error -- retryAbnormal to the shopper's card needs the card fields
  answers(call('refund', 'retryAbnormal', { outRefundNo: 'R1', type: 'USER_BANK_CARD' }, once));
}
