// `closeExpired`: timer that closes unpaid orders past their expiry (provider first) and returns their stock. Thin entry: all logic lives in server/ (see docs/API.md).
import { createCloseExpiredMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createCloseExpiredMain(initCloud());
