// The refund ledger: create, query, the abnormal-refund retry, and how a PROCESSING refund ends (planned outcome,
// settled by hand), with the notification each outcome sends.
import type { OrderRecord, OrderRef, RefundOutcome, RefundRecord, RefundStatus } from '../types';
import { canonicalJson } from './crypto';
import { ControlError, paramError, wx } from './errors';
import { newRefundId } from './ids';
import { findOne, newest, type OrderLedger, type OrderLedgerDeps } from './orders';
import {
  orderKey,
  parseAbnormalRetry,
  parseRefund,
  parseRefundQuery,
  type ApiCall,
  type ApiResult,
} from './requests';
import { refundJson, refundNotificationResource } from './views';

const REFUNDS = 'refund';
const REFUND_WINDOW_MS = 365 * 24 * 3600_000;

/** What the refund ledger needs: the order ledger's needs but the public URL, the order ledger, and the scheduler's kick. */
export interface RefundLedgerDeps extends Omit<OrderLedgerDeps, 'publicUrl'> {
  orders: OrderLedger;
  kick: () => void;
}

/** Refunds against the order ledger. Throws WxError for WeChat API answers and ControlError for control calls. */
export class RefundLedger {
  /** Keys of PROCESSING refunds: timed work only looks at these. */
  private readonly processing = new Set<string>();

  constructor(private readonly d: RefundLedgerDeps) {
    for (const r of this.map().values()) if (r.status === 'PROCESSING') this.processing.add(r.key);
  }

  // ---------------------------------------------------------------- WeChat API

