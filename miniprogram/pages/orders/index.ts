import type { OrderPhase, OrderView } from '../../../typings/contracts/order';
import { clientEnv, LOCAL_IDENTITIES } from '../../config/env';
import { localOpenid, setLocalOpenid } from '../../services/identity';
import { buyAgain, listMyOrders } from '../../services/order';
import { staffMe } from '../../services/staff';
import { errorText } from '../../utils/errors';
import { navigateOnce } from '../../utils/nav';
import { cardThumbs, toOrderVM } from '../../utils/order-vm';
import { countdownText, remainingMs, serverOffsetMs } from '../../utils/time';
import { timing } from '../../utils/timing';

/** A tab shows one phase of the server's (OrderView.phase), or all. */
type Tab = 'all' | OrderPhase;

const TABS: ReadonlyArray<{ value: Tab; label: string }> = [
  { value: 'all', label: '全部' },
  { value: 'awaiting', label: '待支付' },
  { value: 'paid', label: '已支付' },
  { value: 'closed', label: '已关闭' },
  { value: 'refund', label: '退款/售后' },
];

interface OrderCardVM {
  outTradeNo: string;
  label: string;
  tone: string;
  summary: string;
  payableText: string;
  amountLabel: string;
  testBadge: string;
  createdText: string;
  /** The first lines' pictures ('' = placeholder). */
  thumbs: Array<{ skuId: string; src: string }>;
  countText: string;
  /** 去支付 with its countdown (the server says the order can be paid now). */
  canPay: boolean;
  /** 再来一单 (the server says the order is closed or was paid). */
  canBuyAgain: boolean;
  countdownText: string;
  /** Where the goods are (待发货, 已发货 …; '' when nothing to say). */
  shipLabel: string;
}

/** A list card: the order page's view model, cut to what the card shows (one derivation of labels and texts). */
function card(o: OrderView): OrderCardVM {
  const vm = toOrderVM(o);
  const { outTradeNo, label, tone, summary, payableText, amountLabel, testBadge, createdText } = vm;
  // Goods that will not be sent: the status (已退款, 正在自动退款 …) already says it on the card.
  const shipLabel = o.fulfilment?.state === 'CANCELLED' ? '' : vm.shipLabel;
  return {
    outTradeNo,
    label,
    tone,
    summary,
    payableText,
    amountLabel,
    testBadge,
    createdText,
    shipLabel,
    ...cardThumbs(o),
    canPay: o.canPay,
    canBuyAgain: o.canBuyAgain,
    countdownText: o.canPay ? countdownText(remainingMs(o.expiresAtMs, serverOffsetMs(o.serverNowMs))) : '',
  };
}

/** Orders per request (the server allows 1–50). */
const PAGE = 10;

/** A payable card's deadline on the server's clock: server time − phone time when its view arrived. */
interface Deadline {
  expiresAtMs: number;
  offsetMs: number;
}

function noDeadlines(): Record<string, Deadline> {
  return {};
}

function noneAsked(): Record<string, true> {
  return {};
}

