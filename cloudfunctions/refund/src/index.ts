// `refund`: staff-only refunds (SHOP_ADMIN_OPENIDS). Thin entry: all logic lives in server/ (see docs/API.md).
import { createRefundMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createRefundMain(initCloud());
