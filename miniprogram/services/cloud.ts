import type { ApiResult } from '../../typings/contracts/envelope';
import { clientEnv } from '../config/env';

/** Calls a cloud function action and returns its envelope; transport failures become a NETWORK error envelope. */
export function callFunction<T>(name: string, data: Record<string, unknown>): Promise<ApiResult<T>> {
  if (clientEnv.transport === 'local') return callLocal<T>(name, data);
  return new Promise((resolve) => {
    wx.cloud
      .callFunction({ name, data })
      .then((res) => resolve(res.result as ApiResult<T>))
      .catch((err: { errMsg?: string }) =>
        resolve({
          ok: false,
          error: { code: 'NETWORK', message: err.errMsg ?? 'network error', retryable: true },
        }),
      );
  });
}

function callLocal<T>(name: string, data: Record<string, unknown>): Promise<ApiResult<T>> {
  return new Promise((resolve) => {
    wx.request({
      url: `${clientEnv.localGatewayUrl}/fn/${name}`,
      method: 'POST',
      data,
      header: { 'content-type': 'application/json', 'x-wx-openid': clientEnv.localOpenid },
      success: (res) => resolve(res.data as ApiResult<T>),
      fail: (err) => resolve({ ok: false, error: { code: 'NETWORK', message: err.errMsg, retryable: true } }),
    });
  });
}
