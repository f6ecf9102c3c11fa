import type { ActionName, ApiFunctionName, ResponseOf } from '../../../typings/contracts/api';
import type { ApiError, ApiErrorDetails, ApiJsonValue, ApiResult } from '../../../typings/contracts/envelope';
import { DomainError } from '../../domain/errors';
import { isProviderError } from '../../application/ports/payment-provider.errors';
import type { Logger } from './logger';
import { withLogContext } from './logger';

/** Who is calling and how to correlate: identity comes only from the platform's context, never the event. */
export interface Invocation {
  /** The caller's OPENID from getWXContext(); undefined for timers and HTTP access. */
  openid: string | undefined;
  appid: string | undefined;
  requestId: string;
  log: Logger;
  /**
   * Set only when the action arrived through the function's HTTP access (docs/adr/0012): the caller's address as the
   * platform reported it (the event's requestContext, never the body); undefined when the platform gave none.
   */
  http?: { sourceIp: string | undefined };
}

/** What getWXContext() reports about the invocation (set by the platform, never by the caller's event). */
export interface WxContext {
  OPENID?: string | undefined;
  APPID?: string | undefined;
  UNIONID?: string | undefined;
  /** How the invocation was reached: wx_client, wx_http, wx_trigger, wx_paycallback, scf, … */
  SOURCE?: string | undefined;
}

/** The platform context a function reads identity from (wx-server-sdk's getWXContext shape). */
export interface WxContextSource {
  getWXContext(): WxContext;
}

/**
 * One named action of a client-called function: validated input in, plain data out, errors thrown. The input stays
 * unknown-typed on purpose: the client is never believed, every field is checked before use.
 */
export type ActionHandler<Deps, Response = unknown> = (
  input: Record<string, unknown>,
  inv: Invocation,
  deps: Deps,
) => Promise<Response>;

/**
 * Function `F`'s action table, exactly as typings/contracts/api.ts has it: a handler for every action (a missing one
 * does not compile), none besides (an object literal with an extra key does not compile), each answering its action's
 * response type.
 */
export type ActionTable<F extends ApiFunctionName, Deps> = {
  [A in ActionName<F>]: ActionHandler<Deps, ResponseOf<F, A>>;
};

/** Options of {@link createCallableMain}. */
export interface CallableOptions<Deps> {
  name: string;
  cloud: WxContextSource;
  /** Builds the dependencies once per cold start; a config error surfaces as CONFIG.INVALID on every call. */
  boot: () => Deps;
  actions: Record<string, ActionHandler<Deps>>;
  /** Actions that may run without an OPENID (none by default: shoppers must be identified). */
  anonymousActions?: readonly string[];
  log: Logger;
  newRequestId: () => string;
}

/** Error codes the runtime itself answers with. */
export const RuntimeErrorCodes = {
  UNKNOWN_ACTION: 'REQUEST.UNKNOWN_ACTION',
  INVALID: 'REQUEST.INVALID',
  NO_IDENTITY: 'AUTH.NO_IDENTITY',
  INTERNAL: 'INTERNAL',
  CONFIG: 'CONFIG.INVALID',
  /** A timer-only or callback-only function was invoked by someone else (e.g. a shopper's callFunction). */
  TRIGGER_ONLY: 'AUTH.TRIGGER_ONLY',
} as const;

const DETAIL_DEPTH = 3;
// As many as a cart's lines: ORDER.PRICE_CHANGED carries the whole new quote.
const DETAIL_ITEMS = 50;
const DETAIL_STRING = 200;

