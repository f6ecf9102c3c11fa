// The order ledger: create (JSAPI / Native / H5 / App), query, close, and what the payer does to an order.
import type { MerchantMode, OrderRecord, OrderRef, PayOptions, SimSettings, TradeState } from '../types';
import type { VirtualClock } from './clock';
import { canonicalJson } from './crypto';
import { ControlError, wx } from './errors';
import type { EventLog } from './events';
import { newCodeUrl, newOpenid, newPrepayId, newTransactionId } from './ids';
import type { SimIdentity } from './identity';
import type { Notifier } from './notifier';
import {
  orderKey,
  parseClose,
  parseCreateOrder,
  queryOrderKey,
  TRADE_TYPE,
  type ApiCall,
  type ApiResult,
  type Channel,
} from './requests';
import type { JournalStore } from './store';
import { transactionJson } from './views';

const ORDERS = 'order';
const MINUTE = 60_000;
/** prepay_id / code_url lifetime. */
export const PREPAY_LIFETIME_MS = 2 * 60 * MINUTE;

/** What the order ledger needs. */
export interface OrderLedgerDeps {
  identity: SimIdentity;
  store: JournalStore;
  clock: VirtualClock;
  events: EventLog;
  notifier: Notifier;
  settings: () => SimSettings;
  publicUrl: () => string;
}

/** The records of one kind a control call may name, and how to say it found none or several. */
interface Lookup {
  notFound: [code: string, message: string];
  ambiguous: [code: string, message: string];
}

/** The one record with `no` (narrowed by mchid / subMchid); ControlError 404 for none, 409 for several. */
export function findOne<T extends { mchid: string; subMchid?: string }>(
  records: Iterable<T>,
  matches: (r: T) => boolean,
  ref: OrderRef,
  lookup: Lookup,
): T {
  const hits = [...records].filter(
    (r) =>
      matches(r) &&
      (ref.mchid === undefined || r.mchid === ref.mchid) &&
      (ref.subMchid === undefined || r.subMchid === ref.subMchid),
  );
  if (hits.length === 0) throw new ControlError(404, ...lookup.notFound);
  if (hits.length > 1) throw new ControlError(409, ...lookup.ambiguous);
  return hits[0] as T;
}

/** The newest `limit` (default 500) of `records`, oldest first. */
export function newest<T extends { createdAt: number; key: string }>(records: T[], limit = 500): T[] {
  const all = records.sort((a, b) => a.createdAt - b.createdAt || a.key.localeCompare(b.key));
  return all.slice(Math.max(0, all.length - limit));
}

/** Orders by key and by transaction id. Throws WxError for WeChat API answers and ControlError for control calls. */
export class OrderLedger {
  private readonly byTransactionId = new Map<string, string>();

  constructor(private readonly d: OrderLedgerDeps) {
    for (const o of this.map().values()) {
      if (o.transactionId !== undefined) this.byTransactionId.set(o.transactionId, o.key);
    }
  }

  // ---------------------------------------------------------------- WeChat API

