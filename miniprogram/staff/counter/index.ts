// 收银台 (docs/adr/0012): staff pick goods, 生成收款码 creates a Native order (priced by the server) and draws its
// payUrl as a QR code; the page asks channelPay.getNative every few seconds until the customer has paid (已收款) or the
// order is closed. The server decides who is staff and what the sale costs; this page only shows what it answers.
import type { ChannelOrderView } from '../../../typings/contracts/channel';
import type { GoodsView } from '../../../typings/contracts/shop';
import { cancelNative, createNative, getNative } from '../../services/counter';
import { newClientRequestKey } from '../../services/order';
import { listGoods } from '../../services/shop';
import { staffMe } from '../../services/staff';
import { errorText } from '../../utils/errors';
import { fenToYuanText } from '../../utils/money';
import { qrMatrix } from './qr';
import { beijingTimeText, countdownText, remainingMs, serverOffsetMs } from '../../utils/time';
import { timing } from '../../utils/timing';

type Phase = 'pick' | 'waiting' | 'paid' | 'closed';

/** One SKU the counter can sell. */
interface ItemVM {
  skuId: string;
  title: string;
  spec: string;
  priceFen: number;
  priceText: string;
  max: number;
  qty: number;
}

/** The sale once the server made it. */
interface SaleVM {
  outTradeNo: string;
  amountText: string;
  summary: string;
  paidText: string;
}

function items(goods: GoodsView[]): ItemVM[] {
  const out: ItemVM[] = [];
  for (const g of goods)
    for (const s of g.skus) {
      if (!s.onSale || s.maxQuantity <= 0) continue;
      out.push({
        skuId: s.skuId,
        title: g.title,
        spec: s.spec,
        priceFen: s.priceFen,
        priceText: fenToYuanText(s.priceFen),
        max: s.maxQuantity,
        qty: 0,
      });
    }
  return out;
}

function saleVM(v: ChannelOrderView): SaleVM {
  const o = v.order;
  return {
    outTradeNo: o.outTradeNo,
    amountText: fenToYuanText(o.payableFen),
    summary: o.lines.map((l) => `${l.title} ×${l.quantity}`).join('，'),
    paidText: o.paidAtMs ? beijingTimeText(o.paidAtMs) : '',
  };
}

