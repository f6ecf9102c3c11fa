// Drives real pages (the page tests' harness: real WXML, real TDesign, miniprogram-simulate in jsdom) into the states
// the screenshots show, with fixture function answers, and exports each as one HTML file (render-kit.ts). Runs inside
// jest (jsdom environment). The PNGs are shot afterwards by shoot.ts in plain Node.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CartView } from '../../typings/contracts/shop';
import type { ApiErrorDetails } from '../../typings/contracts/envelope';
import type { AttentionView, CheckoutQuoteView, OrderView } from '../../typings/contracts/order';
import type { StaffOrderView } from '../../typings/contracts/staff';
import {
  CHOSEN_ADDRESS,
  checkoutQuote,
  EXPRESS_COMPANIES,
  PICKUP_POINT,
  shipped,
  staffOrder,
  demoGoods,
  EMPTY_CART,
  ok,
  order,
  orderLine,
  problemCart,
  SEEN_PRICES,
  SERVER_NOW_MS,
  startPayment,
  type FixtureBackend,
} from './fixtures';
import { exportPageHtml, installRenderPatches } from './render-kit';
import { counterScreens } from './counter-screens';
import { refundRequestScreens } from './refund-screens';

const ROOT = resolve(__dirname, '..', '..');
const STATIC_DIR = join(ROOT, 'data', 'images');

/** One screenshot: a page, its fixture answers, and what to do before the shot. */
export interface Screen {
  /** File name without extension (docs/screens/<name>.png). */
  name: string;
  /** Route and query, e.g. "order/detail/index?outTradeNo=…". */
  url: string;
  /** What the picture shows (README alt text). */
  caption: string;
  backend: FixtureBackend;
  /** Text that must be on the page before the shot. */
  waitFor: string;
  /** Storage the phone already holds (e.g. prices seen when adding to the cart). */
  storage?: Record<string, unknown>;
  envVersion?: 'develop' | 'trial' | 'release';
  /** Interaction after load (tap a spec, open the cashier …). */
  act?: (page: any) => Promise<void>;
}

function goodsBackend(): FixtureBackend {
  const goods = demoGoods();
  return (name, data) => {
    if (name === 'shop' && data['action'] === 'listGoods') return ok(goods);
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(data['action'])}` },
    };
  };
}

/** The cart; with `pending`, the order the pending-order banner names (listMine of phase awaiting). */
function cartBackend(cart: CartView, pending?: OrderView): FixtureBackend {
  return (name, data) => {
    if (name === 'shop' && data['action'] === 'getCart') return ok(cart);
    if (pending && name === 'order' && data['action'] === 'listMine' && data['phase'] === 'awaiting') {
      return ok([pending]);
    }
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(data['action'])}` },
    };
  };
}

/** The confirm page: order.quote answers `shown`; a tap is refused with ORDER.PRICE_CHANGED and `changed`. */
function checkoutBackend(shown: CheckoutQuoteView, changed: CheckoutQuoteView): FixtureBackend {
  return (name, data) => {
    if (name === 'order' && data['action'] === 'quote') return ok(shown);
    if (name === 'order' && data['action'] === 'checkout') {
      return {
        ok: false,
        error: {
          code: 'ORDER.PRICE_CHANGED',
          message: 'the price changed',
          details: JSON.parse(JSON.stringify(changed)) as ApiErrorDetails,
        },
      };
    }
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(data['action'])}` },
    };
  };
}

function orderBackend(o: OrderView): FixtureBackend {
  return (name, data) => {
    if (name === 'order' && (data['action'] === 'get' || data['action'] === 'cancel')) return ok(o);
    if (name === 'pay' && data['action'] === 'sync') return ok(o);
    if (name === 'pay' && data['action'] === 'start') return ok(startPayment(o));
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(data['action'])}` },
    };
  };
}

