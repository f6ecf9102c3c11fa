// What "WeChat" holds for cloudPay: orders and refunds in the durable store, and the five v2 methods deciding from
// them. Callers run each method alone (LocalCloudPay.exclusive), so every "read, decide, write" here is atomic.
import { randomBytes } from 'node:crypto';
import type { CloudPayStore } from './json-store';
import type { CallbackStatus, LocalOrderView } from './types';
import {
  beijingCompact,
  beijingSpaced,
  isRecord,
  paidFields,
  parseCompact,
  randomDigits,
  refundProblem,
  unifiedOrderProblem,
  type AnswerFields,
  type Params,
  type V2Answers,
} from './v2-wire';

const PREPAY_TTL_MS = 2 * 3600_000;
const MIN_EXPIRY_MS = 60_000;

export interface OrderRec {
  kind: 'order';
  outTradeNo: string;
  body: string;
  totalFee: number;
  attach: string | null;
  subOpenid: string | null;
  openid: string | null;
  expiresAtMs: number | null;
  envId: string;
  functionName: string;
  /** The parameters a repeat unifiedOrder must match (v2: same out_trade_no, same order). */
  fingerprint: string;
  prepayId: string;
  prepayCreatedAtMs: number;
  createdAtMs: number;
  state: LocalOrderView['state'];
  transactionId: string | null;
  timeEnd: string | null;
  callback: CallbackStatus;
}

export type RefundState = 'PROCESSING' | 'SUCCESS' | 'REFUNDCLOSE' | 'CHANGE';

export interface RefundRec {
  kind: 'refund';
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  refundId: string;
  refundFee: number;
  totalFee: number;
  createdAtMs: number;
  status: RefundState;
  /** "yyyy-MM-dd HH:mm:ss", Beijing time. */
  successTime: string | null;
}

const orderKey = (no: string) => `order/${no}`;
const refundKey = (no: string) => `refund/${no}`;

function asOrder(v: unknown): OrderRec | undefined {
  return isRecord(v) && v.kind === 'order' ? (v as unknown as OrderRec) : undefined;
}

function asRefund(v: unknown): RefundRec | undefined {
  return isRecord(v) && v.kind === 'refund' ? (v as unknown as RefundRec) : undefined;
}

/** What the ledger needs. */
export interface LedgerDeps {
  store: CloudPayStore;
  now: () => number;
  answers: V2Answers;
  refundSettleAfterMs: number;
  closeGuardMs: number;
  log: (line: string) => void;
}

/** The orders and refunds, and the v2 methods over them. */
export class CloudPayLedger {
  constructor(private readonly d: LedgerDeps) {}

  // ---- the v2 methods --------------------------------------------------------------------------------------------

