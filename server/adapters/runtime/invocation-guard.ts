// Who may invoke the functions that no shopper should run. Any cloud function can be called from the mini program
// with wx.cloud.callFunction, so a timer job or the cloudPay callback must decide from the invocation's CONTEXT — what
// the platform reports in getWXContext(), which a client cannot set — never from the event, which a client writes.
//
// What the platform reports (getWXContext(), wx-server-sdk; docs/API.md "Who may invoke what"):
//   OPENID / UNIONID  present only when a mini program user called the function (wx_client, or wx_client,scf down a
//                     function-to-function chain).
//   SOURCE            how the invocation was reached: wx_client (mini program), wx_devtools, wx_http (HTTP access),
//                     wx_trigger (timer trigger), wx_paycallback (WeChat Pay callback), scf (another function), …
// A timer's event ({Type: 'Timer', TriggerName, Time, Message}) proves nothing: a client can send the same object.
import type { WxContext } from './handler';

/** getWXContext().SOURCE of the platform's own invocations. */
export const PlatformSource = {
  TIMER: 'wx_trigger',
  PAY_CALLBACK: 'wx_paycallback',
} as const;

/** Why an invocation is refused, or undefined when it may run. */
export type InvocationRefusal =
  { reason: string; source: string | undefined; userIdentity: boolean } | undefined;

function sourceOf(ctx: WxContext): string | undefined {
  return typeof ctx.SOURCE === 'string' && ctx.SOURCE !== '' ? ctx.SOURCE : undefined;
}

function hasUserIdentity(ctx: WxContext): boolean {
  return Boolean(ctx.OPENID) || Boolean(ctx.UNIONID);
}

/**
 * A timer-triggered job runs only without a user identity in the context, and — where the platform reports SOURCE —
 * only from the timer trigger. (A runtime that reports no SOURCE at all still refuses every client call: those always
 * carry the caller's OPENID.)
 */
export function refuseUnlessTimer(ctx: WxContext): InvocationRefusal {
  const source = sourceOf(ctx);
  const userIdentity = hasUserIdentity(ctx);
  if (userIdentity) return { reason: 'the invocation carries a user identity', source, userIdentity };
  if (source !== undefined && source !== PlatformSource.TIMER)
    return { reason: `the invocation source is not the timer trigger`, source, userIdentity };
  return undefined;
}

/**
 * The cloudPay callback runs only when the platform says it is the WeChat Pay callback (SOURCE wx_paycallback).
 * A client call reports wx_client (plus the caller's OPENID), an HTTP call wx_http, a function-to-function call a chain
 * starting with the first caller's source: none of those is cloudPay's.
 */
export function refuseUnlessPayCallback(ctx: WxContext): InvocationRefusal {
  const source = sourceOf(ctx);
  const userIdentity = hasUserIdentity(ctx);
  if (source !== PlatformSource.PAY_CALLBACK)
    return { reason: 'the invocation source is not the WeChat Pay callback', source, userIdentity };
  return undefined;
}

/** getWXContext().SOURCE of an invocation through WeChat's HTTP API (tcb/invokecloudfunction, access-token holders). */
export const HTTP_API_SOURCE = 'wx_http';

/**
 * An operator's action (the deploy's data migrations) runs only when invoked through WeChat's HTTP API
 * (tcb/invokecloudfunction, which needs an access token, i.e. the AppSecret): SOURCE exactly wx_http — not a chain —
 * and no user identity (WeChat documents that such an invocation carries no OPENID). A shopper's call reports
 * wx_client and their OPENID; a function-to-function call a chain. The cloud's HTTP access service (云函数 HTTP 访问)
 * may report wx_http too, but its event is the platform's HTTP request object (httpMethod, requestContext, …), which
 * no caller can replace: such an event is refused as well. (The function that hosts the action — reconcile — has no
 * HTTP access enabled; docs/DOCTOR.md.)
 */
export function refuseUnlessHttpApi(ctx: WxContext, event: unknown): InvocationRefusal {
  const source = sourceOf(ctx);
  const userIdentity = hasUserIdentity(ctx);
  if (userIdentity) return { reason: 'the invocation carries a user identity', source, userIdentity };
  if (source !== HTTP_API_SOURCE)
    return { reason: 'the invocation source is not the WeChat HTTP API', source, userIdentity };
  if (
    typeof event === 'object' &&
    event !== null &&
    ('httpMethod' in event || 'requestContext' in event || 'isBase64Encoded' in event)
  )
    return { reason: 'the event is an HTTP access request', source, userIdentity };
  return undefined;
}