/** The staff pages: staff.me says staff; the lists and the order answer fixtures. */
function staffBackend(toShip: StaffOrderView[], attention: AttentionView[]): FixtureBackend {
  return (name, data) => {
    const action = data['action'];
    if (name === 'staff' && action === 'me')
      return ok({ isStaff: true, expressCompanies: EXPRESS_COMPANIES, pickupPoint: PICKUP_POINT });
    if (name === 'staff' && action === 'listToShip')
      return ok(data['state'] === 'READY_FOR_PICKUP' || data['afterPaidAtMs'] !== undefined ? [] : toShip);
    if (name === 'staff' && action === 'getOrder')
      return ok(toShip.find((v) => v.order.outTradeNo === data['outTradeNo']) ?? toShip[0]);
    if (name === 'refund' && action === 'listAttention') return ok(attention);
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(action)}` },
    };
  };
}

function detail(
  name: string,
  caption: string,
  o: OrderView,
  waitFor: string,
  extra: Partial<Screen> = {},
): Screen {
  return {
    name,
    url: `order/detail/index?outTradeNo=${o.outTradeNo}`,
    caption,
    backend: orderBackend(o),
    waitFor,
    ...extra,
  };
}

/** 我的订单: the server's listing, filtered by the tab's phase (one page). */
function myOrdersBackend(all: readonly OrderView[]): FixtureBackend {
  return (name, data) => {
    if (name === 'order' && data['action'] === 'listMine') {
      if (data['beforeMs'] !== undefined) return ok([]);
      return ok(all.filter((o) => data['phase'] === undefined || o.phase === data['phase']));
    }
    return { ok: false, error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}` } };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every page in its main states, in README order. */
