// The local stand-in for wx-server-sdk's `cloud.cloudPay` (dev-only; see local-cloudpay.ts and README in
// server/adapters/payment/cloudpay).
export type {
  CallbackStatus,
  InvocationOutcomeLike,
  InvokeFunction,
  LocalCloudPayFault,
  LocalCloudPayIdentity,
  LocalCloudPayMethod,
  LocalCloudPayOptions,
  LocalOrderView,
  LocalPayment,
} from './local-cloudpay';
export {
  LocalCloudPay,
  LocalCloudPayError,
  V2_NOTIFY_RETRY_SCHEDULE_MS,
  beijingCompact,
  beijingSpaced,
  createLocalCloudPay,
  invokeFunctionFromOutcomes,
} from './local-cloudpay';
export type { CloudPayStore } from './json-store';
export { JsonFileStore } from './json-store';
export { md5Sign, md5SignInput } from './md5-sign';
