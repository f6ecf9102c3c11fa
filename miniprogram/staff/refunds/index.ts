// 退款申请 (staff): the refund requests waiting for staff or for returned goods, oldest first (docs/adr/0011). The server
// decides who is staff (AUTH.FORBIDDEN otherwise); this page only shows what it answers.
import type { RefundRequestView } from '../../../typings/contracts/refund-request';
import { listRefundRequests } from '../../services/refund-request';
import { errorText } from '../../utils/errors';
import { fenToYuanText } from '../../utils/money';
import { navigateOnce } from '../../utils/nav';
import { KIND_TEXT, PROGRESS_TEXT } from '../../utils/refund-request';
import { beijingTimeText } from '../../utils/time';

/** Requests per ask. */
const PAGE = 20;

interface RequestCardVM {
  requestId: string;
  outTradeNo: string;
  kindText: string;
  stateText: string;
  tone: string;
  amountText: string;
  reason: string;
  createdText: string;
}

function card(r: RefundRequestView): RequestCardVM {
  return {
    requestId: r.requestId,
    outTradeNo: r.outTradeNo,
    kindText: KIND_TEXT[r.kind] ?? r.kind,
    stateText: r.state === 'PENDING' ? '待审核' : (PROGRESS_TEXT[r.progress]?.label ?? r.progress),
    tone: r.state === 'PENDING' ? 'primary' : 'warning',
    amountText: fenToYuanText(r.amountFen),
    reason: r.reasonText ? `${r.reasonCode}：${r.reasonText}` : r.reasonCode,
    createdText: beijingTimeText(r.createdAtMs),
  };
}

Page({
  data: {
    requests: [] as RequestCardVM[],
    loading: false,
    loaded: false,
    hasMore: false,
    errorText: '',
    forbidden: false,
  },
  lastCreatedAtMs: 0,
  exhausted: false,
  loadSeq: 0,
  unloaded: false,

  onUnload() {
    this.unloaded = true;
  },

  onShow() {
    // Back from a request (approved, rejected): the list has moved on.
    void this.reload();
  },

  async onPullDownRefresh() {
    await this.reload();
    void wx.stopPullDownRefresh();
  },

  onReachBottom() {
    if (!this.exhausted && !this.data.loading) void this.loadMore();
  },

  async reload() {
    this.lastCreatedAtMs = 0;
    this.exhausted = false;
    this.setData({ requests: [], loaded: false, hasMore: false, errorText: '' });
    await this.loadMore();
  },

  async loadMore() {
    const seq = ++this.loadSeq;
    this.setData({ loading: true, errorText: '' });
    const r = await listRefundRequests(PAGE, this.lastCreatedAtMs > 0 ? this.lastCreatedAtMs : undefined);
    if (seq !== this.loadSeq || this.unloaded) return;
    if (!r.ok) {
      this.setData({
        loading: false,
        loaded: true,
        errorText: errorText(r.error),
        forbidden: r.error.code === 'AUTH.FORBIDDEN',
      });
      return;
    }
    const last = r.data[r.data.length - 1];
    if (last) this.lastCreatedAtMs = last.createdAtMs;
    if (r.data.length < PAGE) this.exhausted = true;
    const start = this.data.requests.length;
    const patch: Record<string, unknown> = { loading: false, loaded: true, hasMore: !this.exhausted };
    r.data.forEach((v, i) => {
      patch[`requests[${start + i}]`] = card(v);
    });
    this.setData(patch);
  },

  open(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
    navigateOnce(`/staff/refund/index?requestId=${encodeURIComponent(e.currentTarget.dataset.id)}`);
  },
});