function jsonValue(v: unknown, depth: number): ApiJsonValue | undefined {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v.length > DETAIL_STRING ? v.slice(0, DETAIL_STRING) : v;
  if (depth <= 0 || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    return v
      .slice(0, DETAIL_ITEMS)
      .map((x) => jsonValue(x, depth - 1))
      .filter((x): x is ApiJsonValue => x !== undefined);
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const out: Record<string, ApiJsonValue> = {};
  for (const [k, x] of Object.entries(v).slice(0, DETAIL_ITEMS)) {
    const j = jsonValue(x, depth - 1);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

/**
 * The part of a domain error's details a client may see: plain JSON values only (an Error, a Date or a class instance
 * is dropped), bounded in depth, count and string length, so the envelope stays small and serialisable.
 */
export function clientDetails(details: unknown): ApiErrorDetails | undefined {
  const v = jsonValue(details, DETAIL_DEPTH);
  if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return Object.keys(v).length > 0 ? v : undefined;
}

/**
 * What the log says about a configuration failure: the setting named by the error (config errors carry `setting`)
 * and the problem. Config errors never put a value in their message; the logger also redacts secret-named fields.
 */
export function configProblem(e: unknown): { setting?: string; problem: string; errorName?: string } {
  if (!(e instanceof Error)) return { problem: 'configuration error' };
  const setting = (e as { setting?: unknown }).setting;
  return {
    ...(typeof setting === 'string' ? { setting } : {}),
    problem: e.message,
    errorName: e.name,
  };
}

/** Maps any thrown value to the client envelope; only coded errors show their message. */
export function toApiError(e: unknown, requestId: string): ApiError {
  if (e instanceof DomainError) {
    const details = clientDetails(e.details);
    return { code: e.code, message: e.message, requestId, ...(details ? { details } : {}) };
  }
  if (isProviderError(e)) {
    const retryable = e.retryability !== 'fatal';
    return {
      code: 'PAYMENT.PROVIDER_ERROR',
      message: retryable
        ? 'the payment service is temporarily unavailable, please retry'
        : 'payment request refused',
      retryable,
      requestId,
    };
  }
  return {
    code: RuntimeErrorCodes.INTERNAL,
    message: `internal error (request ${requestId})`,
    retryable: true,
    requestId,
  };
}

/**
 * Builds a cloud function `main` that dispatches `event.action` to a handler and always answers the
 * `{ok, data} | {ok: false, error}` envelope. The caller's identity is read from the platform context only.
 */
export function createCallableMain<Deps>(opts: CallableOptions<Deps>) {
  let deps: Deps | undefined;
  let bootError: unknown;
  return async function main(event: unknown): Promise<ApiResult<unknown>> {
    const requestId = opts.newRequestId();
    const ctx = opts.cloud.getWXContext();
    const log = opts.log.child({ fn: opts.name, requestId });
    const inv: Invocation = {
      openid: ctx.OPENID || undefined,
      appid: ctx.APPID || undefined,
      requestId,
      log,
    };
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      return fail({
        code: RuntimeErrorCodes.INVALID,
        message: 'the event must be an object with an action',
        requestId,
      });
    }
    const input = event as Record<string, unknown>;
    const action = input.action;
    const handler =
      typeof action === 'string' && Object.hasOwn(opts.actions, action) ? opts.actions[action] : undefined;
    if (handler === undefined || typeof action !== 'string') {
      const known = Object.keys(opts.actions).join(', ');
      return fail({
        code: RuntimeErrorCodes.UNKNOWN_ACTION,
        message: `unknown action; expected one of: ${known}`,
        requestId,
      });
    }
    if (!inv.openid && !(opts.anonymousActions ?? []).includes(action)) {
      return fail({
        code: RuntimeErrorCodes.NO_IDENTITY,
        message: 'no caller identity (OPENID) in the context',
        requestId,
      });
    }
    if (deps === undefined && bootError === undefined) {
      try {
        deps = opts.boot();
      } catch (e) {
        bootError = e;
      }
    }
    if (deps === undefined) {
      // The operator needs the setting and the problem (the log); a shopper must learn nothing about the shop's keys
      // or settings (not even a key's byte length), so the client gets a fixed sentence and the request id.
      log.error('boot.failed', { action, ...configProblem(bootError) });
      return fail({
        code: RuntimeErrorCodes.CONFIG,
        message: `this service is not configured correctly; the operator's log has the details (request ${requestId})`,
        retryable: false,
        requestId,
      });
    }
    const ready: Deps = deps;
    try {
      const data = await withLogContext({ fn: opts.name, requestId }, () => handler(input, inv, ready));
      log.info('action.ok', { action });
      return { ok: true, data };
    } catch (e) {
      const error = toApiError(e, requestId);
      if (error.code === RuntimeErrorCodes.INTERNAL)
        log.error('action.failed', { action, error: e, stack: (e as Error)?.stack });
      else log.warn('action.refused', { action, code: error.code });
      return fail(error);
    }
  };
}

function fail(error: ApiError): ApiResult<never> {
  return { ok: false, error };
}
