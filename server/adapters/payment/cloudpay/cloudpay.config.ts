// Configuration of the cloudPay adapter, parsed from an env-like record. Nothing here is secret (cloudPay has no keys
// on our side), but messages still name the setting and the problem, never the value.
import { isIP } from 'node:net';
import type { MerchantIdentity } from '../../../application/core.deps';

/** The validated cloudPay settings. */
export interface CloudPayConfig {
  /** The mini program's appid: cloudPay's sub_appid, the app every payment must belong to. */
  appid: string;
  /** The shop's merchant number as bound in the Cloud Development console (v2 sub_mch_id). */
  subMchId: string;
  /** The cloud environment that hosts the callback function. */
  envId: string;
  /** The cloud function WeChat calls when a payment succeeds (and when a refund settles). */
  callbackFunctionName: string;
  /** The IP reported as v2 spbill_create_ip (the machine calling WeChat Pay). */
  spbillCreateIp: string;
}

/** The setting names read by {@link parseCloudPayConfig}. */
export const CloudPayEnv = {
  APPID: 'CLOUDPAY_APPID',
  SUB_MCH_ID: 'CLOUDPAY_SUB_MCH_ID',
  ENV_ID: 'CLOUDPAY_ENV_ID',
  CALLBACK_FUNCTION: 'CLOUDPAY_CALLBACK_FUNCTION',
  SPBILL_CREATE_IP: 'CLOUDPAY_SPBILL_CREATE_IP',
} as const;

/** The callback function's name when CLOUDPAY_CALLBACK_FUNCTION is not set. */
export const DEFAULT_CALLBACK_FUNCTION = 'payCallback';
/** spbill_create_ip when CLOUDPAY_SPBILL_CREATE_IP is not set: a cloud function has no stable public IP to report. */
export const DEFAULT_SPBILL_CREATE_IP = '127.0.0.1';

/** A setting is missing or malformed; `setting` names it. */
export class CloudPayConfigError extends Error {
  override readonly name = 'CloudPayConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
  }
}

type EnvLike = Readonly<Record<string, string | undefined>>;

const APPID = /^wx[0-9A-Za-z]{16}$/;
const SUB_MCH_ID = /^[0-9]{6,32}$/;
// Cloud environment ids look like "prod-8gig4kg8252ade88" or "test-f0b102".
const ENV_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/;
// What the cloud accepts as a function name.
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

function optional(env: EnvLike, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function required(env: EnvLike, name: string, why: string, pattern: RegExp, shape: string): string {
  const v = optional(env, name);
  if (v === undefined) throw new CloudPayConfigError(name, `is missing (${why})`);
  if (!pattern.test(v)) throw new CloudPayConfigError(name, `is malformed: expected ${shape}`);
  return v;
}

/** Parses and validates the cloudPay settings; throws CloudPayConfigError naming the first bad setting. */
export function parseCloudPayConfig(env: EnvLike): CloudPayConfig {
  const appid = required(
    env,
    CloudPayEnv.APPID,
    'the mini program appid every cloudPay payment must belong to',
    APPID,
    '"wx" followed by 16 letters or digits',
  );
  const subMchId = required(
    env,
    CloudPayEnv.SUB_MCH_ID,
    'the merchant number bound in the Cloud Development console',
    SUB_MCH_ID,
    '6–32 digits',
  );
  const envId = required(
    env,
    CloudPayEnv.ENV_ID,
    'the cloud environment id of the payment callback function',
    ENV_ID,
    'a cloud environment id such as "prod-1a2b3c"',
  );
  const callback = optional(env, CloudPayEnv.CALLBACK_FUNCTION) ?? DEFAULT_CALLBACK_FUNCTION;
  if (!FUNCTION_NAME.test(callback)) {
    throw new CloudPayConfigError(
      CloudPayEnv.CALLBACK_FUNCTION,
      'is malformed: expected a cloud function name (a letter, then up to 59 letters, digits, "-" or "_")',
    );
  }
  const ip = optional(env, CloudPayEnv.SPBILL_CREATE_IP) ?? DEFAULT_SPBILL_CREATE_IP;
  if (isIP(ip) === 0) {
    throw new CloudPayConfigError(
      CloudPayEnv.SPBILL_CREATE_IP,
      'is malformed: expected an IPv4 or IPv6 address',
    );
  }
  return { appid, subMchId, envId, callbackFunctionName: callback, spbillCreateIp: ip };
}

/**
 * Who a genuine cloudPay payment is addressed to, as the adapter normalises it: the mini program (sub_appid) and the
 * shop's own merchant number (sub_mch_id) as both mchid and subMchid. Cloud Development's service-provider appid and
 * mch_id belong to WeChat, are not configured by the shop, and are therefore not checked.
 */
export function merchantIdentity(config: CloudPayConfig): MerchantIdentity {
  return { appid: config.appid, mchid: config.subMchId, subMchid: config.subMchId };
}
