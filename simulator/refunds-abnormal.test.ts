// ABNORMAL refunds in the simulator: the apply-abnormal-refund endpoint (signed request, encrypted card fields,
// signed answer), settling by hand, and the trade bill's refund rows (acceptance day, status snapshot).
import { Rsa } from 'wechatpay-axios-plugin';
import { beijingDate, beijingMidnight } from './internal/clock';
import { startFixture, type SimFixture } from './test-support/fixture';
import {
  allPlatformKeys,
  answerVerifies,
  rawRequest,
  type RawAnswer,
  type RawRequest,
} from './test-support/raw-client';

let fx: SimFixture;
let n = 0;

beforeAll(async () => {
  fx = await startFixture({ timeScale: 1e-9 });
});
afterAll(async () => {
  await fx?.dispose();
});

const send = (r: RawRequest): Promise<RawAnswer> => rawRequest(fx.sim.url, fx.identity, r);

async function paidOrder(totalFen: number, merchant: 'direct' | 'partner' = 'direct'): Promise<string> {
  n += 1;
  const outTradeNo = `AB${Date.now().toString(36)}${n}`;
  const p = fx.identity.partner;
  const body =
    merchant === 'direct'
      ? {
          appid: fx.identity.direct.appid,
          mchid: fx.identity.direct.mchid,
          payer: { openid: 'o_abnormal' },
        }
      : { sp_appid: p.spAppid, sp_mchid: p.spMchid, sub_mchid: p.subMchid, payer: { sp_openid: 'o_sp' } };
  const a = await send({
    merchant,
    method: 'POST',
    path: merchant === 'direct' ? '/v3/pay/transactions/jsapi' : '/v3/pay/partner/transactions/jsapi',
    body: {
      ...body,
      description: '异常退款测试',
      out_trade_no: outTradeNo,
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: totalFen },
    },
  });
  expect(a.status).toBe(200);
  await fx.sim.control.pay(outTradeNo);
  return outTradeNo;
}

async function abnormalRefund(
  merchant: 'direct' | 'partner' = 'direct',
): Promise<{ outRefundNo: string; refundId: string }> {
  const outTradeNo = await paidOrder(500, merchant);
  const outRefundNo = `${outTradeNo}R`;
  const created = await send({
    merchant,
    method: 'POST',
    path: '/v3/refund/domestic/refunds',
    body: {
      ...(merchant === 'partner' ? { sub_mchid: fx.identity.partner.subMchid } : {}),
      out_trade_no: outTradeNo,
      out_refund_no: outRefundNo,
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { refund: 500, total: 500, currency: 'CNY' },
    },
  });
  expect(created.status).toBe(200);
  await fx.sim.control.setRefundOutcome(outRefundNo, 'ABNORMAL', { now: true });
  return { outRefundNo, refundId: (created.json as { refund_id: string }).refund_id };
}

function apply(refundId: string, body: Record<string, unknown>, over: Partial<RawRequest> = {}) {
  return send({
    merchant: 'direct',
    method: 'POST',
    path: `/v3/refund/domestic/refunds/${refundId}/apply-abnormal-refund`,
    body,
    headers: { 'Wechatpay-Serial': fx.identity.platform.publicKey.publicKeyId },
    ...over,
  });
}

const encrypt = (text: string): string =>
  Rsa.encrypt(text, Rsa.from(fx.identity.platform.publicKey.publicKeyPem, 'public'));