export function allScreens(): Screen[] {
  const paidAfterClose = order('PAID_AFTER_CLOSE', { minutesAgo: 20 });
  const partlyRefunded = order('PARTIALLY_REFUNDED', { refundedFen: 6800 });
  const awaiting = order('AWAITING_PAYMENT', {
    minutesAgo: 3,
    expiresAtMs: SERVER_NOW_MS + 11 * 60_000 + 32_000,
  });
  const tester = order('PAID', {
    isTestOrder: true,
    payableFen: 1,
    lines: order('PAID').lines.slice(0, 1),
  });
  tester.totalFen = tester.lines.reduce((n, l) => n + l.lineTotalFen, 0);
  // Four lines on one card (three thumbnails and 共 N 件), and an order from before pictures were kept (placeholders).
  const fourLines = [
    orderLine('sku-coffee-250g', 1),
    orderLine('sku-apples-5kg', 1),
    orderLine('sku-tote-natural', 2),
    orderLine('sku-ginger-tea-box', 1),
  ];
  const beforePictures = order('CLOSED_BY_TIMEOUT', { minutesAgo: 60 * 50 });
  beforePictures.lines = beforePictures.lines.map(({ imageUrl: _none, ...l }) => l);
  const awaitingOlder = order('AWAITING_PAYMENT', {
    minutesAgo: 9,
    lines: order('PAID').lines.slice(1),
    expiresAtMs: SERVER_NOW_MS + 5 * 60_000 + 32_000,
  });
  awaitingOlder.totalFen = awaitingOlder.lines.reduce((n, l) => n + l.lineTotalFen, 0);
  awaitingOlder.payableFen = awaitingOlder.totalFen;
  const shippedOrder = shipped(order('PAID', { minutesAgo: 60 * 30 }));
  const toShip = [
    staffOrder(order('PAID', { minutesAgo: 60 * 26 })),
    staffOrder(
      order('PAID', {
        minutesAgo: 60 * 5,
        isTestOrder: true,
        payableFen: 1,
        lines: order('PAID').lines.slice(0, 1),
        delivery: {
          kind: 'express',
          address: {
            name: '李测试',
            phone: '13900139000',
            province: '北京市',
            city: '北京市',
            district: '朝阳区',
            detail: '望京街 10 号',
            postalCode: null,
          },
          pickupPoint: null,
          remark: '',
        },
      }),
    ),
    staffOrder(
      order('PAID', {
        minutesAgo: 40,
        delivery: { kind: 'pickup', address: null, pickupPoint: PICKUP_POINT, remark: '' },
      }),
    ),
  ];
  const failedUpload = staffOrder(shipped(order('PAID', { minutesAgo: 60 * 50 }), 40), {
    state: 'failed',
    lastError: '10060004 支付单处于不可发货的状态',
  });
  const attention: AttentionView[] = [
    {
      id: 'att-ship-1',
      kind: 'shipping-upload-failed',
      outTradeNo: failedUpload.order.outTradeNo,
      transactionId: failedUpload.transactionId,
      outRefundNo: null,
      refundId: null,
      amountFen: failedUpload.order.payableFen,
      wechatState: '10060004',
      notificationId: null,
      firstSeenAtMs: SERVER_NOW_MS - 3 * 3600_000,
      lastSeenAtMs: SERVER_NOW_MS - 2 * 3600_000,
      deliveries: 3,
      note: '上传发货信息失败：10060004 支付单处于不可发货的状态',
      resolvedAtMs: null,
    },
    {
      id: 'att-refund-1',
      kind: 'refund-owed-offline',
      outTradeNo: order('REFUNDED').outTradeNo,
      transactionId: null,
      outRefundNo: 'RF2026113000000001',
      refundId: null,
      amountFen: 6800,
      wechatState: 'SUCCESS',
      notificationId: null,
      firstSeenAtMs: SERVER_NOW_MS - 26 * 3600_000,
      lastSeenAtMs: SERVER_NOW_MS - 26 * 3600_000,
      deliveries: 1,
      note: '退款退到了商户的银行卡，需商家线下支付给顾客',
      resolvedAtMs: null,
    },
  ];
  const mine = [
    awaiting,
    shippedOrder,
    order('PAID', { minutesAgo: 40, lines: fourLines }),
    order('PAID_AFTER_CLOSE', { minutesAgo: 90 }),
    order('REFUNDED', { minutesAgo: 60 * 26 }),
    beforePictures,
  ];
  return [
    {
      name: 'goods-list',
      url: 'pages/goods/index',
      caption: '首页：商品列表（价格与库存；下架商品不展示）',
      backend: goodsBackend(),
      waitFor: '云南小粒咖啡豆',
    },
    {
      name: 'goods-detail',
      url: 'pages/goods-detail/index?id=p-longjing',
      caption: '商品详情：规格选择（100g 礼盒，限购）',
      backend: goodsBackend(),
      waitFor: '明前龙井绿茶',
      act: async (page) => {
        await page.tap('#spec-sku-longjing-gift');
      },
    },
    {
      name: 'cart',
      url: 'pages/cart/index',
      caption: '购物车：勾选、数量、售罄/下架/涨价的行、服务器计算的合计',
      backend: cartBackend(problemCart()),
      waitFor: '云南小粒咖啡豆',
      storage: { 'cart.seenPrices': SEEN_PRICES },
    },
    {
      name: 'cart-empty',
      url: 'pages/cart/index',
      caption: '空购物车',
      backend: cartBackend(EMPTY_CART),
      waitFor: '购物车',
    },
    {
      name: 'checkout',
      url: 'order/confirm/index',
      caption: '确认订单：服务器定价的明细与合计',
      backend: checkoutBackend(checkoutQuote(), checkoutQuote(2000)),
      waitFor: '明前龙井绿茶',
      storage: { 'checkout.lastAddress': CHOSEN_ADDRESS },
    },
    {
      name: 'checkout-address',
      url: 'order/confirm/index',
      caption: '确认订单：快递配送，微信收货地址（上次选择的地址），订单备注',
      backend: checkoutBackend(checkoutQuote(), checkoutQuote()),
      waitFor: '张小安',
      storage: { 'checkout.lastAddress': CHOSEN_ADDRESS },
      act: async (page) => {
        await page.fire('#remark', 'change', { value: '工作日白天家里没人，请放快递柜' });
      },
    },
    {
      name: 'checkout-no-address',
      url: 'order/confirm/index',
      caption: '确认订单：还没有收货地址，提交按钮不可用并说明原因',
      backend: checkoutBackend(checkoutQuote(), checkoutQuote()),
      waitFor: '请先选择收货地址',
    },
    {
      name: 'checkout-price-changed',
      url: 'order/confirm/index',
      caption: '确认订单：提交时价格已变，显示新金额，需再次确认',
      backend: checkoutBackend(checkoutQuote(), checkoutQuote(2000)),
      waitFor: '明前龙井绿茶',
      storage: { 'checkout.lastAddress': CHOSEN_ADDRESS },
      act: async (page) => {
        await page.tap('#submit >>> .t-button');
        await page.waitForText('请确认后再次提交');
      },
    },
    detail('order-awaiting-payment', '待支付：按服务器时间倒计时', awaiting, '剩余支付时间'),
    detail('order-cashier', '本地联调的模拟收银台', awaiting, '剩余支付时间', {
      act: async (page) => {
        // Not awaited: the cashier waits for a button; the shot is taken while it is open.
        void page.page.pay();
        await page.waitForText('模拟收银台');
      },
    }),
    detail(
      'order-payment-unconfirmed',
      '付款结果待确认：不再提供支付与取消，稍后在「我的订单」查看',
      awaiting,
      '剩余支付时间',
      {
        act: async (page) => {
          // The page's own answer to "the sheet said ok, the server still has no payment after the confirmation window".
          const p = page.page as {
            outcomePatch(o: unknown): Record<string, unknown>;
            setData(d: object): void;
          };
          p.setData(
            p.outcomePatch({ hint: 'ok', failDetail: '', order: awaiting, error: null, unconfirmed: true }),
          );
          await page.waitForText('不要重复发起支付');
        },
      },
    ),
    detail('order-paid', '已支付：待发货，收货地址与备注', order('PAID'), '订单号'),
    detail('order-shipped', '已发货：快递公司与单号（可复制），确认收货', shippedOrder, '确认收货'),
    detail('order-closed-by-user', '已取消', order('CLOSED_BY_USER'), '订单号'),
    detail('order-closed-by-timeout', '超时关闭', order('CLOSED_BY_TIMEOUT', { minutesAgo: 20 }), '订单号'),
    detail('order-paid-after-close', '关单后支付：正在自动退款', paidAfterClose, '订单号'),
    detail('order-refund-processing', '退款处理中', order('REFUND_PROCESSING'), '订单号'),
    detail('order-partially-refunded', '部分退款', partlyRefunded, '订单号'),
    detail('order-refunded', '已退款', order('REFUNDED'), '订单号'),
    detail('order-refund-failed', '退款失败', order('REFUND_FAILED'), '订单号'),
    detail('order-tester', '体验版测试订单：测试徽标与实付金额', tester, '测试订单', { envVersion: 'trial' }),
    {
      name: 'my-orders',
      url: 'pages/orders/index',
      caption: '我的订单：按状态分页签',
      backend: myOrdersBackend(mine),
      waitFor: '订单',
    },
    {
      name: 'my-orders-awaiting',
      url: 'pages/orders/index',
      caption: '我的订单 · 待支付：去支付按服务器时间倒计时',
      backend: myOrdersBackend([awaiting, awaitingOlder, ...mine.slice(1)]),
      waitFor: '订单',
      act: async (page) => {
        await page.fire('#tabs', 'change', { value: 'awaiting', label: '待支付' });
        await page.waitForText('去支付');
      },
    },
    detail(
      'order-closed-again',
      '已关闭的订单：再来一单（把商品放回购物车）',
      order('CLOSED_BY_TIMEOUT', { minutesAgo: 20 }),
      '再来一单',
    ),
    {
      name: 'cart-pending-order',
      url: 'pages/cart/index',
      caption: '购物车：有待支付订单时的提示条（金额与剩余时间，点按去支付）',
      backend: cartBackend(problemCart(), awaiting),
      waitFor: '你有一笔待支付订单',
      storage: { 'cart.seenPrices': SEEN_PRICES },
    },
    {
      name: 'staff-to-ship',
      url: 'staff/index',
      caption: '商家后台：待发货（最早支付的在前，测试订单有标记）',
      backend: staffBackend(toShip, attention),
      waitFor: '去发货',
    },
    {
      name: 'staff-ship-form',
      url: `staff/ship/index?outTradeNo=${toShip[0]!.order.outTradeNo}`,
      caption: '商家后台：订单发货（收货地址可复制，选择快递公司、填写单号，可拆单）',
      backend: staffBackend(toShip, attention),
      waitFor: '快递发货',
      act: async (page) => {
        await page.tap('#company-0-SF');
        await page.fire('#tracking-0', 'change', { value: 'SF1402837465021' });
      },
    },
    {
      name: 'staff-attention',
      url: 'staff/index?tab=attention',
      caption: '商家后台：需处理（发货信息上传失败可重新上传）',
      backend: staffBackend(toShip, attention),
      waitFor: '发货信息上传微信失败',
    },
    ...refundRequestScreens(),
    ...counterScreens(),
  ];
}

