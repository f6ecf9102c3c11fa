// Words of the staff pages: attention kinds and the shipping upload (docs/adr/0009), one place for both pages.
import type { ShippingUploadView } from '../../typings/contracts/fulfilment';
import type { AttentionKind } from '../../typings/contracts/order';
import type { StaffOrderView } from '../../typings/contracts/staff';
import { DELIVERY_KIND_TEXT } from '../utils/fulfilment';
import { beijingTimeText } from '../utils/time';

export const ATTENTION_TEXT: Readonly<Record<AttentionKind, string>> = {
  'payment-for-unknown-order': '收到未知订单的付款',
  'refund-for-unknown-refund': '收到未知退款的通知',
  'refund-after-close': '已关闭的退款又有结果',
  'refund-owed-offline': '退款需商家线下支付',
  'refund-unsettled': '退款长时间未完成',
  'close-unconfirmed': '超时订单未能确认关闭',
  'shipping-upload-failed': '发货信息上传微信失败',
  'message-refused': '订阅消息被微信拒收（模板或页面需修正）',
  'refund-request-unrefunded': '已同意的退款申请未能发起退款',
  'shipping-reminded': '微信提醒发货（资金冻结至上传发货信息）',
  'shipping-api-reminded': '微信提醒接入发货信息管理接口',
};

/** The shipping upload in staff's words; `tone` colours it. */
export function uploadText(u: ShippingUploadView): {
  text: string;
  tone: 'muted' | 'info' | 'success' | 'danger';
} {
  switch (u.state) {
    case 'none':
      return { text: '未发货，暂无需上传', tone: 'muted' };
    case 'queued':
      return { text: '等待上传到微信发货信息管理', tone: 'info' };
    case 'uploaded':
      return {
        text: `已上传微信${u.uploads > 1 ? `（已修改 ${u.uploads - 1} 次）` : ''}${u.lastUploadedAtMs ? ` · ${beijingTimeText(u.lastUploadedAtMs)}` : ''}`,
        tone: 'success',
      };
    case 'failed':
      return { text: `上传失败${u.lastError ? `：${u.lastError}` : ''}`, tone: 'danger' };
    case 'not-managed':
      return { text: '本小程序未开通微信发货信息管理，无需上传', tone: 'muted' };
    case 'not-applicable':
      return { text: '收银台/网页支付的订单，不在微信发货信息管理之内，无需上传', tone: 'muted' };
    default:
      return { text: String(u.state), tone: 'muted' };
  }
}

/** One card of the staff lists. */
export interface StaffCardVM {
  outTradeNo: string;
  paidText: string;
  summary: string;
  kindText: string;
  /** Receiver (express) or "到店自提". */
  to: string;
  remark: string;
  isTest: boolean;
  uploadFailed: boolean;
  /** What opening the order is for: 去发货 / 去备货 / 核销自提. */
  go: string;
}

export function staffCard(v: StaffOrderView): StaffCardVM {
  const o = v.order;
  const count = o.lines.reduce((n, l) => n + l.quantity, 0);
  const first = o.lines[0]?.title ?? '';
  const d = o.delivery;
  const to =
    d?.kind === 'express' && d.address
      ? `${d.address.name} · ${d.address.city}${d.address.district}`
      : d?.kind === 'pickup'
        ? (d.pickupPoint?.name ?? '自提点')
        : d?.kind === 'virtual'
          ? '无需配送'
          : '未记录收货信息';
  return {
    outTradeNo: o.outTradeNo,
    paidText: o.paidAtMs === null ? '' : beijingTimeText(o.paidAtMs),
    summary: o.lines.length > 1 ? `${first} 等 ${count} 件` : `${first} × ${count}`,
    kindText: d ? DELIVERY_KIND_TEXT[d.kind] : '',
    to,
    remark: d?.remark ?? '',
    isTest: o.isTestOrder,
    uploadFailed: v.shippingUpload.state === 'failed',
    go: o.fulfilment.state === 'READY_FOR_PICKUP' ? '核销自提' : d?.kind === 'pickup' ? '去备货' : '去发货',
  };
}