  /** v2 unifiedOrder (JSAPI): creates the order or, for the same parameters, answers its prepay again. */
  async unifiedOrder(p: Params): Promise<AnswerFields> {
    const a = this.d.answers;
    const lack = a.lacking(p, [
      'body',
      'outTradeNo',
      'spbillCreateIp',
      'subMchId',
      'totalFee',
      'envId',
      'functionName',
      'nonceStr',
    ]);
    if (lack) return lack;
    const bound = a.binding(p);
    if (bound) return bound;
    const bad = unifiedOrderProblem(p);
    if (bad) return a.returnFail(`参数格式校验错误: ${bad}`);
    if (p.subOpenid !== undefined && p.subAppid === undefined) {
      return a.resultFail('INVALID_REQUEST', '参数错误: 传 sub_openid 时必须传 sub_appid');
    }
    const now = this.d.now();
    const expiresAtMs = typeof p.timeExpire === 'string' ? (parseCompact(p.timeExpire) ?? null) : null;
    // Compared in whole seconds, as time_expire has no milliseconds.
    if (expiresAtMs !== null && expiresAtMs < Math.floor(now / 1000) * 1000 + MIN_EXPIRY_MS) {
      return a.resultFail('INVALID_REQUEST', 'time_expire 时间过短');
    }
    const outTradeNo = p.outTradeNo as string;
    const fingerprint = JSON.stringify([
      p.body,
      p.totalFee,
      p.attach ?? null,
      p.subOpenid ?? null,
      p.openid ?? null,
      p.timeExpire ?? null,
      p.envId,
      p.functionName,
    ]);
    let rec = await this.order(outTradeNo);
    if (rec) {
      if (rec.state === 'SUCCESS' || rec.state === 'REFUND') return a.resultFail('ORDERPAID', '该订单已支付');
      if (rec.state === 'CLOSED') return a.resultFail('ORDERCLOSED', '该订单已关闭');
      if (rec.fingerprint !== fingerprint) return a.resultFail('INVALID_REQUEST', '201 商户订单号重复');
      if (now - rec.prepayCreatedAtMs >= PREPAY_TTL_MS) {
        rec = { ...rec, prepayId: newPrepayId(now), prepayCreatedAtMs: now };
        await this.putOrder(rec);
      }
    } else {
      rec = {
        kind: 'order',
        outTradeNo,
        body: p.body as string,
        totalFee: p.totalFee as number,
        attach: (p.attach as string | undefined) ?? null,
        subOpenid: (p.subOpenid as string | undefined) ?? null,
        openid: (p.openid as string | undefined) ?? null,
        expiresAtMs,
        envId: p.envId as string,
        functionName: p.functionName as string,
        fingerprint,
        prepayId: newPrepayId(now),
        prepayCreatedAtMs: now,
        createdAtMs: now,
        state: 'NOTPAY',
        transactionId: null,
        timeEnd: null,
        callback: { attempts: 0, acknowledged: false, gaveUp: false, lastError: null },
      };
      await this.putOrder(rec);
      this.d.log(`unifiedOrder ${outTradeNo}: ${rec.totalFee} fen, callback ${rec.functionName}`);
    }
    return {
      ...a.success(),
      tradeType: 'JSAPI',
      prepayId: rec.prepayId,
      payment: a.payment(rec.prepayId, now),
    };
  }

  /** v2 orderquery: the payment fields only for paid orders (SUCCESS, REFUND), as v2 documents. */
  async queryOrder(p: Params): Promise<AnswerFields> {
    const ref = await this.orderRef(p);
    if ('answer' in ref) return ref.answer;
    const rec = ref.order;
    const base = {
      ...this.d.answers.success(),
      outTradeNo: rec.outTradeNo,
      tradeState: rec.state,
      tradeStateDesc: {
        NOTPAY: '订单未支付',
        SUCCESS: '支付成功',
        CLOSED: '订单已关闭',
        REFUND: '订单发生过退款',
      }[rec.state],
      ...(rec.attach !== null ? { attach: rec.attach } : {}),
    };
    if (rec.state !== 'SUCCESS' && rec.state !== 'REFUND') return base;
    return { ...base, ...paidFields(rec) };
  }

  /** v2 closeorder: ORDERPAID for a paid order, ORDERCLOSED when closed already, SYSTEMERROR inside the close guard. */
  async closeOrder(p: Params): Promise<AnswerFields> {
    const a = this.d.answers;
    const ref = await this.orderRef(p);
    if ('answer' in ref) return ref.answer;
    const rec = ref.order;
    if (rec.state === 'SUCCESS' || rec.state === 'REFUND')
      return a.resultFail('ORDERPAID', '订单已支付，不能发起关单');
    if (rec.state === 'CLOSED') return a.resultFail('ORDERCLOSED', '订单已关闭，无法重复关闭');
    // v2 asks for 5 minutes between ordering and closing; how production refuses is undocumented. SYSTEMERROR's
    // documented handling (call again later) is the right one for the caller, so that is what is answered.
    if (this.d.now() - rec.createdAtMs < this.d.closeGuardMs)
      return a.resultFail('SYSTEMERROR', '订单生成后不足5分钟，请稍后再关单');
    await this.putOrder({ ...rec, state: 'CLOSED' });
    this.d.log(`closeOrder ${rec.outTradeNo}`);
    return a.success();
  }

