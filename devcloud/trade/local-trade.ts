// The local cloud's 发货信息管理 (WeChat's order-shipping / trade-management service): the three cloud calls a function
// reaches as `cloud.openapi.wxa.sec.order.*` — uploadShippingInfo, getOrder, isTradeManaged — with WeChat's rules and
// error codes, not a blind ok, plus the platform's side: the payer confirming receipt, settlement, and the message
// push events delivered to the `tradeEvents` function. Dev-only: nothing in server/ or cloudfunctions/ imports it; it
// shares no code with the adapter it checks (server/adapters/trade).
//
// Answers are WeChat's bodies: {errcode: 0, errmsg: "ok", …} or {errcode, errmsg} for a refusal (the adapter also
// accepts a rejected cloud call, which is how "no permission" and "no answer" faults arrive: {errCode, errMsg}).
// Rules (docs/adr/0009, the 发货信息管理 section of the project's platform notes, WeChat's API pages):
//   - payment unknown or not paid → 10060001; payer.openid not the payer → 10060031;
//   - the first upload plus ONE change; a third → 10060003;
//   - after confirm-receipt, settlement or a full refund → 10060004;
//   - service switched off for the app → 48001 "api unauthorized" (what developers report for apps without it);
//   - malformed bodies → 40097 (WeChat's "invalid args") naming the field: required fields per logistics type
//     (express: tracking_no + express_company per entry, contact required for SF), item_desc 1–120 characters,
//     unified = exactly one entry, split = 1–15 entries and express only with is_all_delivered, upload_time RFC 3339
//     and later than the previous upload of the payment.
// Durable state (per payment: uploads, confirm/settle times; the switch; the call log) lives in one JSON store in the
// local cloud's data folder, so a restart keeps it.
import { randomInt } from 'node:crypto';
import type { CloudPayStore } from '../cloudpay/json-store';
import { cloudCallError, withPermission } from '../sdk/cloud-call';
import type { KnownPayment, PaymentDirectory } from './payments';

/** The three cloud-call methods. */
export type TradeMethod = 'uploadShippingInfo' | 'getOrder' | 'isTradeManaged';
export const TRADE_METHODS: readonly TradeMethod[] = ['uploadShippingInfo', 'getOrder', 'isTradeManaged'];

/** WeChat's codes the emulation answers. */
export const TradeCodes = {
  INVALID_ARGS: 40097,
  API_UNAUTHORIZED: 48001,
  ORDER_NOT_FOUND: 10060001,
  REUPLOAD_USED_UP: 10060003,
  NOT_SHIPPABLE: 10060004,
  NOT_PAYER: 10060031,
} as const;

/** Delivers a message-push event to a function (the stack invokes `tradeEvents`); resolves with its answer. */
export type DeliverEvent = (functionName: string, event: Record<string, unknown>) => Promise<unknown>;

/** Options of {@link LocalTradeManagement}. */
export interface LocalTradeOptions {
  store: CloudPayStore;
  payments: PaymentDirectory;
  /** Business clock (epoch ms): the simulator's virtual time on the stack. */
  now: () => number;
  /** The mini program's appid (is_trade_managed answers only for it). */
  appid: string;
  /** Where push events go; none = not delivered (logged only). */
  deliver?: DeliverEvent;
  /** The message-push function (default `tradeEvents`). */
  eventFunction?: string;
  log?: (line: string) => void;
}

/** A fault the next calls meet (tests, console): an errcode answer, or the cloud call rejecting. */
export interface TradeFault {
  method: TradeMethod;
  /** How many calls meet it (default 1). */
  count?: number;
  /** 'answer' (default): WeChat answers {errcode, errmsg}; 'throw': the cloud call rejects {errCode, errMsg}. */
  kind?: 'answer' | 'throw';
  errcode: number;
  errmsg?: string;
}

/** One entry of the shipping log (every cloud call and every platform action). */
export interface TradeLogEntry {
  seq: number;
  atMs: number;
  /** A cloud call, or a platform action ('confirmReceipt', 'settle', 'push:<event>'). */
  method: string;
  /** Which payment: transaction id when known, else "mchid/out_trade_no". */
  orderKey: string;
  logisticsType: number | null;
  payer: string;
  /** "ok" or "<errcode> <errmsg>". */
  outcome: string;
  body: unknown;
  answer: unknown;
}

