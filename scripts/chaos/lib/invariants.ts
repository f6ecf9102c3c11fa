// The invariants of a settled shop, checked against WeChat's ledger (the simulator's orders and refunds), never against
// what the driver expected. Each violation names its order (or SKU, or counter) so a failing seed can be followed up.
import type { OrderRecord as WxOrder, RefundRecord as WxRefund, SimEvent } from '../../../simulator';
import type { Doc } from './target';

/** Kinds of violation, one per invariant. */
export const VIOLATION_CODES = [
  /** WeChat has money for an order that has no (or another) payment here. */
  'PAYMENT_LOST',
  /** A payment here that WeChat does not have, or one transaction applied to two orders, or counted twice. */
  'APPLIED_TWICE',
  /** Stock went below zero, or stock + held reservations differ from the initial stock. */
  'OVERSOLD',
  /** A closed order still holds its stock reservation. */
  'STOCK_NOT_RETURNED',
  /** A tester order refunded in full (automatically) still holds its stock. */
  'TESTER_STOCK_NOT_RETURNED',
  /** More refunded or reserved than was paid (here or at WeChat). */
  'OVER_REFUND',
  /** The order's status, refunded amount or a refund's status differs from WeChat's truth. */
  'NOT_WECHAT_TRUTH',
  /** Closed here but still open (payable) at WeChat. */
  'CLOSE_NOT_AT_WECHAT',
  /** Not in a final state and nothing explains it. */
  'NOT_SETTLED',
  /** Repeated job runs still call WeChat. */
  'JOBS_NOT_QUIET',
  /** A money-path counter differs from what the orders say. */
  'COUNTER_MISMATCH',
  /** Two simultaneous taps with one key (place, pay.start, refund) were answered differently. */
  'DOUBLE_TAP_DIFFERS',
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  code: ViolationCode;
  /** The order, SKU or counter concerned. */
  subject: string;
  message: string;
}

/** Everything the checks read, taken after the jobs went quiet. */
export interface SettledState {
  orders: Doc[];
  refunds: Doc[];
  skus: Doc[];
  /** Counter name → value, as the dev console shows them to staff. */
  counters: Record<string, number>;
  wxOrders: WxOrder[];
  wxRefunds: WxRefund[];
  initialStock: Record<string, number>;
  /** WeChat API calls the final (quiet) job runs made. */
  quietRunCalls: SimEvent[];
}

/** Which checks to run (counters only make sense when nothing else writes them). */
export interface CheckOptions {
  counters: boolean;
}