  /** v2 refund: accepts (PROCESSING); the same outRefundNo with the same amounts answers the same refund again. */
  async refund(p: Params): Promise<AnswerFields> {
    const a = this.d.answers;
    const lack = a.lacking(p, ['subMchId', 'nonceStr', 'outRefundNo', 'totalFee', 'refundFee']);
    if (lack) return lack;
    if (p.outTradeNo === undefined && p.transactionId === undefined)
      return a.resultFail('LACK_PARAMS', '缺少参数 out_trade_no 或 transaction_id');
    const bound = a.binding(p);
    if (bound) return bound;
    const bad = refundProblem(p);
    if (bad) return a.returnFail(`参数格式校验错误: ${bad}`);
    const order = await this.findOrder(p);
    if (!order) return a.resultFail('ORDERNOTEXIST', '订单号不存在');
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND')
      return a.resultFail('ERROR', '订单状态错误: 订单未支付，不能退款');
    const outRefundNo = p.outRefundNo as string;
    const refundFee = p.refundFee as number;
    const totalFee = p.totalFee as number;
    if (totalFee !== order.totalFee) return a.resultFail('PARAM_ERROR', 'total_fee 与订单金额不一致');
    const existing = await this.refundRec(outRefundNo);
    if (existing) {
      if (
        existing.outTradeNo !== order.outTradeNo ||
        existing.refundFee !== refundFee ||
        existing.totalFee !== totalFee
      ) {
        return a.resultFail('REFUND_FEE_MISMATCH', '订单金额或退款金额与之前请求不一致，请核实后再试');
      }
      return this.refundAnswer(existing);
    }
    const others = (await this.refundsOf(order.outTradeNo)).filter((r) => r.status !== 'REFUNDCLOSE');
    const refunded = others.reduce((sum, r) => sum + r.refundFee, 0);
    if (refunded + refundFee > order.totalFee) return a.resultFail('ERROR', '累计退款金额大于支付金额');
    const now = this.d.now();
    const rec: RefundRec = {
      kind: 'refund',
      outRefundNo,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? '',
      refundId: `50${beijingCompact(now).slice(0, 8)}${randomDigits(19)}`,
      refundFee,
      totalFee,
      createdAtMs: now,
      status: 'PROCESSING',
      successTime: null,
    };
    await this.putRefund(rec);
    if (order.state !== 'REFUND') await this.putOrder({ ...order, state: 'REFUND' });
    this.d.log(`refund ${outRefundNo} of ${order.outTradeNo}: ${refundFee} fen`);
    return this.refundAnswer(rec);
  }

  /** v2 refundquery in production's list form (outRefundNoList, refundStatusList, …); by refund or by order. */
  async queryRefund(p: Params, emptyLists: boolean): Promise<AnswerFields> {
    const a = this.d.answers;
    const lack = a.lacking(p, ['subMchId', 'nonceStr']);
    if (lack) return lack;
    const bound = a.binding(p);
    if (bound) return bound;
    let refunds: RefundRec[];
    if (typeof p.outRefundNo === 'string') {
      const r = await this.refundRec(p.outRefundNo);
      refunds = r ? [r] : [];
    } else if (typeof p.refundId === 'string') {
      refunds = (await this.allRefunds()).filter((r) => r.refundId === p.refundId);
    } else if (typeof p.outTradeNo === 'string' || typeof p.transactionId === 'string') {
      const order = await this.findOrder(p);
      refunds = order ? await this.refundsOf(order.outTradeNo) : [];
    } else {
      return a.resultFail('LACK_PARAMS', '缺少参数 out_refund_no、out_trade_no、transaction_id 或 refund_id');
    }
    if (refunds.length === 0) return a.resultFail('REFUNDNOTEXIST', '退款订单查询失败');
    refunds = await Promise.all(refunds.map((r) => this.settleIfDue(r)));
    const first = refunds[0] as RefundRec;
    const order = await this.order(first.outTradeNo);
    const shown = emptyLists ? [] : refunds;
    return {
      ...a.success(),
      transactionId: first.transactionId,
      outTradeNo: first.outTradeNo,
      totalFee: first.totalFee,
      cashFee: order?.totalFee ?? first.totalFee,
      refundCount: refunds.length,
      outRefundNoList: shown.map((r) => r.outRefundNo),
      refundIdList: shown.map((r) => r.refundId),
      refundFeeList: shown.map((r) => r.refundFee),
      settlementRefundFeeList: shown.map((r) => r.refundFee),
      refundStatusList: shown.map((r) => r.status),
      refundRecvAccoutList: shown.map(() => '支付用户零钱'),
      refundSuccessTimeList: shown.map((r) => r.successTime ?? ''),
    };
  }