/** One payment's shipping record. */
export interface ShipmentRecord {
  transactionId: string;
  mchid: string;
  outTradeNo: string;
  payerOpenid: string;
  uploads: Array<{ atMs: number; uploadTimeMs: number; body: Record<string, unknown> }>;
  confirmedAtMs: number | null;
  confirmMethod: 1 | 2 | null;
  settledAtMs: number | null;
}

/** A shipment with its current get_order state (the console's list). */
export interface ShipmentView extends ShipmentRecord {
  orderState: number;
}

type Answer = Record<string, unknown>;

const SHIP_PREFIX = 'ship/';
const LOG_PREFIX = 'log/';
const SETTINGS_KEY = 'settings';
const LOG_KEEP = 500;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

class Refusal extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function invalid(message: string): Refusal {
  return new Refusal(TradeCodes.INVALID_ARGS, `invalid args: ${message}`);
}

function secs(ms: number | null): number {
  return ms === null ? 0 : Math.floor(ms / 1000);
}

/** The local trade-management service; build it with {@link createLocalTradeManagement}. */
export class LocalTradeManagement {
  private chain: Promise<unknown> = Promise.resolve();
  private faults: TradeFault[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly o: LocalTradeOptions) {}

  /** Reads the log sequence back after a restart. */
  async open(): Promise<this> {
    for (const [, v] of await this.o.store.list(LOG_PREFIX)) {
      if (isRecord(v) && typeof v['seq'] === 'number' && v['seq'] > this.seq) this.seq = v['seq'];
    }
    return this;
  }

  // ---- the cloud calls -------------------------------------------------------------------------------------------

  /** upload_shipping_info. */
  uploadShippingInfo(body: unknown): Promise<Answer> {
    return this.api('uploadShippingInfo', body, (b) => this.upload(b));
  }

  /** get_order: flat {transaction_id} or {merchant_id, merchant_trade_no} (+ sub_merchant_id). */
  getOrder(body: unknown): Promise<Answer> {
    return this.api('getOrder', body, (b) => this.order(b));
  }

  /** is_trade_managed: {appid}. */
  isTradeManaged(body: unknown): Promise<Answer> {
    return this.api('isTradeManaged', body, async (b) => {
      if (!nonEmpty(b['appid'])) throw invalid('appid is required');
      if (b['appid'] !== this.o.appid) throw new Refusal(40013, 'invalid appid: not this account');
      return { is_trade_managed: await this.managed() };
    });
  }

  /**
   * What a function gets as `cloud.openapi`: wxa.sec.order.{uploadShippingInfo, getOrder, isTradeManaged}. With
   * `allowed` (the function's config.json permissions.openapi), an unlisted API rejects with -604101 as the platform does.
   */
  sdkFacade(allowed?: ReadonlySet<string>): {
    wxa: { sec: { order: Readonly<Record<TradeMethod, (body: unknown) => Promise<Answer>>> } };
  } {
    const guard = (method: TradeMethod, run: (b: unknown) => Promise<Answer>) =>
      withPermission(allowed, `wxa.sec.order.${method}`, `openapi.wxa.sec.order.${method}`, run);
    return {
      wxa: {
        sec: {
          order: Object.freeze({
            uploadShippingInfo: guard('uploadShippingInfo', (b) => this.uploadShippingInfo(b)),
            getOrder: guard('getOrder', (b) => this.getOrder(b)),
            isTradeManaged: guard('isTradeManaged', (b) => this.isTradeManaged(b)),
          }),
        },
      },
    };
  }

  // ---- control surface (tests, console, the loopback routes) -----------------------------------------------------

  /** Whether the service is switched on for the app (default on). */
  async managed(): Promise<boolean> {
    const s = await this.o.store.get(SETTINGS_KEY);
    return !(isRecord(s) && s['managed'] === false);
  }

  /** Switches the service on or off (durable). */
  setManaged(on: boolean): Promise<boolean> {
    return this.exclusive(async () => {
      await this.o.store.put(SETTINGS_KEY, { managed: on });
      this.say(`is_trade_managed switched ${on ? 'on' : 'off'}`);
      return on;
    });
  }

