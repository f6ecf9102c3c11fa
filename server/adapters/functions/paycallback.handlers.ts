// The cloudPay payment callback. WeChat invokes the function named at unifiedOrder once a payment succeeded (and keeps
// invoking it for up to two days until it answers errcode 0). But it is an ordinary cloud function: any client can
// call it with any event. So the event is never believed: only its out_trade_no is read, WeChat is asked about that
// order through cloudPay.queryOrder (answered over the private channel), and only that answer is applied.
import type { ApplyPaymentOutcome } from '../../application/payment.service';
import type {
  PaymentProvider,
  PaymentQueryResult,
  PaymentTransaction,
} from '../../application/ports/payment-provider.port';
import type { Log } from '../../application/ports/runtime.port';
import { isProviderError } from '../../application/ports/payment-provider.errors';
import { OUT_TRADE_NO_PATTERN } from '../../domain/ids';
import type { WxContext } from '../runtime/handler';
import { configProblem } from '../runtime/handler';
import { refuseUnlessPayCallback } from '../runtime/invocation-guard';

/** What the callback needs: the payment core's apply step, the provider to ask, a per-order throttle, a log. */
export interface CloudPayCallbackDeps {
  payments: {
    applyPayment(tx: PaymentTransaction, source: 'cloudpay-callback'): Promise<ApplyPaymentOutcome>;
  };
  provider: Pick<PaymentProvider, 'queryPayment'>;
  /** At most one pass per key per interval, across instances (DbThrottle). */
  throttle: { tryPass(key: string, intervalMs: number): Promise<boolean> };
  log: Log;
}

/**
 * At most one WeChat query per order per this interval from the callback. cloudPay's own retries are far apart
 * (seconds to hours), so a genuine callback is never held back for long; a loop of calls for one order — a fault, or
 * anyone who got past the source check — cannot make the shop query WeChat in a loop.
 */
export const PAY_CALLBACK_QUERY_INTERVAL_MS = 10_000;

/** The answer cloudPay expects: errcode 0 stops its retries, anything else makes it call again later. */
export type CloudPayCallbackAnswer = { errcode: 0; errmsg: 'OK' } | { errcode: 1; errmsg: string };

const DONE: CloudPayCallbackAnswer = { errcode: 0, errmsg: 'OK' };
const retry = (errmsg: string): CloudPayCallbackAnswer => ({ errcode: 1, errmsg });

function outTradeNoOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const v = (event as Record<string, unknown>).outTradeNo;
  return typeof v === 'string' && OUT_TRADE_NO_PATTERN.test(v) ? v : undefined;
}

// What the caller claimed, for the log only: a claim of success that WeChat contradicts points at a forged call.
function claimedSuccess(event: unknown): boolean {
  const e = event as Record<string, unknown>;
  return e.returnCode === 'SUCCESS' && e.resultCode === 'SUCCESS';
}

/**
 * Handles one invocation of the payment callback function. Takes only `outTradeNo` from `event`, re-queries the
 * order at WeChat and applies that answer with source 'cloudpay-callback'. Answers errcode 1 (call again) only when a
 * retry can change the outcome; never throws.
 */
