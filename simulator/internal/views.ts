// WeChat-facing JSON (snake_case) built from the simulator's records.
import type { OrderRecord, RefundRecord, TradeState } from '../types';
import { formatRfc3339Beijing } from './clock';

const TRADE_STATE_DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
};

/** The transaction as the query API answers it and as TRANSACTION.SUCCESS carries it (direct or partner shape). */
export function transactionJson(o: OrderRecord): Record<string, unknown> {
  const paid = o.transactionId !== undefined;
  const out: Record<string, unknown> =
    o.mode === 'direct'
      ? { appid: o.appid, mchid: o.mchid }
      : {
          sp_appid: o.appid,
          sp_mchid: o.mchid,
          ...(o.subAppid !== undefined ? { sub_appid: o.subAppid } : {}),
          sub_mchid: o.subMchid,
        };
  out.out_trade_no = o.outTradeNo;
  if (paid) {
    out.transaction_id = o.transactionId;
    out.trade_type = o.tradeType;
  }
  out.trade_state = o.tradeState;
  out.trade_state_desc = TRADE_STATE_DESC[o.tradeState];
  if (paid) out.bank_type = o.bankType ?? 'OTHERS';
  out.attach = o.attach ?? '';
  if (paid && o.successAt !== undefined) out.success_time = formatRfc3339Beijing(o.successAt);
  if (o.mode === 'direct') {
    out.payer = o.openid !== undefined ? { openid: o.openid } : {};
  } else {
    const payer: Record<string, string> = {};
    if (o.spOpenid !== undefined) payer.sp_openid = o.spOpenid;
    if (o.subOpenid !== undefined) payer.sub_openid = o.subOpenid;
    out.payer = payer;
  }
  out.amount = paid
    ? {
        total: o.totalFen,
        payer_total: o.payerTotalFen ?? o.totalFen,
        currency: o.currency,
        payer_currency: o.currency,
      }
    : { total: o.totalFen, currency: o.currency, payer_currency: o.currency };
  return out;
}

/** The refund as the refund create/query APIs answer it. */
export function refundJson(r: RefundRecord, payerTotalFen: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: r.userReceivedAccount,
  };
  if (r.mode === 'partner') out.sub_mchid = r.subMchid;
  if (r.successAt !== undefined) out.success_time = formatRfc3339Beijing(r.successAt);
  out.create_time = formatRfc3339Beijing(r.createdAt);
  out.status = r.status;
  out.funds_account = 'AVAILABLE';
  out.amount = {
    total: r.totalFen,
    refund: r.refundFen,
    from: [],
    payer_total: payerTotalFen,
    payer_refund: r.refundFen,
    settlement_refund: r.refundFen,
    settlement_total: r.totalFen,
    discount_refund: 0,
    currency: r.currency,
    refund_fee: 0,
  };
  out.promotion_detail = [];
  return out;
}

/** The plaintext resource of a REFUND.* notification. */
export function refundNotificationResource(r: RefundRecord, payerTotalFen: number): Record<string, unknown> {
  const out: Record<string, unknown> =
    r.mode === 'direct' ? { mchid: r.mchid } : { sp_mchid: r.mchid, sub_mchid: r.subMchid };
  out.out_trade_no = r.outTradeNo;
  out.transaction_id = r.transactionId;
  out.out_refund_no = r.outRefundNo;
  out.refund_id = r.refundId;
  out.refund_status = r.status;
  if (r.successAt !== undefined) out.success_time = formatRfc3339Beijing(r.successAt);
  out.user_received_account = r.userReceivedAccount;
  out.amount = {
    total: r.totalFen,
    refund: r.refundFen,
    payer_total: payerTotalFen,
    payer_refund: r.refundFen,
  };
  return out;
}
