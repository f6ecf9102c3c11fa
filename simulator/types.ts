// Records the simulator keeps and shows through its control API. camelCase, units in names; times are virtual
// epoch milliseconds unless named `real…`. WeChat-facing JSON (snake_case) is built from these, never stored.
import type { KeyMode, PublicIdentity, SimIdentity } from './internal/identity';

export type { KeyMode, PublicIdentity, SimIdentity } from './internal/identity';

/** WeChat trade types; H5 orders are MWEB. */
export type TradeType = 'JSAPI' | 'NATIVE' | 'MWEB' | 'APP';

/** trade_state values the simulator produces (REVOKED/USERPAYING/PAYERROR belong to 付款码 and are not simulated). */
export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED';

/** Direct merchant or service provider (partner) API family. */
export type MerchantMode = 'direct' | 'partner';

/** Something the shopper did on the cashier, in order. */
export interface PayerAction {
  at: number;
  action: 'pay' | 'payLate' | 'cancel' | 'fail';
  detail?: string;
}

/** A payment order as WeChat Pay holds it. */
export interface OrderRecord {
  /** Internal key: `<mchid>|<out_trade_no>` (direct) or `<sp_mchid>/<sub_mchid>|<out_trade_no>` (partner). */
  key: string;
  mode: MerchantMode;
  tradeType: TradeType;
  /** Direct mchid, or sp_mchid for partner orders. */
  mchid: string;
  /** appid, or sp_appid for partner orders. */
  appid: string;
  subMchid?: string;
  subAppid?: string;
  outTradeNo: string;
  description: string;
  attach?: string;
  notifyUrl: string;
  totalFen: number;
  currency: string;
  openid?: string;
  spOpenid?: string;
  subOpenid?: string;
  /** Canonical JSON of (endpoint, body): equal fingerprints are "the same parameters". */
  fingerprint: string;
  createdAt: number;
  timeExpireAt: number;
  prepayId: string;
  prepayIssuedAt: number;
  codeUrl?: string;
  h5Url?: string;
  /** H5: scene_info.payer_client_ip as the merchant sent it. */
  payerClientIp?: string;
  /** H5: scene_info.h5_info.type as sent. */
  h5Type?: string;
  tradeState: TradeState;
  transactionId?: string;
  successAt?: number;
  bankType?: string;
  payerTotalFen?: number;
  closedAt?: number;
  /** True when the money was taken after the order was closed or had expired (the close/pay race). */
  paidLate?: boolean;
  payerActions: PayerAction[];
}

/** Refund status; PROCESSING until the (virtual) completion time or a control outcome. */
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

/** Final refund outcomes that can be chosen through the control API. */
export type RefundOutcome = 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

/** A refund as WeChat Pay holds it. */
export interface RefundRecord {
  /** Internal key: `<merchantKey>|<out_refund_no>`. */
  key: string;
  mode: MerchantMode;
  mchid: string;
  subMchid?: string;
  orderKey: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string;
  reason?: string;
  notifyUrl?: string;
  refundFen: number;
  totalFen: number;
  currency: string;
  fingerprint: string;
  createdAt: number;
  status: RefundStatus;
  /** Virtual time at which PROCESSING resolves into `plannedOutcome`. */
  completeAt: number;
  plannedOutcome: RefundOutcome;
  successAt?: number;
  userReceivedAccount: string;
  /** Every status the refund has had, with the virtual time it began (bills print the status at day end). */
  statusHistory?: { status: RefundStatus; at: number }[];
  /** Retries of an ABNORMAL refund through apply-abnormal-refund (the bank card details are kept masked only). */
  abnormalRetries?: { at: number; type: AbnormalRefundType; bankType?: string; accountTail?: string }[];
}

/** Where a retried ABNORMAL refund goes: the payer's bank card, or the merchant's (who pays the shopper offline). */
export type AbnormalRefundType = 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD';

/** Delivery state of one notification. */
export type NotificationStatus = 'pending' | 'held' | 'delivered' | 'failed';