  /** POST /v3/pay[/partner]/transactions/{jsapi,native,h5,app}. */
  create(call: ApiCall, family: MerchantMode, channel: Channel): ApiResult {
    const now = this.d.clock.now();
    const req = parseCreateOrder(call, family, channel, this.d.identity, now);
    const { outTradeNo } = req;
    const key = orderKey(family, call.merchant.mchid, req.subMchid, outTradeNo);
    const fingerprint = canonicalJson({ endpoint: `${family}/${channel}`, body: call.body });
    const existing = this.map().get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint)
        throw wx.outTradeNoUsed('商户订单号重复，且与原订单参数不一致');
      if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND') {
        throw wx.tradeError('该订单已支付，请勿重复下单');
      }
      if (existing.tradeState === 'CLOSED') throw wx.orderClosed('订单已关闭，请使用新的商户订单号下单');
      if (now >= existing.timeExpireAt)
        throw wx.orderClosed('订单已过支付结束时间，请使用新的商户订单号下单');
      if (now - existing.prepayIssuedAt >= PREPAY_LIFETIME_MS) {
        existing.prepayId = newPrepayId(now);
        existing.prepayIssuedAt = now;
        if (existing.codeUrl !== undefined) existing.codeUrl = newCodeUrl();
        if (existing.h5Url !== undefined) existing.h5Url = this.h5Url(existing.prepayId);
        this.save(existing);
      }
      return { status: 200, json: createAnswer(existing, channel), outTradeNo };
    }

    const order: OrderRecord = {
      key,
      mode: family,
      tradeType: TRADE_TYPE[channel],
      mchid: call.merchant.mchid,
      appid: req.appid,
      outTradeNo,
      description: req.description,
      notifyUrl: req.notifyUrl,
      totalFen: req.totalFen,
      currency: req.currency,
      fingerprint,
      createdAt: now,
      timeExpireAt: req.timeExpireAt,
      prepayId: newPrepayId(now),
      prepayIssuedAt: now,
      tradeState: 'NOTPAY',
      payerActions: [],
    };
    if (req.subMchid !== undefined) order.subMchid = req.subMchid;
    if (req.subAppid !== undefined) order.subAppid = req.subAppid;
    if (req.attach !== undefined) order.attach = req.attach;
    if (req.openid !== undefined) order.openid = req.openid;
    if (req.spOpenid !== undefined) order.spOpenid = req.spOpenid;
    if (req.subOpenid !== undefined) order.subOpenid = req.subOpenid;
    if (req.payerClientIp !== undefined) order.payerClientIp = req.payerClientIp;
    if (req.h5Type !== undefined) order.h5Type = req.h5Type;
    if (channel === 'native') order.codeUrl = newCodeUrl();
    if (channel === 'h5') order.h5Url = this.h5Url(order.prepayId);
    this.save(order);
    return { status: 200, json: createAnswer(order, channel), outTradeNo };
  }

  /** GET …/transactions/out-trade-no/{no}?mchid= (partner: sp_mchid & sub_mchid). */
  queryByOutTradeNo(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    const order = this.map().get(queryOrderKey(call, family, outTradeNo));
    if (!order) throw wx.orderNotExist('订单不存在');
    return { status: 200, json: transactionJson(order), outTradeNo };
  }

  /** GET …/transactions/id/{transaction_id}?mchid= (partner: sp_mchid & sub_mchid). */
  queryById(call: ApiCall, family: MerchantMode, transactionId: string): ApiResult {
    const expectedPrefix = queryOrderKey(call, family, '');
    const order = this.byTransaction(transactionId);
    if (!order || !order.key.startsWith(expectedPrefix)) throw wx.orderNotExist('订单不存在');
    return { status: 200, json: transactionJson(order), outTradeNo: order.outTradeNo };
  }

  /**
   * POST …/out-trade-no/{no}/close → 204. Closing a closed order is 204 again, and so is an unknown out_trade_no
   * (production answers 204 there too). A paid order → 403 TRADE_ERROR; before `closeGuardMs` → 403 RULE_LIMIT.
   */
  close(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    const subMchid = parseClose(call, family, outTradeNo, this.d.identity);
    const order = this.map().get(orderKey(family, call.merchant.mchid, subMchid, outTradeNo));
    if (!order || order.tradeState === 'CLOSED') return { status: 204, outTradeNo };
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw wx.tradeError('订单已支付，不能关单，请查询订单并按已支付处理');
    }
    const now = this.d.clock.now();
    const guard = this.d.settings().closeGuardMs;
    if (now - order.createdAt < guard) {
      throw wx.ruleLimit(`订单创建${Math.round(guard / MINUTE)}分钟内不能关单，请稍后再试`);
    }
    order.tradeState = 'CLOSED';
    order.closedAt = now;
    this.save(order);
    return { status: 204, outTradeNo };
  }

  // ---------------------------------------------------------------- the payer (control API)

  /** Finds an order by out_trade_no (and mchid/subMchid when several merchants use the same number). */
  find(outTradeNo: string, ref: OrderRef = {}): OrderRecord {
    return findOne(this.map().values(), (o) => o.outTradeNo === outTradeNo, ref, {
      notFound: ['SIM.ORDER_NOT_FOUND', `no order with out_trade_no ${outTradeNo}`],
      ambiguous: [
        'SIM.ORDER_AMBIGUOUS',
        `out_trade_no ${outTradeNo} exists for several merchants; pass mchid or subMchid`,
      ],
    });
  }

  /** Orders, oldest first, optionally by trade state. */
  list(f: { tradeState?: TradeState; limit?: number } = {}): OrderRecord[] {
    const all = [...this.map().values()].filter(
      (o) => f.tradeState === undefined || o.tradeState === f.tradeState,
    );
    return newest(all, f.limit);
  }

  /** The shopper pays within the rules: NOTPAY, not expired, prepay_id still valid. */
  pay(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    const order = this.find(outTradeNo, opts);
    const now = this.d.clock.now();
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw new ControlError(409, 'SIM.ALREADY_PAID', `order ${outTradeNo} is already paid`);
    }
    if (order.tradeState === 'CLOSED') {
      throw new ControlError(
        409,
        'SIM.ORDER_CLOSED',
        `order ${outTradeNo} is closed; use payLate to simulate the close/pay race`,
      );
    }
    if (now >= order.timeExpireAt) {
      throw new ControlError(
        409,
        'SIM.ORDER_EXPIRED',
        `order ${outTradeNo} passed its time_expire; use payLate to pay anyway`,
      );
    }
    if (now - order.prepayIssuedAt >= PREPAY_LIFETIME_MS) {
      throw new ControlError(
        409,
        'SIM.PREPAY_EXPIRED',
        `the prepay_id of ${outTradeNo} is older than 2 hours; the merchant must create the order again (same parameters) for a new one`,
      );
    }
    return this.markPaid(order, 'pay', opts.bankType);
  }

  /** The shopper pays although the order is closed or expired: money is taken anyway (close/pay race). */
  payLate(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    const order = this.find(outTradeNo, opts);
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw new ControlError(409, 'SIM.ALREADY_PAID', `order ${outTradeNo} is already paid`);
    }
    return this.markPaid(order, 'payLate', opts.bankType);
  }

  /** The shopper closes the cashier; nothing changes but the record. */
  cancel(outTradeNo: string, ref: OrderRef = {}): OrderRecord {
    const order = this.find(outTradeNo, ref);
    return this.recordAction(order, 'cancel', 'requestPayment:fail cancel');
  }

  /** The payment fails (default NOT_ENOUGH): the order stays NOTPAY. */
  fail(outTradeNo: string, ref: OrderRef & { reason?: string } = {}): OrderRecord {
    const order = this.find(outTradeNo, ref);
    if (order.tradeState !== 'NOTPAY') {
      throw new ControlError(
        409,
        'SIM.NOT_PAYABLE',
        `order ${outTradeNo} is ${order.tradeState}, not NOTPAY`,
      );
    }
    return this.recordAction(order, 'fail', ref.reason ?? 'NOT_ENOUGH');
  }

  // ---------------------------------------------------------------- for the refund ledger and bills

  /** All orders. */
  all(): OrderRecord[] {
    return [...this.map().values()];
  }

  get(key: string): OrderRecord | undefined {
    return this.map().get(key);
  }

  byTransaction(transactionId: string): OrderRecord | undefined {
    const key = this.byTransactionId.get(transactionId);
    return key === undefined ? undefined : this.map().get(key);
  }

  save(order: OrderRecord): void {
    this.d.store.put(ORDERS, order.key, order);
  }

  // ---------------------------------------------------------------- internals

  private markPaid(order: OrderRecord, action: 'pay' | 'payLate', bankType: string | undefined): OrderRecord {
    const now = this.d.clock.now();
    const late = order.tradeState === 'CLOSED' || now >= order.timeExpireAt;
    order.tradeState = 'SUCCESS';
    order.transactionId = newTransactionId(now);
    order.successAt = now;
    order.bankType = bankType ?? 'OTHERS';
    order.payerTotalFen = order.totalFen;
    if (late) order.paidLate = true;
    if (order.mode === 'direct' && order.openid === undefined) order.openid = newOpenid();
    if (order.mode === 'partner' && order.spOpenid === undefined && order.subOpenid === undefined) {
      order.spOpenid = newOpenid();
    }
    order.payerActions.push({ at: now, action, ...(late ? { detail: 'paid after close/expiry' } : {}) });
    this.byTransactionId.set(order.transactionId, order.key);
    this.save(order);
    this.d.events.add({
      kind: 'payer',
      at: now,
      summary: `payer ${action}: ${order.outTradeNo} ${order.totalFen} fen → SUCCESS (${order.transactionId})${late ? ' LATE' : ''}`,
      mchid: order.mchid,
      outTradeNo: order.outTradeNo,
    });
    this.d.notifier.create({
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      merchant: order.mode,
      notifyUrl: order.notifyUrl,
      originalType: 'transaction',
      associatedData: 'transaction',
      resource: transactionJson(order),
      outTradeNo: order.outTradeNo,
    });
    return order;
  }

  private recordAction(order: OrderRecord, action: 'cancel' | 'fail', detail: string): OrderRecord {
    const now = this.d.clock.now();
    order.payerActions.push({ at: now, action, detail });
    this.save(order);
    this.d.events.add({
      kind: 'payer',
      at: now,
      summary: `payer ${action}: ${order.outTradeNo} (${detail}); state stays ${order.tradeState}`,
      mchid: order.mchid,
      outTradeNo: order.outTradeNo,
    });
    return order;
  }

  private h5Url(prepayId: string): string {
    return `${this.d.publicUrl()}/sim/cashier/${prepayId}`;
  }

  private map(): ReadonlyMap<string, OrderRecord> {
    return this.d.store.all<OrderRecord>(ORDERS);
  }
}

function createAnswer(order: OrderRecord, channel: Channel): Record<string, unknown> {
  if (channel === 'native') return { code_url: order.codeUrl };
  if (channel === 'h5') return { h5_url: order.h5Url };
  return { prepay_id: order.prepayId };
}
