// `staff`: fulfilment for the shop's staff (SHOP_ADMIN_OPENIDS; `me` answers anyone). Thin entry: all logic lives in
// server/ (see docs/API.md).
import { createStaffMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createStaffMain(initCloud());