/** One POST (or dropped POST) of a notification. */
export interface NotificationAttempt {
  /** Delivery number: 0 = first delivery, 1..15 = retries; probes/duplicates/replays carry the number they follow. */
  n: number;
  kind: 'delivery' | 'retry' | 'probe' | 'duplicate' | 'replay';
  /** Virtual time the attempt was due (the retry schedule is computed from these). */
  scheduledAt: number;
  /** Virtual time the attempt started. */
  at: number;
  realAt: number;
  realDurationMs: number;
  /** Serial / PUB_KEY_ID in Wechatpay-Serial. */
  signedWith: string;
  staleTimestamp?: boolean;
  badSignature?: boolean;
  dropped?: boolean;
  /** HTTP status answered, absent when there was no answer. */
  status?: number;
  error?: string;
  responseExcerpt?: string;
  /** True when the answer counts as success (HTTP 200 or 204 in time). */
  ok: boolean;
}

/** A notification (callback) and its delivery history. */
export interface NotificationRecord {
  id: string;
  /** Creation order (1, 2, …): ties in createdAt are broken by it. */
  seq: number;
  eventType: string;
  merchant: MerchantMode;
  mchid: string;
  notifyUrl: string;
  outTradeNo?: string;
  outRefundNo?: string;
  /** The exact JSON body POSTed (resource encrypted with the merchant's APIv3 key). */
  body: string;
  createdAt: number;
  status: NotificationStatus;
  /** Virtual time of the next delivery attempt while pending. */
  nextAttemptAt?: number;
  /** Virtual time at which a held (reordered) notification is released at the latest. */
  holdUntil?: number;
  heldBy?: string;
  /** Normal deliveries made so far (first + retries), 0..16. */
  deliveries: number;
  attempts: NotificationAttempt[];
}

/** Fault kinds: notification faults (`notify.*`) and API faults (`api.*`). */
export type FaultKind =
  | 'notify.drop'
  | 'notify.duplicate'
  | 'notify.delay'
  | 'notify.reorder'
  | 'notify.probe'
  | 'notify.staleTimestamp'
  | 'api.error'
  | 'api.timeout';

/** All fault kinds, for validation. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'notify.drop',
  'notify.duplicate',
  'notify.delay',
  'notify.reorder',
  'notify.probe',
  'notify.staleTimestamp',
  'api.error',
  'api.timeout',
];

/**
 * A fault to inject. Scope: all traffic, or one order (`outTradeNo`), an event type prefix (`eventType`, notify
 * faults) or a path substring / method (API faults); `count` limits it to the next N matches.
 */
export interface FaultSpec {
  kind: FaultKind;
  outTradeNo?: string;
  eventType?: string;
  path?: string;
  method?: string;
  count?: number;
  /** notify.delay: virtual ms before the first delivery; notify.reorder: max virtual hold (default 60 000). */
  delayMs?: number;
  /** notify.reorder: how many notifications are held and then released in reverse order (default 2). */
  window?: number;
  /** api.timeout: real ms to hang before answering (default 10 000). */
  hangMs?: number;
  /** api.error: HTTP status and code answered (default 500 SYSTEM_ERROR). */
  status?: number;
  code?: string;
  /** api.*: fail before the request is processed, or after (processed, answer lost). Defaults: error before, timeout after. */
  when?: 'before' | 'after';
}

/** A fault as stored: the spec plus bookkeeping. */
export interface FaultRecord extends FaultSpec {
  id: string;
  createdAt: number;
  /** Matches left when `count` was given. */
  remaining?: number;
  hits: number;
}

/** Kinds of event log entries. */
export type EventKind = 'api' | 'notify' | 'payer' | 'refund' | 'control' | 'clock' | 'system';

/** One entry of the event log. */
export interface SimEvent {
  seq: number;
  kind: EventKind;
  /** Virtual time. */
  at: number;
  realAt: number;
  summary: string;
  method?: string;
  path?: string;
  status?: number;
  code?: string;
  realDurationMs?: number;
  requestId?: string;
  mchid?: string;
  outTradeNo?: string;
  outRefundNo?: string;
  notificationId?: string;
  requestExcerpt?: string;
  responseExcerpt?: string;
}

/** Filters for the event log (all optional, combined with AND). */
export interface EventFilter {
  kind?: EventKind;
  outTradeNo?: string;
  outRefundNo?: string;
  notificationId?: string;
  method?: string;
  pathContains?: string;
  status?: number;
  minStatus?: number;
  /** Only events with seq greater than this. */
  afterSeq?: number;
  /** Virtual time window (epoch ms, inclusive). */
  fromMs?: number;
  toMs?: number;
  /** At most this many, the newest ones (default 200, max 5000). */
  limit?: number;
}

/** The virtual clock as the control API shows it. */
export interface ClockView {
  nowMs: number;
  now: string;
  timeScale: number;
  /** Virtual minus real time, ms. */
  offsetMs: number;
}

