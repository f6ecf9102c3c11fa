// The local 发货信息管理 against a real simulator: WeChat's rules and error codes for uploads, get_order's states,
// the is_trade_managed switch, faults, confirm receipt with its push, and durability across a restart.
import { startTradeFixture, type PaidPayment, type TradeFixture } from '../test-support/trade';

let f: TradeFixture;
let clock = 0;

beforeAll(async () => {
  f = await startTradeFixture();
}, 30_000);
afterAll(async () => {
  await f.dispose();
});
afterEach(() => f.trade.clearFaults());

/** Strictly increasing RFC 3339 times in Beijing time. */
function uploadTime(): string {
  clock += 1;
  const d = new Date(Date.UTC(2026, 11, 6, 4, 0, clock) + 8 * 3600_000);
  return d.toISOString().replace('Z', '+08:00');
}

function express(p: PaidPayment, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_key: { order_number_type: 2, transaction_id: p.transactionId },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [{ tracking_no: 'YT0001', express_company: 'YTO', item_desc: '龙井 50g ×1' }],
    upload_time: uploadTime(),
    payer: { openid: p.payer },
    ...over,
  };
}

async function order(p: PaidPayment): Promise<Record<string, unknown>> {
  const a = await f.trade.getOrder({ transaction_id: p.transactionId });
  expect(a.errcode).toBe(0);
  return a.order as Record<string, unknown>;
}

describe('upload_shipping_info', () => {
  it('records the first upload and one change; a third is refused with 10060003', async () => {
    const p = await f.paid();
    expect((await order(p)).order_state).toBe(1);
    expect(await f.trade.uploadShippingInfo(express(p))).toEqual({ errcode: 0, errmsg: 'ok' });
    let o = await order(p);
    expect(o).toMatchObject({ order_state: 2, openid: p.payer, merchant_trade_no: p.outTradeNo });
    expect((o.shipping as Record<string, unknown>).finish_shipping_count).toBe(1);
    // The change, this time by mchid + out_trade_no.
    const byMerchant = express(p, {
      order_key: { order_number_type: 1, mchid: p.mchid, out_trade_no: p.outTradeNo },
    });
    expect((await f.trade.uploadShippingInfo(byMerchant)).errcode).toBe(0);
    o = await order(p);
    expect((o.shipping as Record<string, unknown>).finish_shipping_count).toBe(2);
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(10060003);
  });

  it('answers 10060001 for an unpaid or unknown payment, 10060031 for someone else as payer', async () => {
    const unpaid = await f.order('o-unpaid');
    const a = await f.trade.uploadShippingInfo(
      express(
        { ...unpaid, transactionId: 'x', payer: 'o-unpaid' },
        {
          order_key: { order_number_type: 1, mchid: unpaid.mchid, out_trade_no: unpaid.outTradeNo },
        },
      ),
    );
    expect(a.errcode).toBe(10060001);
    expect(a.errmsg).toEqual(expect.any(String));
    const unknown = await f.trade.uploadShippingInfo(
      express({ outTradeNo: 'nope', mchid: 'm', transactionId: '4200000000000000000000000000', payer: 'o' }),
    );
    expect(unknown.errcode).toBe(10060001);
    const p = await f.paid('o-real-payer');
    expect(
      (await f.trade.uploadShippingInfo(express(p, { payer: { openid: 'o-someone-else' } }))).errcode,
    ).toBe(10060031);
    expect((await order(p)).order_state).toBe(1);
  });

  it.each<[string, (p: PaidPayment) => Record<string, unknown>, RegExp]>([
    [
      'express without tracking_no',
      (p) => express(p, { shipping_list: [{ express_company: 'YTO', item_desc: 'x' }] }),
      /tracking_no/,
    ],
    [
      'express without express_company',
      (p) => express(p, { shipping_list: [{ tracking_no: '1', item_desc: 'x' }] }),
      /express_company/,
    ],
    [
      'SF without a contact',
      (p) => express(p, { shipping_list: [{ tracking_no: 'SF1', express_company: 'SF', item_desc: 'x' }] }),
      /contact/,
    ],
    [
      'an empty item_desc',
      (p) => express(p, { shipping_list: [{ tracking_no: '1', express_company: 'YTO', item_desc: '' }] }),
      /item_desc/,
    ],
    [
      'an item_desc of 121 characters',
      (p) =>
        express(p, {
          shipping_list: [{ tracking_no: '1', express_company: 'YTO', item_desc: '茶'.repeat(121) }],
        }),
      /item_desc/,
    ],
    [
      'unified with two entries',
      (p) =>
        express(p, {
          shipping_list: [
            { tracking_no: '1', express_company: 'YTO', item_desc: 'a' },
            { tracking_no: '2', express_company: 'YTO', item_desc: 'b' },
          ],
        }),
      /exactly one/,
    ],
    [
      'split for virtual goods',
      (p) =>
        express(p, {
          logistics_type: 3,
          delivery_mode: 2,
          is_all_delivered: true,
          shipping_list: [{ item_desc: 'a' }],
        }),
      /express/,
    ],
    [
      'split without is_all_delivered',
      (p) =>
        express(p, {
          delivery_mode: 2,
          shipping_list: [{ tracking_no: '1', express_company: 'YTO', item_desc: 'a' }],
        }),
      /is_all_delivered/,
    ],
    [
      'split with 16 parcels',
      (p) =>
        express(p, {
          delivery_mode: 2,
          is_all_delivered: true,
          shipping_list: Array.from({ length: 16 }, (_, i) => ({
            tracking_no: `T${i}`,
            express_company: 'YTO',
            item_desc: 'a',
          })),
        }),
      /15/,
    ],
    [
      'an upload_time that is not RFC 3339',
      (p) => express(p, { upload_time: '2026-12-06 12:00:00' }),
      /upload_time/,
    ],
    ['no payer', (p) => express(p, { payer: {} }), /payer/],
  ])('refuses %s with 40097 naming the field, and records nothing', async (_name, body, field) => {
    const p = await f.paid();
    const a = await f.trade.uploadShippingInfo(body(p));
    expect(a.errcode).toBe(40097);
    expect(String(a.errmsg)).toMatch(field);
    expect((await order(p)).order_state).toBe(1);
  });

  it('accepts SF with a masked contact, split parcels, virtual goods and pickup without tracking', async () => {
    const sf = await f.paid();
    const sfBody = express(sf, {
      shipping_list: [
        {
          tracking_no: 'SF1',
          express_company: 'SF',
          item_desc: 'a',
          contact: { receiver_contact: '189****1234' },
        },
      ],
    });
    expect((await f.trade.uploadShippingInfo(sfBody)).errcode).toBe(0);
    const split = await f.paid();
    const splitBody = express(split, {
      delivery_mode: 2,
      is_all_delivered: false,
      shipping_list: [
        { tracking_no: 'A', express_company: 'YTO', item_desc: 'a' },
        { tracking_no: 'B', express_company: 'ZTO', item_desc: 'b' },
      ],
    });
    expect((await f.trade.uploadShippingInfo(splitBody)).errcode).toBe(0);
    expect(((await order(split)).shipping as Record<string, unknown>).finish_shipping).toBe(false);
    for (const lt of [3, 4]) {
      const p = await f.paid();
      expect(
        (
          await f.trade.uploadShippingInfo(
            express(p, { logistics_type: lt, shipping_list: [{ item_desc: '电子卡' }] }),
          )
        ).errcode,
      ).toBe(0);
    }
  });

  it('refuses a change whose upload_time is not later than the previous upload', async () => {
    const p = await f.paid();
    const first = express(p);
    expect((await f.trade.uploadShippingInfo(first)).errcode).toBe(0);
    const a = await f.trade.uploadShippingInfo({ ...express(p), upload_time: first.upload_time });
    expect(a.errcode).toBe(40097);
    expect(String(a.errmsg)).toMatch(/later/);
    expect(((await order(p)).shipping as Record<string, unknown>).finish_shipping_count).toBe(1);
  });

  it('refuses shipping with 10060004 once the payment is refunded in full (get_order: 5); a partial refund still ships', async () => {
    const full = await f.paid();
    await f.refund(full, 500);
    expect((await order(full)).order_state).toBe(5);
    expect((await f.trade.uploadShippingInfo(express(full))).errcode).toBe(10060004);
    const part = await f.paid();
    await f.refund(part, 200);
    expect((await f.trade.uploadShippingInfo(express(part))).errcode).toBe(0);
  });
});

