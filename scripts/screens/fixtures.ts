// Fixture answers of the cloud functions for the screenshots: typed against typings/contracts, so a contract change
// breaks here at compile time instead of drawing a stale page. Goods come from data/catalog.demo.json; the clock is
// fixed so countdowns and dates are the same in every run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goodsView } from '../../server/application/shop.service';
import { parseCatalog } from '../../server/domain/catalog';
import { hasReceivedPayment, mayChangeUnprompted, orderPhase } from '../../server/domain/order-state';
import type { ApiResult } from '../../typings/contracts/envelope';
import type {
  DeliveryView,
  ExpressCompanyView,
  FulfilmentState,
  FulfilmentView,
  PickupPointView,
} from '../../typings/contracts/fulfilment';
import type {
  CheckoutQuoteView,
  OrderLineView,
  OrderStatus,
  OrderView,
  StartPaymentView,
} from '../../typings/contracts/order';
import type { CartLineView, CartView, GoodsView } from '../../typings/contracts/shop';
import type { StaffOrderView } from '../../typings/contracts/staff';

const ROOT = join(__dirname, '..', '..');
/** The server's "now" in every screen: 2026-11-30 10:00 Beijing time. */
export const SERVER_NOW_MS = Date.parse('2026-11-30T10:00:00+08:00');
/** Where the local gateway serves the demo pictures (the exporter reads them from data/images). */
const PICTURES = 'http://127.0.0.1:7300/static/goods';

/** The demo catalog as listGoods answers it (per-line cap 99, off-sale left out, pictures from the local gateway). */
export function demoGoods(): GoodsView[] {
  return catalogGoods(false);
}

/** `withOffSale`: also what the shop took off sale (a cart can still hold it). */
function catalogGoods(withOffSale: boolean): GoodsView[] {
  const catalog = parseCatalog(JSON.parse(readFileSync(join(ROOT, 'data', 'catalog.demo.json'), 'utf8')));
  return catalog.products.flatMap((p) => {
    const shown = p.skus.filter((s) => withOffSale || s.onSale);
    if (shown.length === 0) return [];
    return { ...goodsView(p, shown), imageUrl: `${PICTURES}/${p.productId}.svg` };
  });
}

function line(skuId: string, quantity: number, extra: Partial<CartLineView> = {}): CartLineView {
  for (const g of catalogGoods(true)) {
    const s = g.skus.find((k) => k.skuId === skuId);
    if (s) {
      return {
        skuId,
        productId: g.productId,
        title: g.title,
        spec: s.spec,
        unitPriceFen: s.priceFen,
        quantity,
        selected: true,
        problem: null,
        maxQuantity: s.maxQuantity,
        ...extra,
      };
    }
  }
  throw new Error(`fixture: no demo SKU ${skuId}`);
}

function cartOf(lines: CartLineView[]): CartView {
  const ok = lines.filter((l) => l.selected && l.problem === null);
  return {
    lines,
    selectedCount: ok.reduce((n, l) => n + l.quantity, 0),
    selectedTotalFen: ok.reduce((n, l) => n + l.quantity * l.unitPriceFen, 0),
  };
}

/** A cart with good lines and one of each problem; the gift box's price went up since it was added. */
export function problemCart(): CartView {
  return cartOf([
    line('sku-coffee-250g', 2),
    line('sku-longjing-gift', 1),
    line('sku-ginger-tea-box', 1, { selected: false }),
    line('sku-tshirt-black-l', 1, { problem: 'OUT_OF_STOCK', maxQuantity: 0, selected: false }),
    line('sku-bamboo-cutlery', 1, { problem: 'OFF_SALE', maxQuantity: 0, selected: false }),
  ]);
}

/** The price the shopper saw when adding the gift box (the catalog's is higher now). */
export const SEEN_PRICES: Record<string, number> = { 'sku-longjing-gift': 16800 };

export const EMPTY_CART: CartView = { lines: [], selectedCount: 0, selectedTotalFen: 0 };

function orderLine(skuId: string, quantity: number): OrderLineView {
  const l = line(skuId, quantity);
  return {
    skuId,
    productId: l.productId ?? '',
    title: l.title,
    spec: l.spec,
    unitPriceFen: l.unitPriceFen,
    quantity,
    lineTotalFen: l.unitPriceFen * quantity,
  };
}

/** What order.quote answers for two coffees and a gift box; `raisedFen` more a gift box = the price after a change. */
export function checkoutQuote(raisedFen = 0): CheckoutQuoteView {
  const lines = [orderLine('sku-coffee-250g', 2), orderLine('sku-longjing-gift', 1)].map((l) =>
    l.skuId === 'sku-longjing-gift'
      ? {
          ...l,
          unitPriceFen: l.unitPriceFen + raisedFen,
          lineTotalFen: (l.unitPriceFen + raisedFen) * l.quantity,
        }
      : l,
  );
  const totalFen = lines.reduce((n, l) => n + l.lineTotalFen, 0);
  return {
    lines,
    totalFen,
    payableFen: totalFen,
    isTestOrder: false,
    deliveryKinds: ['express', 'pickup'],
    pickupPoint: PICKUP_POINT,
  };
}

export const PICKUP_POINT: PickupPointView = {
  name: '安心小店（科技园店）',
  address: '深圳市南山区科技园南区 8 栋 1 楼',
  hours: '周一至周日 10:00–21:00',
};

/** The address a shopper picks in WeChat's address book (wx.chooseAddress's field names). */
export const CHOSEN_ADDRESS = {
  userName: '张小安',
  telNumber: '13800138000',
  provinceName: '广东省',
  cityName: '深圳市',
  countyName: '南山区',
  detailInfo: '科技园路 1 号 A 座 1203',
  postalCode: '518057',
};

