import type { GoodsSkuView, GoodsView } from '../../../typings/contracts/shop';
import { clientEnv } from '../../config/env';
import { rememberPrice } from '../../services/seen-prices';
import { addToCart, getCart, listGoods } from '../../services/shop';
import { errorText } from '../../utils/errors';
import { buyable, stockHint } from '../../utils/goods';
import { fenToYuanText } from '../../utils/money';

interface SpecVM {
  skuId: string;
  spec: string;
  buyable: boolean;
  stockHint: string;
}

function specVM(s: GoodsSkuView): SpecVM {
  return { skuId: s.skuId, spec: s.spec, buyable: buyable(s), stockHint: stockHint(s.stock, s.onSale) };
}

Page({
  data: {
    loading: true,
    errorText: '',
    product: null as { title: string; description: string; imageUrl: string } | null,
    skus: [] as SpecVM[],
    skuId: '',
    priceText: '',
    stockText: '',
    buyable: false,
    quantity: 1,
    maxQuantity: 1,
    limitText: '',
    adding: false,
    /** What the cart holds after an add whose answer was lost (the add may or may not have landed). */
    noticeText: '',
  },
  goods: null as GoodsView | null,
  productId: '',

  onLoad(query: Record<string, string | undefined>) {
    this.productId = query.id ?? '';
    void this.load(this.productId);
  },

  onShareAppMessage(): WechatMiniprogram.Page.ICustomShareContent {
    const share: WechatMiniprogram.Page.ICustomShareContent = {
      title: this.goods?.title ?? clientEnv.shopName,
      path: `/pages/goods-detail/index?id=${encodeURIComponent(this.productId)}`,
    };
    if (this.goods?.imageUrl) share.imageUrl = this.goods.imageUrl;
    return share;
  },

  async load(productId: string) {
    const r = await listGoods();
    if (!r.ok) {
      this.setData({ loading: false, errorText: errorText(r.error) });
      return;
    }
    const g = r.data.find((p) => p.productId === productId);
    if (!g) {
      this.setData({ loading: false, errorText: '商品不存在或已下架' });
      return;
    }
    this.goods = g;
    const first = g.skus.find(buyable) ?? g.skus[0];
    this.setData({
      loading: false,
      product: { title: g.title, description: g.description ?? '', imageUrl: g.imageUrl ?? '' },
      skus: g.skus.map(specVM),
    });
    if (first) this.showSku(first);
  },

  showSku(s: GoodsSkuView) {
    const can = buyable(s);
    const max = Math.max(1, s.maxQuantity);
    this.setData({
      skuId: s.skuId,
      priceText: fenToYuanText(s.priceFen),
      stockText: stockHint(s.stock, s.onSale),
      buyable: can,
      maxQuantity: max,
      quantity: Math.min(this.data.quantity, max),
      limitText: can && s.limitPerOrder !== null ? `每单限购 ${s.limitPerOrder} 件` : '',
      errorText: '',
      noticeText: '',
    });
  },

  pickSku(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { sku: string }>) {
    const s = this.goods?.skus.find((x) => x.skuId === e.currentTarget.dataset.sku);
    if (s) this.showSku(s);
  },

  onQuantity(e: WechatMiniprogram.CustomEvent<{ value: number }>) {
    const q = Math.floor(Number(e.detail.value));
    if (Number.isSafeInteger(q) && q >= 1 && q <= this.data.maxQuantity) this.setData({ quantity: q });
  },

  async addToCart() {
    const s = this.goods?.skus.find((x) => x.skuId === this.data.skuId);
    if (!s || this.data.adding || !this.data.buyable) return;
    this.setData({ adding: true, errorText: '', noticeText: '' });
    const quantity = this.data.quantity;
    const r = await addToCart(s.skuId, quantity);
    if (!r.ok && r.error.code === 'NETWORK') {
      await this.afterLostAdd(s, quantity);
      return;
    }
    if (!r.ok) {
      this.setData({ adding: false, errorText: errorText(r.error) });
      return;
    }
    rememberPrice(s.skuId, s.priceFen);
    this.setData({ adding: false });
    void wx.showToast({ title: '已加入购物车', icon: 'success' });
  },

  /**
   * The add may have landed although its answer was lost, and repeating it would add twice: the cart is read again
   * before the button works, and the page says what the cart holds rather than that nothing happened.
   */
  async afterLostAdd(s: GoodsSkuView, quantity: number) {
    const cart = await getCart();
    const line = cart.ok ? cart.data.lines.find((l) => l.skuId === s.skuId) : undefined;
    if (!line || line.quantity < quantity) {
      this.setData({ adding: false, errorText: errorText({ code: 'NETWORK' }) });
      return;
    }
    rememberPrice(s.skuId, s.priceFen);
    this.setData({ adding: false, noticeText: `已在购物车：${s.spec} 共 ${line.quantity} 件` });
  },

  goCart() {
    void wx.switchTab({ url: '/pages/cart/index' });
  },

  goHome() {
    void wx.switchTab({ url: '/pages/goods/index' });
  },
});