/** Tunable behaviour (control API `/sim/settings`). */
export interface SimSettings {
  /** Virtual ms from refund acceptance to its outcome (default 60 000). */
  refundDelayMs: number;
  /** Outcome a refund reaches when none was chosen for it (default SUCCESS). */
  defaultRefundOutcome: RefundOutcome;
  /** Share of callbacks signed with the public key in 'switching' mode, 0..1 (default 0.5). */
  switchingPublicKeyShare: number;
  /** Minimum virtual ms between creating and closing an order (default 5 min; 0 disables). */
  closeGuardMs: number;
}

/** Which order a control call means: out_trade_no alone when unique, else with mchid or subMchid. */
export interface OrderRef {
  mchid?: string;
  subMchid?: string;
}

/** Options of the payer's pay action. */
export interface PayOptions extends OrderRef {
  bankType?: string;
}

/** Options of the payer's fail action. */
export interface FailOptions extends OrderRef {
  /** Why the payment failed (default NOT_ENOUGH: balance too low). */
  reason?: string;
}

/** The control API, implemented in-process by the handle and over HTTP by SimControl. */
export interface SimulatorControl {
  health(): Promise<{ ok: true; nowMs: number }>;
  identity(): Promise<PublicIdentity>;
  /** The full identity including private keys and APIv3 keys (local tools only). */
  identityWithSecrets(): Promise<SimIdentity>;
  setKeyMode(merchant: MerchantMode, mode: KeyMode): Promise<PublicIdentity>;
  /**
   * Registers another API certificate of the merchant (a rotation: a new one applied for while the current one is
   * still valid); requests signed with its key and serial are then accepted as well. Idempotent; persisted.
   */
  addMerchantCertificate(merchant: MerchantMode, certificatePem: string): Promise<PublicIdentity>;
  orders(filter?: { tradeState?: TradeState; limit?: number }): Promise<OrderRecord[]>;
  order(outTradeNo: string, ref?: OrderRef): Promise<OrderRecord>;
  /** Shopper pays: SUCCESS, transaction_id, success_time, TRANSACTION.SUCCESS scheduled. Refused if closed/expired. */
  pay(outTradeNo: string, opts?: PayOptions): Promise<OrderRecord>;
  /** Shopper pays even though the order is closed or expired (the close/pay race). */
  payLate(outTradeNo: string, opts?: PayOptions): Promise<OrderRecord>;
  /** Shopper closes the cashier: nothing changes (recorded). */
  cancel(outTradeNo: string, ref?: OrderRef): Promise<OrderRecord>;
  /** Payment fails (e.g. balance too low): the order stays NOTPAY (recorded). */
  fail(outTradeNo: string, opts?: FailOptions): Promise<OrderRecord>;
  refunds(filter?: { outTradeNo?: string; status?: RefundStatus; limit?: number }): Promise<RefundRecord[]>;
  refund(outRefundNo: string, ref?: OrderRef): Promise<RefundRecord>;
  /** Chooses a refund's outcome; `now` completes it at once instead of at its scheduled time. */
  setRefundOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts?: OrderRef & { now?: boolean },
  ): Promise<RefundRecord>;
  /**
   * The merchant settles an ABNORMAL refund by hand in the merchant platform: it becomes SUCCESS. WeChat sends no
   * notification for that unless `notify` is true: the merchant's own follow-up query has to find it.
   */
  settleRefundByHand(outRefundNo: string, opts?: OrderRef & { notify?: boolean }): Promise<RefundRecord>;
  notifications(filter?: {
    outTradeNo?: string;
    status?: NotificationStatus;
    eventType?: string;
    limit?: number;
  }): Promise<NotificationRecord[]>;
  notification(id: string): Promise<NotificationRecord>;
  /** Delivers a notification once more now (same id and body, fresh signature), outside the retry schedule. */
  replay(id: string): Promise<NotificationRecord>;
  clock(): Promise<ClockView>;
  /** Moves virtual time forward by `ms`, running every timer due on the way in order; resolves when done. */
  advance(ms: number): Promise<ClockView>;
  setTimeScale(timeScale: number): Promise<ClockView>;
  faults(): Promise<FaultRecord[]>;
  addFault(spec: FaultSpec): Promise<FaultRecord>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  events(filter?: EventFilter): Promise<SimEvent[]>;
  settings(): Promise<SimSettings>;
  updateSettings(patch: Partial<SimSettings>): Promise<SimSettings>;
}