  /** Queues a fault for the next `count` calls of `method` (in order with earlier ones). */
  injectFault(fault: TradeFault): void {
    if (!TRADE_METHODS.includes(fault.method)) throw new Error(`unknown method ${String(fault.method)}`);
    if (!Number.isInteger(fault.errcode) || fault.errcode === 0)
      throw new Error('errcode must be a non-zero integer');
    const count = fault.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new Error('count must be 1..1000');
    this.faults.push({ ...fault, count });
  }

  /** Faults still queued. */
  pendingFaults(): TradeFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The shipping log, newest first. */
  async log(limit = 100): Promise<TradeLogEntry[]> {
    const entries = await this.o.store.list(LOG_PREFIX);
    return entries
      .map(([, v]) => v as TradeLogEntry)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, limit);
  }

  /** Every payment with shipping recorded, newest upload first, with its get_order state. */
  async shipments(): Promise<ShipmentView[]> {
    const out: ShipmentView[] = [];
    for (const [, v] of await this.o.store.list(SHIP_PREFIX)) {
      const rec = v as ShipmentRecord;
      const payment = await this.o.payments.byTransactionId(rec.transactionId);
      out.push({ ...rec, orderState: stateOf(rec, payment) });
    }
    const lastAt = (s: ShipmentView) => s.uploads[s.uploads.length - 1]?.atMs ?? 0;
    return out.sort((a, b) => lastAt(b) - lastAt(a));
  }

  /**
   * The payer confirms receipt (WeChat's confirm view): state 2 → 3, then `trade_manage_order_settlement` is pushed
   * with the confirm time and the expected settlement (the next day). `key` is {transaction_id} or
   * {merchant_id, merchant_trade_no}; with `openid`, only the payer may confirm. `method` 2 plays the automatic one.
   */
  async confirmReceipt(
    key: Record<string, unknown>,
    opts: { openid?: string; method?: 1 | 2 } = {},
  ): Promise<{ orderState: number; transactionId: string; pushed: unknown }> {
    const event = await this.exclusive(async () => {
      const { payment, rec } = await this.locate(key);
      if (opts.openid !== undefined && opts.openid !== payment.payerOpenid)
        throw new Refusal(TradeCodes.NOT_PAYER, 'only the payer can confirm receipt');
      const state = stateOf(rec, payment);
      if (state !== 2)
        throw new Refusal(
          TradeCodes.NOT_SHIPPABLE,
          `order_state is ${state}: only a shipped order (2) can be confirmed`,
        );
      const now = this.o.now();
      const next: ShipmentRecord = { ...rec, confirmedAtMs: now, confirmMethod: opts.method ?? 1 };
      await this.putShipment(next);
      await this.record('confirmReceipt', payment.transactionId, null, payment.payerOpenid, 'ok', key, {
        order_state: 3,
      });
      return this.settlementEvent(next, payment);
    });
    const pushed = await this.push(event);
    return { orderState: 3, transactionId: String(event['transaction_id']), pushed };
  }

  /** Settlement of a confirmed payment: state 3 → 4 and the second `trade_manage_order_settlement` push. */
  async settle(key: Record<string, unknown>): Promise<{ orderState: number; pushed: unknown }> {
    const event = await this.exclusive(async () => {
      const { payment, rec } = await this.locate(key);
      const state = stateOf(rec, payment);
      if (state !== 3)
        throw new Refusal(
          TradeCodes.NOT_SHIPPABLE,
          `order_state is ${state}: only a confirmed order (3) settles`,
        );
      const now = this.o.now();
      const next: ShipmentRecord = { ...rec, settledAtMs: now };
      await this.putShipment(next);
      await this.record('settle', payment.transactionId, null, payment.payerOpenid, 'ok', key, {
        order_state: 4,
      });
      return this.settlementEvent(next, payment);
    });
    return { orderState: 4, pushed: await this.push(event) };
  }

  /** Pushes `trade_manage_remind_shipping` for a paid payment (WeChat does after ~48 h without shipping). */
  async remindShipping(key: Record<string, unknown>): Promise<{ pushed: unknown }> {
    const payment = await this.exclusive(() => this.paymentFor(key));
    return {
      pushed: await this.push({
        ...this.envelope('trade_manage_remind_shipping'),
        transaction_id: payment.transactionId,
        merchant_id: payment.spMchid !== '' ? payment.spMchid : payment.mchid,
        sub_merchant_id: payment.spMchid !== '' ? payment.mchid : '',
        merchant_trade_no: payment.outTradeNo,
        pay_time: secs(payment.paidAtMs),
        msg: '你有一笔订单已支付超过48小时仍未发货，请尽快发货',
      }),
    };
  }

  /** Pushes `trade_manage_remind_access_api` (WeChat reminds apps that have not integrated the shipping API). */
  async remindAccessApi(msg = '请尽快完成发货信息管理服务的接入'): Promise<{ pushed: unknown }> {
    return { pushed: await this.push({ ...this.envelope('trade_manage_remind_access_api'), msg }) };
  }

  /** Every later call rejects; waits for running ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.exclusive(() => undefined).catch(() => undefined);
  }

  // ---- the rules -------------------------------------------------------------------------------------------------

  private async upload(b: Record<string, unknown>): Promise<Answer> {
    if (!(await this.managed())) throw new Refusal(TradeCodes.API_UNAUTHORIZED, 'api unauthorized');
    const uploadTimeMs = checkUploadBody(b);
    const payment = await this.paymentForKey(b['order_key']);
    const payer = (b['payer'] as Record<string, unknown>)['openid'];
    if (payer !== payment.payerOpenid)
      throw new Refusal(TradeCodes.NOT_PAYER, 'openid is not the payer of this payment');
    const rec = (await this.shipment(payment.transactionId)) ?? newRecord(payment);
    const state = stateOf(rec, payment);
    if (state >= 3) throw new Refusal(TradeCodes.NOT_SHIPPABLE, '支付单处于不可发货的状态');
    if (rec.uploads.length >= 2)
      throw new Refusal(TradeCodes.REUPLOAD_USED_UP, 'shipping info can be changed only once');
    const previous = rec.uploads[rec.uploads.length - 1];
    if (previous !== undefined && uploadTimeMs <= previous.uploadTimeMs)
      throw invalid('upload_time must be later than the previous upload of this payment');
    await this.putShipment({
      ...rec,
      uploads: [...rec.uploads, { atMs: this.o.now(), uploadTimeMs, body: structuredClone(b) }],
    });
    return {};
  }

  private async order(b: Record<string, unknown>): Promise<Answer> {
    const payment = await this.paymentFor(b);
    const rec = (await this.shipment(payment.transactionId)) ?? newRecord(payment);
    const last = rec.uploads[rec.uploads.length - 1]?.body;
    const list = Array.isArray(last?.['shipping_list'])
      ? (last['shipping_list'] as Array<Record<string, unknown>>)
      : [];
    return {
      order: {
        transaction_id: payment.transactionId,
        merchant_id: payment.spMchid !== '' ? payment.spMchid : payment.mchid,
        sub_merchant_id: payment.spMchid !== '' ? payment.mchid : '',
        merchant_trade_no: payment.outTradeNo,
        description: payment.description.slice(0, 120),
        paid_amount: payment.paidFen,
        openid: payment.payerOpenid,
        trade_create_time: secs(payment.createdAtMs),
        pay_time: secs(payment.paidAtMs),
        in_complaint: false,
        order_state: stateOf(rec, payment),
        shipping: {
          delivery_mode: last?.['delivery_mode'] ?? 1,
          logistics_type: last?.['logistics_type'] ?? 1,
          finish_shipping:
            last !== undefined && (last['delivery_mode'] !== 2 || last['is_all_delivered'] === true),
          goods_desc: list.map((e) => (typeof e['item_desc'] === 'string' ? e['item_desc'] : '')).join(';'),
          finish_shipping_count: rec.uploads.length,
          shipping_list: list.map((e) => ({
            tracking_no: e['tracking_no'] ?? '',
            express_company: e['express_company'] ?? '',
            upload_time: secs(rec.uploads[rec.uploads.length - 1]?.atMs ?? null),
          })),
        },
      },
    };
  }

  // ---- lookups ---------------------------------------------------------------------------------------------------

  /** The payment of an upload's order_key; 10060001 when unknown or unpaid. */
  private async paymentForKey(key: unknown): Promise<KnownPayment> {
    const k = key as Record<string, unknown>;
    const found =
      k['order_number_type'] === 2
        ? await this.o.payments.byTransactionId(String(k['transaction_id']))
        : await this.o.payments.byMerchantTradeNo(String(k['mchid']), String(k['out_trade_no']));
    if (found === undefined) throw new Refusal(TradeCodes.ORDER_NOT_FOUND, 'order not found');
    return found;
  }

  /** The payment of a flat key ({transaction_id} or {merchant_id, merchant_trade_no}). */
  private async paymentFor(b: Record<string, unknown>): Promise<KnownPayment> {
    let found: KnownPayment | undefined;
    if (nonEmpty(b['transaction_id'])) found = await this.o.payments.byTransactionId(b['transaction_id']);
    else if (nonEmpty(b['merchant_id']) && nonEmpty(b['merchant_trade_no'])) {
      const mchid = nonEmpty(b['sub_merchant_id']) ? b['sub_merchant_id'] : b['merchant_id'];
      found =
        (await this.o.payments.byMerchantTradeNo(mchid, b['merchant_trade_no'])) ??
        (await this.o.payments.byMerchantTradeNo(b['merchant_id'], b['merchant_trade_no']));
    } else throw invalid('transaction_id, or merchant_id and merchant_trade_no, is required');
    if (found === undefined) throw new Refusal(TradeCodes.ORDER_NOT_FOUND, 'order not found');
    return found;
  }

  private async locate(
    key: Record<string, unknown>,
  ): Promise<{ payment: KnownPayment; rec: ShipmentRecord }> {
    const payment = await this.paymentFor(key);
    return { payment, rec: (await this.shipment(payment.transactionId)) ?? newRecord(payment) };
  }

  private async shipment(transactionId: string): Promise<ShipmentRecord | undefined> {
    return (await this.o.store.get(SHIP_PREFIX + transactionId)) as ShipmentRecord | undefined;
  }

  private putShipment(rec: ShipmentRecord): Promise<void> {
    return this.o.store.put(SHIP_PREFIX + rec.transactionId, rec);
  }

  // ---- push events -----------------------------------------------------------------------------------------------

  private envelope(event: string): Record<string, unknown> {
    return {
      ToUserName: `gh_${this.o.appid.slice(2, 14)}`,
      FromUserName: 'o-wechat-platform',
      CreateTime: secs(this.o.now()),
      MsgType: 'event',
      Event: event,
    };
  }

  private settlementEvent(rec: ShipmentRecord, payment: KnownPayment): Record<string, unknown> {
    const confirmed = rec.confirmedAtMs;
    return {
      ...this.envelope('trade_manage_order_settlement'),
      transaction_id: payment.transactionId,
      merchant_id: payment.spMchid !== '' ? payment.spMchid : payment.mchid,
      sub_merchant_id: payment.spMchid !== '' ? payment.mchid : '',
      merchant_trade_no: payment.outTradeNo,
      pay_time: secs(payment.paidAtMs),
      shipped_time: secs(rec.uploads[0]?.atMs ?? null),
      estimated_settlement_time: secs(confirmed === null ? null : confirmed + DAY_MS),
      confirm_receive_method: rec.confirmMethod ?? 0,
      confirm_receive_time: secs(confirmed),
      settlement_time: secs(rec.settledAtMs),
    };
  }

  private async push(event: Record<string, unknown>): Promise<unknown> {
    const fn = this.o.eventFunction ?? 'tradeEvents';
    const name = String(event['Event']);
    const orderKey = typeof event['transaction_id'] === 'string' ? event['transaction_id'] : '';
    if (!this.o.deliver) {
      await this.record(`push:${name}`, orderKey, null, '', 'not delivered (no function)', event, null);
      return null;
    }
    try {
      const answer = await this.o.deliver(fn, event);
      await this.record(`push:${name}`, orderKey, null, '', 'ok', event, answer ?? null);
      return answer;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.record(`push:${name}`, orderKey, null, '', `failed: ${message}`, event, null);
      this.say(`push ${name} to ${fn} failed: ${message}`);
      return { error: message };
    }
  }

  // ---- plumbing --------------------------------------------------------------------------------------------------

  private api(
    method: TradeMethod,
    body: unknown,
    handle: (b: Record<string, unknown>) => Promise<Answer>,
  ): Promise<Answer> {
    return this.exclusive(async () => {
      if (this.closed) throw reject(method, -1, 'the local trade management is closed');
      const b = isRecord(body) ? body : {};
      const { orderKey, logisticsType, payer } = summarise(method, b);
      const fault = this.nextFault(method);
      if (fault?.kind === 'throw') {
        await this.record(method, orderKey, logisticsType, payer, `thrown ${fault.errcode}`, body, null);
        throw reject(method, fault.errcode, fault.errmsg ?? 'injected fault');
      }
      let answer: Answer;
      try {
        if (fault !== undefined) throw new Refusal(fault.errcode, fault.errmsg ?? 'injected fault');
        if (!isRecord(body)) throw invalid('the body must be an object');
        answer = { errcode: 0, errmsg: 'ok', ...(await handle(b)) };
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        answer = { errcode: e.errcode, errmsg: `${e.errmsg} rid: ${rid()}` };
      }
      const outcome =
        answer['errcode'] === 0 ? 'ok' : `${String(answer['errcode'])} ${String(answer['errmsg'])}`;
      await this.record(method, orderKey, logisticsType, payer, outcome, body, answer);
      return answer;
    });
  }

  private nextFault(method: TradeMethod): TradeFault | undefined {
    const i = this.faults.findIndex((f) => f.method === method);
    if (i < 0) return undefined;
    const f = this.faults[i] as TradeFault;
    const left = (f.count ?? 1) - 1;
    if (left <= 0) this.faults.splice(i, 1);
    else this.faults[i] = { ...f, count: left };
    return f;
  }

  private async record(
    method: string,
    orderKey: string,
    logisticsType: number | null,
    payer: string,
    outcome: string,
    body: unknown,
    answer: unknown,
  ): Promise<void> {
    this.seq += 1;
    const entry: TradeLogEntry = {
      seq: this.seq,
      atMs: this.o.now(),
      method,
      orderKey,
      logisticsType,
      payer,
      outcome,
      body: body === undefined ? null : structuredClone(body),
      answer,
    };
    // A ring of LOG_KEEP slots: the newest entry replaces the one LOG_KEEP calls older.
    await this.o.store.put(`${LOG_PREFIX}${String(this.seq % LOG_KEEP).padStart(4, '0')}`, entry);
    this.say(`${method} ${orderKey || '-'}: ${outcome}`);
  }

  private say(line: string): void {
    this.o.log?.(`[devcloud trade] ${line}`);
  }

  // Every operation runs alone, so "read, decide, write" is atomic (an upload cannot interleave with a confirm).
  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(() => fn());
    this.chain = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      if (e instanceof Refusal) throw new LocalTradeError(e.errcode, e.errmsg);
      throw e;
    });
  }
}