export async function handleCloudPayCallback(
  event: unknown,
  deps: CloudPayCallbackDeps,
): Promise<CloudPayCallbackAnswer> {
  const outTradeNo = outTradeNoOf(event);
  if (outTradeNo === undefined) {
    // WeChat's own events always carry a valid out_trade_no (we created it); the same event again cannot do better.
    deps.log.warn('paycallback.malformed', { hasEvent: typeof event === 'object' && event !== null });
    return DONE;
  }
  let mayQuery: boolean;
  try {
    mayQuery = await deps.throttle.tryPass(`paycallback:${outTradeNo}`, PAY_CALLBACK_QUERY_INTERVAL_MS);
  } catch (e) {
    deps.log.error('paycallback.throttle_failed', { outTradeNo, error: e });
    return retry('could not record the callback; call again');
  }
  if (!mayQuery) {
    // A genuine callback comes back on cloudPay's schedule and passes then; nothing is asked of WeChat now.
    deps.log.warn('paycallback.throttled', { outTradeNo });
    return retry('too many callbacks for this order; call again later');
  }
  let answer: PaymentQueryResult;
  try {
    answer = await deps.provider.queryPayment(outTradeNo);
  } catch (e) {
    // Without WeChat's word nothing can be applied; a genuine callback must come back (a forged one never does).
    deps.log.error('paycallback.query_failed', {
      outTradeNo,
      code: isProviderError(e) ? e.code : undefined,
      retryability: isProviderError(e) ? e.retryability : undefined,
      error: e,
    });
    return retry('could not ask WeChat about the order; call again');
  }
  if (answer.kind === 'not-found') {
    // WeChat has no such order: a forged or foreign call, and WeChat only calls back about orders it has.
    deps.log.warn('paycallback.unknown_at_wechat', { outTradeNo, claimedSuccess: claimedSuccess(event) });
    return DONE;
  }
  let outcome: ApplyPaymentOutcome;
  try {
    outcome = await deps.payments.applyPayment(answer.transaction, 'cloudpay-callback');
  } catch (e) {
    // A database failure or a busy order: the payment is real and still unapplied, so have WeChat call again.
    deps.log.error('paycallback.apply_failed', { outTradeNo, error: e });
    return retry('could not record the payment; call again');
  }
  switch (outcome.kind) {
    case 'applied':
    case 'duplicate':
      deps.log.info('paycallback.applied', {
        outTradeNo,
        outcome: outcome.kind,
        status: outcome.order.status,
      });
      return DONE;
    case 'not-paid':
      // WeChat says unpaid, yet it calls back only after a success: this call was made by someone else. When the
      // payer does pay, WeChat invokes the callback itself, so nothing is lost by acknowledging.
      deps.log.warn('paycallback.not_paid', {
        outTradeNo,
        state: outcome.state,
        claimedSuccess: claimedSuccess(event),
      });
      return DONE;
    case 'mismatch':
      // WeChat's own answer contradicts our order (amount, merchant, app, second transaction): retries would bring
      // the same answer. The payment core logged it as an error for a person; nothing was written.
      deps.log.error('paycallback.mismatch', { outTradeNo, reason: outcome.reason });
      return DONE;
    case 'unknown-order':
      // WeChat has the order but we do not (yet): as with v3 notifications, keep the money visible by retrying.
      deps.log.error('paycallback.unknown_order', { outTradeNo });
      return retry('no such order here yet; call again');
  }
}

/**
 * One invocation of the payCallback function as the platform delivers it. Runs only when the platform reports the
 * invocation as the WeChat Pay callback (invocation-guard.ts); a configuration error answers errcode 1, so cloudPay
 * calls again once it is fixed. `boot` builds what the callback needs on first use and throws the same configuration
 * error on every call.
 */
export async function handlePayCallbackInvocation(
  event: unknown,
  ctx: WxContext,
  deps: { boot: () => CloudPayCallbackDeps; log: Log },
): Promise<CloudPayCallbackAnswer> {
  const refusal = refuseUnlessPayCallback(ctx);
  if (refusal !== undefined) {
    // A shopper's call is expected noise (warn); anything else may be a genuine callback with a SOURCE we did not
    // expect, which must reach a person (error) — cloudPay keeps calling back on errcode 1, nothing is lost.
    const fields = { reason: refusal.reason, source: refusal.source, openid: ctx.OPENID };
    if (refusal.userIdentity) deps.log.warn('payCallback.refused', fields);
    else deps.log.error('payCallback.refused', fields);
    return retry('refused: not an invocation by cloudPay');
  }
  let callback: CloudPayCallbackDeps;
  try {
    callback = deps.boot();
  } catch (e) {
    deps.log.error('payCallback.config', configProblem(e));
    return retry('not configured');
  }
  return handleCloudPayCallback(event, callback);
}
