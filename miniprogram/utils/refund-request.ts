// Words and numbers of refund requests (docs/adr/0011), one place for the shopper's pages and the staff's.
import type {
  RefundRequestKind,
  RefundRequestProgress,
  RefundRequestRefusal,
  RefundRequestView,
} from '../../typings/contracts/refund-request';
import { fenToYuanText } from './money';
import { beijingTimeText } from './time';

export const KIND_TEXT: Readonly<Record<RefundRequestKind, string>> = {
  refund: '仅退款',
  'return-refund': '退货退款',
};

/** What the shopper reads for each progress, and its tone. */
export const PROGRESS_TEXT: Readonly<
  Record<RefundRequestProgress, { label: string; tone: 'info' | 'warning' | 'success' | 'danger' | 'muted' }>
> = {
  PENDING: { label: '待商家处理', tone: 'info' },
  AWAITING_RETURN: { label: '待寄回', tone: 'warning' },
  REFUNDING: { label: '已同意，退款中', tone: 'info' },
  REFUNDED: { label: '已退款', tone: 'success' },
  REFUND_FAILED: { label: '退款遇到问题，商家会尽快处理', tone: 'danger' },
  REJECTED: { label: '已拒绝', tone: 'danger' },
  WITHDRAWN: { label: '已撤销', tone: 'muted' },
};

/** Why a new request cannot be made, in the shopper's words ('' for reasons the page says otherwise). */
export const REFUSAL_TEXT: Readonly<Record<RefundRequestRefusal, string>> = {
  'not-paid': '订单未支付，不能申请退款',
  closed: '订单已关闭',
  'paid-after-close': '这笔付款会自动原路退回，无需申请',
  'refund-in-progress': '订单有退款正在处理，完成后才能再次申请',
  refunded: '订单已全额退款',
  'nothing-refundable': '订单已没有可退的金额',
  'window-closed': '已超过申请退款的期限，如有问题请联系客服',
  'already-open': '',
};

/** A request as the order page shows it. */
export interface RefundRequestVM {
  requestId: string;
  label: string;
  tone: string;
  kindText: string;
  amountText: string;
  reason: string;
  rejectReason: string;
  createdText: string;
  canWithdraw: boolean;
  /** For a return-and-refund staff agreed to: what the shopper does next. */
  hint: string;
}

export function refundRequestVM(r: RefundRequestView): RefundRequestVM {
  const look = PROGRESS_TEXT[r.progress] ?? { label: r.progress, tone: 'muted' };
  return {
    requestId: r.requestId,
    label: r.progress === 'REJECTED' && r.rejectReason ? `已拒绝：${r.rejectReason}` : look.label,
    tone: look.tone,
    kindText: KIND_TEXT[r.kind] ?? r.kind,
    amountText: fenToYuanText(r.amountFen),
    reason: r.reasonText ? `${r.reasonCode}：${r.reasonText}` : r.reasonCode,
    rejectReason: r.rejectReason ?? '',
    createdText: beijingTimeText(r.createdAtMs),
    canWithdraw: r.canWithdraw,
    hint:
      r.progress === 'AWAITING_RETURN'
        ? '商家已同意退货，请将商品寄回，商家收到后为你退款'
        : r.progress === 'PENDING' && r.kind === 'return-refund'
          ? '商品已发出，商家同意后请按提示寄回商品'
          : '',
  };
}

/**
 * Yuan as typed (e.g. "12", "12.5", "12.50") → integer fen, or null when it is not a positive amount with at most two
 * decimals. String arithmetic only: no floating point ever touches the money.
 */
export function yuanTextToFen(text: string): number | null {
  const m = /^(\d{1,7})(?:\.(\d{0,2}))?$/.exec(text.trim());
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen >= 1 ? fen : null;
}