/** A refused control action (confirm a payment that is not shipped, …), with WeChat's code. */
export class LocalTradeError extends Error {
  override readonly name = 'LocalTradeError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}

function rid(): string {
  return `${Date.now().toString(16).slice(-8)}-${randomInt(0x10000000, 0x7fffffff).toString(16)}`;
}

function reject(
  method: string,
  errCode: number,
  message: string,
): Error & { errCode: number; errMsg: string } {
  return cloudCallError(`openapi.wxa.sec.order.${method}`, errCode, message);
}

function newRecord(p: KnownPayment): ShipmentRecord {
  return {
    transactionId: p.transactionId,
    mchid: p.mchid,
    outTradeNo: p.outTradeNo,
    payerOpenid: p.payerOpenid,
    uploads: [],
    confirmedAtMs: null,
    confirmMethod: null,
    settledAtMs: null,
  };
}

/** get_order's order_state: 1 awaiting shipment, 2 shipped, 3 confirmed, 4 settled, 5 refunded. */
export function stateOf(rec: ShipmentRecord, payment: KnownPayment | undefined): number {
  if (rec.settledAtMs !== null) return 4;
  if (payment?.fullyRefunded) return 5;
  if (rec.confirmedAtMs !== null) return 3;
  return rec.uploads.length > 0 ? 2 : 1;
}

function summarise(
  method: TradeMethod,
  b: Record<string, unknown>,
): { orderKey: string; logisticsType: number | null; payer: string } {
  if (method === 'isTradeManaged') return { orderKey: '', logisticsType: null, payer: '' };
  const k = method === 'uploadShippingInfo' && isRecord(b['order_key']) ? b['order_key'] : b;
  const orderKey = nonEmpty(k['transaction_id'])
    ? k['transaction_id']
    : [k['mchid'] ?? k['merchant_id'], k['out_trade_no'] ?? k['merchant_trade_no']]
        .map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) : ''))
        .join('/');
  const payer = isRecord(b['payer']) && typeof b['payer']['openid'] === 'string' ? b['payer']['openid'] : '';
  const lt = b['logistics_type'];
  return { orderKey, logisticsType: typeof lt === 'number' ? lt : null, payer };
}