export const EXPRESS_DELIVERY: DeliveryView = {
  kind: 'express',
  address: {
    name: '张小安',
    phone: '13800138000',
    province: '广东省',
    city: '深圳市',
    district: '南山区',
    detail: '科技园路 1 号 A 座 1203',
    postalCode: '518057',
  },
  pickupPoint: null,
  remark: '工作日白天家里没人，请放快递柜',
};

export const EXPRESS_COMPANIES: ExpressCompanyView[] = [
  { id: 'SF', name: '顺丰速运' },
  { id: 'ZTO', name: '中通快递' },
  { id: 'YTO', name: '圆通速递' },
  { id: 'YD', name: '韵达快递' },
  { id: 'JD', name: '京东快递' },
  { id: 'EMS', name: 'EMS' },
];

/** Where the goods of an order in `status` are when nobody acted yet (paid: waiting for staff). */
function defaultFulfilmentState(status: OrderStatus): FulfilmentState {
  if (status === 'PAID' || status === 'PARTIALLY_REFUNDED' || status === 'REFUND_PROCESSING')
    return 'AWAITING_SHIPMENT';
  if (status === 'REFUNDED' || status === 'PAID_AFTER_CLOSE' || status === 'REFUND_FAILED')
    return 'CANCELLED';
  return 'NOT_PAID';
}

/** A fulfilment view in `state` (no parcels, nothing to confirm unless given). */
export function fulfilment(state: FulfilmentState, o: Partial<FulfilmentView> = {}): FulfilmentView {
  return {
    state,
    parcels: [],
    shippedAtMs: null,
    receivedAtMs: null,
    completedAtMs: null,
    completeAtMs: null,
    canConfirmReceipt: false,
    confirmReceiptExtraData: null,
    ...o,
  };
}

/** An order shipped by SF `hoursAgo`, that its payer may confirm receiving. */
export function shipped(o: OrderView, hoursAgo = 20): OrderView {
  const shippedAtMs = SERVER_NOW_MS - hoursAgo * 3600_000;
  return {
    ...o,
    fulfilment: fulfilment('SHIPPED', {
      parcels: [{ expressCompany: 'SF', expressName: '顺丰速运', trackingNo: 'SF1402837465021' }],
      shippedAtMs,
      completeAtMs: shippedAtMs + 10 * 86_400_000,
      canConfirmReceipt: true,
      confirmReceiptExtraData: { transaction_id: '4200002345202611301234567890' },
    }),
  };
}

/** An order as staff see it. */
export function staffOrder(
  o: OrderView,
  upload: Partial<StaffOrderView['shippingUpload']> = {},
): StaffOrderView {
  return {
    order: o,
    openid: 'o-fixture-payer',
    transactionId: o.paidAtMs === null ? null : '4200002345202611301234567890',
    shippingUpload: { state: 'none', uploads: 0, lastUploadedAtMs: null, lastError: null, ...upload },
  };
}

let serial = 0;

/** An order in `status` as its owner sees it, `minutesAgo` after it was placed. */
export function order(status: OrderStatus, o: Partial<OrderView> & { minutesAgo?: number } = {}): OrderView {
  const lines = o.lines ?? [orderLine('sku-coffee-250g', 2), orderLine('sku-longjing-gift', 1)];
  const totalFen = lines.reduce((n, l) => n + l.lineTotalFen, 0);
  const created = SERVER_NOW_MS - (o.minutesAgo ?? 3) * 60_000 - 28_000;
  serial += 1;
  const { minutesAgo: _m, ...rest } = o;
  return {
    outTradeNo: `WX20261130${String(95000 + serial).padStart(8, '0')}`,
    status,
    lines,
    totalFen,
    payableFen: totalFen,
    isTestOrder: false,
    simulated: false,
    createdAtMs: created,
    expiresAtMs: created + 15 * 60_000,
    paidAtMs: hasReceivedPayment(status) ? created + 95_000 : null,
    refundedFen: status === 'REFUNDED' ? totalFen : 0,
    refundOwedOfflineFen: 0,
    // The server's own derivations, so a screen never shows a combination the server cannot answer.
    phase: orderPhase(status),
    moneyArrived: hasReceivedPayment(status),
    mayStillChange: mayChangeUnprompted(status),
    canPay: status === 'AWAITING_PAYMENT',
    canCancel: status === 'AWAITING_PAYMENT',
    delivery: EXPRESS_DELIVERY,
    fulfilment: fulfilment(defaultFulfilmentState(status)),
    serverNowMs: SERVER_NOW_MS,
    ...rest,
  };
}

/** What pay.start answers for an order (the signed parameters are not shown anywhere). */
export function startPayment(o: OrderView): StartPaymentView {
  return {
    outTradeNo: o.outTradeNo,
    payableFen: o.payableFen,
    simulated: false,
    requestPayment: {
      timeStamp: String(Math.floor(SERVER_NOW_MS / 1000)),
      nonceStr: 'screenshotnonce',
      package: `prepay_id=wx${o.outTradeNo}`,
      signType: 'RSA',
      paySign: 'c2NyZWVuc2hvdA==',
    },
  };
}

/** A fixture backend: answers `name`+`action` with what the current screen needs. */
export type FixtureBackend = (name: string, data: Record<string, unknown>) => ApiResult<unknown>;

export function ok<T>(data: T): ApiResult<T> {
  return { ok: true, data };
}
