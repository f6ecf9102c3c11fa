// `payCallback`: the cloudPay (legacy v2) payment callback. Never trusts its event: re-queries WeChat (see docs/API.md).
import { createPayCallbackMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createPayCallbackMain(initCloud());