/** An exported screen, ready to shoot. */
export interface CapturedScreen {
  name: string;
  caption: string;
  html: string;
  png: string;
  /** ms from page load to exported HTML. */
  renderMs: number;
}

/** Installs the fixture backend as the gateway the local transport calls (wx.request to …/fn/<name>). */
function installBackend(wx: any, backend: () => FixtureBackend): void {
  wx.request = (o: any) => {
    const m = /\/fn\/([^/?]+)/.exec(String(o.url));
    const res = m
      ? { statusCode: 200, data: backend()(m[1]!, (o.data ?? {}) as Record<string, unknown>), header: {} }
      : { statusCode: 200, data: {}, header: {} };
    setTimeout(() => {
      o.success?.({ errMsg: 'request:ok', ...res });
      o.complete?.({ errMsg: 'request:ok', ...res });
    }, 0);
    return { abort: () => undefined };
  };
}

/**
 * Renders `screens` into `htmlDir`, naming the PNG each will become in `pngDir`. Must run in the jsdom environment,
 * before any page of this test file was loaded (the render patches apply from the first load on).
 */
export async function captureScreens(
  screens: readonly Screen[],
  htmlDir: string,
  pngDir: string,
): Promise<CapturedScreen[]> {
  installRenderPatches();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHarness, MP_ROOT } = require('../../test/miniprogram/harness') as {
    createHarness: (o: { settleAfterAll: boolean }) => any;
    MP_ROOT: string;
  };
  // Made inside a test: no afterAll of its own.
  const h = createHarness({ settleAfterAll: false });
  h.configure({
    transport: 'local',
    gatewayUrl: 'http://127.0.0.1:7300',
    simulatorUrl: 'http://127.0.0.1:7301',
  });
  let current: FixtureBackend = () => ({ ok: false, error: { code: 'FIXTURE.NONE', message: 'none' } });
  installBackend(h.wx, () => current);
  mkdirSync(htmlDir, { recursive: true });
  const out: CapturedScreen[] = [];
  for (const s of screens) {
    const started = Date.now();
    current = s.backend;
    h.ctl.storage.clear();
    for (const [k, v] of Object.entries(s.storage ?? {})) h.ctl.storage.set(k, v);
    h.ctl.envVersion = s.envVersion ?? 'develop';
    const page = await h.load(s.url);
    await page.waitForText(s.waitFor);
    await s.act?.(page);
    // Pictures "arrive" (image load events) and TDesign's enter transitions finish.
    await sleep(120);
    const route = s.url.split('?')[0]!;
    const html = exportPageHtml(page.comp, {
      mpRoot: MP_ROOT,
      route,
      staticDir: STATIC_DIR,
      caption: s.caption,
    });
    const htmlFile = join(htmlDir, `${s.name}.html`);
    writeFileSync(htmlFile, html);
    out.push({
      name: s.name,
      caption: s.caption,
      html: htmlFile,
      png: join(pngDir, `${s.name}.png`),
      renderMs: Date.now() - started,
    });
    h.unloadAll();
  }
  return out;
}

/** Markdown for the README: the screens as markdown images, three per table row, captions underneath. */
export function readmeGallery(shots: readonly CapturedScreen[], readmeDir: string): string {
  const cells = shots.map(
    (s) => `![${s.caption}](${relative(readmeDir, s.png).split('\\').join('/')})<br>${s.caption}`,
  );
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 3) {
    const row = cells.slice(i, i + 3);
    while (row.length < 3) row.push(' ');
    rows.push(`| ${row.join(' | ')} |`);
  }
  return ['|     |     |     |', '| --- | --- | --- |', ...rows].join('\n');
}
