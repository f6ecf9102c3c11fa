import type { ActionName, ApiFunctionName, RequestOf, ResponseOf } from '../../typings/contracts/api';
import type { ApiError, ApiResult } from '../../typings/contracts/envelope';
import { clientEnv } from '../config/env';
import { sleep, timing } from '../utils/timing';
import { localOpenid } from './identity';

/** How a call may be repeated when it got no answer. */
export interface CallOptions {
  /**
   * True only for calls that are safe to send twice: reads, absolute writes (set quantity, select, remove), and
   * writes the server deduplicates (place with the same clientRequestKey, pay.start, pay.sync, cancel).
   */
  retry: boolean;
}

/**
 * Calls `fn.action` with `request` (typed by typings/contracts/api.ts: an unknown action or a wrong field does not
 * compile) and returns its envelope; a call that got no usable answer becomes a NETWORK error (retryable). With
 * `retry`, such a call is sent again after `timing.retryDelaysMs` — never an answered refusal.
 */
export async function call<F extends ApiFunctionName, A extends ActionName<F>>(
  fn: F,
  action: A,
  request: RequestOf<F, A>,
  opts: CallOptions,
): Promise<ApiResult<ResponseOf<F, A>>> {
  type T = ResponseOf<F, A>;
  const name: string = fn;
  const data: Record<string, unknown> = Object.assign({ action }, request);
  let result = await callOnce<T>(name, data);
  if (!opts.retry) return result;
  for (const delay of timing.retryDelaysMs) {
    if (result.ok || result.error.code !== 'NETWORK') return result;
    await sleep(delay);
    result = await callOnce<T>(name, data);
  }
  return result;
}

function networkError(message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { code: 'NETWORK', message, retryable: true } };
}

/** Anything that is not an envelope (a gateway error page, a platform failure object) is not an answer. */
function asEnvelope<T>(value: unknown, what: string): ApiResult<T> {
  if (typeof value === 'object' && value !== null && 'ok' in value) {
    const v = value as { ok: unknown; data?: unknown; error?: unknown };
    if (v.ok === true) return value as ApiResult<T>;
    if (v.ok === false && typeof v.error === 'object' && v.error !== null) return value as ApiResult<T>;
  }
  return networkError(`${what}: no answer from the function`);
}

function callOnce<T>(name: string, data: Record<string, unknown>): Promise<ApiResult<T>> {
  if (clientEnv.transport === 'local') return callLocal<T>(name, data);
  return new Promise((resolve) => {
    wx.cloud
      .callFunction({ name, data })
      .then((res) => resolve(asEnvelope<T>(res.result, name)))
      .catch((err: { errMsg?: string }) => resolve(networkError(err.errMsg ?? 'callFunction failed')));
  });
}

function callLocal<T>(name: string, data: Record<string, unknown>): Promise<ApiResult<T>> {
  return new Promise((resolve) => {
    wx.request({
      url: `${clientEnv.localGatewayUrl}/fn/${name}`,
      method: 'POST',
      data,
      header: { 'content-type': 'application/json', 'x-wx-openid': localOpenid() },
      success: (res) => resolve(asEnvelope<T>(res.data, name)),
      fail: (err) => resolve(networkError(err.errMsg)),
    });
  });
}
