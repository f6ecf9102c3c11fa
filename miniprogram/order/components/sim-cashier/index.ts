// The simulated cashier (local preview, demo-provider orders): shows the amount and the shop like WeChat's payment
// sheet and answers which button the developer chose; services/cashier.ts turns that into the payer's action. After
// paying it also stands in for wx.requestSubscribeMessage's popup (允许 / 拒绝: services/subscribe.ts).
import { registerCashier, type CashierChoice, type CashierRequest } from '../../../services/cashier';
import { fenToYuanText } from '../../../utils/money';

interface Live {
  unregister: () => void;
  resolve: ((c: CashierChoice) => void) | null;
  resolveSubscribe: ((c: 'accept' | 'reject') => void) | null;
}
const live = new WeakMap<object, Live>();

Component({
  data: {
    visible: false,
    amountText: '',
    shopName: '',
    outTradeNo: '',
    subscribeVisible: false,
    subscribeCount: 0,
  },
  lifetimes: {
    attached() {
      const state: Live = { unregister: () => undefined, resolve: null, resolveSubscribe: null };
      state.unregister = registerCashier({
        open: (req: CashierRequest): Promise<CashierChoice> => {
          state.resolve?.('cancel');
          this.setData({
            visible: true,
            amountText: fenToYuanText(req.amountFen),
            shopName: req.shopName,
            outTradeNo: req.outTradeNo,
          });
          return new Promise((resolve) => {
            state.resolve = resolve;
          });
        },
        askSubscribe: (tmplIds: readonly string[]): Promise<'accept' | 'reject'> => {
          state.resolveSubscribe?.('reject');
          this.setData({ subscribeVisible: true, subscribeCount: tmplIds.length });
          return new Promise((resolve) => {
            state.resolveSubscribe = resolve;
          });
        },
      });
      live.set(this, state);
    },
    detached() {
      const state = live.get(this);
      state?.resolve?.('cancel');
      state?.resolveSubscribe?.('reject');
      state?.unregister();
      live.delete(this);
    },
  },
  methods: {
    choose(choice: CashierChoice) {
      const state = live.get(this);
      const resolve = state?.resolve;
      if (!state || !resolve) return;
      state.resolve = null;
      this.setData({ visible: false });
      resolve(choice);
    },
    choosePay() {
      this.choose('pay');
    },
    chooseCancel() {
      this.choose('cancel');
    },
    chooseFail() {
      this.choose('fail');
    },
    chooseLater() {
      this.choose('later');
    },
    answerSubscribe(choice: 'accept' | 'reject') {
      const state = live.get(this);
      const resolve = state?.resolveSubscribe;
      if (!state || !resolve) return;
      state.resolveSubscribe = null;
      this.setData({ subscribeVisible: false });
      resolve(choice);
    },
    acceptSubscribe() {
      this.answerSubscribe('accept');
    },
    rejectSubscribe() {
      this.answerSubscribe('reject');
    },
    /** Closing the prompt by the overlay is a reject, as on WeChat's popup. */
    onSubscribeVisibleChange(e: WechatMiniprogram.CustomEvent<{ visible: boolean }>) {
      if (!e.detail.visible) this.answerSubscribe('reject');
    },
    /** Closing the sheet by the overlay is a cancel, as on WeChat's sheet. */
    onVisibleChange(e: WechatMiniprogram.CustomEvent<{ visible: boolean }>) {
      if (!e.detail.visible) this.choose('cancel');
    },
  },
});
