import * as sdk from 'wx-server-sdk';
import type { CloudDb } from '../db/cloud-db';
import type { WxContextSource } from './handler';

/** What the composition needs from wx-server-sdk (the real SDK in the cloud, the devcloud stand-in locally). */
export interface CloudRuntime extends WxContextSource {
  database(): CloudDb;
  /** The SDK's untyped cloudPay object (typed and checked by the cloudPay adapter). */
  cloudPay(): unknown;
  /** The SDK's untyped cloud-call object (`cloud.openapi`; typed and checked by the adapters that use it). */
  openapi?(): unknown;
}

/** Initialises wx-server-sdk for the environment the function runs in, once per cold start. */
export function initCloud(): CloudRuntime {
  sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV });
  return {
    getWXContext: () => sdk.getWXContext(),
    database: () => sdk.database() as CloudDb,
    cloudPay: (): unknown => sdk.cloudPay,
    openapi: (): unknown => sdk.openapi,
  };
}
