import type { ApiError } from '../../typings/contracts/envelope';

/**
 * Every error code the cloud functions answer (docs/API.md), plus NETWORK for a call that never got an answer, mapped
 * to what the shopper reads. test/miniprogram/errors.test.ts checks that every code in docs/API.md is here.
 */
export const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  NETWORK: '网络不太顺畅，请检查网络后重试',
  INTERNAL: '系统开小差了，请稍后重试',
  'REQUEST.INVALID': '请求内容有误，请返回重试',
  'REQUEST.UNKNOWN_ACTION': '当前版本过旧，请升级小程序后重试',
  'AUTH.NO_IDENTITY': '未能识别你的微信身份，请重新进入小程序',
  'AUTH.FORBIDDEN': '你没有进行此操作的权限',
  'AUTH.TRIGGER_ONLY': '该功能只能由系统定时任务调用',
  'CONFIG.INVALID': '商店配置有误，暂时无法服务，请稍后再试',
  'PAYMENT.PROVIDER_ERROR': '微信支付暂时不可用，请稍后重试',
  'PAYMENT.NOT_SIMULATED': '当前环境不支持模拟支付',
  'PAYMENT.MISMATCH': '支付信息与订单不符，请联系客服',
  'CART.QUANTITY_INVALID': '购买数量不正确',
  'CART.UNKNOWN_SKU': '该商品已不存在',
  'CART.SKU_OFF_SALE': '该商品已下架',
  'CART.QUANTITY_LIMIT': '已达到该商品的限购数量',
  'CART.OUT_OF_STOCK': '库存不足',
  'CART.TOO_MANY_LINES': '购物车已满（最多 50 种商品），请先结算或删除一些',
  'CART.BUSY': '购物车正忙，请稍后重试',
  'CART.LINE_NOT_FOUND': '购物车中已没有这件商品',
  'ORDER.EMPTY': '请先选择要结算的商品',
  'ORDER.UNKNOWN_SKU': '订单中有商品已不存在，请返回购物车调整',
  'ORDER.SKU_OFF_SALE': '订单中有商品已下架，请返回购物车调整',
  'ORDER.QUANTITY_LIMIT': '订单中有商品超过限购数量，请返回购物车调整',
  'ORDER.QUANTITY_INVALID': '订单中商品数量不正确，请返回购物车调整',
  'ORDER.OUT_OF_STOCK': '订单中有商品库存不足，请返回购物车调整',
  'ORDER.TOO_MANY_LINES': '一次最多结算 50 种商品',
  'ORDER.DUPLICATE_LINE': '订单中有重复的商品，请返回购物车调整',
  'ORDER.LINES_INVALID': '订单商品有误，请返回购物车调整',
  'ORDER.NOT_FOUND': '订单不存在',
  'ORDER.NOT_CANCELLABLE': '订单当前状态不能取消',
  'ORDER.ALREADY_PAID': '订单已支付成功，不能取消',
  'ORDER.PAYMENT_UNCONFIRMED': '支付结果确认中，暂时不能取消，请稍后再试',
  'ORDER.BUSY': '订单正在处理中，请稍后重试',
  'CHANNEL.HTTP_ONLY': '该操作只能在网页收银台进行',
  'CHANNEL.CLIENT_IP_UNKNOWN': '无法识别你的网络地址，暂时不能在网页上支付',
  'CHANNEL.TOO_MANY_UNPAID': '未支付的网页订单太多，请先完成支付或稍后再试',
  'ORDER.NOT_PAYABLE': '订单当前状态不能支付',
  'ORDER.EXPIRED': '订单已超时，不能再支付',
  'ORDER.PRICE_CHANGED': '商品价格有变化，请确认新的金额后再提交',
  'ORDER.STILL_PAYABLE': '这笔订单还可以支付，请直接去支付',
  'ORDER.ILLEGAL_TRANSITION': '订单当前状态不允许此操作',
  'ORDER.UNKNOWN_STATE': '订单状态异常，请联系客服',
  'ORDER.DELIVERY_INVALID': '收货信息不完整或有误，请检查后重试',
  'ORDER.DELIVERY_NOT_ALLOWED': '所选商品不支持这种配送方式，请换一种',
  'FULFIL.NOT_SHIPPED': '订单还没有发货，暂时不能确认收货',
  'FULFIL.NOT_CONFIRMED': '微信尚未记录你的确认收货，请稍后再试',
  'FULFIL.NOT_SHIPPABLE': '订单当前状态不能发货（未支付、已退款或已关闭）',
  'FULFIL.REFUND_PENDING': '订单有退款正在处理，退款有结果前不能发货',
  'FULFIL.ALREADY_SHIPPED': '订单已发货；如需修改物流信息，请选择「修改发货信息」',
  'FULFIL.WRONG_DELIVERY_KIND': '这笔订单的配送方式不支持此操作',
  'FULFIL.UNKNOWN_EXPRESS_COMPANY': '快递公司不在商店配置的列表中',
  'FULFIL.REUPLOAD_USED_UP': '微信只允许修改一次发货信息，本单已用完',
  'REFUND.NOT_ALLOWED': '订单未支付，不能退款',
  'REFUND.AMOUNT_INVALID': '退款金额不正确',
  'REFUND.EXCEEDS_REFUNDABLE': '退款金额超过可退金额',
  'REFUND.WINDOW_EXPIRED': '订单已超过一年，不能退款',
  'REFUND.NOT_FOUND': '退款记录不存在',
  'REFUND.ILLEGAL_TRANSITION': '退款当前状态不允许此操作',
  'REFUND.LEDGER_INCONSISTENT': '退款记录异常，请联系客服',
  'REFUND.RETRY_UNSUPPORTED': '这笔退款不能这样重试，请联系客服',
  'REFUND_REQUEST.NOT_ALLOWED': '订单当前状态不能申请退款',
  'REFUND_REQUEST.ALREADY_OPEN': '这笔订单已有一个退款申请在处理中',
  'REFUND_REQUEST.WINDOW_CLOSED': '已超过申请退款的期限，如有问题请联系客服',
  'REFUND_REQUEST.NOT_FOUND': '退款申请不存在',
  'REFUND_REQUEST.ILLEGAL_TRANSITION': '退款申请的状态已变化，请刷新后查看',
  'REFUND_REQUEST.UNKNOWN_STATE': '退款申请状态异常，请联系客服',
};

/** What to tell the shopper about an error: the table's sentence, or a generic one naming the code. */
export function errorText(error: Pick<ApiError, 'code'>): string {
  return ERROR_MESSAGES[error.code] ?? `操作未成功（${error.code}），请稍后重试`;
}

/** The text tells the shopper to contact the shop: a page puts 联系客服 (open-type="contact") next to it. */
export function asksToContact(text: string): boolean {
  return /联系(客服|商家)/.test(text);
}
