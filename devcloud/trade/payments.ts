// What the local 发货信息管理 knows about payments: it asks the payment side — the WeChat Pay simulator (PAY_PROVIDER
// wechatpay-v3) and the local cloudPay (PAY_PROVIDER cloudpay) — as WeChat's trade management knows every payment made
// to the app's merchants. Dev-only, read-only.
import type { OrderRecord, RefundRecord, SimulatorControl } from '../../simulator';
import type { LocalPaidOrder } from '../cloudpay/types';

/** One payment as trade management sees it. Times are epoch ms. */
export interface KnownPayment {
  transactionId: string;
  /** The merchant that took it: the direct mchid, or in partner mode the sub-merchant (the shop). */
  mchid: string;
  /** Partner mode: the service provider's mchid; '' for a direct merchant. */
  spMchid: string;
  outTradeNo: string;
  payerOpenid: string;
  paidAtMs: number;
  paidFen: number;
  description: string;
  createdAtMs: number;
  /** Money back to the payer in full (successful refunds add up to the payment). */
  fullyRefunded: boolean;
}

/** Looks payments up by either key of WeChat's order_key. */
export interface PaymentDirectory {
  byTransactionId(transactionId: string): Promise<KnownPayment | undefined>;
  /** `mchid` is the merchant that took the payment (in partner mode the sub-merchant; the provider's also matches). */
  byMerchantTradeNo(mchid: string, outTradeNo: string): Promise<KnownPayment | undefined>;
}

const ALL = 100_000;

function toKnown(o: OrderRecord, refunds: RefundRecord[]): KnownPayment | undefined {
  // Only paid orders exist for trade management (an unpaid one has no transaction id).
  if (o.transactionId === undefined || (o.tradeState !== 'SUCCESS' && o.tradeState !== 'REFUND'))
    return undefined;
  const refunded = refunds
    .filter((r) => r.orderKey === o.key && r.status === 'SUCCESS')
    .reduce((sum, r) => sum + r.refundFen, 0);
  return {
    transactionId: o.transactionId,
    mchid: o.mode === 'partner' ? (o.subMchid ?? '') : o.mchid,
    spMchid: o.mode === 'partner' ? o.mchid : '',
    outTradeNo: o.outTradeNo,
    payerOpenid: o.openid ?? o.subOpenid ?? o.spOpenid ?? '',
    paidAtMs: o.successAt ?? o.createdAt,
    paidFen: o.payerTotalFen ?? o.totalFen,
    description: o.description,
    createdAtMs: o.createdAt,
    fullyRefunded: refunded >= o.totalFen,
  };
}

/** A {@link PaymentDirectory} over the simulator's control API (in-process or HTTP). */
export function simulatorPayments(control: Pick<SimulatorControl, 'orders' | 'refunds'>): PaymentDirectory {
  const find = async (match: (o: OrderRecord) => boolean): Promise<KnownPayment | undefined> => {
    const order = (await control.orders({ limit: ALL })).find(match);
    if (order === undefined) return undefined;
    return toKnown(order, await control.refunds({ outTradeNo: order.outTradeNo, limit: ALL }));
  };
  return {
    byTransactionId: (transactionId) => find((o) => o.transactionId === transactionId),
    byMerchantTradeNo: (mchid, outTradeNo) =>
      find(
        (o) =>
          o.outTradeNo === outTradeNo &&
          (o.mchid === mchid || (o.subMchid !== undefined && o.subMchid === mchid)),
      ),
  };
}

/** A {@link PaymentDirectory} over the local cloudPay's paid orders (`source` answers it once the stack built it). */
export function cloudPayPayments(
  source: () => { paidOrders(): Promise<LocalPaidOrder[]> } | undefined,
): PaymentDirectory {
  const find = async (match: (o: LocalPaidOrder) => boolean): Promise<KnownPayment | undefined> => {
    const o = (await source()?.paidOrders())?.find(match);
    return o === undefined
      ? undefined
      : {
          transactionId: o.transactionId,
          mchid: o.subMchId,
          spMchid: o.mchId,
          outTradeNo: o.outTradeNo,
          payerOpenid: o.payerOpenid,
          paidAtMs: o.paidAtMs,
          paidFen: o.totalFee,
          description: o.body,
          createdAtMs: o.createdAtMs,
          fullyRefunded: o.refundedFee >= o.totalFee,
        };
  };
  return {
    byTransactionId: (transactionId) => find((o) => o.transactionId === transactionId),
    byMerchantTradeNo: (mchid, outTradeNo) =>
      find((o) => o.outTradeNo === outTradeNo && (o.subMchId === mchid || o.mchId === mchid)),
  };
}

/** The first directory that knows the payment answers. */
export function anyPayments(...dirs: PaymentDirectory[]): PaymentDirectory {
  const first = async (ask: (d: PaymentDirectory) => Promise<KnownPayment | undefined>) => {
    for (const d of dirs) {
      const found = await ask(d);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return {
    byTransactionId: (id) => first((d) => d.byTransactionId(id)),
    byMerchantTradeNo: (mchid, no) => first((d) => d.byMerchantTradeNo(mchid, no)),
  };
}
