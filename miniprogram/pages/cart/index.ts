import type { ApiResult } from '../../../typings/contracts/envelope';
import type { CartView } from '../../../typings/contracts/shop';
import { seenPrice } from '../../services/seen-prices';
import { getCart, removeFromCart, selectAll, selectLine, setQuantity } from '../../services/shop';
import { toCartVM, type CartVM } from '../../utils/cart';
import { errorText } from '../../utils/errors';
import { navigateOnce } from '../../utils/nav';

const EMPTY_CART: CartVM = {
  lines: [],
  invalid: [],
  selectedCount: 0,
  totalText: '0.00',
  allSelected: false,
  blockedText: '',
  empty: true,
};

type SkuEvent<D extends WechatMiniprogram.IAnyObject> = WechatMiniprogram.CustomEvent<
  D,
  Record<string, never>,
  { sku: string }
>;

/** Runs `call` for each line in turn and answers the last cart (or the first refusal). */
async function forEachLine(
  skus: string[],
  call: (sku: string) => Promise<ApiResult<CartView>>,
): Promise<ApiResult<CartView>> {
  let last: ApiResult<CartView> | undefined;
  for (const sku of skus) {
    last = await call(sku);
    if (!last.ok) return last;
  }
  return last ?? getCart();
}

Page({
  data: {
    loading: false,
    loaded: false,
    errorText: '',
    busy: false,
    cart: EMPTY_CART,
  },

  onShow() {
    void this.reload();
  },

  async reload() {
    this.setData({ loading: true, errorText: '' });
    await this.apply(getCart());
  },

  /** Shows the cart the server answered (every change answers the whole cart), or the error. */
  async apply(call: Promise<ApiResult<CartView>>, unselectInvalid = true): Promise<boolean> {
    const r = await call;
    if (!r.ok) {
      this.setData({ loading: false, busy: false, errorText: errorText(r.error) });
      return false;
    }
    const cart = toCartVM(r.data, seenPrice);
    // Checkout takes every selected line, so a 失效 line must not stay selected (it was selected when added, or by
    // 全选): the page unselects it, the shopper never can.
    const stale = cart.invalid.filter((l) => l.selected).map((l) => l.skuId);
    if (unselectInvalid && stale.length > 0) {
      this.setData({ loading: false, loaded: true, busy: true, cart });
      return this.apply(
        forEachLine(stale, (sku) => selectLine(sku, false)),
        false,
      );
    }
    this.setData({ loading: false, loaded: true, busy: false, cart });
    return true;
  },

  async clearInvalid() {
    const skus = this.data.cart.invalid.map((l) => l.skuId);
    if (skus.length === 0 || this.data.busy) return;
    const answer = await wx.showModal({
      title: '清空失效商品',
      content: `从购物车删除 ${skus.length} 件失效商品？`,
      confirmText: '清空',
      cancelText: '再想想',
    });
    if (answer.confirm) await this.change(() => forEachLine(skus, removeFromCart));
  },

  /** One change at a time: a second tap while the first is in flight is ignored. */
  async change(call: () => Promise<ApiResult<CartView>>) {
    if (this.data.busy) return;
    this.setData({ busy: true, errorText: '' });
    const ok = await this.apply(call());
    // A refused change leaves the page showing what the server has, not what the tap wished.
    if (!ok) await this.apply(getCart()).then(() => undefined);
  },

  toggleLine(e: SkuEvent<{ checked: boolean }>) {
    const sku = e.currentTarget.dataset.sku;
    void this.change(() => selectLine(sku, e.detail.checked));
  },

  toggleAll(e: WechatMiniprogram.CustomEvent<{ checked: boolean }>) {
    void this.change(() => selectAll(e.detail.checked));
  },

  changeQuantity(e: SkuEvent<{ value: number }>) {
    const sku = e.currentTarget.dataset.sku;
    const line = this.data.cart.lines.find((l) => l.skuId === sku);
    const q = Math.floor(Number(e.detail.value));
    if (!line || !Number.isSafeInteger(q) || q < 1 || q > line.maxQuantity || q === line.quantity) return;
    void this.change(() => setQuantity(sku, q));
  },

  async removeLine(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { sku: string }>,
  ) {
    const sku = e.currentTarget.dataset.sku;
    const line = this.data.cart.lines.find((l) => l.skuId === sku);
    const answer = await wx.showModal({
      title: '删除商品',
      content: `从购物车删除「${line?.title ?? '这件商品'}」？`,
      confirmText: '删除',
      cancelText: '再想想',
    });
    if (answer.confirm) await this.change(() => removeFromCart(sku));
  },

  checkout() {
    const c = this.data.cart;
    if (c.selectedCount === 0 || c.blockedText || this.data.busy) return;
    navigateOnce('/order/confirm/index');
  },

  goShopping() {
    void wx.switchTab({ url: '/pages/goods/index' });
  },
});
