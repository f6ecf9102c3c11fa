import type { ApiErrorDetails } from '../../../typings/contracts/envelope';
import type { AddressInput, DeliveryKind, DeliveryRequest } from '../../../typings/contracts/fulfilment';
import type { CheckoutLineRequest, CheckoutQuoteView } from '../../../typings/contracts/order';
import { addressLine, lastAddress, pickAddress, rememberAddress } from '../../services/address';
import { checkout, newClientRequestKey, quoteCheckout } from '../../services/order';
import { handOverPayment } from '../../services/payment';
import { rememberPrice } from '../../services/seen-prices';
import { errorText } from '../../utils/errors';
import { DELIVERY_KIND_TEXT } from '../../utils/fulfilment';
import { fenToYuanText } from '../../utils/money';

/** No delivery kind chosen yet (typed so the page's data field has the kinds' type). */
function noKind(): DeliveryKind | '' {
  return '';
}

/** The remark's limit (the server checks it too). */
export const REMARK_MAX = 100;

/** The address card: what the shopper sees of the chosen address. */
interface AddressVM {
  who: string;
  line: string;
}

function addressVM(a: AddressInput | null): AddressVM | null {
  return a ? { who: `${a.userName} ${a.telNumber}`, line: addressLine(a) } : null;
}

/** Why the submit button is disabled ('' = it is not). */
function blockReason(kinds: DeliveryKind[], kind: DeliveryKind | '', hasAddress: boolean): string {
  if (kinds.length === 0) return '所选商品没有共同的配送方式，请分开下单';
  if (kind === '') return '请选择配送方式';
  if (kind === 'express' && !hasAddress) return '请先选择收货地址';
  return '';
}

/** What the page says after the address picker did not give an address. */
const PICK_HINT = {
  cancelled: '未选择收货地址。快递配送需要收货地址，请点击上方选择。',
  denied: '你之前拒绝了使用通讯地址，请在设置中打开「通讯地址」后再选择。',
  privacy: '需要你同意《用户隐私保护指引》后才能使用微信收货地址。',
} as const;

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