describe('confirm receipt, settlement and pushes', () => {
  it('the payer confirms a shipped payment: 2 → 3, trade_manage_order_settlement pushed, no more changes (10060004)', async () => {
    const p = await f.paid('o-confirmer');
    await expect(f.trade.confirmReceipt({ transaction_id: p.transactionId })).rejects.toMatchObject({
      errcode: 10060004,
    });
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(0);
    await expect(
      f.trade.confirmReceipt({ transaction_id: p.transactionId }, { openid: 'o-not-the-payer' }),
    ).rejects.toMatchObject({ errcode: 10060031 });
    const before = f.pushed.length;
    const done = await f.trade.confirmReceipt(
      { merchant_id: p.mchid, merchant_trade_no: p.outTradeNo },
      { openid: 'o-confirmer' },
    );
    expect(done).toMatchObject({ orderState: 3, transactionId: p.transactionId, pushed: 'success' });
    expect((await order(p)).order_state).toBe(3);
    expect(f.pushed.length).toBe(before + 1);
    const event = f.pushed[f.pushed.length - 1]!;
    expect(event).toMatchObject({
      MsgType: 'event',
      Event: 'trade_manage_order_settlement',
      transaction_id: p.transactionId,
      merchant_id: p.mchid,
      merchant_trade_no: p.outTradeNo,
      confirm_receive_method: 1,
      settlement_time: 0,
    });
    const confirmedAt = event.confirm_receive_time as number;
    expect(confirmedAt).toBeGreaterThan(0);
    expect(event.estimated_settlement_time).toBe(confirmedAt + 86_400);
    expect(event.shipped_time).toBeGreaterThan(0);
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(10060004);
    // Confirming twice is refused: only a shipped (2) payment can be confirmed.
    await expect(f.trade.confirmReceipt({ transaction_id: p.transactionId })).rejects.toMatchObject({
      errcode: 10060004,
    });
    const settled = await f.trade.settle({ transaction_id: p.transactionId });
    expect(settled.orderState).toBe(4);
    expect((await order(p)).order_state).toBe(4);
    expect(f.pushed[f.pushed.length - 1]).toMatchObject({
      Event: 'trade_manage_order_settlement',
      settlement_time: expect.any(Number),
    });
    expect((f.pushed[f.pushed.length - 1]!.settlement_time as number) > 0).toBe(true);
  });

  it('pushes the two reminders', async () => {
    const p = await f.paid();
    await f.trade.remindShipping({ transaction_id: p.transactionId });
    expect(f.pushed[f.pushed.length - 1]).toMatchObject({
      Event: 'trade_manage_remind_shipping',
      transaction_id: p.transactionId,
      merchant_trade_no: p.outTradeNo,
      pay_time: expect.any(Number),
      msg: expect.any(String),
    });
    await f.trade.remindAccessApi('接入提醒');
    expect(f.pushed[f.pushed.length - 1]).toMatchObject({
      Event: 'trade_manage_remind_access_api',
      msg: '接入提醒',
    });
  });
});

