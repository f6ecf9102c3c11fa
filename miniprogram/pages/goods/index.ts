import type { GoodsView } from '../../../typings/contracts/shop';
import { clientEnv } from '../../config/env';
import { listGoods } from '../../services/shop';
import { errorText } from '../../utils/errors';
import { toGoodsCard } from '../../utils/goods';
import { navigateOnce } from '../../utils/nav';

/** Cards rendered per setData: the list grows as the shopper scrolls, never the whole catalog in one payload. */
const CHUNK = 6;

Page({
  data: {
    goods: [] as ReturnType<typeof toGoodsCard>[],
    loading: false,
    errorText: '',
    hasMore: false,
  },
  /** The whole catalog stays here, out of the render layer. */
  catalog: [] as GoodsView[],

  onLoad() {
    void this.reload();
  },

  async onPullDownRefresh() {
    await this.reload();
    void wx.stopPullDownRefresh();
  },

  onShareAppMessage(): WechatMiniprogram.Page.ICustomShareContent {
    return { title: clientEnv.shopName, path: '/pages/goods/index' };
  },

  onReachBottom() {
    this.appendChunk();
  },

  async reload() {
    this.setData({ loading: true, errorText: '' });
    const r = await listGoods();
    if (!r.ok) {
      this.setData({ loading: false, errorText: errorText(r.error) });
      return;
    }
    this.catalog = r.data;
    const first = r.data.slice(0, CHUNK).map(toGoodsCard);
    this.setData({ loading: false, goods: first, hasMore: r.data.length > first.length });
  },

  appendChunk() {
    const shown = this.data.goods.length;
    if (shown >= this.catalog.length) return;
    const next = this.catalog.slice(shown, shown + CHUNK).map(toGoodsCard);
    const patch: Record<string, unknown> = { hasMore: shown + next.length < this.catalog.length };
    next.forEach((card, i) => {
      patch[`goods[${shown + i}]`] = card;
    });
    this.setData(patch);
  },

  openDetail(e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { id: string }>) {
    navigateOnce(`/pages/goods-detail/index?id=${encodeURIComponent(e.currentTarget.dataset.id)}`);
  },
});
