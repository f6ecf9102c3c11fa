// The one place that wires adapters from validated configuration. Each cloud function entry calls one builder here.
import { randomUUID } from 'node:crypto';
import { ShopService } from './application/shop.service';
import { DbCartStore } from './adapters/db/cart.repository';
import { DbCatalogReader } from './adapters/db/catalog.repository';
import type { ShopDeps } from './adapters/functions/shop.handlers';
import { shopActions } from './adapters/functions/shop.handlers';
import { createCallableMain } from './adapters/runtime/handler';
import { createLogger } from './adapters/runtime/logger';
import type { CloudRuntime } from './adapters/runtime/wx-cloud';

const log = createLogger({ service: 'wxpay-safe-shop' });
const now = () => Date.now();

/** The `shop` function: goods list and the shopper's cart. */
export function createShopMain(cloud: CloudRuntime) {
  return createCallableMain<ShopDeps>({
    name: 'shop',
    cloud,
    log,
    newRequestId: randomUUID,
    anonymousActions: ['listGoods'],
    boot: () => {
      const db = cloud.database();
      return { shop: new ShopService(new DbCatalogReader(db), new DbCartStore(db, now)) };
    },
    actions: shopActions,
  });
}
