// `shop`: goods list and the shopper's cart. Thin entry: all logic lives in server/ (see docs/API.md).
import { createShopMain } from '../../../server/composition-shop';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createShopMain(initCloud());
