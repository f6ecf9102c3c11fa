// The order page: the server's order in every state, the payment flow (services/payment.ts carries WeChat Pay's
// rule), a countdown to the server's expiry on the server's clock, and watching while the state can still change.
import type { OrderView } from '../../../typings/contracts/order';
import { buyAgain, cancelOrder, confirmReceipt, getOrder } from '../../services/order';
import { payOrder, syncPayment, type PayOutcome } from '../../services/payment';
import { endUnansweredReceiptView, openReceiptView } from '../../services/receipt';
import { prefetchMessageTemplates } from '../../services/subscribe';
import { refundRequestOptions, withdrawRefundRequest } from '../../services/refund-request';
import { errorText } from '../../utils/errors';
import { refundRequestVM, type RefundRequestVM } from '../../utils/refund-request';
import { navigateOnce } from '../../utils/nav';
import { deliveryVM, fulfilmentVM, type DeliveryVM, type FulfilmentVM } from '../../utils/fulfilment';
import { CHECK_LATER_TEXT, payFailureWords } from '../../utils/order-status';
import { patchFor, toOrderVM, type OrderVM } from '../../utils/order-vm';
import { countdownText, remainingMs, serverOffsetMs } from '../../utils/time';
import { timing } from '../../utils/timing';

interface Notice {
  tone: 'info' | 'success' | 'warning' | 'danger';
  text: string;
}