describe('switch, faults, log, permissions, durability', () => {
  it('is_trade_managed answers the switch; switched off, uploads are refused with 48001', async () => {
    expect(await f.trade.isTradeManaged({ appid: f.appid })).toMatchObject({
      errcode: 0,
      is_trade_managed: true,
    });
    expect((await f.trade.isTradeManaged({ appid: 'wx-other' })).errcode).not.toBe(0);
    await f.trade.setManaged(false);
    try {
      expect(await f.trade.isTradeManaged({ appid: f.appid })).toMatchObject({ is_trade_managed: false });
      const p = await f.paid();
      expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(48001);
    } finally {
      await f.trade.setManaged(true);
    }
  });

  it('makes the next N uploads fail with the given errcode, then behaves again', async () => {
    const p = await f.paid();
    f.trade.injectFault({
      method: 'uploadShippingInfo',
      count: 2,
      errcode: 10060001,
      errmsg: 'order not found',
    });
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(10060001);
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(10060001);
    expect((await order(p)).order_state).toBe(1);
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(0);
    f.trade.injectFault({ method: 'uploadShippingInfo', kind: 'throw', errcode: -604101 });
    await expect(f.trade.uploadShippingInfo(express(p))).rejects.toMatchObject({ errCode: -604101 });
  });

  it('logs every call newest first with its key, logistics type, payer and outcome', async () => {
    const p = await f.paid('o-logged');
    await f.trade.uploadShippingInfo(
      express(p, { logistics_type: 4, shipping_list: [{ item_desc: '自提' }] }),
    );
    await f.trade.uploadShippingInfo(express(p, { payer: { openid: 'o-wrong' } }));
    const [last, previous] = await f.trade.log(2);
    expect(last).toMatchObject({ method: 'uploadShippingInfo', orderKey: p.transactionId, payer: 'o-wrong' });
    expect(last!.outcome).toMatch(/^10060031 /);
    expect(previous).toMatchObject({
      orderKey: p.transactionId,
      logisticsType: 4,
      payer: 'o-logged',
      outcome: 'ok',
    });
    expect(previous!.seq).toBe(last!.seq - 1);
    expect(previous!.body).toMatchObject({ logistics_type: 4 });
  });

  it('refuses a function whose config.json does not list the API (-604101)', async () => {
    const facade = f.trade.sdkFacade(new Set(['wxa.sec.order.getOrder']));
    await expect(facade.wxa.sec.order.uploadShippingInfo({})).rejects.toMatchObject({ errCode: -604101 });
    expect((await facade.wxa.sec.order.getOrder({ transaction_id: 'none' })).errcode).toBe(10060001);
  });

  it('keeps shipments, the switch and the log across a restart', async () => {
    const p = await f.paid();
    expect((await f.trade.uploadShippingInfo(express(p))).errcode).toBe(0);
    await f.trade.setManaged(false);
    const seq = (await f.trade.log(1))[0]!.seq;
    const trade = await f.reopen();
    try {
      expect((await trade.getOrder({ transaction_id: p.transactionId })).order).toMatchObject({
        order_state: 2,
      });
      expect(await trade.managed()).toBe(false);
      await trade.isTradeManaged({ appid: f.appid });
      expect((await trade.log(1))[0]!.seq).toBe(seq + 2);
    } finally {
      await trade.setManaged(true);
    }
    // One change left after the restart, then 10060003.
    expect((await trade.uploadShippingInfo(express(p))).errcode).toBe(0);
    expect((await trade.uploadShippingInfo(express(p))).errcode).toBe(10060003);
  });
});
