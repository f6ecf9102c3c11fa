// The current invocation, carried by AsyncLocalStorage so that concurrent invocations in one process each see their
// own caller in getWXContext() and count their own database round trips.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StepTracker } from './steps';

/**
 * How a function was reached (getWXContext().SOURCE), as the platform reports it: wx_client (mini program
 * callFunction, with the caller's OPENID), wx_http (HTTP access), wx_trigger (timer trigger, no user identity),
 * wx_paycallback (WeChat Pay's cloudPay callback, no user identity), wx_unknown (anything else).
 */
export type InvocationSource = 'wx_client' | 'wx_http' | 'wx_trigger' | 'wx_paycallback' | 'wx_unknown';

/** One function invocation. `dbOps` counts database round trips made during it. */
export interface InvocationContext {
  functionName: string;
  requestId: string;
  source: InvocationSource;
  openid?: string;
  appid?: string;
  unionid?: string;
  dbOps: number;
  /** Its dependent steps (database round trips and WeChat Pay calls on the critical path), when recorded. */
  steps?: StepTracker;
}

const storage = new AsyncLocalStorage<InvocationContext>();

/** Runs `fn` as the invocation `ctx`; everything it awaits sees the same context. */
export function runInInvocation<T>(ctx: InvocationContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The invocation the caller runs in, if any. */
export function currentInvocation(): InvocationContext | undefined {
  return storage.getStore();
}