describe('apply-abnormal-refund', () => {
  it('retries an ABNORMAL refund to the payer’s bank card: PROCESSING in a signed answer, then SUCCESS', async () => {
    const { outRefundNo, refundId } = await abnormalRefund();
    const body = {
      out_refund_no: outRefundNo,
      type: 'USER_BANK_CARD',
      bank_type: 'ICBC_DEBIT',
      bank_account: encrypt('6222020200112233445'),
      real_name: encrypt('张三'),
    };
    const a = await apply(refundId, body);
    expect(a.status).toBe(200);
    expect(answerVerifies(a, allPlatformKeys(fx.identity))).toBe(true);
    expect(a.json).toMatchObject({ out_refund_no: outRefundNo, refund_id: refundId, status: 'PROCESSING' });
    // The same request again (a lost answer) answers the retry in progress.
    expect((await apply(refundId, body)).json).toMatchObject({ status: 'PROCESSING' });
    const record = await fx.sim.control.refund(outRefundNo);
    expect(record.abnormalRetries).toEqual([
      { at: expect.any(Number), type: 'USER_BANK_CARD', bankType: 'ICBC_DEBIT', accountTail: '3445' },
    ]);
    expect(JSON.stringify(record)).not.toContain('6222020200112233445');
    await fx.sim.control.advance((await fx.sim.control.settings()).refundDelayMs);
    expect((await fx.sim.control.refund(outRefundNo)).status).toBe('SUCCESS');
    // Only an ABNORMAL refund can be retried.
    expect((await apply(refundId, body)).json).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('takes MERCHANT_BANK_CARD without card fields, in partner mode with sub_mchid', async () => {
    const { outRefundNo, refundId } = await abnormalRefund('partner');
    const a = await apply(
      refundId,
      { sub_mchid: fx.identity.partner.subMchid, out_refund_no: outRefundNo, type: 'MERCHANT_BANK_CARD' },
      { merchant: 'partner' },
    );
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ status: 'PROCESSING', sub_mchid: fx.identity.partner.subMchid });
  });

  it('refuses bad signatures, unknown refunds, bad types, missing or undecryptable card fields', async () => {
    const { outRefundNo, refundId } = await abnormalRefund();
    const ok = { out_refund_no: outRefundNo, type: 'MERCHANT_BANK_CARD' };
    expect(
      (await apply(refundId, ok, { tamperBody: (b) => b.replace('MERCHANT', 'USER_X') })).json,
    ).toMatchObject({ code: 'SIGN_ERROR' });
    expect((await apply('50000000000000000000000000000', ok)).status).toBe(404);
    expect((await apply(refundId, { ...ok, out_refund_no: 'nope-nope' })).status).toBe(404);
    expect((await apply(refundId, { ...ok, type: 'CASH' })).json).toMatchObject({ code: 'PARAM_ERROR' });
    expect((await apply(refundId, { ...ok, type: 'USER_BANK_CARD' })).json).toMatchObject({
      code: 'PARAM_ERROR',
    });
    expect(
      (
        await apply(refundId, {
          ...ok,
          type: 'USER_BANK_CARD',
          bank_type: 'ICBC_DEBIT',
          bank_account: 'not-encrypted',
          real_name: encrypt('张三'),
        })
      ).json,
    ).toMatchObject({ code: 'PARAM_ERROR' });
    // Nothing of that changed the refund.
    expect((await fx.sim.control.refund(outRefundNo)).status).toBe('ABNORMAL');
  });
});

describe('settling by hand', () => {
  it('turns an ABNORMAL refund SUCCESS without a notification (unless asked); only ABNORMAL ones', async () => {
    const { outRefundNo } = await abnormalRefund();
    const before = (await fx.sim.control.notifications({ eventType: 'REFUND.SUCCESS' })).length;
    const settled = await fx.sim.control.settleRefundByHand(outRefundNo);
    expect(settled).toMatchObject({ status: 'SUCCESS', successAt: expect.any(Number) });
    expect((await fx.sim.control.notifications({ eventType: 'REFUND.SUCCESS' })).length).toBe(before);
    await expect(fx.sim.control.settleRefundByHand(outRefundNo)).rejects.toThrow(/only an ABNORMAL/);
    const other = await abnormalRefund();
    await fx.sim.control.settleRefundByHand(other.outRefundNo, { notify: true });
    expect((await fx.sim.control.notifications({ eventType: 'REFUND.SUCCESS' })).length).toBe(before + 1);
  });
});

describe('trade bill refund rows', () => {
  it('lists a refund on the day WeChat accepted it, with the status it had at the end of that day', async () => {
    // 23:00 Beijing: the refund is accepted today and settles after midnight.
    const now = (await fx.sim.control.clock()).nowMs;
    const today = beijingMidnight(beijingDate(now))!;
    await fx.sim.control.advance(today + 47 * 3600e3 - now);
    const acceptedDay = beijingDate((await fx.sim.control.clock()).nowMs);
    const outTradeNo = await paidOrder(800);
    const settings = await fx.sim.control.settings();
    await fx.sim.control.updateSettings({ refundDelayMs: 2 * 3600e3 });
    const r = await send({
      merchant: 'direct',
      method: 'POST',
      path: '/v3/refund/domestic/refunds',
      body: {
        out_trade_no: outTradeNo,
        out_refund_no: `${outTradeNo}R`,
        amount: { refund: 300, total: 800, currency: 'CNY' },
      },
    });
    expect(r.status).toBe(200);
    await fx.sim.control.updateSettings({ refundDelayMs: settings.refundDelayMs });
    await fx.sim.control.advance(2 * 3600e3);
    expect((await fx.sim.control.refund(`${outTradeNo}R`)).status).toBe('SUCCESS');
    const settledDay = beijingDate((await fx.sim.control.clock()).nowMs);
    expect(settledDay).not.toBe(acceptedDay);
    await fx.sim.control.advance(36 * 3600e3); // both bills exist
    const bill = async (day: string): Promise<string> => {
      const meta = (
        await send({ merchant: 'direct', method: 'GET', path: `/v3/bill/tradebill?bill_date=${day}` })
      ).json as { download_url?: string };
      if (meta.download_url === undefined) return '';
      const u = new URL(meta.download_url);
      return (await send({ merchant: 'direct', method: 'GET', path: `${u.pathname}${u.search}` })).text;
    };
    const accepted = (await bill(acceptedDay)).split('\r\n').find((l) => l.includes(`\`${outTradeNo}R`));
    expect(accepted).toBeDefined();
    expect(accepted).toContain('`REFUND,');
    expect(accepted).toContain('`PROCESSING,');
    expect(await bill(settledDay)).not.toContain(`${outTradeNo}R`);
  });
});
