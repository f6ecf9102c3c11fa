import type { CloudHttpEvent, CloudHttpResponse } from './http-event';
import { fromCloudHttpEvent, jsonResponse } from './http-event';
import type { RawHttpRequest } from './http-event';
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger';
import { withLogContext } from './logger';
import type { ApiResult } from '../../../typings/contracts/envelope';
import { RuntimeErrorCodes, type WxContext, type WxContextSource } from './handler';
import { refuseUnlessHttpApi, refuseUnlessTimer } from './invocation-guard';

/** An HTTP-access function `main`: normalises the event, never throws (an exception answers 500). */
export function createHttpMain(opts: {
  name: string;
  log: Logger;
  handle: (req: RawHttpRequest) => Promise<CloudHttpResponse>;
}) {
  return async function main(event: CloudHttpEvent): Promise<CloudHttpResponse> {
    try {
      const req = fromCloudHttpEvent(event ?? {});
      return await withLogContext({ fn: opts.name, requestId: randomUUID() }, () => opts.handle(req));
    } catch (e) {
      opts.log.error('http.failed', { fn: opts.name, error: e, stack: (e as Error)?.stack });
      return jsonResponse(500, { code: 'FAIL', message: 'internal error' });
    }
  };
}

/** The answer of a timer-only function to an invocation that is not its timer's (e.g. a shopper's callFunction). */
export type TimerRefusal = ApiResult<never>;

/** Logs a refused invocation (`event`: timer.refused, operator.refused) and answers the refusal; nothing else runs. */
function refused(
  fn: { name: string; log: Logger },
  event: string,
  refusal: { reason: string; source: string | undefined },
  ctx: WxContext,
  error: { code: string; message: string },
): TimerRefusal {
  fn.log.warn(event, { fn: fn.name, reason: refusal.reason, source: refusal.source, openid: ctx.OPENID });
  return { ok: false, error: { code: error.code, message: error.message, retryable: false } };
}

/**
 * A timer-triggered function `main`: runs the job and answers its summary; a failure is logged and rethrown. Any
 * other invocation — one carrying a user identity, or one the platform reports as not the timer trigger — is refused
 * before anything is built or asked of WeChat (invocation-guard.ts), and logged.
 */
export function createTimerMain<R>(opts: {
  name: string;
  log: Logger;
  cloud: WxContextSource;
  run: () => Promise<R>;
}) {
  return async function main(event: unknown): Promise<R | TimerRefusal> {
    const ctx = opts.cloud.getWXContext();
    const refusal = refuseUnlessTimer(ctx);
    if (refusal !== undefined)
      return refused(opts, 'timer.refused', refusal, ctx, {
        code: RuntimeErrorCodes.TRIGGER_ONLY,
        message: `${opts.name} runs only from its timer trigger`,
      });
    // The trigger name is for the log only: the event is the caller's, whoever it is.
    const trigger = (event as { TriggerName?: unknown } | null)?.TriggerName;
    try {
      return await withLogContext({ fn: opts.name, requestId: randomUUID(), trigger }, () => opts.run());
    } catch (e) {
      opts.log.error('timer.failed', { fn: opts.name, trigger, error: e, stack: (e as Error)?.stack });
      throw e;
    }
  };
}

/** The refusal of an operator action invoked any other way than through WeChat's HTTP API. */
export const OPERATOR_ONLY = 'AUTH.OPERATOR_ONLY';

/**
 * A timer function that also takes operator actions (the deploy's data migrations): an event the `isAction` predicate
 * recognises runs `action` only when WeChat's HTTP API invoked it (refuseUnlessHttpApi: SOURCE wx_http, no user, not
 * an HTTP access request) — a shopper sending the same event is refused and logged, nothing runs; every other event
 * goes to `timerMain` (which refuses anything but the timer trigger).
 */
export function withOperatorActions<R, A>(opts: {
  name: string;
  log: Logger;
  cloud: WxContextSource;
  timerMain: (event: unknown) => Promise<R>;
  isAction: (event: unknown) => boolean;
  action: (event: Record<string, unknown>) => Promise<A>;
}) {
  return async function main(event: unknown): Promise<R | A | TimerRefusal> {
    if (!opts.isAction(event)) return opts.timerMain(event);
    const ctx = opts.cloud.getWXContext();
    const refusal = refuseUnlessHttpApi(ctx, event);
    if (refusal !== undefined)
      return refused(opts, 'operator.refused', refusal, ctx, {
        code: OPERATOR_ONLY,
        message: 'operator actions run only through the HTTP API',
      });
    return withLogContext({ fn: opts.name, requestId: randomUUID(), operator: true }, () =>
      opts.action(event as Record<string, unknown>),
    );
  };
}
