// Screens of the staff counter (收银台, docs/adr/0012): goods picked, the QR code waiting for the customer, and the
// payment received — driven with fixture answers like the other screens (capture.ts).
import type { ChannelOrderView } from '../../typings/contracts/channel';
import type { OrderView } from '../../typings/contracts/order';
import type { Screen } from './capture';
import { EXPRESS_COMPANIES, PICKUP_POINT, SERVER_NOW_MS, demoGoods, ok, order, orderLine } from './fixtures';
import type { FixtureBackend } from './fixtures';

/** A code_url as WeChat answers it (the simulator's shape). */
const PAY_URL = 'weixin://wxpay/bizpayurl?pr=Zx7Qm3kA1';

function nativeView(o: OrderView): ChannelOrderView {
  return {
    channel: 'native',
    order: { ...o, delivery: null },
    payUrl: o.status === 'AWAITING_PAYMENT' ? PAY_URL : null,
    payUrlExpiresAtMs: o.status === 'AWAITING_PAYMENT' ? o.expiresAtMs : null,
  };
}

/** staff.me says staff; listGoods the demo catalog; createNative answers `created`, getNative `polled`. */
function counterBackend(created: ChannelOrderView, polled: ChannelOrderView): FixtureBackend {
  const goods = demoGoods();
  return (name, data) => {
    const action = data['action'];
    if (name === 'staff' && action === 'me')
      return ok({ isStaff: true, expressCompanies: EXPRESS_COMPANIES, pickupPoint: PICKUP_POINT });
    if (name === 'shop' && action === 'listGoods') return ok(goods);
    if (name === 'channelPay' && action === 'createNative') return ok(created);
    if (name === 'channelPay' && action === 'getNative') return ok(polled);
    return {
      ok: false,
      error: { code: 'FIXTURE.NONE', message: `no fixture for ${name}.${String(action)}` },
    };
  };
}

async function pickTwo(page: any): Promise<void> {
  await page.fire('#qty-sku-coffee-250g', 'change', { value: 2 });
  await page.fire('#qty-sku-longjing-50g', 'change', { value: 1 });
}

/** Picks the two lines, taps 生成收款码 and waits until the page shows `text`. */
function collectUntil(text: string): (page: any) => Promise<void> {
  return async (page) => {
    await pickTwo(page);
    await page.tap('#create >>> .t-button');
    await page.waitForText(text);
  };
}

export function counterScreens(): Screen[] {
  const lines = [orderLine('sku-coffee-250g', 2), orderLine('sku-longjing-50g', 1)];
  const awaiting = order('AWAITING_PAYMENT', { lines, minutesAgo: 0 });
  const created = nativeView({ ...awaiting, createdAtMs: SERVER_NOW_MS - 20_000 });
  const paid = nativeView({
    ...order('PAID', { lines, minutesAgo: 1 }),
    outTradeNo: awaiting.outTradeNo,
    paidAtMs: SERVER_NOW_MS - 5_000,
  });
  return [
    {
      name: 'staff-counter-pick',
      url: 'staff/counter/index',
      caption: '收银台：选商品和数量（合计仅供参考，金额以服务器为准）',
      backend: counterBackend(created, created),
      waitFor: '云南小粒咖啡豆',
      act: pickTwo,
    },
    {
      name: 'staff-counter-waiting',
      url: 'staff/counter/index',
      caption: '收银台：收款码（顾客用微信扫码），订单号与失效倒计时，可取消',
      backend: counterBackend(created, created),
      waitFor: '云南小粒咖啡豆',
      act: collectUntil('等待顾客扫码支付'),
    },
    {
      name: 'staff-counter-paid',
      url: 'staff/counter/index',
      caption: '收银台：顾客付款后自动显示已收款（金额、时间），下一单',
      backend: counterBackend(created, paid),
      waitFor: '云南小粒咖啡豆',
      act: collectUntil('已收款'),
    },
  ];
}
