// Entry point of the cloudPay adapter: a provider over wx-server-sdk's `cloud.cloudPay`, built from validated config.
import { randomBytes } from 'node:crypto';
import type { CloudPayApi } from './cloudpay.api';
import type { CloudPayConfig } from './cloudpay.config';
import type { CloudPayDeps } from './cloudpay.provider';
import { CloudPayProvider } from './cloudpay.provider';

export type * from './cloudpay.api';
export type { CloudPayConfig } from './cloudpay.config';
export {
  CloudPayConfigError,
  CloudPayEnv,
  DEFAULT_CALLBACK_FUNCTION,
  merchantIdentity,
  parseCloudPayConfig,
} from './cloudpay.config';
export type { CloudPayDeps } from './cloudpay.provider';
export { CloudPayProvider } from './cloudpay.provider';
export { CloudPayErrorCodes } from './cloudpay.wire';

const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The real clock, and 32-character nonces from crypto randomness (rejection sampling keeps them uniform). */
export const systemCloudPayDeps: CloudPayDeps = {
  nowMs: () => Date.now(),
  nonce: () => {
    let out = '';
    while (out.length < 32) {
      for (const b of randomBytes(48)) {
        if (b < 248 && out.length < 32) out += NONCE_ALPHABET[b % 62];
      }
    }
    return out;
  },
};

const METHODS = ['unifiedOrder', 'queryOrder', 'closeOrder', 'refund', 'queryRefund'] as const;

/**
 * Types wx-server-sdk's untyped `cloud.cloudPay` as a CloudPayApi, checking that every method exists (the SDK has it
 * from 2.0.2 on). Answers stay unchecked here: the provider validates every field it reads.
 */
export function cloudPayApiFrom(sdkCloudPay: unknown): CloudPayApi {
  if ((typeof sdkCloudPay !== 'object' && typeof sdkCloudPay !== 'function') || sdkCloudPay === null) {
    throw new Error('cloud.cloudPay is not available: cloudPay needs wx-server-sdk 2.0.2 or later');
  }
  const target = sdkCloudPay as Record<string, unknown>;
  const api: Record<string, (params: unknown) => Promise<unknown>> = {};
  for (const name of METHODS) {
    const fn = target[name];
    if (typeof fn !== 'function')
      throw new Error(`cloud.cloudPay.${name} is not a function: update wx-server-sdk`);
    api[name] = (params: unknown) => Promise.resolve((fn as (p: unknown) => unknown).call(target, params));
  }
  return api as unknown as CloudPayApi;
}

/** A cloudPay provider from validated configuration and the SDK's cloudPay (or devcloud's stand-in). */
export function createCloudPayProvider(
  api: CloudPayApi,
  config: CloudPayConfig,
  deps: CloudPayDeps = systemCloudPayDeps,
): CloudPayProvider {
  return new CloudPayProvider(api, config, deps);
}