/** Checks an upload body against WeChat's rules; answers upload_time in epoch ms. Throws 40097 naming the field. */
export function checkUploadBody(b: Record<string, unknown>): number {
  const key = b['order_key'];
  if (!isRecord(key)) throw invalid('order_key is required');
  if (key['order_number_type'] === 2) {
    if (!nonEmpty(key['transaction_id']))
      throw invalid('order_key.transaction_id is required for order_number_type 2');
  } else if (key['order_number_type'] === 1) {
    if (!nonEmpty(key['mchid']) || !nonEmpty(key['out_trade_no']))
      throw invalid('order_key.mchid and order_key.out_trade_no are required for order_number_type 1');
  } else throw invalid('order_key.order_number_type must be 1 or 2');
  const lt = b['logistics_type'];
  if (lt !== 1 && lt !== 2 && lt !== 3 && lt !== 4) throw invalid('logistics_type must be 1, 2, 3 or 4');
  const mode = b['delivery_mode'];
  if (mode !== 1 && mode !== 2) throw invalid('delivery_mode must be 1 (unified) or 2 (split)');
  const list = b['shipping_list'];
  if (!Array.isArray(list) || list.length === 0) throw invalid('shipping_list needs at least one entry');
  if (mode === 1 && list.length !== 1)
    throw invalid('unified delivery (delivery_mode 1) takes exactly one shipping_list entry');
  if (mode === 2) {
    if (lt !== 1) throw invalid('split delivery (delivery_mode 2) is for express (logistics_type 1) only');
    if (list.length > 15) throw invalid('split delivery takes at most 15 shipping_list entries');
    if (typeof b['is_all_delivered'] !== 'boolean')
      throw invalid('is_all_delivered is required in split delivery');
  }
  list.forEach((entry: unknown, i) => {
    const at = `shipping_list[${i}]`;
    if (!isRecord(entry)) throw invalid(`${at} must be an object`);
    const desc = entry['item_desc'];
    if (!nonEmpty(desc) || [...desc].length > 120) throw invalid(`${at}.item_desc must be 1–120 characters`);
    if (lt === 1) {
      if (!nonEmpty(entry['tracking_no'])) throw invalid(`${at}.tracking_no is required for express`);
      if (!nonEmpty(entry['express_company'])) throw invalid(`${at}.express_company is required for express`);
      if (entry['express_company'] === 'SF') {
        const c = entry['contact'];
        if (!isRecord(c) || !(nonEmpty(c['receiver_contact']) || nonEmpty(c['consignor_contact'])))
          throw invalid(`${at}.contact.receiver_contact or consignor_contact is required for SF Express`);
      }
    }
  });
  const time = b['upload_time'];
  const ms = typeof time === 'string' && RFC3339.test(time) ? Date.parse(time) : NaN;
  if (!Number.isFinite(ms))
    throw invalid('upload_time must be an RFC 3339 time, e.g. 2022-12-15T13:29:35.120+08:00');
  const payer = b['payer'];
  if (!isRecord(payer) || !nonEmpty(payer['openid'])) throw invalid('payer.openid is required');
  return ms;
}

/** Builds the local trade management and reads its log position back. */
export function createLocalTradeManagement(o: LocalTradeOptions): Promise<LocalTradeManagement> {
  return new LocalTradeManagement(o).open();
}
