// Wiring of the `shop` function (goods and cart) on its own, so its bundle carries no payment adapter: it is the
// most-called function, and a smaller bundle starts faster (docs/adr/0001). Payment functions use composition.ts.
import { randomUUID } from 'node:crypto';
import { ShopService } from './application/shop.service';
import { DbCartStore } from './adapters/db/cart.repository';
import { DbCatalogReader } from './adapters/db/catalog.repository';
import type { ShopDeps } from './adapters/functions/shop.handlers';
import { shopActions } from './adapters/functions/shop.handlers';
import { createCallableMain } from './adapters/runtime/handler';
import { createLogger, parseLogLevel } from './adapters/runtime/logger';
import type { CloudRuntime } from './adapters/runtime/wx-cloud';

const log = createLogger(
  { service: 'wxpay-safe-shop' },
  undefined,
  undefined,
  parseLogLevel(process.env.LOG_LEVEL),
);

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
      return { shop: new ShopService(new DbCatalogReader(db), new DbCartStore(db, () => Date.now())) };
    },
    actions: shopActions,
  });
}
