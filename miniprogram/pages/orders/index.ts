import type { OrderPhase, OrderView } from '../../../typings/contracts/order';
import { clientEnv, LOCAL_IDENTITIES } from '../../config/env';
import { localOpenid, setLocalOpenid } from '../../services/identity';
import { listMyOrders } from '../../services/order';
import { staffMe } from '../../services/staff';
import { errorText } from '../../utils/errors';
import { navigateOnce } from '../../utils/nav';
import { toOrderVM } from '../../utils/order-vm';

/** A tab shows one phase of the server's (OrderView.phase), or all. */
type Tab = 'all' | OrderPhase;

const TABS: ReadonlyArray<{ value: Tab; label: string }> = [
  { value: 'all', label: '全部' },
  { value: 'awaiting', label: '待支付' },
  { value: 'paid', label: '已支付' },
  { value: 'closed', label: '已关闭' },
  { value: 'refund', label: '退款/售后' },
];

function inTab(o: OrderView, tab: Tab): boolean {
  return tab === 'all' || o.phase === tab;
}

interface OrderCardVM {
  outTradeNo: string;
  label: string;
  tone: string;
  summary: string;
  payableText: string;
  amountLabel: string;
  testBadge: string;
  createdText: string;
  /** Where the goods are (待发货, 已发货 …; '' when nothing to say). */
  shipLabel: string;
}

/** A list card: the order page's view model, cut to what the card shows (one derivation of labels and texts). */
function card(o: OrderView): OrderCardVM {
  const vm = toOrderVM(o);
  const { outTradeNo, label, tone, summary, payableText, amountLabel, testBadge, createdText } = vm;
  // Goods that will not be sent: the status (已退款, 正在自动退款 …) already says it on the card.
  const shipLabel = o.fulfilment?.state === 'CANCELLED' ? '' : vm.shipLabel;
  return { outTradeNo, label, tone, summary, payableText, amountLabel, testBadge, createdText, shipLabel };
}

/** Orders per request (the server allows 1–50). */
const PAGE = 10;
/** Pages fetched in one go while a tab has nothing to show yet. */
const MAX_PAGES_PER_LOAD = 3;

function identities() {
  const current = localOpenid();
  return LOCAL_IDENTITIES.map((i) => ({ openid: i.openid, name: i.name, active: i.openid === current }));
}

Page({
  data: {
    tabs: TABS,
    tab: TABS[0]?.value ?? 'all',
    orders: [] as OrderCardVM[],
    loading: false,
    loaded: false,
    hasMore: true,
    errorText: '',
    isLocal: false,
    identities: [] as ReturnType<typeof identities>,
    /** The server says the caller is staff: the 商家后台 entry shows (every staff action is checked there anyway). */
    isStaff: false,
  },
  /** Every order loaded so far, newest first (the tabs filter it). */
  all: [] as OrderView[],
  cursorMs: 0,
  exhausted: false,
  loadSeq: 0,

  onLoad() {
    // The identity panel exists only in a local preview (cloud builds: WeChat's login is the identity).
    if (clientEnv.transport === 'local') this.setData({ isLocal: true, identities: identities() });
  },

  onShow() {
    void this.reload();
    void this.checkStaff();
  },

  /** Asks the server whether to show the 商家后台 entry; any failure hides it. */
  async checkStaff() {
    const r = await staffMe();
    const isStaff = r.ok && r.data.isStaff;
    if (isStaff !== this.data.isStaff) this.setData({ isStaff });
  },

  openStaff() {
    navigateOnce('/staff/index');
  },

  async onPullDownRefresh() {
    await this.reload();
    void wx.stopPullDownRefresh();
  },

  onReachBottom() {
    if (!this.exhausted && !this.data.loading) void this.loadMore();
  },

  async reload() {
    this.all = [];
    this.cursorMs = 0;
    this.exhausted = false;
    this.setData({ orders: [], loaded: false, hasMore: true, errorText: '' });
    await this.loadMore();
  },

  /** Fetches the next page(s) and appends the ones the current tab shows (path keys: no resend of the list). */
  async loadMore() {
    const seq = ++this.loadSeq;
    this.setData({ loading: true, errorText: '' });
    let added: OrderView[] = [];
    for (let i = 0; i < MAX_PAGES_PER_LOAD && !this.exhausted; i++) {
      const r = await listMyOrders(PAGE, this.cursorMs > 0 ? this.cursorMs : undefined);
      if (seq !== this.loadSeq) return;
      if (!r.ok) {
        this.setData({ loading: false, loaded: true, errorText: errorText(r.error) });
        return;
      }
      this.all.push(...r.data);
      const last = r.data[r.data.length - 1];
      if (last) this.cursorMs = last.createdAtMs;
      if (r.data.length < PAGE) this.exhausted = true;
      added = added.concat(r.data.filter((o) => inTab(o, this.data.tab)));
      if (added.length > 0) break;
    }
    const start = this.data.orders.length;
    const patch: Record<string, unknown> = { loading: false, loaded: true, hasMore: !this.exhausted };
    added.forEach((o, i) => {
      patch[`orders[${start + i}]`] = card(o);
    });
    this.setData(patch);
  },

  onTab(e: WechatMiniprogram.CustomEvent<{ value: Tab }>) {
    const tab = e.detail.value;
    if (tab === this.data.tab) return;
    this.setData({ tab, orders: this.all.filter((o) => inTab(o, tab)).map(card) });
    if (this.data.orders.length === 0 && !this.exhausted) void this.loadMore();
  },

  openOrder(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { no: string }>) {
    navigateOnce(`/order/detail/index?outTradeNo=${encodeURIComponent(e.currentTarget.dataset.no)}`);
  },

  goShopping() {
    void wx.switchTab({ url: '/pages/goods/index' });
  },

  /** Local preview only: act as another shopper. */
  switchIdentity(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { openid: string }>,
  ) {
    if (!setLocalOpenid(e.currentTarget.dataset.openid)) return;
    this.setData({ identities: identities() });
    const banner = this.selectComponent('#banner') as { refresh?: () => void } | null;
    banner?.refresh?.();
    void this.reload();
    void this.checkStaff();
  },
});
