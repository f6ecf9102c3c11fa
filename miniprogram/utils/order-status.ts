import type { OrderStatus, OrderView } from '../../typings/contracts/order';
import { fenToYuanText } from './money';

/** How a status looks: `tone` picks the colour of the badge and the header (see order pages' WXSS). */
export interface StatusLook {
  label: string;
  tone: 'warning' | 'success' | 'closed' | 'refund' | 'danger';
  icon: string;
  /** One sentence under the label. */
  note: string;
}

/**
 * Every order status distinct in words and look. `refundedFen` only matters for partial refunds; `owedOfflineFen` is
 * money WeChat could only return to the shop's bank card, which the shop still has to pay the shopper by hand: the
 * shopper must not read 已退款 while they have nothing.
 */
export function statusLook(status: OrderStatus, refundedFen = 0, owedOfflineFen = 0): StatusLook {
  if (owedOfflineFen > 0 && (status === 'REFUNDED' || status === 'PARTIALLY_REFUNDED')) {
    return {
      label: '商家线下退款中',
      tone: 'refund',
      icon: 'wallet',
      note: `¥${fenToYuanText(owedOfflineFen)} 未能原路退回，商家将线下退还给你，如有疑问请联系商家`,
    };
  }
  switch (status) {
    case 'AWAITING_PAYMENT':
      return { label: '待支付', tone: 'warning', icon: 'hourglass', note: '请在倒计时结束前完成支付' };
    case 'PAID':
      return { label: '已支付', tone: 'success', icon: 'check-circle', note: '商家已收到你的付款，正在备货' };
    case 'CLOSED_BY_USER':
      return { label: '已取消', tone: 'closed', icon: 'close-circle', note: '你已取消这笔订单' };
    case 'CLOSED_BY_TIMEOUT':
      return { label: '超时关闭', tone: 'closed', icon: 'time', note: '订单超时未支付，已自动关闭' };
    case 'PAID_AFTER_CLOSE':
      return {
        label: '正在自动退款',
        tone: 'refund',
        icon: 'rollback',
        note: '订单关闭后才收到你的付款，款项将原路自动退回',
      };
    case 'REFUND_PROCESSING':
      return { label: '退款中', tone: 'refund', icon: 'refresh', note: '退款已提交，正在原路退回' };
    case 'PARTIALLY_REFUNDED':
      return {
        label: '部分退款',
        tone: 'refund',
        icon: 'wallet',
        note: `已退回 ¥${fenToYuanText(refundedFen)}，其余款项照常结算`,
      };
    case 'REFUNDED':
      return { label: '已退款', tone: 'closed', icon: 'check-circle', note: '款项已全部原路退回' };
    case 'REFUND_FAILED':
      return {
        label: '退款失败',
        tone: 'danger',
        icon: 'error-circle',
        note: '退款未能完成，客服会尽快联系你处理',
      };
  }
}

/** The tester badge: a tester order says so and names the amount actually charged. */
export function testBadgeText(order: Pick<OrderView, 'isTestOrder' | 'payableFen'>): string {
  return order.isTestOrder ? `测试订单 · 实付 ¥${fenToYuanText(order.payableFen)}` : '';
}

/** WeChat Pay's wording for "the sheet said ok but the server has no payment yet" (MINIPROGRAM-FACTS.md). */
export const CHECK_LATER_TEXT = '稍后进入订单管理页核实订单状态，不要重复发起支付';