  // ---- records ---------------------------------------------------------------------------------------------------

  async order(outTradeNo: string): Promise<OrderRec | undefined> {
    return asOrder(await this.d.store.get(orderKey(outTradeNo)));
  }

  putOrder(rec: OrderRec): Promise<void> {
    return this.d.store.put(orderKey(rec.outTradeNo), rec);
  }

  async refundRec(outRefundNo: string): Promise<RefundRec | undefined> {
    return asRefund(await this.d.store.get(refundKey(outRefundNo)));
  }

  putRefund(rec: RefundRec): Promise<void> {
    return this.d.store.put(refundKey(rec.outRefundNo), rec);
  }

  async allOrders(): Promise<OrderRec[]> {
    return (await this.d.store.list('order/')).flatMap(([, v]) => asOrder(v) ?? []);
  }

  /** An order's refunds as they stand now (those due settled, as a query would), oldest first. */
  async refundsNow(outTradeNo: string): Promise<RefundRec[]> {
    const out: RefundRec[] = [];
    for (const r of await this.refundsOf(outTradeNo)) out.push(await this.settleIfDue(r));
    return out;
  }

  /** Whether a prepay_id handed out at `prepayCreatedAtMs` can still be paid. */
  prepayCurrent(rec: OrderRec): boolean {
    return this.d.now() - rec.prepayCreatedAtMs < PREPAY_TTL_MS;
  }

  private async orderRef(p: Params): Promise<{ order: OrderRec } | { answer: AnswerFields }> {
    const a = this.d.answers;
    const lack = a.lacking(p, ['subMchId', 'nonceStr']);
    if (lack) return { answer: lack };
    if (p.outTradeNo === undefined && p.transactionId === undefined) {
      return { answer: a.resultFail('LACK_PARAMS', '缺少参数 out_trade_no 或 transaction_id') };
    }
    const bound = a.binding(p);
    if (bound) return { answer: bound };
    const order = await this.findOrder(p);
    return order ? { order } : { answer: a.resultFail('ORDERNOTEXIST', '此交易订单号不存在') };
  }

  private async findOrder(p: Params): Promise<OrderRec | undefined> {
    if (typeof p.transactionId === 'string' && p.transactionId !== '') {
      return (await this.allOrders()).find((o) => o.transactionId === p.transactionId);
    }
    return typeof p.outTradeNo === 'string' ? this.order(p.outTradeNo) : undefined;
  }

  private async allRefunds(): Promise<RefundRec[]> {
    return (await this.d.store.list('refund/')).flatMap(([, v]) => asRefund(v) ?? []);
  }

  private async refundsOf(outTradeNo: string): Promise<RefundRec[]> {
    return (await this.allRefunds())
      .filter((r) => r.outTradeNo === outTradeNo)
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  private async settleIfDue(r: RefundRec): Promise<RefundRec> {
    if (r.status !== 'PROCESSING' || this.d.now() - r.createdAtMs < this.d.refundSettleAfterMs) return r;
    const settled: RefundRec = {
      ...r,
      status: 'SUCCESS',
      successTime: beijingSpaced(r.createdAtMs + this.d.refundSettleAfterMs),
    };
    await this.putRefund(settled);
    return settled;
  }

  private refundAnswer(r: RefundRec): AnswerFields {
    return {
      ...this.d.answers.success(),
      transactionId: r.transactionId,
      outTradeNo: r.outTradeNo,
      outRefundNo: r.outRefundNo,
      refundId: r.refundId,
      refundFee: r.refundFee,
      settlementRefundFee: r.refundFee,
      totalFee: r.totalFee,
      cashFee: r.totalFee,
      cashRefundFee: r.refundFee,
    };
  }
}

function newPrepayId(now: number): string {
  return `wx${beijingCompact(now)}${randomBytes(10).toString('hex')}`;
}