Page({
  data: {
    /** null until staff.me answered. */
    isStaff: null as boolean | null,
    phase: 'pick',
    items: [] as ItemVM[],
    loaded: false,
    count: 0,
    /** For display only: the server prices the sale. */
    totalText: '0.00',
    busy: false,
    sale: null as SaleVM | null,
    /** The payUrl's QR modules (1 = dark). */
    qr: [] as number[][],
    /** Size of one module, rpx. */
    cellRpx: 16,
    countdown: '',
    errorText: '',
    notice: '',
  },
  /** The sale's key: kept across retries of the same sale (a lost answer is the same order), new for the next one. */
  clientRequestKey: '',
  outTradeNo: '',
  expiresAtMs: 0,
  offsetMs: 0,
  pollTimer: null as ReturnType<typeof setTimeout> | null,
  tickTimer: null as ReturnType<typeof setInterval> | null,
  visible: false,
  unloaded: false,
  starting: false,

  onShow() {
    this.visible = true;
    if (this.data.isStaff === null || !this.data.loaded) void this.start();
    else if (this.data.phase === 'waiting') this.watch(0);
  },

  onHide() {
    this.visible = false;
    this.stopWatching();
  },

  onUnload() {
    this.visible = false;
    this.unloaded = true;
    this.stopWatching();
  },

  async start() {
    if (this.starting) return;
    this.starting = true;
    try {
      await this.startOnce();
    } finally {
      this.starting = false;
    }
  },

  async startOnce() {
    this.setData({ errorText: '' });
    if (this.data.isStaff !== true) {
      const me = await staffMe();
      if (this.unloaded) return;
      if (!me.ok) {
        this.setData({ loaded: true, errorText: errorText(me.error) });
        return;
      }
      this.setData({ isStaff: me.data.isStaff });
      if (!me.data.isStaff) return;
    }
    await this.loadGoods();
  },

  async loadGoods() {
    const r = await listGoods();
    if (this.unloaded) return;
    if (!r.ok) {
      this.setData({ loaded: true, errorText: errorText(r.error) });
      return;
    }
    this.setData({ loaded: true, items: items(r.data), count: 0, totalText: '0.00' });
  },

  onQty(e: WechatMiniprogram.CustomEvent<{ value: number }, Record<string, never>, { index: number }>) {
    if (this.data.phase !== 'pick' || this.data.busy) return;
    const i = Number(e.currentTarget.dataset.index);
    const item = this.data.items[i];
    if (!item) return;
    const qty = Math.max(0, Math.min(item.max, Math.floor(Number(e.detail.value) || 0)));
    if (qty === item.qty) return;
    // Another basket is another sale: it gets its own key.
    this.clientRequestKey = '';
    let count = 0;
    let totalFen = 0;
    this.data.items.forEach((it, j) => {
      const q = j === i ? qty : it.qty;
      count += q;
      totalFen += q * it.priceFen;
    });
    this.setData({
      [`items[${i}].qty`]: qty,
      count,
      totalText: fenToYuanText(totalFen),
      errorText: '',
      notice: '',
    });
  },

  async create() {
    if (this.data.busy || this.data.phase !== 'pick') return;
    const lines = this.data.items
      .filter((it) => it.qty > 0)
      .map((it) => ({ skuId: it.skuId, quantity: it.qty }));
    if (lines.length === 0) {
      this.setData({ errorText: '请先选择商品' });
      return;
    }
    if (!this.clientRequestKey) this.clientRequestKey = newClientRequestKey();
    this.setData({ busy: true, errorText: '', notice: '' });
    const r = await createNative(this.clientRequestKey, lines);
    if (this.unloaded) return;
    this.setData({ busy: false });
    if (!r.ok) {
      // The key stays: tapping again asks for the same sale, never a second order.
      this.setData({ errorText: errorText(r.error) });
      return;
    }
    this.show(r.data);
  },

  /** Shows the server's view of the sale and decides what comes next. */
  show(v: ChannelOrderView): Phase {
    const o = v.order;
    this.outTradeNo = o.outTradeNo;
    this.expiresAtMs =
      v.payUrlExpiresAtMs !== null ? Math.min(o.expiresAtMs, v.payUrlExpiresAtMs) : o.expiresAtMs;
    this.offsetMs = serverOffsetMs(o.serverNowMs);
    const sale = saleVM(v);
    if (o.moneyArrived) {
      this.stopWatching();
      this.clientRequestKey = '';
      this.setData({ phase: 'paid', sale, qr: [], countdown: '' });
      return 'paid';
    }
    if (o.phase === 'closed' || v.payUrl === null) {
      this.stopWatching();
      this.clientRequestKey = '';
      this.setData({ phase: 'closed', sale, qr: [], countdown: '' });
      return 'closed';
    }
    const patch: Record<string, unknown> = { sale, countdown: this.countdown() };
    if (this.data.phase !== 'waiting' || this.data.sale?.outTradeNo !== o.outTradeNo) {
      const qr = qrMatrix(v.payUrl);
      patch.phase = 'waiting';
      patch.qr = qr;
      // Four modules of quiet zone on each side (the QR standard's), within the card.
      patch.cellRpx = Math.max(6, Math.floor(560 / (qr.length + 8)));
    }
    this.setData(patch);
    if (this.visible) this.watch(timing.counterPollMs);
    return 'waiting';
  },

  countdown(): string {
    return countdownText(remainingMs(this.expiresAtMs, this.offsetMs));
  },

  /** Asks for the order after `delayMs`, and keeps the countdown running, while the page is shown. */
  watch(delayMs: number) {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
    this.tickTimer ??= setInterval(() => {
      if (this.data.phase === 'waiting') this.setData({ countdown: this.countdown() });
    }, timing.tickMs);
  },

  stopWatching() {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.pollTimer = null;
    this.tickTimer = null;
  },

  async poll() {
    this.pollTimer = null;
    const no = this.outTradeNo;
    if (!this.visible || this.data.phase !== 'waiting' || this.data.busy || !no) return;
    const r = await getNative(no);
    if (!this.visible || this.data.phase !== 'waiting' || this.data.busy || no !== this.outTradeNo) return;
    if (!r.ok) {
      // Keep asking: a network hiccup at the counter must not lose a payment.
      this.setData({ errorText: errorText(r.error) });
      this.watch(timing.counterPollMs);
      return;
    }
    if (this.data.errorText) this.setData({ errorText: '' });
    this.show(r.data);
  },

  async cancel() {
    if (this.data.busy || this.data.phase !== 'waiting') return;
    const answer = await wx.showModal({
      title: '取消这笔收款',
      content: '顾客不付款了？取消后收款码失效，商品库存退回。',
      confirmText: '取消收款',
      cancelText: '再等等',
    });
    // The customer may have paid while the dialog was open (the poll went on).
    if (!answer.confirm || this.data.phase !== 'waiting') return;
    // No poll while the cancel runs: its answer is the one that says what happened.
    this.stopWatching();
    this.setData({ busy: true, errorText: '', notice: '' });
    const r = await cancelNative(this.outTradeNo);
    if (this.unloaded) return;
    this.setData({ busy: false });
    if (!r.ok) {
      this.setData({ errorText: errorText(r.error) });
      if (this.visible) this.watch(timing.counterPollMs);
      return;
    }
    const phase = this.show(r.data);
    if (phase === 'closed') this.setData({ notice: '已取消收款，商品库存已退回' });
    else if (phase === 'paid') this.setData({ notice: '顾客已经付款，不能取消' });
  },

  /** 下一单: a new sale from an empty basket (stock has moved: the catalog is read again). */
  async next() {
    this.stopWatching();
    this.clientRequestKey = '';
    this.outTradeNo = '';
    this.setData({ phase: 'pick', sale: null, qr: [], countdown: '', errorText: '', notice: '', items: [] });
    await this.loadGoods();
  },

  toOrders() {
    void wx.switchTab({ url: '/pages/orders/index' });
  },
});
