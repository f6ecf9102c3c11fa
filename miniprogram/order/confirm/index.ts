import { newClientRequestKey, placeOrder } from '../../services/order';
import { rememberPrice } from '../../services/seen-prices';
import { getCart } from '../../services/shop';
import { errorText } from '../../utils/errors';
import { fenToYuanText } from '../../utils/money';

interface ConfirmLineVM {
  skuId: string;
  title: string;
  spec: string;
  quantity: number;
  lineTotalText: string;
}

/** Codes after which the cart, not this page, is where the shopper can fix things. */
const FIX_IN_CART = new Set([
  'ORDER.EMPTY',
  'ORDER.UNKNOWN_SKU',
  'ORDER.SKU_OFF_SALE',
  'ORDER.QUANTITY_LIMIT',
  'ORDER.QUANTITY_INVALID',
  'ORDER.OUT_OF_STOCK',
  'ORDER.TOO_MANY_LINES',
  'ORDER.DUPLICATE_LINE',
  'ORDER.LINES_INVALID',
]);

Page({
  data: {
    loading: true,
    lines: [] as ConfirmLineVM[],
    totalText: '',
    placing: false,
    errorText: '',
    backHint: false,
  },
  /**
   * One key for this checkout: every tap and every retry of this page sends it, so the server answers the first
   * order again instead of making a second one.
   */
  clientRequestKey: '',
  /** Set synchronously on the first tap: a second tap in the same frame (before setData lands) is ignored too. */
  inFlight: false,

  onLoad() {
    this.clientRequestKey = newClientRequestKey();
    void this.load();
  },

  async load() {
    const r = await getCart();
    if (!r.ok) {
      this.setData({ loading: false, errorText: errorText(r.error) });
      return;
    }
    const selected = r.data.lines.filter((l) => l.selected);
    // The shopper has now seen today's prices: the cart stops flagging them as changed.
    for (const l of selected) rememberPrice(l.skuId, l.unitPriceFen);
    this.setData({
      loading: false,
      lines: selected.map((l) => ({
        skuId: l.skuId,
        title: l.title,
        spec: l.spec,
        quantity: l.quantity,
        lineTotalText: fenToYuanText(l.unitPriceFen * l.quantity),
      })),
      totalText: fenToYuanText(r.data.selectedTotalFen),
    });
  },

  async submit() {
    if (this.inFlight) return;
    this.inFlight = true;
    this.setData({ placing: true, errorText: '', backHint: false });
    const r = await placeOrder(this.clientRequestKey);
    if (!r.ok) {
      this.inFlight = false;
      this.setData({
        placing: false,
        errorText: errorText(r.error),
        backHint: FIX_IN_CART.has(r.error.code),
      });
      return;
    }
    // The order page shows the order exactly as the server priced it and opens the cashier for it.
    void wx.redirectTo({
      url: `/order/detail/index?outTradeNo=${encodeURIComponent(r.data.outTradeNo)}&autopay=1`,
    });
  },

  backToCart() {
    void wx.navigateBack({ delta: 1 });
  },
});
