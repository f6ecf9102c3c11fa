// `channelPay`: Native (counter QR, staff) and H5 (web checkout, HTTP access) orders (docs/adr/0012). Thin entry: all
// logic lives in server/ (see docs/API.md).
import { createChannelPayMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createChannelPayMain(initCloud());
