// Bills: availability in virtual time, WeChat's CSV format (parsed by wechatpay-axios-plugin), SHA1, GZIP, and the
// unsigned download.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Formatter } from 'wechatpay-axios-plugin';
import { beijingDate, beijingMidnight } from './internal/clock';
import { feeFen, yuan } from './internal/bills';
import { startFixture, type SimFixture } from './test-support/fixture';
import { rawRequest, type RawAnswer } from './test-support/raw-client';

let fx: SimFixture;
let payDay: string;
let n = 0;

const get = (path: string, merchant: 'direct' | 'partner' = 'direct'): Promise<RawAnswer> =>
  rawRequest(fx.sim.url, fx.identity, { merchant, method: 'GET', path });

async function paidOrder(totalFen: number): Promise<string> {
  n += 1;
  const outTradeNo = `B${Date.now().toString(36)}${n}`;
  const a = await rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/pay/transactions/jsapi',
    body: {
      appid: fx.identity.direct.appid,
      mchid: fx.identity.direct.mchid,
      description: '对账商品',
      out_trade_no: outTradeNo,
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: totalFen },
      payer: { openid: 'o_bill' },
    },
  });
  expect(a.status).toBe(200);
  await fx.sim.control.pay(outTradeNo);
  return outTradeNo;
}

beforeAll(async () => {
  fx = await startFixture({ timeScale: 1e-9 });
  const now = (await fx.sim.control.clock()).nowMs;
  // Start at 08:00 Beijing so every payment of the test lands on the same day.
  const midnight = beijingMidnight(beijingDate(now))!;
  await fx.sim.control.advance(midnight + 32 * 3600e3 - now);
  payDay = beijingDate((await fx.sim.control.clock()).nowMs);
  const a = await paidOrder(1234);
  await paidOrder(1);
  const r = await rawRequest(fx.sim.url, fx.identity, {
    merchant: 'direct',
    method: 'POST',
    path: '/v3/refund/domestic/refunds',
    body: { out_trade_no: a, out_refund_no: `${a}R`, amount: { refund: 234, total: 1234, currency: 'CNY' } },
  });
  expect(r.status).toBe(200);
  await fx.sim.control.advance(60_000); // the refund succeeds the same day
});
afterAll(async () => {
  await fx?.dispose();
});

describe('availability', () => {
  it('is not ready before 10:00 the next day, then is', async () => {
    const now = (await fx.sim.control.clock()).nowMs;
    const nextDay9 = beijingMidnight(payDay)! + 33 * 3600e3;
    expect((await get(`/v3/bill/tradebill?bill_date=${payDay}`)).json).toMatchObject({
      code: 'INVALID_REQUEST',
    }); // today
    await fx.sim.control.advance(nextDay9 - now);
    expect((await get(`/v3/bill/tradebill?bill_date=${payDay}`)).json).toMatchObject({
      code: 'STATEMENT_CREATING',
    });
    await fx.sim.control.advance(3600e3);
    expect((await get(`/v3/bill/tradebill?bill_date=${payDay}`)).status).toBe(200);
  });

  it('answers NO_STATEMENT_EXIST for a day without trades and PARAM_ERROR for a bad date', async () => {
    const dayBefore = beijingDate(beijingMidnight(payDay)! - 3600e3);
    expect((await get(`/v3/bill/tradebill?bill_date=${dayBefore}`)).json).toMatchObject({
      code: 'NO_STATEMENT_EXIST',
    });
    expect((await get('/v3/bill/tradebill?bill_date=2026-02-30')).json).toMatchObject({
      code: 'PARAM_ERROR',
    });
    expect((await get(`/v3/bill/tradebill?bill_date=${payDay}&bill_type=NOPE`)).json).toMatchObject({
      code: 'PARAM_ERROR',
    });
  });
});