type NoEvent = WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { no: string }>;

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
    againBusy: false,
    isLocal: false,
    identities: [] as ReturnType<typeof identities>,
    /** The server says the caller is staff: the 商家后台 entry shows (every staff action is checked there anyway). */
    isStaff: false,
  },
  /** The current tab's orders loaded so far, newest first (the server filtered them by the tab's phase). */
  all: [] as OrderView[],
  cursorMs: 0,
  exhausted: false,
  loadSeq: 0,
  /** Payable cards' deadlines, by outTradeNo. */
  deadlines: noDeadlines(),
  /** Orders whose countdown reached zero and were asked about once (never a loop of refreshes). */
  askedAtZero: noneAsked(),
  tickTimer: 0,
  active: false,

  onLoad() {
    this.askedAtZero = noneAsked();
    // The identity panel exists only in a local preview (cloud builds: WeChat's login is the identity).
    if (clientEnv.transport === 'local') this.setData({ isLocal: true, identities: identities() });
  },

  onShow() {
    this.active = true;
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

  onHide() {
    this.active = false;
    this.stopTick();
  },

  onUnload() {
    this.active = false;
    this.stopTick();
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
    this.deadlines = noDeadlines();
    this.stopTick();
    this.setData({ orders: [], loaded: false, hasMore: true, errorText: '' });
    await this.loadMore();
  },

  /** Fetches the tab's next page (the server filters by its phase) and appends it (path keys: no resend of the list). */
  async loadMore() {
    const seq = ++this.loadSeq;
    const tab = this.data.tab;
    this.setData({ loading: true, errorText: '' });
    const r = await listMyOrders(
      PAGE,
      this.cursorMs > 0 ? this.cursorMs : undefined,
      tab === 'all' ? undefined : tab,
    );
    if (seq !== this.loadSeq) return;
    if (!r.ok) {
      this.setData({ loading: false, loaded: true, errorText: errorText(r.error) });
      return;
    }
    this.all.push(...r.data);
    const last = r.data[r.data.length - 1];
    if (last) this.cursorMs = last.createdAtMs;
    if (r.data.length < PAGE) this.exhausted = true;
    const start = this.data.orders.length;
    const patch: Record<string, unknown> = { loading: false, loaded: true, hasMore: !this.exhausted };
    r.data.forEach((o, i) => {
      patch[`orders[${start + i}]`] = card(o);
      if (o.canPay) {
        this.deadlines[o.outTradeNo] = {
          expiresAtMs: o.expiresAtMs,
          offsetMs: serverOffsetMs(o.serverNowMs),
        };
      }
    });
    this.setData(patch);
    this.startTick();
  },

  startTick() {
    if (this.tickTimer || !this.active || Object.keys(this.deadlines).length === 0) return;
    this.tickTimer = setInterval(() => this.tick(), timing.tickMs);
  },

  stopTick() {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = 0;
  },

  /** Counts the payable cards down on the server's clock; at zero the server is asked (the list refreshed), once. */
  tick() {
    const patch: Record<string, unknown> = {};
    let due = false;
    this.data.orders.forEach((c, i) => {
      const d = this.deadlines[c.outTradeNo];
      if (!d || !c.canPay) return;
      const left = remainingMs(d.expiresAtMs, d.offsetMs);
      const text = countdownText(left);
      if (text !== c.countdownText) patch[`orders[${i}].countdownText`] = text;
      if (left === 0 && !this.askedAtZero[c.outTradeNo]) {
        this.askedAtZero[c.outTradeNo] = true;
        due = true;
      }
    });
    if (Object.keys(patch).length > 0) this.setData(patch);
    if (due) void this.reload();
  },

  onTab(e: WechatMiniprogram.CustomEvent<{ value: Tab }>) {
    const tab = e.detail.value;
    if (tab === this.data.tab) return;
    // Each tab pages on its own, from its own newest order.
    this.setData({ tab });
    void this.reload();
  },

  openOrder(e: NoEvent) {
    navigateOnce(`/order/detail/index?outTradeNo=${encodeURIComponent(e.currentTarget.dataset.no)}`);
  },

  /** 去支付: the order page starts its own payment flow (autopay), nothing is paid from the list. */
  payOrder(e: NoEvent) {
    navigateOnce(
      `/order/detail/index?outTradeNo=${encodeURIComponent(e.currentTarget.dataset.no)}&autopay=1`,
    );
  },

  /** 再来一单: the server puts the order's goods back in the cart; the cart shows them (today's prices). */
  async buyAgain(e: NoEvent) {
    if (this.data.againBusy) return;
    this.setData({ againBusy: true });
    const r = await buyAgain(e.currentTarget.dataset.no);
    this.setData({ againBusy: false });
    if (r.ok) void wx.switchTab({ url: '/pages/cart/index' });
    else void wx.showToast({ title: errorText(r.error), icon: 'none' });
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
