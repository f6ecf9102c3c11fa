// The local stand-in for wx-server-sdk's `cloud.cloudPay` (dev-only; see local-cloudpay.ts and README in
// server/adapters/payment/cloudpay).
export * from './local-cloudpay';
export type { CloudPayStore } from './json-store';
export { JsonFileStore } from './json-store';
export { md5Sign, md5SignInput } from './md5-sign';
