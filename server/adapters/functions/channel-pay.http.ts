// channelPay's HTTP access (docs/adr/0012): a web checkout POSTs the same `{action, ...fields}` event a mini program
// would send, as JSON, and gets the same envelope back. Only the platform's record of the request's address reaches
// the actions (Invocation.http); no OPENID exists here, so staff actions refuse with AUTH.NO_IDENTITY.
import type { ApiError, ApiResult } from '../../../typings/contracts/envelope';
import type { Logger } from '../runtime/logger';
import type { ActionHandler, Invocation } from '../runtime/handler';
import { RuntimeErrorCodes, configProblem, toApiError } from '../runtime/handler';
import type { CloudHttpResponse, RawHttpRequest } from '../runtime/http-event';
import { jsonResponse } from '../runtime/http-event';

/** Largest JSON body a web checkout sends (50 lines fit easily). */
const MAX_BODY_BYTES = 16 * 1024;

export interface ChannelPayHttpDeps<Deps> {
  /** Built on first use; throws the same configuration error on every call. */
  boot: () => Deps;
  actions: Readonly<Record<string, ActionHandler<Deps>>>;
  log: Logger;
  newRequestId: () => string;
}

/** An HTTP status that says whose fault a refusal is; the body is the envelope either way. */
function statusOf(error: ApiError): number {
  if (error.code === RuntimeErrorCodes.INTERNAL) return 500;
  if (error.code === RuntimeErrorCodes.CONFIG) return 503;
  if (error.code === 'PAYMENT.PROVIDER_ERROR') return 502;
  if (error.code === 'ORDER.NOT_FOUND') return 404;
  // Too many unpaid web orders at once (docs/adr/0012): the caller may try again later.
  if (error.code === 'CHANNEL.TOO_MANY_UNPAID') return 429;
  if (error.code.startsWith('AUTH.')) return 403;
  return 400;
}

function answer(result: ApiResult<unknown>): CloudHttpResponse {
  const res = jsonResponse(result.ok ? 200 : statusOf(result.error), result);
  // Order state and pay URLs are per request: never cached by a browser or a proxy.
  return { ...res, headers: { ...res.headers, 'cache-control': 'no-store' } };
}

/** Answers one web checkout request. */
export async function handleChannelPayHttp<Deps>(
  req: RawHttpRequest,
  deps: ChannelPayHttpDeps<Deps>,
): Promise<CloudHttpResponse> {
  const requestId = deps.newRequestId();
  const log = deps.log.child({ fn: 'channelPay', requestId, via: 'http' });
  const refuse = (code: string, message: string) =>
    answer({ ok: false, error: { code, message, requestId } });
  if (req.method !== 'POST')
    return refuse(RuntimeErrorCodes.INVALID, 'POST a JSON event {action, ...fields}');
  if (req.rawBody.length > MAX_BODY_BYTES)
    return refuse(RuntimeErrorCodes.INVALID, 'the request body is too large');
  let event: unknown;
  try {
    event = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    return refuse(RuntimeErrorCodes.INVALID, 'the body must be a JSON event {action, ...fields}');
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return refuse(RuntimeErrorCodes.INVALID, 'the event must be an object with an action');
  const input = event as Record<string, unknown>;
  const action = input.action;
  const handler =
    typeof action === 'string' && Object.hasOwn(deps.actions, action) ? deps.actions[action] : undefined;
  if (handler === undefined)
    return refuse(
      RuntimeErrorCodes.UNKNOWN_ACTION,
      `unknown action; expected one of: ${Object.keys(deps.actions).join(', ')}`,
    );
  let ready: Deps;
  try {
    ready = deps.boot();
  } catch (e) {
    log.error('boot.failed', { action, ...configProblem(e) });
    return answer({
      ok: false,
      error: {
        code: RuntimeErrorCodes.CONFIG,
        message: `this service is not configured correctly; the operator's log has the details (request ${requestId})`,
        retryable: false,
        requestId,
      },
    });
  }
  const inv: Invocation = {
    openid: undefined,
    appid: undefined,
    requestId,
    log,
    http: { sourceIp: req.sourceIp },
  };
  try {
    const data = await handler(input, inv, ready);
    log.info('action.ok', { action });
    return answer({ ok: true, data });
  } catch (e) {
    const error = toApiError(e, requestId);
    if (error.code === RuntimeErrorCodes.INTERNAL)
      log.error('action.failed', { action, error: e, stack: (e as Error)?.stack });
    else log.warn('action.refused', { action, code: error.code });
    return answer({ ok: false, error });
  }
}
