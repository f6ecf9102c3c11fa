// Wiring of the `msg` function (subscription message templates and accepts) on its own: a tiny bundle with no payment
// adapter and no payment settings, so a payment misconfiguration never stops counting accepts (docs/adr/0010).
import { randomUUID } from 'node:crypto';
import { SubscriptionService } from './application/subscriptions.service';
import { parseMessageSettings } from './adapters/config/app-config';
import { DbSubscriptionStore } from './adapters/db/subscription.repository';
import type { MsgDeps } from './adapters/functions/msg.handlers';
import { msgActions } from './adapters/functions/msg.handlers';
import { createCallableMain } from './adapters/runtime/handler';
import { createLogger, parseLogLevel } from './adapters/runtime/logger';
import type { CloudRuntime } from './adapters/runtime/wx-cloud';

const log = createLogger(
  { service: 'wxpay-safe-shop' },
  undefined,
  undefined,
  parseLogLevel(process.env.LOG_LEVEL),
);

/** The `msg` function: the templates to ask for, and the shopper's accepts. */
export function createMsgMain(cloud: CloudRuntime) {
  return createCallableMain<MsgDeps>({
    name: 'msg',
    cloud,
    log,
    newRequestId: randomUUID,
    boot: () => ({
      subscriptions: new SubscriptionService(
        parseMessageSettings(process.env),
        new DbSubscriptionStore(cloud.database()),
        { now: () => Date.now() },
      ),
    }),
    actions: msgActions,
  });
}
