// The payment flow and WeChat Pay's official rule for the wx.requestPayment result (MINIPROGRAM-FACTS.md): the result
// is a hint, the server is the truth. cancel → ask the server once (a paid shopper can see cancel); ok or fail → ask
// the server, and after ok keep asking with backoff for a short while; never call an order paid from the hint.
import type { ApiError } from '../../typings/contracts/envelope';
import type { OrderView, StartPaymentView } from '../../typings/contracts/order';
import { clientEnv } from '../config/env';
import { sleep, timing } from '../utils/timing';
import { simulatedCashier, type PaymentHint } from './cashier';
import { call } from './cloud';
import { getOrder } from './order';
import { askForMessagesInCallback, prefetchMessageTemplates } from './subscribe';

/** Creates (or resumes: same outTradeNo, same parameters) the WeChat Pay order. Safe to repeat. */
export function startPayment(outTradeNo: string) {
  return call('pay', 'start', { outTradeNo }, { retry: true });
}

/** Asks WeChat through the server and applies a payment it reports. Safe to repeat. */
export function syncPayment(outTradeNo: string) {
  return call('pay', 'sync', { outTradeNo }, { retry: true });
}

/** How one payment attempt ended, as far as the server knows. */
export interface PayOutcome {
  /** What the payment sheet said (only a hint); `not-started` when pay.start was refused. */
  hint: 'ok' | 'cancel' | 'fail' | 'not-started';
  /** The sheet's failure text, for `fail`. */
  failDetail: string;
  /** The order as the server answered last (null if it could not be asked). */
  order: OrderView | null;
  /** The refusal or failure of the last call, if any. */
  error: ApiError | null;
  /** The sheet said ok but the server still has no payment after the confirmation window. */
  unconfirmed: boolean;
}

/** Hooks for the page while the flow runs. */
export interface PayHooks {
  /** The sheet closed with ok: the page shows "confirming" (never "paid"). */
  onConfirming?(): void;
}

/**
 * wx.requestPayment (cloud build) or the simulated cashier (local preview, demo provider). After a success or a failure
 * (not a cancel) the subscription prompt is asked for inside the callback, where WeChat allows it; nobody waits for it.
 */
async function requestPayment(start: StartPaymentView): Promise<PaymentHint> {
  if (clientEnv.transport === 'local' || start.simulated) {
    const hint = await simulatedCashier(
      { outTradeNo: start.outTradeNo, amountFen: start.payableFen, shopName: clientEnv.shopName },
      start.simulated,
    );
    if (hint.kind !== 'cancel') askForMessagesInCallback();
    return hint;
  }
  return new Promise((resolve) => {
    wx.requestPayment({
      ...start.requestPayment,
      success: () => {
        resolve({ kind: 'ok' });
        askForMessagesInCallback();
      },
      fail: (err: { errMsg: string }) => {
        const cancelled = /cancel/.test(err.errMsg);
        resolve(cancelled ? { kind: 'cancel' } : { kind: 'fail', detail: err.errMsg });
        if (!cancelled) askForMessagesInCallback();
      },
    });
  });
}

/** One ask: pay.sync, falling back to order.get when WeChat cannot be asked right now. */
async function askServer(outTradeNo: string): Promise<{ order: OrderView | null; error: ApiError | null }> {
  const synced = await syncPayment(outTradeNo);
  if (synced.ok) return { order: synced.data, error: null };
  const got = await getOrder(outTradeNo);
  return got.ok ? { order: got.data, error: synced.error } : { order: null, error: got.error };
}

/** Parameters order.checkout answered, waiting for the order page that opens the sheet. */
let handedOver: StartPaymentView | null = null;

/**
 * Keeps checkout's payment parameters for the next {@link payOrder} of that order: the order page then opens the sheet
 * without asking pay.start again (one function call from the confirm tap to the sheet).
 */
export function handOverPayment(start: StartPaymentView): void {
  handedOver = start;
}

/** Pays an existing order (first time or again: always the same outTradeNo; never a new order). */
export async function payOrder(outTradeNo: string, hooks: PayHooks = {}): Promise<PayOutcome> {
  // The prompt's ids must be known when the sheet's callback runs: fetched alongside, never waited for.
  void prefetchMessageTemplates();
  const kept = handedOver?.outTradeNo === outTradeNo ? handedOver : null;
  handedOver = null;
  const started = kept ? { ok: true as const, data: kept } : await startPayment(outTradeNo);
  if (!started.ok) {
    const got = await getOrder(outTradeNo);
    return {
      hint: 'not-started',
      failDetail: '',
      order: got.ok ? got.data : null,
      error: started.error,
      unconfirmed: false,
    };
  }
  const hint = await requestPayment(started.data);
  const failDetail = hint.kind === 'fail' ? hint.detail : '';
  if (hint.kind !== 'ok') {
    const asked = await askServer(outTradeNo);
    return { hint: hint.kind, failDetail, ...asked, unconfirmed: false };
  }
  hooks.onConfirming?.();
  let asked = await askServer(outTradeNo);
  for (const delay of timing.confirmDelaysMs) {
    if (asked.order && asked.order.moneyArrived) break;
    if (asked.order && asked.order.phase !== 'awaiting') break;
    await sleep(delay);
    asked = await askServer(outTradeNo);
  }
  const unconfirmed = !asked.order || asked.order.phase === 'awaiting';
  return { hint: 'ok', failDetail, ...asked, unconfirmed };
}
