// `msg`: subscription message templates and the shopper's accepts. Thin entry: all logic lives in server/ (see docs/API.md).
import { createMsgMain } from '../../../server/composition-msg';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createMsgMain(initCloud());
