// `payNotify`: WeChat Pay v3 notify_url (HTTP access) for payments and refunds. Thin entry: all logic lives in server/ (see docs/API.md).
import { createPayNotifyMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createPayNotifyMain(initCloud());
