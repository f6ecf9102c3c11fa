// One refund request for staff (docs/adr/0011): the request, its order with the payment, the refunds so far and where
// the goods are; approve (a refund: the money goes; a return-and-refund: the shopper sends the goods back), goods
// received (then the money goes), or reject with a reason the shopper reads. Every refusal is the server's, in words;
// after one the request is asked again, so the page shows where it really is.
import type { ApiResult } from '../../../typings/contracts/envelope';
import type { RefundView } from '../../../typings/contracts/order';
import type { RefundRequestView, StaffRefundRequestView } from '../../../typings/contracts/refund-request';
import {
  approveRefundRequest,
  getRefundRequest,
  markReturnReceived,
  rejectRefundRequest,
} from '../../services/refund-request';
import { errorText } from '../../utils/errors';
import { deliveryVM, fulfilmentLook, type DeliveryVM } from '../../utils/fulfilment';
import { fenToYuanText } from '../../utils/money';
import { statusLook } from '../../utils/order-status';
import { KIND_TEXT, PROGRESS_TEXT } from '../../utils/refund-request';
import { beijingTimeText } from '../../utils/time';

const REFUND_STATUS_TEXT: Readonly<Record<RefundView['status'], string>> = {
  PROCESSING: '退款中',
  SUCCESS: '已退款',
  CLOSED: '已关闭',
  ABNORMAL: '异常',
};

interface ReviewVM {
  requestId: string;
  outTradeNo: string;
  kind: RefundRequestView['kind'];
  kindText: string;
  stateText: string;
  amountText: string;
  reasonCode: string;
  reasonText: string;
  rejectReason: string;
  createdText: string;
  decidedText: string;
  isTest: boolean;
  payLabel: string;
  paidText: string;
  payableText: string;
  refundedText: string;
  transactionId: string;
  shipLabel: string;
  delivery: DeliveryVM;
  parcels: Array<{ key: string; text: string }>;
  lines: Array<{ skuId: string; text: string }>;
  refunds: Array<{ outRefundNo: string; text: string; statusText: string; fromThis: boolean }>;
  /** What staff may do now (the server checks again). */
  canApprove: boolean;
  approveText: string;
  canReceive: boolean;
  canReject: boolean;
}

function toVM(v: StaffRefundRequestView): ReviewVM {
  const r = v.request;
  const o = v.order.order;
  const f = o.fulfilment;
  return {
    requestId: r.requestId,
    outTradeNo: r.outTradeNo,
    kind: r.kind,
    kindText: KIND_TEXT[r.kind] ?? r.kind,
    stateText:
      r.progress === 'REJECTED' && r.rejectReason
        ? `已拒绝：${r.rejectReason}`
        : r.progress === 'PENDING'
          ? '待审核'
          : (PROGRESS_TEXT[r.progress]?.label ?? r.progress),
    amountText: fenToYuanText(r.amountFen),
    reasonCode: r.reasonCode,
    reasonText: r.reasonText,
    rejectReason: r.rejectReason ?? '',
    createdText: beijingTimeText(r.createdAtMs),
    decidedText: r.decidedAtMs === null ? '' : beijingTimeText(r.decidedAtMs),
    isTest: o.isTestOrder,
    payLabel: statusLook(o.status, o.refundedFen, o.refundOwedOfflineFen).label,
    paidText: o.paidAtMs === null ? '' : beijingTimeText(o.paidAtMs),
    payableText: fenToYuanText(o.payableFen),
    refundedText: fenToYuanText(o.refundedFen),
    transactionId: v.order.transactionId ?? '',
    shipLabel: fulfilmentLook(f, o.delivery?.kind ?? null, o)?.label ?? '',
    delivery: deliveryVM(o.delivery),
    parcels: f.parcels.map((p, i) => ({
      key: `${i}-${p.trackingNo}`,
      text: `${p.expressName} ${p.trackingNo}`,
    })),
    lines: o.lines.map((l) => ({ skuId: l.skuId, text: `${l.title} ${l.spec} × ${l.quantity}` })),
    refunds: v.refunds.map((x) => ({
      outRefundNo: x.outRefundNo,
      text: `¥${fenToYuanText(x.amountFen)} · ${beijingTimeText(x.createdAtMs)}`,
      statusText: REFUND_STATUS_TEXT[x.status] ?? x.status,
      fromThis: x.outRefundNo === r.outRefundNo,
    })),
    canApprove: r.state === 'PENDING',
    approveText: r.kind === 'return-refund' ? '同意退货' : '同意退款',
    canReceive: r.state === 'AWAITING_RETURN',
    canReject: r.state === 'PENDING' || r.state === 'AWAITING_RETURN',
  };
}

