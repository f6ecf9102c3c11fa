// The dev console in a real browser (Debian chromium driven by playwright-core): it lists orders, acts as the payer,
// and shows the status change that the verified notification caused.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { rawRequest } from '../../simulator/test-support/raw-client';
import { placeOrder, sharedIdentity, startTestStack, waitForStatus, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOPPER = 'o-erin-00005';

describe('dev console (real browser)', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no browser at ${CHROMIUM}: install Debian's chromium (bash .ci/run does) or set CHROMIUM_PATH`,
      );
    }
    stack = await startTestStack({ console: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('acting as the payer on an order turns it PAID on the page', async () => {
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const page = await browser.newPage();
    await page.goto(stack.consoleUrl!);
    const row = page.locator(`tr[data-order="${order.outTradeNo}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expectText(row.locator('[data-status]'), 'AWAITING_PAYMENT');
    await row.getByRole('button', { name: /支付 Pay/ }).click();
    await expectText(row.locator('[data-status]'), 'PAID');
    await expectText(page.locator('#paid'), '1');
    await page
      .locator('#notifications')
      .getByText('TRANSACTION.SUCCESS')
      .first()
      .waitFor({ timeout: 10_000 });
    if (process.env.CONSOLE_SCREENSHOT)
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('injects a fault and fires a timer from the page', async () => {
    const page = await browser.newPage();
    await page.goto(stack.consoleUrl!);
    await page.selectOption('#faultKind', 'notify.drop');
    await page.locator('#addFault').click();
    await page.locator('#faults').getByText('notify.drop').waitFor({ timeout: 10_000 });
    expect((await stack.sim.control.faults()).map((f) => f.kind)).toEqual(['notify.drop']);
    await page.locator('button[data-timer="closeExpired"]').click();
    await page
      .locator('#toast')
      .getByText(/closeExpired ✓/)
      .waitFor({ timeout: 10_000 });
    await page.close();
  });

  it('lists money nobody can match under "needs attention"', async () => {
    await stack.sim.control.clearFaults(); // the fault test above leaves notify.drop behind
    // A payment WeChat reports for an order this shop never placed (created at the simulator directly).
    const id = await sharedIdentity();
    const outTradeNo = 'STRANGERCONSOLE1';
    const created = await rawRequest(stack.simulatorUrl, id, {
      merchant: 'direct',
      method: 'POST',
      path: '/v3/pay/transactions/jsapi',
      body: {
        appid: id.direct.appid,
        mchid: id.direct.mchid,
        description: '别处下的单',
        out_trade_no: outTradeNo,
        notify_url: stack.env.WECHATPAY_NOTIFY_URL,
        amount: { total: 4321 },
        payer: { openid: 'o_stranger' },
      },
    });
    expect(created.status).toBe(200);
    const paid = await stack.sim.control.pay(outTradeNo);
    const page = await browser.newPage();
    await page.goto(stack.consoleUrl!);
    const row = page.locator(`#attention tr[data-attention-id="payment:${paid.transactionId!}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.getByText(outTradeNo).waitFor({ timeout: 10_000 });
    await row.getByText('¥43.21').waitFor({ timeout: 10_000 });
    await page.close();
  });

  it('shows shipping: confirm receipt for a shipped payment, the log, the is_trade_managed switch, reminders', async () => {
    await stack.sim.control.clearFaults();
    const order = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: order.outTradeNo });
    const paid = await stack.sim.control.pay(order.outTradeNo);
    await waitForStatus(stack, SHOPPER, order.outTradeNo, 'PAID');
    const tx = paid.transactionId!;
    const shipped = await stack.trade.uploadShippingInfo({
      order_key: { order_number_type: 2, transaction_id: tx },
      logistics_type: 1,
      delivery_mode: 1,
      shipping_list: [{ tracking_no: 'YT1', express_company: 'YTO', item_desc: '咖啡豆 ×1' }],
      upload_time: '2026-12-06T10:00:00+08:00',
      payer: { openid: SHOPPER },
    });
    expect(shipped.errcode).toBe(0);
    const page = await browser.newPage();
    await page.goto(stack.consoleUrl!);
    const row = page.locator(`#shipments tr[data-shipment="${tx}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expectText(row.locator('[data-order-state]'), '2 已发货 shipped');
    await row.getByRole('button', { name: /确认收货 Confirm receipt/ }).click();
    await expectText(row.locator('[data-order-state]'), '3 已确认收货 confirmed');
    // Newest first: the settlement push to tradeEvents, acknowledged, then the confirm itself.
    const log = page.locator('#shippingLog tbody tr');
    await expectText(log.first().locator('[data-outcome]'), 'ok');
    expect(await log.first().textContent()).toContain('push:trade_manage_order_settlement');
    expect(await log.nth(1).textContent()).toContain('confirmReceipt');
    expect(await log.nth(2).textContent()).toContain('uploadShippingInfo');
    expect(await log.nth(2).textContent()).toContain(SHOPPER);
    expect((await stack.trade.getOrder({ transaction_id: tx })).order).toMatchObject({ order_state: 3 });

    await page.locator('#tradeManaged').uncheck();
    await waitUntil(async () => !(await stack.trade.managed()));
    await page.locator('#tradeManaged').check();
    await waitUntil(() => stack.trade.managed());

    const second = await placeOrder(stack, SHOPPER, 'sku-coffee-250g', 1);
    await stack.as(SHOPPER).ok('pay', 'start', { outTradeNo: second.outTradeNo });
    const paid2 = await stack.sim.control.pay(second.outTradeNo);
    await waitForStatus(stack, SHOPPER, second.outTradeNo, 'PAID');
    await page
      .locator(`tr[data-order="${second.outTradeNo}"]`)
      .getByRole('button', { name: /Remind shipping/ })
      .click();
    await waitUntil(async () =>
      (await stack.trade.log(5)).some(
        (e) => e.method === 'push:trade_manage_remind_shipping' && e.orderKey === paid2.transactionId,
      ),
    );
    await page.locator('#remindAccessApi').click();
    await page
      .locator('#shippingLog')
      .getByText('push:trade_manage_remind_access_api')
      .first()
      .waitFor({ timeout: 10_000 });
    await page.close();
  });
});

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectText(locator: Locator, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = (await locator.textContent())?.trim();
    if (now === text) return;
    if (Date.now() > deadline) throw new Error(`expected "${text}", still "${now ?? ''}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