/** ORDER.DELIVERY_INVALID names the field: what the shopper can do about it (null: another refusal). */
function deliveryRefusal(error: { code: string; details?: ApiErrorDetails }): string | null {
  if (error.code !== 'ORDER.DELIVERY_INVALID') return null;
  const field = typeof error.details?.field === 'string' ? error.details.field : '';
  if (field === 'delivery.address.telNumber') return '收货人电话格式不正确，请重新选择或修改微信收货地址';
  if (field.startsWith('delivery.address')) return '收货地址不完整或有误，请重新选择收货地址';
  if (field === 'remark') return `备注最多 ${REMARK_MAX} 个字，请删减后再提交`;
  return null;
}

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
    /** The kinds every selected line allows (the quote says), as chips. */
    deliveryKinds: [] as Array<{ value: DeliveryKind; label: string }>,
    deliveryKind: noKind(),
    pickupPoint: null as { name: string; address: string; hours: string } | null,
    address: null as AddressVM | null,
    /** What the last pick ended with, when it gave no address. */
    addressHint: '',
    /** The permission was refused: offer WeChat's settings page. */
    addressDenied: false,
    remark: '',
    remarkMax: REMARK_MAX,
    /** Why 提交 is disabled ('' = it is not). */
    blockReason: '',
    /** WeChat needs the shopper's privacy consent before the address book opens. */
    privacyAsk: false,
  },
  /** The address the order will be sent with (express only). */
  chosenAddress: null as AddressInput | null,
  /** WeChat's privacy callback, waiting for the shopper's answer. */
  privacyResolve: null as ((r: { event: 'agree' | 'disagree'; buttonId?: string }) => void) | null,
  /**
   * One key for this checkout: every tap and every retry of this page sends it, so the server answers the first
   * order again instead of making a second one.
   */
  clientRequestKey: '',
  /** Set synchronously on the first tap: a second tap in the same frame (before setData lands) is ignored too. */
  inFlight: false,
  /** Exactly what the screen shows: checkout charges this or nothing. */
  shown: null as { lines: CheckoutLineRequest[]; payableFen: number } | null,

  onLoad() {
    this.clientRequestKey = newClientRequestKey();
    this.chosenAddress = lastAddress();
    if (typeof wx.onNeedPrivacyAuthorization === 'function') {
      // WeChat holds chooseAddress until the shopper answers our consent prompt (the agree button below).
      wx.onNeedPrivacyAuthorization((resolve: unknown) => {
        // The typings call the argument a callback result; WeChat passes the resolve function.
        this.privacyResolve = resolve as NonNullable<typeof this.privacyResolve>;
        this.setData({ privacyAsk: true });
      });
    }
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
    const kinds = quote.deliveryKinds;
    const current = this.data.deliveryKind;
    const kind: DeliveryKind | '' = current !== '' && kinds.includes(current) ? current : (kinds[0] ?? '');
    this.setData({
      deliveryKinds: kinds.map((k) => ({ value: k, label: DELIVERY_KIND_TEXT[k] })),
      deliveryKind: kind,
      pickupPoint: quote.pickupPoint,
      address: addressVM(this.chosenAddress),
      blockReason: blockReason(kinds, kind, this.chosenAddress !== null),
      lines: quote.lines.map((l) => ({
        skuId: l.skuId,
        title: l.title,
        spec: l.spec,
        quantity: l.quantity,
        lineTotalText: fenToYuanText(l.lineTotalFen),
      })),
      totalText: fenToYuanText(quote.totalFen),
      payableText: fenToYuanText(quote.payableFen),
      isTestOrder: quote.isTestOrder,
    });
  },

  pickKind(
    e: WechatMiniprogram.TouchEvent<Record<string, never>, Record<string, never>, { kind: DeliveryKind }>,
  ) {
    const kind = e.currentTarget.dataset.kind;
    if (this.data.placing || kind === this.data.deliveryKind) return;
    const kinds = this.data.deliveryKinds.map((k) => k.value);
    this.setData({ deliveryKind: kind, blockReason: blockReason(kinds, kind, this.chosenAddress !== null) });
  },

  async chooseAddress() {
    if (this.data.placing) return;
    const pick = await pickAddress();
    const kinds = this.data.deliveryKinds.map((k) => k.value);
    if (pick.kind === 'chosen') {
      this.chosenAddress = pick.address;
      rememberAddress(pick.address);
      this.setData({
        address: addressVM(pick.address),
        addressHint: '',
        addressDenied: false,
        blockReason: blockReason(kinds, this.data.deliveryKind, true),
        errorText: '',
      });
      return;
    }
    // A cancelled pick keeps the address already shown (if any): nothing was chosen, nothing changes.
    if (pick.kind === 'cancelled' && this.chosenAddress) return;
    this.setData({
      addressHint:
        pick.kind === 'failed'
          ? `暂时无法打开微信收货地址（${pick.detail}），请稍后重试`
          : PICK_HINT[pick.kind],
      addressDenied: pick.kind === 'denied',
    });
  },

  openSettings() {
    void wx.openSetting({});
  },

  onAgreePrivacy(e: WechatMiniprogram.CustomEvent) {
    const resolve = this.privacyResolve;
    this.privacyResolve = null;
    this.setData({ privacyAsk: false });
    // WeChat checks that this very button was tapped before it lets chooseAddress go on.
    resolve?.({
      event: 'agree',
      buttonId: (e.currentTarget as { id?: string } | undefined)?.id ?? 'agree-privacy',
    });
  },

  onDisagreePrivacy() {
    const resolve = this.privacyResolve;
    this.privacyResolve = null;
    this.setData({ privacyAsk: false });
    resolve?.({ event: 'disagree' });
  },

  openPrivacyContract() {
    if (typeof wx.openPrivacyContract === 'function') void wx.openPrivacyContract({});
  },

  onRemark(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    this.setData({ remark: String(e.detail.value ?? '').slice(0, REMARK_MAX) });
  },

  /** What checkout sends about delivery; null while the page cannot send one (the button says why). */
  deliveryRequest(): DeliveryRequest | null {
    const kind = this.data.deliveryKind;
    if (kind === 'express') return this.chosenAddress ? { kind, address: this.chosenAddress } : null;
    if (kind === 'pickup' || kind === 'virtual') return { kind };
    return null;
  },

  async submit() {
    const shown = this.shown;
    const delivery = this.deliveryRequest();
    if (this.inFlight || !shown || !delivery || this.data.blockReason) return;
    this.inFlight = true;
    this.setData({ placing: true, errorText: '', backHint: false });
    const remark = this.data.remark.trim();
    const r = await checkout(this.clientRequestKey, shown.lines, shown.payableFen, delivery, remark);
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
        errorText: deliveryRefusal(r.error) ?? errorText(r.error),
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

  backToCart() {
    void wx.navigateBack({ delta: 1 });
  },
});
