// The simulated cashier (local preview, demo-provider orders): shows the amount and the shop like WeChat's payment
// sheet and answers which button the developer chose; services/cashier.ts turns that into the payer's action.
import { registerCashier, type CashierChoice, type CashierRequest } from '../../../services/cashier';
import { fenToYuanText } from '../../../utils/money';

interface Live {
  unregister: () => void;
  resolve: ((c: CashierChoice) => void) | null;
}
const live = new WeakMap<object, Live>();

Component({
  data: { visible: false, amountText: '', shopName: '', outTradeNo: '' },
  lifetimes: {
    attached() {
      const state: Live = { unregister: () => undefined, resolve: null };
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
      });
      live.set(this, state);
    },
    detached() {
      const state = live.get(this);
      state?.resolve?.('cancel');
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
    /** Closing the sheet by the overlay is a cancel, as on WeChat's sheet. */
    onVisibleChange(e: WechatMiniprogram.CustomEvent<{ visible: boolean }>) {
      if (!e.detail.visible) this.choose('cancel');
    },
  },
});