  /** POST /v3/refund/domestic/refunds → PROCESSING (idempotent by out_refund_no). */
  create(call: ApiCall): ApiResult {
    const req = parseRefund(call, this.d.identity);
    const family = call.merchant.merchant;
    const prefix = orderKey(family, call.merchant.mchid, req.subMchid, '');
    const refundKey = `${prefix}${req.outRefundNo}`;
    const fingerprint = canonicalJson(call.body);
    const existing = this.map().get(refundKey);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw wx.invalidRequest('商户退款单号已存在，且与原退款请求参数不一致');
      }
      return this.answer(existing);
    }

    let order: OrderRecord | undefined;
    if (req.transactionId !== undefined) {
      order = this.d.orders.byTransaction(req.transactionId);
      if (order && !order.key.startsWith(prefix)) order = undefined;
      if (order && req.outTradeNo !== undefined && order.outTradeNo !== req.outTradeNo) order = undefined;
    } else if (req.outTradeNo !== undefined) {
      order = this.d.orders.get(`${prefix}${req.outTradeNo}`);
    }
    if (!order) throw wx.resourceNotExists('订单不存在');
    if (order.transactionId === undefined || order.successAt === undefined) {
      throw wx.invalidRequest('订单未支付，不能退款');
    }
    const now = this.d.clock.now();
    if (now - order.successAt > REFUND_WINDOW_MS) throw wx.invalidRequest('订单已超过可退款期限（一年）');
    if (req.totalFen !== order.totalFen) {
      throw paramError('/amount/total', `原订单金额与实际订单金额不一致（订单金额 ${order.totalFen} 分）`);
    }
    const used = this.refundedOrPending(order.key);
    if (req.refundFen > order.totalFen - used) {
      throw wx.notEnough(`申请退款金额超过订单可退金额（可退 ${order.totalFen - used} 分）`);
    }
    const settings = this.d.settings();
    const refund: RefundRecord = {
      key: refundKey,
      mode: family,
      mchid: call.merchant.mchid,
      orderKey: order.key,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId,
      outRefundNo: req.outRefundNo,
      refundId: newRefundId(now),
      refundFen: req.refundFen,
      totalFen: req.totalFen,
      currency: req.currency,
      fingerprint,
      createdAt: now,
      status: 'PROCESSING',
      completeAt: now + settings.refundDelayMs,
      plannedOutcome: settings.defaultRefundOutcome,
      userReceivedAccount: '支付用户零钱',
      statusHistory: [{ status: 'PROCESSING', at: now }],
    };
    if (req.subMchid !== undefined) refund.subMchid = req.subMchid;
    if (req.reason !== undefined) refund.reason = req.reason;
    if (req.notifyUrl !== undefined) refund.notifyUrl = req.notifyUrl;
    this.save(refund);
    this.processing.add(refund.key);
    if (order.tradeState === 'SUCCESS') {
      order.tradeState = 'REFUND';
      this.d.orders.save(order);
    }
    this.d.kick();
    return this.answer(refund);
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} (partner: ?sub_mchid=). */
  query(call: ApiCall, outRefundNo: string): ApiResult {
    const subMchid = parseRefundQuery(call, this.d.identity);
    const refund = this.map().get(
      `${orderKey(call.merchant.merchant, call.merchant.mchid, subMchid, '')}${outRefundNo}`,
    );
    if (!refund) throw wx.resourceNotExists('退款单不存在');
    return this.answer(refund);
  }

  /**
   * POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund: retries an ABNORMAL refund to the payer's bank
   * card (USER_BANK_CARD: bank_type, and bank_account + real_name RSA-OAEP encrypted with the platform key named by
   * Wechatpay-Serial) or to the merchant's (MERCHANT_BANK_CARD). The refund is PROCESSING again and then settles
   * (SUCCESS unless an outcome was chosen). Asking again while that retry is PROCESSING answers it again.
   */
  applyAbnormal(call: ApiCall, refundId: string): ApiResult {
    const { subMchid, outRefundNo, type, bankType, accountTail } = parseAbnormalRetry(call, this.d.identity);
    const key = `${orderKey(call.merchant.merchant, call.merchant.mchid, subMchid, '')}${outRefundNo}`;
    const refund = this.map().get(key);
    if (!refund || refund.refundId !== refundId) throw wx.resourceNotExists('退款单不存在');
    const retried = refund.abnormalRetries ?? [];
    if (refund.status === 'PROCESSING' && retried.length > 0) return this.answer(refund);
    if (refund.status !== 'ABNORMAL') {
      throw wx.invalidRequest(`退款单状态为${refund.status}，只有异常退款单可以发起异常退款处理`);
    }
    const now = this.d.clock.now();
    refund.status = 'PROCESSING';
    refund.completeAt = now + this.d.settings().refundDelayMs;
    refund.plannedOutcome = 'SUCCESS';
    refund.userReceivedAccount =
      type === 'USER_BANK_CARD'
        ? `${bankType ?? ''}银行卡${accountTail ?? ''}`
        : '商户银行卡（由商户线下退给用户）';
    refund.abnormalRetries = [
      ...retried,
      {
        at: now,
        type,
        ...(bankType !== undefined ? { bankType } : {}),
        ...(accountTail !== undefined ? { accountTail } : {}),
      },
    ];
    this.moveTo(refund, 'PROCESSING', now, `: abnormal refund retried (${type}) → PROCESSING`);
    this.processing.add(refund.key);
    this.d.kick();
    return this.answer(refund);
  }

  // ---------------------------------------------------------------- control API

  /** Finds a refund by out_refund_no (and mchid/subMchid when ambiguous). */
  find(outRefundNo: string, ref: OrderRef = {}): RefundRecord {
    return findOne(this.map().values(), (r) => r.outRefundNo === outRefundNo, ref, {
      notFound: ['SIM.REFUND_NOT_FOUND', `no refund with out_refund_no ${outRefundNo}`],
      ambiguous: [
        'SIM.REFUND_AMBIGUOUS',
        `out_refund_no ${outRefundNo} is ambiguous; pass mchid or subMchid`,
      ],
    });
  }

  /** Refunds, oldest first. */
  list(f: { outTradeNo?: string; status?: RefundStatus; limit?: number } = {}): RefundRecord[] {
    const all = [...this.map().values()].filter(
      (r) =>
        (f.outTradeNo === undefined || r.outTradeNo === f.outTradeNo) &&
        (f.status === undefined || r.status === f.status),
    );
    return newest(all, f.limit);
  }

  /** Chooses the outcome of a PROCESSING refund; `now` completes it immediately. */
  setOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts: OrderRef & { now?: boolean } = {},
  ): RefundRecord {
    const refund = this.find(outRefundNo, opts);
    if (refund.status !== 'PROCESSING') {
      throw new ControlError(409, 'SIM.REFUND_FINAL', `refund ${outRefundNo} is already ${refund.status}`);
    }
    refund.plannedOutcome = outcome;
    this.save(refund);
    if (opts.now) this.complete(refund.key);
    this.d.kick();
    return this.map().get(refund.key) ?? refund;
  }

  /** An ABNORMAL refund settled by hand in the merchant platform → SUCCESS (notification only when asked). */
  settleByHand(outRefundNo: string, opts: OrderRef & { notify?: boolean } = {}): RefundRecord {
    const refund = this.find(outRefundNo, opts);
    if (refund.status !== 'ABNORMAL') {
      throw new ControlError(
        409,
        'SIM.REFUND_NOT_ABNORMAL',
        `refund ${outRefundNo} is ${refund.status}; only an ABNORMAL refund is settled by hand`,
      );
    }
    const now = this.d.clock.now();
    refund.status = 'SUCCESS';
    refund.successAt = now;
    refund.userReceivedAccount = '商户平台手工退款';
    this.moveTo(refund, 'SUCCESS', now, ' settled by hand → SUCCESS');
    if (opts.notify === true) this.notify(refund);
    return refund;
  }

  // ---------------------------------------------------------------- timed work and bills

  /** All refunds. */
  all(): RefundRecord[] {
    return [...this.map().values()];
  }

  /** The PROCESSING refunds (forgetting keys that have settled meanwhile). */
  processingRefunds(): RefundRecord[] {
    const out: RefundRecord[] = [];
    for (const key of this.processing) {
      const r = this.map().get(key);
      if (r && r.status === 'PROCESSING') out.push(r);
      else this.processing.delete(key);
    }
    return out;
  }

  /** A PROCESSING refund reaches its planned outcome and notifies. */
  complete(key: string): void {
    const refund = this.map().get(key);
    if (!refund || refund.status !== 'PROCESSING') return;
    const now = this.d.clock.now();
    refund.status = refund.plannedOutcome;
    if (refund.status === 'SUCCESS') refund.successAt = now;
    this.moveTo(refund, refund.status, now, ` → ${refund.status} (${refund.refundFen} fen)`);
    this.notify(refund);
  }

  // ---------------------------------------------------------------- internals

  /** Records the status move in the history, the store and the event log (`what` follows the refund's name). */
  private moveTo(refund: RefundRecord, status: RefundStatus, now: number, what: string): void {
    refund.statusHistory = [...(refund.statusHistory ?? []), { status, at: now }];
    this.save(refund);
    this.d.events.add({
      kind: 'refund',
      at: now,
      summary: `refund ${refund.outRefundNo} of ${refund.outTradeNo}${what}`,
      mchid: refund.mchid,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    });
  }

  private notify(refund: RefundRecord): void {
    if (refund.status === 'PROCESSING') return;
    const order = this.d.orders.get(refund.orderKey);
    if (refund.notifyUrl !== undefined) {
      const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' }[refund.status];
      this.d.notifier.create({
        eventType: `REFUND.${refund.status}`,
        summary,
        merchant: refund.mode,
        notifyUrl: refund.notifyUrl,
        originalType: 'refund',
        associatedData: 'refund',
        resource: refundNotificationResource(refund, order?.payerTotalFen ?? refund.totalFen),
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
      });
    }
  }

  private answer(refund: RefundRecord): ApiResult {
    const order = this.d.orders.get(refund.orderKey);
    return {
      status: 200,
      json: refundJson(refund, order?.payerTotalFen ?? refund.totalFen),
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    };
  }

  /** Fen already refunded or being refunded (CLOSED refunds free their amount). */
  private refundedOrPending(orderKeyValue: string): number {
    let sum = 0;
    for (const r of this.map().values()) {
      if (r.orderKey === orderKeyValue && r.status !== 'CLOSED') sum += r.refundFen;
    }
    return sum;
  }

  private save(refund: RefundRecord): void {
    this.d.store.put(REFUNDS, refund.key, refund);
  }

  private map(): ReadonlyMap<string, RefundRecord> {
    return this.d.store.all<RefundRecord>(REFUNDS);
  }
}
