// Native (counter QR) and H5 (web checkout) orders end to end (docs/adr/0012): the channelPay function on the local
// cloud, the real WeChat Pay adapter and the simulator (real signatures), the notification path, the close job and the
// daily bill — the same machinery as mini program orders.
import {
  TEST_ADDRESS_KEPT,
  TEST_DELIVERY,
  adminCount,
  adminGet,
  runJob,
  useTestStack,
  waitFor,
  type TestStack,
} from '../support/stack';

const ADMIN = 'o-dev-admin';
const SHOPPER = 'o-erin-00005';
const SKU = 'sku-coffee-250g';
const PRICE_FEN = 6800;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BEIJING = 8 * HOUR;

type Envelope = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

let keySeq = 0;
/** A web checkout's key: ≥ 22 characters of [0-9A-Za-z_-]. */
function webKey(): string {
  keySeq += 1;
  return `web-${Date.now().toString(36)}-${keySeq}-${Math.random().toString(36).slice(2, 14)}`.padEnd(
    24,
    'x',
  );
}

/** What a web checkout does: POST the event as JSON to the function's HTTP access. */
async function web(
  stack: TestStack,
  event: Record<string, unknown>,
): Promise<{ status: number; body: Envelope }> {
  const res = await fetch(`${stack.gatewayUrl}/http/channelPay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  return { status: res.status, body: (await res.json()) as Envelope };
}

/** A web checkout of one bag under `key` (a fresh key by default): the answer as it came. */
function createOneBag(stack: TestStack, key = webKey()): Promise<{ status: number; body: Envelope }> {
  return web(stack, { action: 'createH5', clientRequestKey: key, lines: [{ skuId: SKU, quantity: 1 }] });
}

/** A web checkout of one bag under `key` (a fresh key by default): its order number, or a throw naming the refusal. */
async function webOrder(stack: TestStack, key = webKey()): Promise<string> {
  const created = await createOneBag(stack, key);
  if (!created.body.ok) throw new Error(JSON.stringify(created.body));
  return created.body.data.order.outTradeNo as string;
}

/** The refusal of a new web order over a limit (docs/adr/0012); `where` says which: "from this address", "in this shop". */
function expectTooMany(r: { status: number; body: Envelope }, where: string): void {
  expect(r.status).toBe(429);
  expect(r.body).toMatchObject({
    ok: false,
    error: { code: 'CHANNEL.TOO_MANY_UNPAID', message: expect.stringContaining(where) },
  });
}

async function stockOf(stack: TestStack, skuId = SKU): Promise<number> {
  return (await adminGet(stack, 'skus', skuId))!.stock as number;
}

/** Waits until the stored order has `status`, reading the database only (no query to WeChat on the way). */
function storedWithStatus(stack: TestStack, outTradeNo: string, status: string) {
  return waitFor(`order ${outTradeNo} to be ${status}`, async () => {
    const o = await adminGet(stack, 'orders', outTradeNo);
    return o?.status === status ? o : null;
  });
}

describe('channelPay: Native orders at the counter (direct merchant)', () => {
  const stack = useTestStack();

  it('staff create a counter order priced by the server; paying its QR code makes it PAID through the notification', async () => {
    const before = await stockOf(stack);
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-sale-0001',
      // A price, a total and an IP in the request are never read (the contract has no such fields).
      lines: [{ skuId: SKU, quantity: 2, priceFen: 1, unitPriceFen: 1 } as never],
      totalFen: 1,
      payableFen: 1,
    } as never);
    expect(created).toMatchObject({
      channel: 'native',
      payUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/),
      order: { status: 'AWAITING_PAYMENT', totalFen: 2 * PRICE_FEN, payableFen: 2 * PRICE_FEN, canPay: true },
    });
    const no: string = created.order.outTradeNo;
    expect(await stockOf(stack)).toBe(before - 2);
    const stored = await adminGet(stack, 'orders', no);
    expect(stored).toMatchObject({
      channel: 'native',
      createdBy: ADMIN,
      openid: `native:${ADMIN}`,
      prepay: { channel: 'native', payUrl: created.payUrl },
    });
    // WeChat holds a NATIVE order for exactly the server's amount.
    expect(await stack.sim.control.order(no)).toMatchObject({
      tradeType: 'NATIVE',
      totalFen: 2 * PRICE_FEN,
      codeUrl: created.payUrl,
    });

    // A repeat of the key (a lost answer, a second tap) is the same order and the same QR code, nothing held twice.
    const again = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-sale-0001',
      lines: [{ skuId: SKU, quantity: 2 }],
    });
    expect(again.order.outTradeNo).toBe(no);
    expect(again.payUrl).toBe(created.payUrl);
    expect(await stockOf(stack)).toBe(before - 2);

    // The customer scans and pays; only the verified notification moves the order (the database is read, WeChat not asked).
    await stack.sim.control.pay(no);
    const paid = await storedWithStatus(stack, no, 'PAID');
    expect(paid.payment).toMatchObject({ source: 'notification', paidFen: 2 * PRICE_FEN });
    const seen = await stack.as(ADMIN).ok('channelPay', 'getNative', { outTradeNo: no });
    expect(seen).toMatchObject({ payUrl: null, order: { status: 'PAID', moneyArrived: true } });
    expect(await stockOf(stack)).toBe(before - 2);
    // A counter sale is handed over when paid: delivered, in nobody's to-ship list, its completion queued, and nothing
    // queued for 发货信息管理 (which covers mini program payments only).
    expect(paid.fulfilment).toMatchObject({ state: 'DELIVERED', completeAtMs: expect.any(Number) });
    expect(paid.completeJob).toMatchObject({ state: 'queued' });
    expect(paid.shippingUpload?.state ?? 'none').toBe('none');
    const toShip = await stack.as(ADMIN).ok('staff', 'listToShip', { limit: 50 });
    expect(toShip.map((v) => v.order.outTradeNo)).not.toContain(no);
  });

  it('a double tap at the counter makes one order and holds the stock once', async () => {
    const sku = 'sku-coffee-500g';
    const before = await stockOf(stack, sku);
    const tap = () =>
      stack.as(ADMIN).call('channelPay', 'createNative', {
        clientRequestKey: 'counter-double-tap',
        lines: [{ skuId: sku, quantity: 2 }],
      });
    const answers = await Promise.all([tap(), tap(), tap()]);
    const numbers = answers.map((a) => (a.ok ? a.data.order.outTradeNo : a.error.code));
    expect(new Set(numbers).size).toBe(1);
    expect(numbers[0]).toMatch(/^O/);
    expect(await adminCount(stack, 'orders', { clientRequestKey: 'counter-double-tap' })).toBe(1);
    expect(await stockOf(stack, sku)).toBe(before - 2);
  });

  it('a counter order is nobody’s shopper order: not found, not listed, not payable by wx.requestPayment', async () => {
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-sale-0002',
      // Another SKU: this order stays unpaid, and the expiry test below counts the coffee's stock.
      lines: [{ skuId: 'sku-longjing-50g', quantity: 1 }],
    });
    const no = created.order.outTradeNo;
    for (const who of [SHOPPER, ADMIN]) {
      expect(await stack.as(who).call('order', 'get', { outTradeNo: no })).toMatchObject({
        ok: false,
        error: { code: 'ORDER.NOT_FOUND' },
      });
      expect(await stack.as(who).call('pay', 'start', { outTradeNo: no })).toMatchObject({
        ok: false,
        error: { code: 'ORDER.NOT_FOUND' },
      });
      const mine = await stack.as(who).ok('order', 'listMine', {});
      expect(mine.map((o: { outTradeNo: string }) => o.outTradeNo)).not.toContain(no);
    }
    // The control: staff read it through channelPay.
    expect((await stack.as(ADMIN).ok('channelPay', 'getNative', { outTradeNo: no })).order.outTradeNo).toBe(
      no,
    );
  });

  it('staff cancel an unpaid counter order: closed, stock back, WeChat asked first; shoppers and shopper orders refused', async () => {
    const sku = 'sku-ginger-tea-box';
    const before = await stockOf(stack, sku);
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-walked-away',
      lines: [{ skuId: sku, quantity: 2 }],
    });
    const no = created.order.outTradeNo;
    expect(await stockOf(stack, sku)).toBe(before - 2);
    expect(await stack.as(SHOPPER).call('channelPay', 'cancelNative', { outTradeNo: no })).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
    const cancelled = await stack.as(ADMIN).ok('channelPay', 'cancelNative', { outTradeNo: no });
    expect(cancelled).toMatchObject({ payUrl: null, order: { status: 'CLOSED_BY_USER' } });
    expect(await stockOf(stack, sku)).toBe(before);
    // Within WeChat's 5-minute guard: WeChat was asked (NOTPAY) and its close is left to the close job.
    expect(await adminGet(stack, 'orders', no)).toMatchObject({
      stockReleased: true,
      providerClose: 'pending',
    });
    expect((await stack.as(ADMIN).ok('channelPay', 'cancelNative', { outTradeNo: no })).order.status).toBe(
      'CLOSED_BY_USER',
    );
    expect(await stockOf(stack, sku)).toBe(before);
    // A shopper's own order is not a counter order: staff cannot cancel it through here.
    await stack.as(SHOPPER).ok('shop', 'addToCart', { skuId: sku, quantity: 1 });
    const mine = await stack
      .as(SHOPPER)
      .ok('order', 'place', { clientRequestKey: 'erin-own-order-1', delivery: TEST_DELIVERY });
    expect(
      await stack.as(ADMIN).call('channelPay', 'cancelNative', { outTradeNo: mine.outTradeNo }),
    ).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_FOUND' } });
    expect((await stack.as(SHOPPER).ok('order', 'get', { outTradeNo: mine.outTradeNo })).status).toBe(
      'AWAITING_PAYMENT',
    );
  });

  it('refuses shoppers, unknown SKUs, and Native actions over HTTP — nothing is held or written', async () => {
    const stock = await stockOf(stack);
    const orders = await adminCount(stack, 'orders');
    expect(
      await stack.as(SHOPPER).call('channelPay', 'createNative', {
        clientRequestKey: 'shopper-tries-1',
        lines: [{ skuId: SKU, quantity: 1 }],
      }),
    ).toMatchObject({ ok: false, error: { code: 'AUTH.FORBIDDEN' } });
    expect(
      await stack.as(ADMIN).call('channelPay', 'createNative', {
        clientRequestKey: 'bad-sku-0001',
        lines: [{ skuId: 'sku-does-not-exist', quantity: 1 }],
      }),
    ).toMatchObject({ ok: false, error: { code: 'ORDER.UNKNOWN_SKU' } });
    const overHttp = await web(stack, {
      action: 'createNative',
      clientRequestKey: 'http-native-01',
      lines: [{ skuId: SKU, quantity: 1 }],
    });
    expect(overHttp.status).toBe(403);
    expect(overHttp.body).toMatchObject({ ok: false, error: { code: 'AUTH.NO_IDENTITY' } });
    expect(await stockOf(stack)).toBe(stock);
    expect(await adminCount(stack, 'orders')).toBe(orders);
  });

  it('an unpaid counter order expires: closeExpired closes it here and at WeChat and its stock comes back', async () => {
    const before = await stockOf(stack);
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-unpaid-1',
      lines: [{ skuId: SKU, quantity: 3 }],
    });
    const no = created.order.outTradeNo;
    expect(await stockOf(stack)).toBe(before - 3);
    await stack.advance(31 * MINUTE);
    await runJob(stack, 'closeExpired');
    const closed = await storedWithStatus(stack, no, 'CLOSED_BY_TIMEOUT');
    expect(closed).toMatchObject({ stockReleased: true, providerClose: 'closed' });
    expect(await stockOf(stack)).toBe(before);
    expect((await stack.sim.control.order(no)).tradeState).toBe('CLOSED');
    // The closed order offers no QR code any more.
    expect((await stack.as(ADMIN).ok('channelPay', 'getNative', { outTradeNo: no })).payUrl).toBeNull();
  });

  it('the daily bill’s NATIVE row matches the counter payment (no discrepancy)', async () => {
    const now = stack.now();
    const local = new Date(now + BEIJING);
    const dayStart = (days: number, hour: number) =>
      Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hour) - BEIJING;
    await stack.advance(dayStart(1, 9) - now); // 09:00 of a fresh day D: only this test's payment is on it
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-billed-1',
      lines: [{ skuId: SKU, quantity: 1 }],
    });
    const no = created.order.outTradeNo;
    await stack.sim.control.pay(no);
    await storedWithStatus(stack, no, 'PAID');
    await stack.advance(dayStart(2, 10) + 30 * MINUTE - stack.now()); // D+1 10:30: the bill of day D exists
    const run = await runJob(stack, 'reconcile');
    const report = await waitFor<Record<string, any>>('the daily report', () =>
      adminGet(stack, 'reconcile_reports', String(run.billReportId)),
    );
    expect(report.discrepancies).toEqual([]);
    expect(report.matchedPayments).toBe(1);
    expect(report.totals).toMatchObject({ billPaymentFen: PRICE_FEN, localPaymentFen: PRICE_FEN });
  });
});

describe('channelPay: H5 orders of a web checkout (direct merchant)', () => {
  const stack = useTestStack();

  it('a web checkout creates an H5 order with the request’s own IP; paying it makes it PAID through the notification', async () => {
    const key = webKey();
    const before = await stockOf(stack);
    const created = await web(stack, {
      action: 'createH5',
      clientRequestKey: key,
      lines: [{ skuId: SKU, quantity: 1, priceFen: 1 }],
      // Never read: the payer's IP is the platform's record of the request.
      payerClientIp: '8.8.8.8',
      scene_info: { payer_client_ip: '8.8.8.8' },
      totalFen: 1,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      ok: true,
      data: {
        channel: 'h5',
        order: { status: 'AWAITING_PAYMENT', totalFen: PRICE_FEN, payableFen: PRICE_FEN },
      },
    });
    if (!created.body.ok) return;
    const no: string = created.body.data.order.outTradeNo;
    expect(created.body.data.payUrl).toMatch(/\/sim\/cashier\/wx/);
    expect(await stockOf(stack)).toBe(before - 1);
    const simOrder = await stack.sim.control.order(no);
    expect(simOrder).toMatchObject({ tradeType: 'MWEB', totalFen: PRICE_FEN, h5Type: 'Wap' });
    expect(['127.0.0.1', '::1']).toContain(simOrder.payerClientIp);
    expect(await adminGet(stack, 'orders', no)).toMatchObject({ channel: 'h5', openid: 'h5:web' });

    await stack.sim.control.pay(no);
    const paid = await storedWithStatus(stack, no, 'PAID');
    expect(paid.payment).toMatchObject({ source: 'notification', paidFen: PRICE_FEN });
    const shown = await web(stack, { action: 'getH5', outTradeNo: no, clientRequestKey: key });
    expect(shown.body).toMatchObject({ ok: true, data: { payUrl: null, order: { status: 'PAID' } } });

    // Web goods are shipped by staff like any order, but an H5 payment is not a mini program payment: the upload job
    // settles it as not applicable without asking 发货信息管理 (which would answer "order not found" for ever).
    expect(paid.fulfilment).toMatchObject({ state: 'AWAITING_SHIPMENT' });
    await stack.as(ADMIN).ok('staff', 'ship', {
      outTradeNo: no,
      parcels: [{ expressCompany: 'ZTO', trackingNo: 'ZT700800900' }],
    });
    await runJob(stack, 'reconcile');
    const shipped = await adminGet(stack, 'orders', no);
    expect(shipped).toMatchObject({
      fulfilment: { state: 'SHIPPED' },
      shippingUpload: { state: 'not-applicable', job: { state: 'settled' } },
    });
    const txn = (shipped!['payment'] as { transactionId: string }).transactionId;
    expect(
      (await stack.trade.log(500)).filter((e) => e.orderKey === txn || e.orderKey?.includes(no)),
    ).toEqual([]);
  });

  it('a web checkout’s address form is kept like checkout’s: staff ship to it; a bad address or a kind the goods refuse holds nothing', async () => {
    const before = await stockOf(stack);
    const line = [{ skuId: SKU, quantity: 1 }];
    const badPhone = await web(stack, {
      action: 'createH5',
      clientRequestKey: webKey(),
      lines: line,
      delivery: { kind: 'express', address: { ...TEST_DELIVERY.address, telNumber: 'call me' } },
    });
    expect(badPhone.body).toMatchObject({
      ok: false,
      error: { code: 'ORDER.DELIVERY_INVALID', details: { field: 'delivery.address.telNumber' } },
    });
    // Coffee is sent or picked up, never virtual.
    const virtual = await web(stack, {
      action: 'createH5',
      clientRequestKey: webKey(),
      lines: line,
      delivery: { kind: 'virtual' },
    });
    expect(virtual.body).toMatchObject({ ok: false, error: { code: 'ORDER.DELIVERY_NOT_ALLOWED' } });
    const longRemark = await web(stack, {
      action: 'createH5',
      clientRequestKey: webKey(),
      lines: line,
      delivery: TEST_DELIVERY,
      remark: '很'.repeat(101),
    });
    expect(longRemark.body).toMatchObject({ ok: false, error: { code: 'ORDER.DELIVERY_INVALID' } });
    expect(await stockOf(stack)).toBe(before);

    const key = webKey();
    const created = await web(stack, {
      action: 'createH5',
      clientRequestKey: key,
      lines: line,
      delivery: TEST_DELIVERY,
      remark: ' 放门卫 ',
    });
    expect(created.body).toMatchObject({ ok: true, data: { order: { status: 'AWAITING_PAYMENT' } } });
    if (!created.body.ok) return;
    const no: string = created.body.data.order.outTradeNo;
    const address = TEST_ADDRESS_KEPT;
    expect(await adminGet(stack, 'orders', no)).toMatchObject({
      channel: 'h5',
      delivery: { kind: 'express', address, pickupPoint: null, remark: '放门卫' },
    });
    // The same key again is the same order, whatever the repeat sends.
    const again = await web(stack, {
      action: 'createH5',
      clientRequestKey: key,
      lines: line,
      delivery: { kind: 'express', address: { ...TEST_DELIVERY.address, detailInfo: '别处' } },
    });
    expect(again.body).toMatchObject({ ok: true, data: { order: { outTradeNo: no } } });
    expect(await stockOf(stack)).toBe(before - 1);

    await stack.sim.control.pay(no);
    await storedWithStatus(stack, no, 'PAID');
    const listed = (await stack.as(ADMIN).ok('staff', 'listToShip', { limit: 50 })) as {
      order: { outTradeNo: string; delivery: unknown };
    }[];
    expect(listed.find((v) => v.order.outTradeNo === no)?.order.delivery).toMatchObject({
      kind: 'express',
      address,
      remark: '放门卫',
    });
  });

  it('a paid web order is refunded by staff like any order (refund.create), and its key shows it REFUNDED', async () => {
    const key = webKey();
    const no = await webOrder(stack, key);
    await stack.sim.control.pay(no);
    await storedWithStatus(stack, no, 'PAID');
    const refund = await stack.as(ADMIN).ok('refund', 'create', {
      outTradeNo: no,
      amountFen: PRICE_FEN,
      requestKey: 'web-order-refund-1',
    });
    await stack.advance(2 * MINUTE); // WeChat settles the refund and notifies
    await waitFor(
      'the refund to succeed',
      async () => (await adminGet(stack, 'refunds', refund.outRefundNo))?.status === 'SUCCESS',
    );
    await storedWithStatus(stack, no, 'REFUNDED');
    const shown = await web(stack, { action: 'getH5', outTradeNo: no, clientRequestKey: key });
    expect(shown.body).toMatchObject({
      ok: true,
      data: { order: { status: 'REFUNDED', refundedFen: PRICE_FEN } },
    });
  });

  it('only the key that created an H5 order reads it; the H5 actions refuse mini program calls', async () => {
    const key = webKey();
    const no = await webOrder(stack, key);
    const wrong = await web(stack, { action: 'getH5', outTradeNo: no, clientRequestKey: webKey() });
    expect(wrong.status).toBe(404);
    expect(wrong.body).toMatchObject({ ok: false, error: { code: 'ORDER.NOT_FOUND' } });
    // The same key again is the same order (a retried tap).
    const again = await web(stack, {
      action: 'createH5',
      clientRequestKey: key,
      lines: [{ skuId: SKU, quantity: 1 }],
    });
    expect(again.body).toMatchObject({ ok: true, data: { order: { outTradeNo: no } } });
    // A short key is refused before anything is read.
    const short = await web(stack, {
      action: 'createH5',
      clientRequestKey: 'too-short-1',
      lines: [{ skuId: SKU, quantity: 1 }],
    });
    expect(short.body).toMatchObject({ ok: false, error: { code: 'REQUEST.INVALID' } });

    const orders = await adminCount(stack, 'orders');
    // From the mini program — even dressed as an HTTP event with a chosen address — createH5 is refused.
    const dressed = await stack.as(SHOPPER).unchecked('channelPay', 'createH5', {
      clientRequestKey: webKey(),
      lines: [{ skuId: SKU, quantity: 1 }],
      httpMethod: 'POST',
      requestContext: { sourceIp: '203.0.113.9' },
    });
    expect(dressed).toMatchObject({ ok: false, error: { code: 'CHANNEL.HTTP_ONLY' } });
    expect(
      await stack.as(SHOPPER).call('channelPay', 'getH5', { outTradeNo: no, clientRequestKey: key }),
    ).toMatchObject({ ok: false, error: { code: 'CHANNEL.HTTP_ONLY' } });
    expect(await adminCount(stack, 'orders')).toBe(orders);
    // And no shopper sees the web order.
    expect(await stack.as(SHOPPER).call('order', 'get', { outTradeNo: no })).toMatchObject({
      ok: false,
      error: { code: 'ORDER.NOT_FOUND' },
    });
  });
});

describe('channelPay: unpaid web orders are limited per address and shop-wide (docs/adr/0012)', () => {
  // The local stack runs in development, where the limits are off unless set: here 2 per address.
  const stack = useTestStack({ env: { SHOP_H5_MAX_UNPAID_PER_IP: '2' } });

  it('a third unpaid web order from one address is refused before any stock is held; a repeat, a payment or an expiry lets it through', async () => {
    const first = webKey();
    const firstNo = await webOrder(stack, first);
    await webOrder(stack);
    expect(await adminGet(stack, 'orders', firstNo)).toMatchObject({
      payerClientIp: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });
    const before = await stockOf(stack);
    const ordersBefore = await adminCount(stack, 'orders');
    expectTooMany(await createOneBag(stack), 'from this address');
    expect(await stockOf(stack)).toBe(before);
    expect(await adminCount(stack, 'orders')).toBe(ordersBefore);

    // A repeat of a key that has its order answers that order: the limit is on new orders only.
    const again = await createOneBag(stack, first);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, data: { order: { outTradeNo: firstNo } } });

    // A paid order no longer awaits payment: one more may be created.
    await stack.sim.control.pay(firstNo);
    await storedWithStatus(stack, firstNo, 'PAID');
    await webOrder(stack);
    expectTooMany(await createOneBag(stack), 'from this address');

    // Expired orders do not count, even before the close job has closed them.
    await stack.advance(31 * MINUTE);
    await webOrder(stack);
    await webOrder(stack);
  });
});

describe('channelPay: the shop-wide limit on unpaid web orders', () => {
  const stack = useTestStack({ env: { SHOP_H5_MAX_UNPAID: '1', SHOP_H5_MAX_UNPAID_PER_IP: 'off' } });

  it('refuses a new web order while the shop has as many unpaid ones as allowed; counter orders are not limited', async () => {
    await webOrder(stack);
    expectTooMany(await createOneBag(stack), 'in this shop');
    // Staff at the counter have an identity: their orders are not web orders.
    await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'counter-limit-0001',
      lines: [{ skuId: SKU, quantity: 1 }],
    });
  });
});

describe('channelPay in partner (service provider) mode', () => {
  const stack = useTestStack({ mode: 'partner' });

  it('a counter order goes through the partner Native endpoint for the sub-merchant and is applied when paid', async () => {
    const created = await stack.as(ADMIN).ok('channelPay', 'createNative', {
      clientRequestKey: 'partner-counter-1',
      lines: [{ skuId: SKU, quantity: 1 }],
    });
    const no = created.order.outTradeNo;
    const p = stack.sim.identity.partner;
    expect(await stack.sim.control.order(no)).toMatchObject({
      mode: 'partner',
      tradeType: 'NATIVE',
      mchid: p.spMchid,
      subMchid: p.subMchid,
      totalFen: PRICE_FEN,
    });
    await stack.sim.control.pay(no);
    const paid = await storedWithStatus(stack, no, 'PAID');
    expect(paid.payment).toMatchObject({ source: 'notification', paidFen: PRICE_FEN });
  });

  it('a web checkout order goes through the partner H5 endpoint with the request’s IP and is applied when paid', async () => {
    const no = await webOrder(stack);
    const simOrder = await stack.sim.control.order(no);
    expect(simOrder).toMatchObject({
      mode: 'partner',
      tradeType: 'MWEB',
      subMchid: stack.sim.identity.partner.subMchid,
    });
    expect(['127.0.0.1', '::1']).toContain(simOrder.payerClientIp);
    await stack.sim.control.pay(no);
    expect((await storedWithStatus(stack, no, 'PAID')).payment).toMatchObject({ source: 'notification' });
  });
});
