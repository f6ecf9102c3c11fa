// The payment core on a real (devcloud) database for adapter-level tests: the production repositories, fixed ids,
// quiet logs and the policy the tests share, plus a stored-order fixture. Test support only (never bundled).
import type { CoreDeps, MerchantIdentity } from '../../application/core.deps';
import { queuedAt } from '../../application/job-queue';
import type { OrderRecord } from '../../application/order.model';
import { PaymentService } from '../../application/payment.service';
import type { PaymentProvider } from '../../application/ports/payment-provider.port';
import type { Log } from '../../application/ports/runtime.port';
import { RefundService } from '../../application/refund.service';
import type { Fen } from '../../domain/money';
import type { CloudDb } from '../db/cloud-db';
import { DbMetrics } from '../db/metrics.repository';
import { dbStores } from '../db/stores';
import { DEMO_MERCHANT } from '../payment/demo/demo.provider';

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
let seq = 0;

/** CoreDeps as the composition root wires them, on `db`, with `provider` and the business clock `nowMs`. */
export function testCoreDeps(o: {
  db: CloudDb;
  provider: PaymentProvider;
  nowMs: () => number;
  log?: Log;
  merchant?: MerchantIdentity;
  simulatedPayments?: boolean;
}): CoreDeps {
  return {
    ...dbStores(o.db, o.nowMs),
    provider: o.provider,
    clock: { now: o.nowMs },
    random: { base62: (n: number) => String(++seq).padStart(n, '0').slice(-n) },
    metrics: new DbMetrics(o.db, () => undefined),
    log: o.log ?? quiet,
    policy: {
      orderTtlMs: 30 * 60_000,
      closeGuardMs: 5 * 60_000,
      prepayReuseMarginMs: 5 * 60_000,
      merchant: o.merchant ?? { ...DEMO_MERCHANT },
      testerOpenids: new Set(),
      testerAutoRefund: false,
      adminOpenids: new Set(),
      simulatedPayments: o.simulatedPayments ?? true,
      fulfilment: {
        expressCompanies: [
          { id: 'SF', name: '顺丰速运' },
          { id: 'ZTO', name: '中通快递' },
        ],
        autoCompleteMs: 10 * 24 * 3_600_000,
        pickupPoint: { name: '门店', address: '广州市海珠区 1 号', hours: '9:00–18:00' },
      },
    },
  };
}

/** An unpaid order placed at `atMs` (no stock lines) with its job queues set as checkout sets them; `over` wins. */
export function storedOrder(outTradeNo: string, atMs: number, over: Partial<OrderRecord> = {}): OrderRecord {
  return {
    outTradeNo,
    openid: 'o_shopper_0001',
    clientRequestKey: `key-${outTradeNo}`,
    status: 'AWAITING_PAYMENT',
    version: 1,
    lines: [],
    totalFen: 1200 as Fen,
    payableFen: 1200 as Fen,
    isTestOrder: false,
    simulated: true,
    providerId: 'demo',
    description: '茶叶',
    createdAtMs: atMs,
    expiresAtMs: atMs + 30 * 60_000,
    updatedAtMs: atMs,
    prepay: null,
    payment: null,
    refundReservedFen: 0 as Fen,
    refundedFen: 0 as Fen,
    closedAtMs: null,
    providerClose: 'not-needed',
    stockReleased: false,
    closeJob: queuedAt(atMs + 30 * 60_000),
    syncJob: queuedAt(atMs + 2 * 60_000),
    ...over,
  };
}

/** The payment service over `core`, wired as the composition root wires it (its refunds over the same core). */
export function paymentsFor(core: CoreDeps): PaymentService {
  return new PaymentService(core, new RefundService(core));
}