Page({
  data: {
    loading: true,
    order: null as OrderVM | null,
    errorText: '',
    retryable: false,
    countdownText: '',
    notice: null as Notice | null,
    paying: false,
    confirming: false,
    cancelling: false,
    attempted: false,
    /** After an unconfirmed "success": no pay button until the server knows more. */
    payHold: false,
    /** A payment may be on its way (the sheet said cancel, or the server could not rule one out): no 取消订单 yet. */
    cancelHold: false,
    /** The shop cannot take payments right now (its WeChat Pay setup): paying again would only fail again. */
    payBlocked: false,
    /** 再来一单 is on its way to the server. */
    againBusy: false,
    /** The delivery chosen at checkout (null: nothing to show). */
    delivery: null as DeliveryVM | null,
    /** Where the goods are (null: nothing to say yet). */
    ful: null as FulfilmentVM | null,
    /** WeChat's confirm-receipt view is open, or the server is being asked about it. */
    receiving: false,
    /** The order's latest refund request (null: none, or not asked yet). */
    rr: null as RefundRequestVM | null,
    /** The server says a refund may be requested now (申请退款). */
    canRequestRefund: false,
    withdrawing: false,
    /** session-from of 联系客服 (open-type="contact"): the shop sees which order the shopper asks about. */
    sessionFrom: '',
  },
  outTradeNo: '',
  /** Server clock − phone clock, from the last view. */
  offsetMs: 0,
  expiresAtMs: 0,
  tickTimer: 0,
  watchTimer: 0,
  watchStep: 0,
  /** Visible: timers run only then (WeChat's payment sheet hides the page while it is open). */
  active: true,
  unloaded: false,
  shown: false,
  payInFlight: false,
  askedAtZero: false,
  /** The last order the server answered: the countdown and the watching restart from it when an ask fails. */
  lastView: null as OrderView | null,
  cancelHoldTimer: 0,

  onLoad(query: Record<string, string | undefined>) {
    this.outTradeNo = query.outTradeNo ?? '';
    // The subscription prompt's ids must be at hand when the payment sheet's callback runs (once per app run).
    void prefetchMessageTemplates();
    this.setData({ sessionFrom: `order:${this.outTradeNo}` });
    void this.refresh().then(() => {
      if (query.autopay === '1' && this.data.order?.canPay) void this.pay();
    });
  },

  onShow() {
    this.active = true;
    // Back from WeChat's confirm view: App.onShow (which runs first) handed its result over, or there is none.
    if (this.data.receiving) endUnansweredReceiptView();
    // Coming back (another app, the home screen) is when a state most likely moved on. Coming back from WeChat's
    // payment sheet is left to the payment flow, which asks the server itself.
    if (this.shown && !this.payInFlight) void this.refresh();
    this.shown = true;
  },

  onHide() {
    this.active = false;
    this.stopTimers();
  },

  onUnload() {
    this.active = false;
    this.unloaded = true;
    this.stopTimers();
    if (this.cancelHoldTimer) clearTimeout(this.cancelHoldTimer);
  },

  async onPullDownRefresh() {
    await this.refresh();
    void wx.stopPullDownRefresh();
  },

  stopTimers() {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.tickTimer = 0;
    this.watchTimer = 0;
  },

  async refresh() {
    const r = await getOrder(this.outTradeNo);
    if (this.unloaded) return;
    if (!r.ok) {
      if (this.data.order) {
        this.setData({ errorText: errorText(r.error) });
        this.resumeFromLastView();
      } else {
        const notFound = r.error.code === 'ORDER.NOT_FOUND';
        this.setData({
          loading: false,
          errorText: notFound ? '订单不存在，或不属于当前微信账号' : errorText(r.error),
          retryable: !notFound,
        });
      }
      return;
    }
    this.render(r.data);
    if (r.data.moneyArrived) void this.loadRefundRequest();
  },

  /** The order's refund request and whether one may be made (docs/adr/0011); a failure leaves what is shown. */
  async loadRefundRequest() {
    const r = await refundRequestOptions(this.outTradeNo);
    if (!r.ok || this.unloaded) return;
    const rr = r.data.latest ? refundRequestVM(r.data.latest) : null;
    const patch: Record<string, unknown> = {};
    if (JSON.stringify(rr) !== JSON.stringify(this.data.rr)) patch.rr = rr;
    if (r.data.canRequest !== this.data.canRequestRefund) patch.canRequestRefund = r.data.canRequest;
    if (Object.keys(patch).length > 0) this.setData(patch);
  },

  toRefund() {
    navigateOnce(`/order/refund/index?outTradeNo=${encodeURIComponent(this.outTradeNo)}`);
  },

  async withdrawRefund() {
    const rr = this.data.rr;
    if (!rr || !rr.canWithdraw || this.data.withdrawing) return;
    const answer = await wx.showModal({
      title: '撤销退款申请',
      content: '撤销后，如需退款可以重新申请。确定撤销吗？',
      confirmText: '撤销申请',
      cancelText: '再想想',
    });
    if (!answer.confirm || this.unloaded) return;
    this.setData({ withdrawing: true, errorText: '' });
    const r = await withdrawRefundRequest(rr.requestId);
    if (this.unloaded) return;
    this.setData({ withdrawing: false });
    if (!r.ok) {
      this.setData({ notice: { tone: 'danger', text: errorText(r.error) } });
    } else {
      this.setData({ notice: { tone: 'info', text: '退款申请已撤销' } });
    }
    await this.loadRefundRequest();
  },

  /** Shows the server's order: only changed fields go to setData. */
  render(o: OrderView) {
    if (this.unloaded) return;
    const prev = this.data.order;
    const next = toOrderVM(o);
    const statusChanged = prev?.status !== next.status;
    const patch: Record<string, unknown> = { ...patchFor('order', prev, next) };
    const ful = fulfilmentVM(o);
    // An order from before delivery was recorded says so only once there is something to deliver.
    const delivery = o.delivery || ful ? deliveryVM(o.delivery) : null;
    if (JSON.stringify(delivery) !== JSON.stringify(this.data.delivery)) patch.delivery = delivery;
    if (JSON.stringify(ful) !== JSON.stringify(this.data.ful)) patch.ful = ful;
    if (this.data.loading) patch.loading = false;
    if (this.data.errorText) patch.errorText = '';
    if (statusChanged && prev !== null) patch.notice = null;
    if (prev !== null && statusChanged) {
      patch.payHold = false;
      patch.cancelHold = false;
    }
    if (Object.keys(patch).length > 0) this.setData(patch);
    this.offsetMs = serverOffsetMs(o.serverNowMs);
    this.expiresAtMs = o.expiresAtMs;
    this.lastView = o;
    if (statusChanged) this.watchStep = 0;
    if (!this.active) return; // hidden: onShow refreshes and restarts the timers
    this.startCountdown(o);
    this.scheduleWatch();
  },

  /**
   * The server could not be asked (a refresh, or a payment attempt that ended without an order view): the countdown
   * goes on from the last view (on the server's clock, as before) and the page keeps watching. Timers stopped while
   * the page was hidden (WeChat's payment sheet hides it) restart here; nothing else would restart them.
   */
  resumeFromLastView() {
    if (!this.active || this.unloaded || !this.lastView) return;
    if (!this.tickTimer && !this.askedAtZero) this.startCountdown(this.lastView);
    this.scheduleWatch();
  },

  startCountdown(o: OrderView) {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = 0;
    if (o.phase !== 'awaiting') {
      if (this.data.countdownText) this.setData({ countdownText: '' });
      return;
    }
    if (!o.canPay) {
      // The server says the time is up but has not closed the order yet (its job does that): say so, keep watching.
      this.setData({
        countdownText: '00:00',
        notice: { tone: 'info', text: '已过支付截止时间，订单即将由系统关闭' },
      });
      return;
    }
    this.askedAtZero = false;
    this.tick();
    this.tickTimer = setInterval(() => this.tick(), timing.tickMs);
  },

  tick() {
    const left = remainingMs(this.expiresAtMs, this.offsetMs);
    const text = countdownText(left);
    if (text !== this.data.countdownText) this.setData({ countdownText: text });
    if (left > 0 || this.askedAtZero) return;
    // Zero on the server's clock: ask the server. The order is not closed here — a late payment is possible.
    this.askedAtZero = true;
    clearInterval(this.tickTimer);
    this.tickTimer = 0;
    this.setData({ notice: { tone: 'info', text: '支付时间已到，正在向服务器确认订单状态…' } });
    void this.refresh();
  },

  scheduleWatch() {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = 0;
    const order = this.data.order;
    if (!this.active || !order || !order.mayStillChange) return;
    const plan = timing.watchDelaysMs;
    const delay = plan[Math.min(this.watchStep, plan.length - 1)] ?? 30000;
    this.watchStep += 1;
    this.watchTimer = setTimeout(() => {
      this.watchTimer = 0;
      // The payment flow asks the server itself; a look in between would only race it.
      if (this.payInFlight) this.scheduleWatch();
      else void this.refresh();
    }, delay);
  },

  async pay() {
    if (this.payInFlight || this.data.cancelling) return;
    this.payInFlight = true;
    this.setData({ paying: true, attempted: true, notice: null, payHold: false, errorText: '' });
    const outcome = await payOrder(this.outTradeNo, {
      onConfirming: () => {
        if (!this.unloaded) {
          this.setData({ confirming: true, notice: { tone: 'info', text: '正在确认支付结果，请稍候…' } });
        }
      },
    });
    this.payInFlight = false;
    if (this.unloaded) return;
    this.setData({ paying: false, confirming: false });
    if (outcome.order) this.render(outcome.order);
    else this.resumeFromLastView();
    this.setData(this.outcomePatch(outcome));
    if (outcome.hint === 'cancel' && outcome.order?.phase === 'awaiting') this.holdCancel();
  },

  // Hides 取消订单 for a while, then asks WeChat (pay.sync) again: a cancel in that window could close an order whose
  // payment is still on its way (refunded: paid, no goods). After ok the hold is payHold, which lasts until the status
  // changes. The server refuses such a cancel too (ORDER.PAYMENT_UNCONFIRMED); this spares the shopper the refusal.
  holdCancel() {
    if (this.cancelHoldTimer) clearTimeout(this.cancelHoldTimer);
    this.setData({ cancelHold: true });
    this.cancelHoldTimer = setTimeout(() => {
      this.cancelHoldTimer = 0;
      void syncPayment(this.outTradeNo).then((r) => {
        if (this.unloaded) return;
        if (r.ok) this.render(r.data);
        if (this.data.cancelHold) this.setData({ cancelHold: false });
      });
    }, timing.cancelHoldMs);
  },

  /** What the shopper is told after an attempt: always what the server said, the sheet's answer only as context. */
  outcomePatch(outcome: PayOutcome): Record<string, unknown> {
    const o = outcome.order;
    if (o && o.moneyArrived) {
      return { notice: { tone: 'success', text: o.phase === 'paid' ? '支付成功' : '已收到你的付款' } };
    }
    if (outcome.hint === 'not-started') {
      return { notice: { tone: 'danger', text: outcome.error ? errorText(outcome.error) : '无法发起支付' } };
    }
    if (o && o.phase !== 'awaiting') return { notice: null };
    if (outcome.hint === 'ok') {
      return { notice: { tone: 'warning', text: CHECK_LATER_TEXT }, payHold: true };
    }
    if (outcome.hint === 'cancel') {
      return {
        notice: { tone: 'warning', text: '你已取消支付，订单仍为待支付，可以继续支付。' },
      };
    }
    const words = payFailureWords(outcome.failDetail);
    return { notice: { tone: 'danger', text: words.text }, payBlocked: !words.retryable };
  },

  async cancel() {
    if (this.payInFlight || this.data.cancelling || this.data.payHold || this.data.cancelHold) return;
    const answer = await wx.showModal({
      title: '取消订单',
      content: '确定取消这笔订单吗？取消后需要重新下单。',
      confirmText: '取消订单',
      cancelText: '再想想',
    });
    if (!answer.confirm || this.unloaded) return;
    this.setData({ cancelling: true, errorText: '' });
    const r = await cancelOrder(this.outTradeNo);
    if (this.unloaded) return;
    this.setData({ cancelling: false });
    if (r.ok) {
      this.render(r.data);
      return;
    }
    const unconfirmed = r.error.code === 'ORDER.PAYMENT_UNCONFIRMED';
    this.setData({
      notice: {
        tone: r.error.code === 'ORDER.ALREADY_PAID' ? 'success' : unconfirmed ? 'warning' : 'danger',
        text: errorText(r.error),
      },
    });
    if (unconfirmed) this.holdCancel();
    await this.refresh();
  },

  /** 再来一单: the server puts the goods back in the cart (today's prices); the cart shows them. */
  async buyAgain() {
    if (this.data.againBusy) return;
    this.setData({ againBusy: true });
    const r = await buyAgain(this.outTradeNo);
    if (this.unloaded) return;
    this.setData({ againBusy: false });
    if (r.ok) void wx.switchTab({ url: '/pages/cart/index' });
    else this.setData({ notice: { tone: 'danger', text: errorText(r.error) } });
  },

  toOrders() {
    void wx.switchTab({ url: '/pages/orders/index' });
  },

  toHome() {
    void wx.switchTab({ url: '/pages/goods/index' });
  },

  /**
   * 确认收货: WeChat's own confirm view (its answer arrives through App.onShow, services/receipt.ts), then the server,
   * which asks WeChat's order state: the page shows what the server answers, never the view's word.
   */
  async confirmReceipt() {
    const o = this.lastView;
    const extra = o?.fulfilment?.confirmReceiptExtraData;
    if (this.data.receiving || !o || !o.fulfilment.canConfirmReceipt || !extra) return;
    this.setData({ receiving: true, notice: null, errorText: '' });
    const viewSaid = await openReceiptView(this.outTradeNo, extra);
    if (this.unloaded) return;
    if (typeof viewSaid === 'object') {
      this.setData({
        receiving: false,
        notice: { tone: 'danger', text: `无法打开确认收货页面：${viewSaid.failed}` },
      });
      return;
    }
    if (viewSaid === 'cancel') {
      this.setData({
        receiving: false,
        notice: { tone: 'warning', text: '你已取消确认收货，收到商品后可以再次确认' },
      });
      return;
    }
    // success (or fail: WeChat may have recorded it all the same): the server asks WeChat and answers the order.
    const r = await confirmReceipt(this.outTradeNo);
    if (this.unloaded) return;
    this.setData({ receiving: false });
    if (!r.ok) {
      this.setData({
        notice: {
          tone: r.error.code === 'FULFIL.NOT_CONFIRMED' ? 'warning' : 'danger',
          text: viewSaid === 'fail' ? '确认收货未完成，请稍后重试' : errorText(r.error),
        },
      });
      await this.refresh();
      return;
    }
    this.render(r.data);
    const received = r.data.fulfilment.state === 'RECEIVED' || r.data.fulfilment.state === 'COMPLETED';
    this.setData({
      notice: received
        ? { tone: 'success', text: '已确认收货，感谢你的购买' }
        : { tone: 'warning', text: '微信尚未记录你的确认收货，请稍后再试' },
    });
  },

  copyTracking(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { no: string }>,
  ) {
    const no = e.currentTarget.dataset.no;
    if (no) void wx.setClipboardData({ data: no });
  },

  copyNo() {
    const no = this.data.order?.outTradeNo;
    if (no) void wx.setClipboardData({ data: no });
  },
});
