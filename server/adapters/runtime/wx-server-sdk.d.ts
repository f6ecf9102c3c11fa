// The subset of wx-server-sdk 4.x this project uses. The real SDK is external to every bundle and installed in the
// cloud from each function's package.json; locally, devcloud/ supplies a stand-in with the same surface.
declare module 'wx-server-sdk' {
  export interface WXContext {
    OPENID?: string;
    APPID?: string;
    UNIONID?: string;
    ENV?: string;
    SOURCE?: string;
  }
  export const DYNAMIC_CURRENT_ENV: symbol | string;
  export function init(options?: { env?: unknown; traceUser?: boolean }): void;
  export function getWXContext(): WXContext;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the db adapter that wraps it
  export function database(options?: { env?: unknown }): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the cloudPay adapter that wraps it
  export const cloudPay: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the trade-management adapter that wraps it
  export const openapi: any;
}
