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

type Tone = StatusLook['tone'];

/** A look from its four parts (keeps the table below one line per status). */
function look(label: string, tone: Tone, icon: string, note: string): StatusLook {
  return { label, tone, icon, note };
}

/** The fixed looks; the two whose sentence names an amount are built in statusLook. */
const LOOKS: Readonly<Record<Exclude<OrderStatus, 'PARTIALLY_REFUNDED'>, StatusLook>> = {
  AWAITING_PAYMENT: look('待支付', 'warning', 'hourglass', '请在倒计时结束前完成支付'),
  PAID: look('已支付', 'success', 'check-circle', '商家已收到你的付款，正在备货'),
  CLOSED_BY_USER: look('已取消', 'closed', 'close-circle', '你已取消这笔订单'),
  CLOSED_BY_TIMEOUT: look('超时关闭', 'closed', 'time', '订单超时未支付，已自动关闭'),
  PAID_AFTER_CLOSE: look(
    '正在自动退款',
    'refund',
    'rollback',
    '订单关闭后才收到你的付款，款项将原路自动退回',
  ),
  REFUND_PROCESSING: look('退款中', 'refund', 'refresh', '退款已提交，正在原路退回'),
  REFUNDED: look('已退款', 'closed', 'check-circle', '款项已全部原路退回'),
  REFUND_FAILED: look('退款失败', 'danger', 'error-circle', '退款未能完成，客服会尽快联系你处理'),
};

/**
 * Every order status distinct in words and look. `refundedFen` only matters for partial refunds; `owedOfflineFen` is
 * money WeChat could only return to the shop's bank card, which the shop still has to pay the shopper by hand: the
 * shopper must not read 已退款 while they have nothing.
 */
export function statusLook(status: OrderStatus, refundedFen = 0, owedOfflineFen = 0): StatusLook {
  if (owedOfflineFen > 0 && (status === 'REFUNDED' || status === 'PARTIALLY_REFUNDED')) {
    const owed = fenToYuanText(owedOfflineFen);
    return look(
      '商家线下退款中',
      'refund',
      'wallet',
      `¥${owed} 未能原路退回，商家将线下退还给你，如有疑问请联系商家`,
    );
  }
  if (status === 'PARTIALLY_REFUNDED') {
    return look('部分退款', 'refund', 'wallet', `已退回 ¥${fenToYuanText(refundedFen)}，其余款项照常结算`);
  }
  return LOOKS[status];
}

/** The tester badge: a tester order says so and names the amount it charges (实付 once paid, 应付 before). */
export function testBadgeText(order: Pick<OrderView, 'isTestOrder' | 'payableFen' | 'moneyArrived'>): string {
  if (!order.isTestOrder) return '';
  return `测试订单 · ${order.moneyArrived ? '实付' : '应付'} ¥${fenToYuanText(order.payableFen)}`;
}

/**
 * WeChat Pay's rule for "the sheet said ok but the server has no payment yet" (MINIPROGRAM-FACTS.md): check later, do
 * not pay again. The shopper already is on the order page, so the place to check is named as the tab they know.
 */
export const CHECK_LATER_TEXT = '请稍后在「我的订单」中查看订单状态，不要重复发起支付';

/**
 * The word before the amount: 实付 claims money arrived, so only then; 应付 while it may still be paid; nothing for an
 * order closed without payment, where any amount word would read as a charge.
 */
export function amountLabel(order: Pick<OrderView, 'moneyArrived' | 'phase'>): '实付' | '应付' | '' {
  if (order.moneyArrived) return '实付';
  return order.phase === 'awaiting' ? '应付' : '';
}

/** What the page says after wx.requestPayment failed, and whether paying again could help. */
export interface PayFailureWords {
  text: string;
  retryable: boolean;
}

/**
 * WeChat's fail errMsg is English and meant for developers. "no permission" and "banned" come from the shop's payment
 * setup (merchant not bound to the app, account restricted): the shopper cannot fix that by trying again.
 */
export function payFailureWords(errMsg: string): PayFailureWords {
  const detail = errMsg.replace(/^requestPayment:fail\s*/i, '').trim();
  if (/no permission|banned|permission denied/i.test(detail)) {
    return {
      text: '商家的微信支付暂时无法收款，你的钱没有被扣。请联系商家处理，订单会为你保留到支付截止时间。',
      retryable: false,
    };
  }
  const shown = detail && !/^[\x20-\x7e]+$/.test(detail) ? `（${detail}）` : '';
  return { text: `支付未成功${shown}。订单仍为待支付，可以继续支付。`, retryable: true };
}