Page({
  data: {
    loading: true,
    review: null as ReviewVM | null,
    errorText: '',
    notice: '',
    busy: false,
    rejecting: false,
    rejectReason: '',
    forbidden: false,
  },
  requestId: '',
  /** Gone: answers that arrive later are dropped. */
  unloaded: false,

  onUnload() {
    this.unloaded = true;
  },

  onLoad(query: Record<string, string | undefined>) {
    this.requestId = query.requestId ?? '';
    void this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    void wx.stopPullDownRefresh();
  },

  async load() {
    const r = await getRefundRequest(this.requestId);
    if (this.unloaded) return;
    if (!r.ok) {
      this.setData({
        loading: false,
        errorText: errorText(r.error),
        forbidden: r.error.code === 'AUTH.FORBIDDEN',
      });
      return;
    }
    this.setData({ loading: false, review: toVM(r.data), errorText: '' });
  },

  async approve() {
    const review = this.data.review;
    if (!review || this.data.busy) return;
    const money = review.kind === 'refund';
    const answer = await wx.showModal({
      title: money ? '同意退款' : '同意退货',
      content: money
        ? `将原路退回 ¥${review.amountText} 给顾客，确定同意吗？`
        : '顾客将寄回商品，收到后再退款。确定同意退货吗？',
      confirmText: money ? '同意退款' : '同意退货',
      cancelText: '再看看',
    });
    if (!answer.confirm) return;
    await this.act(
      () => approveRefundRequest(this.requestId),
      money ? '已同意，退款已发起' : '已同意退货，等待顾客寄回',
    );
  },

  async received() {
    const review = this.data.review;
    if (!review || this.data.busy) return;
    const answer = await wx.showModal({
      title: '确认收到退货',
      content: `确认已收到退回的商品？将原路退回 ¥${review.amountText} 给顾客。`,
      confirmText: '收到，退款',
      cancelText: '再看看',
    });
    if (!answer.confirm) return;
    await this.act(() => markReturnReceived(this.requestId), '已确认收货，退款已发起');
  },

  startReject() {
    this.setData({ rejecting: true, notice: '', errorText: '' });
  },

  cancelReject() {
    this.setData({ rejecting: false, rejectReason: '' });
  },

  onRejectReason(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    this.setData({ rejectReason: String(e.detail.value ?? '') });
  },

  async reject() {
    const reason = this.data.rejectReason.trim();
    if (!reason) {
      this.setData({ errorText: '请填写拒绝原因（顾客会看到）' });
      return;
    }
    await this.act(() => rejectRefundRequest(this.requestId, reason), '已拒绝该申请');
    if (!this.unloaded && !this.data.errorText) this.setData({ rejecting: false, rejectReason: '' });
  },

  async act(run: () => Promise<ApiResult<RefundRequestView>>, done: string) {
    if (this.data.busy) return;
    this.setData({ busy: true, notice: '', errorText: '' });
    const r = await run();
    if (this.unloaded) return;
    this.setData({ busy: false });
    if (!r.ok) {
      this.setData({ errorText: errorText(r.error) });
    } else {
      this.setData({ notice: done });
    }
    const errorNow = this.data.errorText;
    await this.load();
    if (errorNow && !this.unloaded) this.setData({ errorText: errorNow });
  },

  copyNo() {
    const no = this.data.review?.outTradeNo;
    if (no) void wx.setClipboardData({ data: no });
  },
});
