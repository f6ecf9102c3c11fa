// 商家后台: orders waiting to ship (oldest paid first), orders waiting for pickup, and the records that need a person
// (refund.listAttention, with shipping-upload-failed among them). The server decides who is staff; this page only
// shows what it answers.
import type { AttentionView } from '../../typings/contracts/order';
import type { StaffOrderView } from '../../typings/contracts/staff';
import {
  listAttention,
  listToShip,
  resolveAttention,
  retryUpload,
  staffMe,
  type ListCursor,
} from '../services/staff';
import { errorText } from '../utils/errors';
import { fenToYuanText } from '../utils/money';
import { navigateOnce } from '../utils/nav';
import { beijingTimeText } from '../utils/time';
import { ATTENTION_TEXT, staffCard, type StaffCardVM } from './labels';

type Tab = 'ship' | 'pickup' | 'attention';

const TABS: ReadonlyArray<{ value: Tab; label: string }> = [
  { value: 'ship', label: '待发货' },
  { value: 'pickup', label: '待自提' },
  { value: 'attention', label: '需处理' },
];

/** Orders per request. */
const PAGE = 20;

interface AttentionVM {
  id: string;
  kindText: string;
  outTradeNo: string;
  amountText: string;
  note: string;
  seenText: string;
  canRetryUpload: boolean;
}

function attentionVM(a: AttentionView): AttentionVM {
  return {
    id: a.id,
    kindText: ATTENTION_TEXT[a.kind] ?? a.kind,
    outTradeNo: a.outTradeNo,
    amountText: a.amountFen > 0 ? fenToYuanText(a.amountFen) : '',
    note: a.note ?? '',
    seenText: beijingTimeText(a.lastSeenAtMs),
    canRetryUpload: a.kind === 'shipping-upload-failed',
  };
}

Page({
  data: {
    tabs: TABS,
    tab: 'ship',
    /** null until staff.me answered. */
    isStaff: null as boolean | null,
    orders: [] as StaffCardVM[],
    attention: [] as AttentionVM[],
    loading: false,
    loaded: false,
    hasMore: false,
    errorText: '',
    /** The record or order an action is running for. */
    busyId: '',
    notice: '',
  },
  /** Where the last page ended (null: first page). */
  cursor: null as ListCursor | null,
  exhausted: false,
  loadSeq: 0,
  shown: false,

  onLoad(query: Record<string, string | undefined>) {
    const tab = TABS.find((t) => t.value === query.tab)?.value;
    if (tab) this.setData({ tab });
  },

  onShow() {
    // Back from an order (shipped, or ready for pickup): the lists have moved on.
    void this.start();
  },

  async onPullDownRefresh() {
    await this.start();
    void wx.stopPullDownRefresh();
  },

  onReachBottom() {
    if (this.data.tab !== 'attention' && !this.exhausted && !this.data.loading) void this.loadMore();
  },

  async start() {
    if (this.data.isStaff !== true) {
      const me = await staffMe();
      if (!me.ok) {
        this.setData({ loaded: true, errorText: errorText(me.error) });
        return;
      }
      this.setData({ isStaff: me.data.isStaff });
      if (!me.data.isStaff) return;
    }
    await this.reload();
  },

  async reload() {
    this.cursor = null;
    this.exhausted = false;
    this.setData({ orders: [], attention: [], loaded: false, hasMore: false, errorText: '' });
    if (this.data.tab === 'attention') await this.loadAttention();
    else await this.loadMore();
  },

  async loadMore() {
    const seq = ++this.loadSeq;
    this.setData({ loading: true, errorText: '' });
    const state = this.data.tab === 'pickup' ? 'READY_FOR_PICKUP' : 'AWAITING_SHIPMENT';
    const r = await listToShip(state, PAGE, this.cursor ?? undefined);
    if (seq !== this.loadSeq) return;
    if (!r.ok) {
      this.setData({ loading: false, loaded: true, errorText: errorText(r.error) });
      return;
    }
    const list: StaffOrderView[] = r.data;
    const last = list[list.length - 1];
    if (last?.order.paidAtMs)
      this.cursor = { paidAtMs: last.order.paidAtMs, outTradeNo: last.order.outTradeNo };
    if (list.length < PAGE) this.exhausted = true;
    const start = this.data.orders.length;
    const patch: Record<string, unknown> = { loading: false, loaded: true, hasMore: !this.exhausted };
    list.forEach((v, i) => {
      patch[`orders[${start + i}]`] = staffCard(v);
    });
    this.setData(patch);
  },

  async loadAttention() {
    const seq = ++this.loadSeq;
    this.setData({ loading: true, errorText: '' });
    const r = await listAttention(50);
    if (seq !== this.loadSeq) return;
    if (!r.ok) {
      this.setData({ loading: false, loaded: true, errorText: errorText(r.error) });
      return;
    }
    const open = r.data.filter((a) => a.resolvedAtMs === null || a.resolvedAtMs === undefined);
    this.setData({ loading: false, loaded: true, attention: open.map(attentionVM) });
  },

  onTab(e: WechatMiniprogram.CustomEvent<{ value: Tab }>) {
    const tab = e.detail.value;
    if (tab === this.data.tab) return;
    this.loadSeq += 1;
    this.setData({ tab, notice: '' });
    void this.reload();
  },

  openOrder(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { no: string }>) {
    navigateOnce(`/staff/ship/index?outTradeNo=${encodeURIComponent(e.currentTarget.dataset.no)}`);
  },

  async retryUpload(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { no: string; id: string }>,
  ) {
    const { no, id } = e.currentTarget.dataset;
    if (this.data.busyId) return;
    this.setData({ busyId: id, notice: '', errorText: '' });
    const r = await retryUpload(no);
    this.setData({ busyId: '' });
    if (!r.ok) {
      this.setData({ errorText: errorText(r.error) });
      return;
    }
    // The record stays open until a person marks it handled: the upload's result shows on the order.
    this.setData({ notice: `订单 ${no} 已重新排队上传，结果见订单详情` });
  },

  async resolve(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>,
  ) {
    const id = e.currentTarget.dataset.id;
    if (this.data.busyId) return;
    const answer = await wx.showModal({
      title: '标记已处理',
      content: '确认这条记录已经处理完毕？标记后将不再出现在这里。',
      confirmText: '已处理',
      cancelText: '再看看',
    });
    if (!answer.confirm) return;
    this.setData({ busyId: id, notice: '', errorText: '' });
    const r = await resolveAttention(id);
    this.setData({ busyId: '' });
    if (!r.ok) {
      this.setData({ errorText: errorText(r.error) });
      return;
    }
    await this.loadAttention();
    this.setData({ notice: '已标记为已处理' });
  },

  /** Refund requests to review (docs/adr/0011). */
  toRefunds() {
    navigateOnce('/staff/refunds/index');
  },

  /** The counter: sell at the shop, the customer scans a QR code (docs/adr/0012). */
  toCounter() {
    navigateOnce('/staff/counter/index');
  },

  toOrders() {
    void wx.switchTab({ url: '/pages/orders/index' });
  },
});
