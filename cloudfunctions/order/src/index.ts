// `order`: checkout from the cart (priced on the server), get, list and cancel the shopper's orders. Thin entry: all logic lives in server/ (see docs/API.md).
import { createOrderMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createOrderMain(initCloud());
