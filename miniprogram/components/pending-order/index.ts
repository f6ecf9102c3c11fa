// "你有一笔待支付订单": the shopper's newest order that can still be paid (the server's canPay), its amount and the time
// left on the server's clock; a tap opens it (its page pays). Asked whenever the page shows; a failed call shows
// nothing and never blocks the page.
import { pendingPayableOrder } from '../../services/order';
import { fenToYuanText } from '../../utils/money';
import { navigateOnce } from '../../utils/nav';
import { countdownText, remainingMs, serverOffsetMs } from '../../utils/time';
import { timing } from '../../utils/timing';

/** What one banner instance keeps out of the render layer. */
interface BannerState {
  inFlight: boolean;
  timer: number;
  expiresAtMs: number;
  /** Server clock − phone clock when the order's view arrived. */
  offsetMs: number;
  /** Detached from its page: an answer arriving later must not start a timer (it would outlive the page). */
  detached: boolean;
  /** The page is hidden: the countdown waits for the next show. */
  hidden: boolean;
}

const states = new WeakMap<object, BannerState>();

function stateOf(owner: object): BannerState {
  let s = states.get(owner);
  if (!s)
    states.set(
      owner,
      (s = { inFlight: false, timer: 0, expiresAtMs: 0, offsetMs: 0, detached: false, hidden: false }),
    );
  return s;
}

function stop(s: BannerState): void {
  if (s.timer) clearInterval(s.timer);
  s.timer = 0;
}

Component({
  data: { shown: false, outTradeNo: '', amountText: '', countdownText: '' },
  lifetimes: {
    attached() {
      void this.refresh();
    },
    detached() {
      const s = stateOf(this);
      s.detached = true;
      stop(s);
    },
  },
  pageLifetimes: {
    show() {
      stateOf(this).hidden = false;
      void this.refresh();
    },
    hide() {
      const s = stateOf(this);
      s.hidden = true;
      stop(s);
    },
  },
  methods: {
    /** Asks the server (one call at a time: attach and the first show arrive together). */
    async refresh() {
      const s = stateOf(this);
      if (s.inFlight) return;
      s.inFlight = true;
      const o = await pendingPayableOrder();
      s.inFlight = false;
      if (s.detached) return;
      stop(s);
      if (!o) {
        if (this.data.shown) this.setData({ shown: false });
        return;
      }
      s.expiresAtMs = o.expiresAtMs;
      s.offsetMs = serverOffsetMs(o.serverNowMs);
      const left = remainingMs(s.expiresAtMs, s.offsetMs);
      if (left === 0) {
        if (this.data.shown) this.setData({ shown: false });
        return;
      }
      this.setData({
        shown: true,
        outTradeNo: o.outTradeNo,
        amountText: fenToYuanText(o.payableFen),
        countdownText: countdownText(left),
      });
      if (!s.hidden) s.timer = setInterval(() => this.tick(), timing.tickMs);
    },

    /** At zero the banner goes and the server is asked once more (another order may still be payable). */
    tick() {
      const s = stateOf(this);
      const left = remainingMs(s.expiresAtMs, s.offsetMs);
      if (left > 0) {
        const text = countdownText(left);
        if (text !== this.data.countdownText) this.setData({ countdownText: text });
        return;
      }
      stop(s);
      this.setData({ shown: false });
      void this.refresh();
    },

    open() {
      if (this.data.outTradeNo) {
        navigateOnce(`/order/detail/index?outTradeNo=${encodeURIComponent(this.data.outTradeNo)}`);
      }
    },
  },
});