const FINAL = new Set(['PAID', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CLOSED_BY_USER', 'CLOSED_BY_TIMEOUT']);
const CLOSED_UNPAID = new Set(['CLOSED_BY_USER', 'CLOSED_BY_TIMEOUT']);

interface Line {
  skuId: string;
  quantity: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Runs every invariant; answers the violations (empty = the run holds). */
export function checkInvariants(s: SettledState, opts: CheckOptions): Violation[] {
  const out: Violation[] = [];
  const v = (code: ViolationCode, subject: string, message: string) => out.push({ code, subject, message });
  const wxByNo = new Map(s.wxOrders.map((w) => [w.outTradeNo, w]));
  const wxRefundsByOrder = new Map<string, WxRefund[]>();
  for (const r of s.wxRefunds) {
    const list = wxRefundsByOrder.get(r.outTradeNo) ?? [];
    list.push(r);
    wxRefundsByOrder.set(r.outTradeNo, list);
  }
  const wxRefundByNo = new Map(s.wxRefunds.map((r) => [r.outRefundNo, r]));
  const localRefundsByOrder = new Map<string, Doc[]>();
  for (const r of s.refunds) {
    const key = String(r.outTradeNo);
    const list = localRefundsByOrder.get(key) ?? [];
    list.push(r);
    localRefundsByOrder.set(key, list);
  }
  const txOwners = new Map<string, string>();
  const held: Record<string, number> = {};

  for (const o of s.orders) {
    const no = o._id;
    const status = String(o.status);
    const w = wxByNo.get(no);
    const payment: { transactionId?: string; paidFen?: number } | null =
      typeof o.payment === 'object' && o.payment !== null ? o.payment : null;
    const wxPaid = w !== undefined && w.transactionId !== undefined;
    const wxRefunds = wxRefundsByOrder.get(no) ?? [];
    const wxRefundedFen = wxRefunds
      .filter((r) => r.status === 'SUCCESS')
      .reduce((t, r) => t + r.refundFen, 0);
    const wxHeldFen = wxRefunds.filter((r) => r.status !== 'CLOSED').reduce((t, r) => t + r.refundFen, 0);

    // No payment lost, none applied twice.
    if (wxPaid && payment === null)
      v(
        'PAYMENT_LOST',
        no,
        `WeChat has payment ${w.transactionId} (${w.totalFen} fen) but the order is ${status} with no payment`,
      );
    if (wxPaid && payment !== null && payment.transactionId !== w.transactionId)
      v(
        'PAYMENT_LOST',
        no,
        `WeChat's transaction ${w.transactionId} differs from the applied ${String(payment.transactionId)}`,
      );
    if (wxPaid && payment !== null && payment.paidFen !== w.totalFen)
      v('APPLIED_TWICE', no, `paidFen ${String(payment.paidFen)} differs from WeChat's ${w.totalFen}`);
    if (!wxPaid && payment !== null)
      v(
        'APPLIED_TWICE',
        no,
        `a payment (${String(payment.transactionId)}) is applied that WeChat does not have`,
      );
    if (payment?.transactionId !== undefined) {
      const other = txOwners.get(payment.transactionId);
      if (other !== undefined)
        v('APPLIED_TWICE', no, `transaction ${payment.transactionId} also paid order ${other}`);
      txOwners.set(payment.transactionId, no);
    }

    // No over-refund.
    const paidFen = num(payment?.paidFen);
    if (num(o.refundedFen) > paidFen || num(o.refundReservedFen) > paidFen)
      v(
        'OVER_REFUND',
        no,
        `refunded ${num(o.refundedFen)} / reserved ${num(o.refundReservedFen)} of ${paidFen} paid`,
      );
    if (w !== undefined && wxHeldFen > w.totalFen)
      v('OVER_REFUND', no, `WeChat holds refunds of ${wxHeldFen} fen for an order of ${w.totalFen}`);

    // Every order equal to WeChat's truth, and settled.
    if (!wxPaid) {
      if (!CLOSED_UNPAID.has(status))
        v(
          status === 'AWAITING_PAYMENT' ? 'NOT_SETTLED' : 'NOT_WECHAT_TRUTH',
          no,
          `WeChat has no payment but the order is ${status}`,
        );
      else if (w !== undefined && w.tradeState !== 'CLOSED')
        v(
          'CLOSE_NOT_AT_WECHAT',
          no,
          `closed here (${status}) but ${w.tradeState} at WeChat (providerClose ${String(o.providerClose)})`,
        );
    } else {
      if (num(o.refundedFen) !== wxRefundedFen)
        v('NOT_WECHAT_TRUTH', no, `refundedFen ${num(o.refundedFen)} but WeChat refunded ${wxRefundedFen}`);
      const open = wxRefunds.some((r) => r.status === 'PROCESSING');
      // The newest refund (in the order staff asked for them: local creation time) decides between "a person must
      // act" (CLOSED) and partial; refunds asked in the same millisecond have no order, so either reading is accepted.
      // Status is WeChat's; a refund WeChat never saw (refused before it got there) counts as CLOSED.
      const local = localRefundsByOrder.get(no) ?? [];
      const all = [
        ...local.map((r) => ({
          at: num(r.createdAtMs),
          status: wxRefundByNo.get(r._id)?.status ?? 'CLOSED',
        })),
        ...wxRefunds
          .filter((r) => !local.some((l) => l._id === r.outRefundNo))
          .map((r) => ({ at: r.createdAt, status: r.status })),
      ];
      const newestAt = Math.max(...all.map((r) => r.at));
      const newest = all.filter((r) => r.at === newestAt);
      const abnormal = all.some((r) => r.status === 'ABNORMAL');
      const needsPerson = abnormal || (newest.length > 0 && newest.every((r) => r.status === 'CLOSED'));
      const maybePerson = abnormal || newest.some((r) => r.status === 'CLOSED');
      const closedBefore = o.closedAtMs !== null && o.closedAtMs !== undefined;
      let expected: string[];
      if (open) expected = ['REFUND_PROCESSING'];
      else if (wxRefundedFen >= w.totalFen) expected = ['REFUNDED'];
      else if (needsPerson) expected = ['REFUND_FAILED'];
      else if (wxRefundedFen > 0)
        expected = maybePerson ? ['PARTIALLY_REFUNDED', 'REFUND_FAILED'] : ['PARTIALLY_REFUNDED'];
      else if (maybePerson) expected = ['REFUND_FAILED'];
      else expected = closedBefore || o.isTestOrder === true ? [] : ['PAID'];
      if (expected.length === 0)
        v(
          'NOT_SETTLED',
          no,
          `${closedBefore ? 'paid after close' : 'a tester order paid'} (${status}) and WeChat has no refund for it: the money was never returned`,
        );
      else if (!expected.includes(status))
        v(
          open || status === 'REFUND_PROCESSING' || status === 'PAID_AFTER_CLOSE'
            ? 'NOT_SETTLED'
            : 'NOT_WECHAT_TRUTH',
          no,
          `status ${status}, WeChat's truth says ${expected.join('/')} (refunded ${wxRefundedFen} of ${w.totalFen}${open ? ', a refund still PROCESSING' : ''})`,
        );
    }
    if (!FINAL.has(status) && status !== 'REFUND_FAILED' && !out.some((x) => x.subject === no))
      v('NOT_SETTLED', no, `left in ${status}`);

    // Each refund here equals WeChat's.
    for (const r of localRefundsByOrder.get(no) ?? []) {
      const wr = wxRefundByNo.get(r._id);
      if (wr === undefined) {
        if (r.status !== 'CLOSED')
          v('NOT_WECHAT_TRUTH', no, `refund ${r._id} is ${String(r.status)} here and unknown to WeChat`);
      } else if (wr.status !== r.status) {
        v('NOT_WECHAT_TRUTH', no, `refund ${r._id} is ${String(r.status)} here, ${wr.status} at WeChat`);
      }
    }

    // Stock: what an order still holds; a closed order holds nothing, nor does a tester order refunded in full.
    if (o.stockReleased !== true && o.isTestOrder === true && status === 'REFUNDED')
      v('TESTER_STOCK_NOT_RETURNED', no, 'a tester order refunded in full still holds its stock');
    if (o.stockReleased !== true) {
      for (const l of (o.lines ?? []) as Line[]) held[l.skuId] = (held[l.skuId] ?? 0) + l.quantity;
      if (o.closedAtMs !== null && o.closedAtMs !== undefined)
        v('STOCK_NOT_RETURNED', no, `closed (${status}) but its stock reservation was never returned`);
    }
  }

  const localNos = new Set(s.orders.map((o) => o._id));
  for (const w of s.wxOrders)
    if (!localNos.has(w.outTradeNo))
      v(
        w.transactionId ? 'PAYMENT_LOST' : 'NOT_WECHAT_TRUTH',
        w.outTradeNo,
        `WeChat has this order (${w.tradeState}) and the shop does not`,
      );

  for (const sku of s.skus) {
    const initial = s.initialStock[sku._id];
    if (initial === undefined) continue;
    const stock = num(sku.stock);
    // A checkout's hold (docs/adr/0007) whose order was never written holds stock too, until the sweep gives it back.
    const holds = (typeof sku.holds === 'object' && sku.holds !== null ? sku.holds : {}) as Record<
      string,
      { q?: number }
    >;
    for (const [no, hold] of Object.entries(holds)) {
      if (localNos.has(no)) continue;
      held[sku._id] = (held[sku._id] ?? 0) + num(hold.q);
      v(
        'STOCK_NOT_RETURNED',
        no,
        `a checkout hold of ${num(hold.q)} on ${sku._id} with no order was never given back`,
      );
    }
    const h = held[sku._id] ?? 0;
    if (stock < 0) v('OVERSOLD', sku._id, `stock is ${stock}`);
    if (stock + h !== initial)
      v(
        'OVERSOLD',
        sku._id,
        `stock ${stock} + held by orders ${h} = ${stock + h}, but the initial stock was ${initial}`,
      );
  }

  if (s.quietRunCalls.length > 0) {
    const sample = s.quietRunCalls
      .slice(0, 5)
      .map((e) => `${e.method ?? ''} ${e.path ?? ''}${e.outTradeNo ? ` (${e.outTradeNo})` : ''}`)
      .join('; ');
    v(
      'JOBS_NOT_QUIET',
      s.quietRunCalls[0]?.outTradeNo ?? 'jobs',
      `${s.quietRunCalls.length} WeChat calls in the final job runs: ${sample}`,
    );
  }

  if (opts.counters) {
    for (const [name, actual] of Object.entries(expectedCounters(s))) {
      const counted = s.counters[name] ?? 0;
      if (counted !== actual)
        v('COUNTER_MISMATCH', name, `counter ${name} = ${counted}, the data says ${actual}`);
    }
  }
  return out;
}

/** The money-path counters and what the durable data says they must be. */
export function expectedCounters(s: SettledState): Record<string, number> {
  const out: Record<string, number> = {
    'orders.placed': s.orders.length,
    'payments.created': s.orders.filter((o) => o.prepay !== null && o.prepay !== undefined).length,
    'payments.succeeded': s.orders.filter((o) => o.payment !== null && o.payment !== undefined).length,
  };
  for (const status of ['SUCCESS', 'CLOSED', 'ABNORMAL', 'PROCESSING'])
    out[`refunds.${status.toLowerCase()}`] = s.refunds.filter((r) => r.status === status).length;
  for (const o of s.orders)
    out[`orders.status.${String(o.status)}`] = (out[`orders.status.${String(o.status)}`] ?? 0) + 1;
  return out;
}
