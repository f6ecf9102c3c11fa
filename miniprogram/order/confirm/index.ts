import type { ApiErrorDetails } from '../../../typings/contracts/envelope';
import type { DeliveryFields } from '../../../typings/contracts/api';
import type { DeliveryKind } from '../../../typings/contracts/fulfilment';
import type { CheckoutLineRequest, CheckoutQuoteView } from '../../../typings/contracts/order';
import { checkout, newClientRequestKey, quoteCheckout } from '../../services/order';
import { handOverPayment } from '../../services/payment';
import { rememberPrice } from '../../services/seen-prices';
import { errorText } from '../../utils/errors';
import { fenToYuanText } from '../../utils/money';

interface ConfirmLineVM {
  skuId: string;
  title: string;
  spec: string;
  /** The product's picture ('' = the placeholder). */
  imageUrl: string;
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

/** ORDER.PRICE_CHANGED's details, when they have the quote's shape (anything else is shown as a plain refusal). */
function quoteIn(details: ApiErrorDetails | undefined): CheckoutQuoteView | null {
  if (!details || typeof details.payableFen !== 'number' || !Array.isArray(details.lines)) return null;
  return details as unknown as CheckoutQuoteView;
}

Page({
  data: {
    loading: true,
    lines: [] as ConfirmLineVM[],
    totalText: '',
    payableText: '',
    isTestOrder: false,
    placing: false,
    errorText: '',
    backHint: false,
    /** The server's total moved since it was shown: the new one is on screen and needs a second tap. */
    priceChangedText: '',
  },
  /**
   * One key for this checkout: every tap and every retry of this page sends it, so the server answers the first
   * order again instead of making a second one.
   */
  clientRequestKey: '',
  /** Set synchronously on the first tap: a second tap in the same frame (before setData lands) is ignored too. */
  inFlight: false,
  /** Exactly what the screen shows: checkout charges this or nothing. */
  shown: null as { lines: CheckoutLineRequest[]; payableFen: number } | null,
  /** The delivery kinds the quote allows (the delivery UI replaces the choice below: express first). */
  deliveryKinds: [] as DeliveryKind[],

  onLoad() {
    this.clientRequestKey = newClientRequestKey();
    void this.load();
  },

  async load() {
    const r = await quoteCheckout();
    if (!r.ok) {
      this.setData({ loading: false, errorText: errorText(r.error) });
      return;
    }
    this.show(r.data);
    this.setData({ loading: false });
  },

  show(quote: CheckoutQuoteView) {
    // The shopper has now seen today's prices: the cart stops flagging them as changed.
    for (const l of quote.lines) rememberPrice(l.skuId, l.unitPriceFen);
    this.shown = {
      lines: quote.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity })),
      payableFen: quote.payableFen,
    };
    this.deliveryKinds = quote.deliveryKinds ?? [];
    this.setData({
      lines: quote.lines.map((l) => ({
        skuId: l.skuId,
        title: l.title,
        spec: l.spec,
        imageUrl: l.imageUrl ?? '',
        quantity: l.quantity,
        lineTotalText: fenToYuanText(l.lineTotalFen),
      })),
      totalText: fenToYuanText(quote.totalFen),
      payableText: fenToYuanText(quote.payableFen),
      isTestOrder: quote.isTestOrder,
    });
  },

  async submit() {
    const shown = this.shown;
    if (this.inFlight || !shown) return;
    this.inFlight = true;
    this.setData({ placing: true, errorText: '', backHint: false });
    const delivery = await this.chooseDelivery();
    if (!delivery) {
      this.inFlight = false;
      this.setData({ placing: false });
      return;
    }
    const r = await checkout(this.clientRequestKey, shown.lines, shown.payableFen, delivery);
    if (!r.ok) {
      this.inFlight = false;
      const quote = r.error.code === 'ORDER.PRICE_CHANGED' ? quoteIn(r.error.details) : null;
      if (quote) {
        // Nothing was ordered: the new total goes on screen, and only the shopper's next tap sends it.
        const was = this.data.payableText;
        this.show(quote);
        this.setData({
          placing: false,
          priceChangedText: `应付金额已由 ¥${was} 变为 ¥${fenToYuanText(quote.payableFen)}，请确认后再次提交`,
        });
        return;
      }
      this.setData({
        placing: false,
        errorText: errorText(r.error),
        backHint: FIX_IN_CART.has(r.error.code),
      });
      return;
    }
    handOverPayment(r.data.payment);
    // The order page shows the order exactly as the server priced it and opens the cashier for it.
    void wx.redirectTo({
      url: `/order/detail/index?outTradeNo=${encodeURIComponent(r.data.order.outTradeNo)}&autopay=1`,
    });
  },

  /**
   * The delivery to send: an address from WeChat for express (null when the shopper closes the picker), else pickup or
   * virtual as the quote allows. The checkout page's delivery section takes this over.
   */
  async chooseDelivery(): Promise<DeliveryFields | null> {
    const kinds = this.deliveryKinds;
    if (kinds.includes('express') || kinds.length === 0) {
      try {
        const a = await wx.chooseAddress();
        return {
          delivery: {
            kind: 'express',
            address: {
              userName: a.userName,
              telNumber: a.telNumber,
              provinceName: a.provinceName,
              cityName: a.cityName,
              countyName: a.countyName,
              detailInfo: a.detailInfo,
              postalCode: a.postalCode,
            },
          },
        };
      } catch {
        return null;
      }
    }
    return { delivery: { kind: kinds.includes('pickup') ? 'pickup' : 'virtual' } };
  },

  backToCart() {
    void wx.navigateBack({ delta: 1 });
  },
});
