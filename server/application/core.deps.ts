import type { PickupPoint } from '../domain/delivery';
import type { Fen } from '../domain/money';
import type { AttentionStore } from './ports/attention.port';
import type { CartStore } from './ports/cart.port';
import type { CatalogReader } from './ports/catalog.port';
import type { OrderStore, ReconcileReportStore, RefundStore } from './ports/order.port';
import type { PaymentProvider, PaymentTransaction } from './ports/payment-provider.port';
import type { Clock, Log, Metrics, RandomSource } from './ports/runtime.port';
import type { StockStore } from './ports/stock.port';
import type { SubscribeMessageSender, SubscriptionStore } from './ports/subscribe-message.port';
import type { MessageSettings } from './subscribe-messages';

/** Who a genuine payment for our orders must be addressed to (checked on every notification and query answer). */
export interface MerchantIdentity {
  appid: string;
  mchid: string;
  /** Partner mode: the sub-merchant that receives the money. */
  subMchid?: string;
}

/** The business settings of payments, from validated configuration. Durations in milliseconds. */
export interface PaymentPolicy {
  /** How long an unpaid order stays payable (≥ 6 minutes so the 5-minute close guard has passed at expiry). */
  orderTtlMs: number;
  /** WeChat refuses to close an order sooner than this after it was created (5 minutes). */
  closeGuardMs: number;
  /** A stored prepay is reused only while it has at least this long to live. */
  prepayReuseMarginMs: number;
  merchant: MerchantIdentity;
  /** OPENIDs whose orders are charged the tester amount (trial-build testers). */
  testerOpenids: ReadonlySet<string>;
  /** What a tester order charges (SHOP_TESTER_PRICE_FEN; 1 fen when absent), capped at the order's real total. */
  testerPayableFen?: Fen;
  /** Refund tester orders automatically once paid. */
  testerAutoRefund: boolean;
  /** OPENIDs allowed to refund (merchant staff). */
  adminOpenids: ReadonlySet<string>;
  /** True when the provider is the demo provider: orders are marked simulated. */
  simulatedPayments: boolean;
  fulfilment: FulfilmentPolicy;
  /** Unpaid web checkout (H5) orders allowed at once (SHOP_H5_MAX_UNPAID, SHOP_H5_MAX_UNPAID_PER_IP); absent: none. */
  webCheckout?: WebCheckoutLimits;
}

/** Limits on unpaid web checkout orders (docs/adr/0012): null = no limit. */
export interface WebCheckoutLimits {
  /** Shop-wide. */
  maxUnpaid: number | null;
  /** Per payer IP (the platform's record of the request's address). */
  maxUnpaidPerIp: number | null;
}

/** A carrier staff may ship with (SHOP_EXPRESS_COMPANIES): WeChat's delivery id and the name shown. */
export interface ExpressCompany {
  id: string;
  name: string;
}

/** Fulfilment settings (docs/adr/0009), from validated configuration. */
export interface FulfilmentPolicy {
  expressCompanies: readonly ExpressCompany[];
  /** How long after the goods left an order completes by itself (SHOP_AUTO_COMPLETE_DAYS). */
  autoCompleteMs: number;
  /** The shop's pickup point (SHOP_PICKUP_POINT); null: pickup not offered. */
  pickupPoint: PickupPoint | null;
}

/** The demo provider's simulated payer ("模拟支付"); absent with every real provider. */
export interface SimulatedPayer {
  /** Pays the order at the simulated provider and answers the provider's record of it. */
  simulatePayment(outTradeNo: string): Promise<PaymentTransaction>;
}

/** Everything the payment core's use cases need, wired by server/composition.ts. */
export interface CoreDeps {
  orders: OrderStore;
  refunds: RefundStore;
  stock: StockStore;
  reports: ReconcileReportStore;
  /** Money nobody can match, kept for a person. */
  attention: AttentionStore;
  catalog: CatalogReader;
  carts: CartStore;
  provider: PaymentProvider;
  clock: Clock;
  random: RandomSource;
  metrics: Metrics;
  log: Log;
  policy: PaymentPolicy;
  /** Only with the demo provider (PAY_PROVIDER=demo, APP_ENV=development). */
  simulatedPayer?: SimulatedPayer;
  /** Subscription messages (docs/adr/0010); absent: none are owed or sent. */
  messages?: MessageDeps;
}

/** What the subscription messages need: the templates, the accept counts and the sender. */
export interface MessageDeps {
  settings: MessageSettings;
  subscriptions: SubscriptionStore;
  sender: SubscribeMessageSender;
  /** Every card opens this build (the local stack: 'developer'); null: the build each order was placed from. */
  forcedState: 'developer' | null;
}
