// `pay`: start WeChat Pay for an order (wx.requestPayment parameters) and sync its truth from WeChat. Thin entry: all logic lives in server/ (see docs/API.md).
import { createPayMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createPayMain(initCloud());