describe('trade bill', () => {
  async function download(
    query: string,
  ): Promise<{ meta: { hash_type: string; hash_value: string; download_url: string }; file: RawAnswer }> {
    const meta = (await get(`/v3/bill/tradebill?bill_date=${payDay}${query}`)).json as {
      hash_type: string;
      hash_value: string;
      download_url: string;
    };
    const u = new URL(meta.download_url);
    expect(u.pathname).toBe('/v3/billdownload/file');
    return { meta, file: await get(`${u.pathname}${u.search}`) };
  }

  it('lists payments and refunds in yuan, with summary lines, and matches hash_value', async () => {
    const { meta, file } = await download('&bill_type=ALL');
    expect(file.status).toBe(200);
    expect(file.headers['wechatpay-signature']).toBeUndefined(); // downloads are not signed
    expect(meta.hash_type).toBe('SHA1');
    expect(createHash('sha1').update(file.raw).digest('hex')).toBe(meta.hash_value);
    expect(file.text.split('\r\n')[1]?.startsWith('`')).toBe(true);
    const { rows, summary } = Formatter.castCsvBill(file.raw) as {
      rows: Array<Record<string, string>>;
      summary: Record<string, string>;
    };
    expect(rows.map((r) => [r['交易状态'], r['应结订单金额'], r['退款金额']])).toEqual([
      ['SUCCESS', '12.34', '0.00'],
      ['SUCCESS', '0.01', '0.00'],
      ['REFUND', '0.00', '2.34'],
    ]);
    expect(rows[0]).toMatchObject({
      商户号: fx.identity.direct.mchid,
      公众账号ID: fx.identity.direct.appid,
      交易类型: 'JSAPI',
      商品名称: '对账商品',
    });
    const fees = feeFen(1234) + feeFen(1) - feeFen(234);
    expect(summary).toEqual({
      总交易单数: '3',
      应结订单总金额: '12.35',
      退款总金额: '2.34',
      充值券退款总金额: '0.00',
      手续费总金额: yuan(fees),
      订单总金额: '12.35',
      申请退款总金额: '2.34',
    });
  });

  it('serves GZIP when asked; the hash is of the uncompressed file', async () => {
    const { meta, file } = await download('&bill_type=SUCCESS&tar_type=GZIP');
    expect(file.headers['content-type']).toBe('application/x-gzip');
    const plain = gunzipSync(file.raw);
    expect(createHash('sha1').update(plain).digest('hex')).toBe(meta.hash_value);
    const { rows } = Formatter.castCsvBill(plain) as { rows: Array<Record<string, string>> };
    expect(rows.map((r) => r['交易状态'])).toEqual(['SUCCESS', 'SUCCESS']);
  });

  it('only lets the merchant that asked download the file', async () => {
    const meta = (await get(`/v3/bill/tradebill?bill_date=${payDay}`)).json as { download_url: string };
    const u = new URL(meta.download_url);
    const other = await get(`${u.pathname}${u.search}`, 'partner');
    expect(other.status).toBe(403);
    const bad = await get('/v3/billdownload/file?token=nope');
    expect(bad.json).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('fund flow bill', () => {
  it('books income net of fees and the refund as an expense, with a running balance', async () => {
    const meta = (await get(`/v3/bill/fundflowbill?bill_date=${payDay}&account_type=BASIC`)).json as {
      download_url: string;
      hash_value: string;
    };
    const u = new URL(meta.download_url);
    const file = await get(`${u.pathname}${u.search}`);
    expect(createHash('sha1').update(file.raw).digest('hex')).toBe(meta.hash_value);
    const { rows, summary } = Formatter.castCsvBill(file.raw) as {
      rows: Array<Record<string, string>>;
      summary: Record<string, string>;
    };
    const in1 = 1234 - feeFen(1234);
    const in2 = 1 - feeFen(1);
    const out = 234 - feeFen(234);
    expect(rows.map((r) => [r['收支类型'], r['收支金额(元)'], r['账户结余(元)']])).toEqual([
      ['收入', yuan(in1), yuan(in1)],
      ['收入', yuan(in2), yuan(in1 + in2)],
      ['支出', yuan(out), yuan(in1 + in2 - out)],
    ]);
    expect(summary).toEqual({
      资金流水总笔数: '3',
      收入笔数: '2',
      收入金额: yuan(in1 + in2),
      支出笔数: '1',
      支出金额: yuan(out),
    });
    expect(
      (await get(`/v3/bill/fundflowbill?bill_date=${payDay}&account_type=OPERATION`)).json,
    ).toMatchObject({ code: 'NO_STATEMENT_EXIST' });
  });
});

describe('yuan formatting', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [1234, '12.34'],
    [-5, '-0.05'],
    [100000000, '1000000.00'],
  ])('%i fen → %s', (f, y) => {
    expect(yuan(f)).toBe(y);
  });
});
