import { BillFormatError, billRefundStatus, parseFundFlowBill, parseTradeBill } from './bill-parser';

const TRADE_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const TRADE_SUMMARY_HEADER =
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

function line(fields: string[]): string {
  return fields.map((f) => `\`${f}`).join(',');
}

const paymentLine = line([
  '2026-11-22 10:00:01',
  'wxd678efh567hg6787',
  '1230000109',
  '0',
  '',
  '4200000001202611220000000001',
  'ORDER_0001',
  'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  'JSAPI',
  'SUCCESS',
  'OTHERS',
  'CNY',
  '19.99',
  '0.00',
  '0',
  '0',
  '0.00',
  '0.00',
  '',
  '',
  'Tea, green, 250 g',
  'attach-1',
  '0.12000',
  '0.60%',
  '19.99',
  '0.00',
  '',
]);
const refundLine = line([
  '2026-11-22 12:30:00',
  'wxd678efh567hg6787',
  '1230000109',
  '0',
  '',
  '4200000001202611220000000001',
  'ORDER_0001',
  'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  'JSAPI',
  'REFUND',
  'OTHERS',
  'CNY',
  '0.00',
  '0.00',
  '50000000382019052709732678859',
  'RF_0001',
  '5',
  '0.00',
  'ORIGINAL',
  'SUCCESS',
  'Tea, green, 250 g',
  'attach-1',
  '-0.03000',
  '0.60%',
  '0.00',
  '5.00',
  '',
]);

describe('parseTradeBill', () => {
  const bill = [
    TRADE_HEADER,
    paymentLine,
    refundLine,
    TRADE_SUMMARY_HEADER,
    line(['2', '19.99', '5.00', '0.00', '0.09000', '19.99', '5.00']),
  ].join('\r\n');

  it('strips backticks, keeps commas inside fields, converts yuan to fen and reads the summary', () => {
    const { rows, summary } = parseTradeBill(`\uFEFF${bill}\r\n`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      tradeTime: '2026-11-22 10:00:01',
      appid: 'wxd678efh567hg6787',
      mchid: '1230000109',
      transactionId: '4200000001202611220000000001',
      outTradeNo: 'ORDER_0001',
      tradeState: 'SUCCESS',
      settlementTotalFen: 1999,
      orderTotalFen: 1999,
      couponFen: 0,
      refundFen: 0,
      goodsName: 'Tea, green, 250 g',
      feeYuanText: '0.12000',
      rate: '0.60%',
    });
    // "0" is how WeChat prints "no refund id" and "no sub-merchant".
    expect(rows[0]?.refundId).toBeUndefined();
    expect(rows[0]?.subMchid).toBeUndefined();
    expect(rows[1]).toMatchObject({
      tradeState: 'REFUND',
      refundId: '50000000382019052709732678859',
      outRefundNo: 'RF_0001',
      refundFen: 500,
      requestedRefundFen: 500,
      refundStatus: 'SUCCESS',
      refundSnapshot: 'SUCCESS',
    });
    expect(rows[0]?.refundSnapshot).toBeUndefined();
    expect(rows[0]?.columns['商户数据包']).toBe('attach-1');
    expect(summary).toMatchObject({
      tradeCount: 2,
      settlementTotalFen: 1999,
      refundTotalFen: 500,
      orderTotalFen: 1999,
      requestedRefundTotalFen: 500,
      feeTotalYuanText: '0.09000',
    });
  });

  it('converts amounts with integer arithmetic only (no float drift)', () => {
    const amounts = ['0.01', '0.1', '1.15', '19.99', '1234567.89', '0.29'];
    const lines = amounts.map((a, i) =>
      line([
        '2026-11-22 10:00:01',
        'wx1',
        '1',
        '0',
        '',
        `42${i}`,
        `O${i}`,
        'o',
        'JSAPI',
        'SUCCESS',
        'B',
        'CNY',
        a,
        '0.00',
        '0',
        '0',
        '0.00',
        '0.00',
        '',
        '',
        'g',
        '',
        '0.00000',
        '0.6%',
        a,
        '0.00',
        '',
      ]),
    );
    const { rows } = parseTradeBill(
      [TRADE_HEADER, ...lines, TRADE_SUMMARY_HEADER, line(['6', '0', '0', '0', '0', '0', '0'])].join('\n'),
    );
    expect(rows.map((r) => r.settlementTotalFen)).toEqual([1, 10, 115, 1999, 123456789, 29]);
  });

  it('parses a bill with no trades', () => {
    const { rows, summary } = parseTradeBill(
      [
        TRADE_HEADER,
        TRADE_SUMMARY_HEADER,
        line(['0', '0.00', '0.00', '0.00', '0.00000', '0.00', '0.00']),
      ].join('\n'),
    );
    expect(rows).toEqual([]);
    expect(summary.tradeCount).toBe(0);
  });

  it.each([
    ['a fractional fen', paymentLine.replace('`19.99', '`19.999'), /应结订单金额/],
    ['a negative amount', paymentLine.replace('`19.99', '`-19.99'), /应结订单金额/],
    ['a missing backtick', paymentLine.slice(1), /backtick/],
    ['a missing field', paymentLine.replace(',`attach-1', ''), /expected 27 fields/],
  ])('refuses %s, saying which column or line', (_name, badLine, message) => {
    const text = [
      TRADE_HEADER,
      badLine,
      TRADE_SUMMARY_HEADER,
      line(['1', '19.99', '0.00', '0.00', '0.1', '19.99', '0.00']),
    ].join('\n');
    expect(() => parseTradeBill(text)).toThrow(BillFormatError);
    expect(() => parseTradeBill(text)).toThrow(message);
  });

  it('refuses a summary that disagrees with the number of lines, and a bill without a summary', () => {
    const wrongCount = [
      TRADE_HEADER,
      paymentLine,
      TRADE_SUMMARY_HEADER,
      line(['2', '19.99', '0.00', '0.00', '0.1', '19.99', '0.00']),
    ].join('\n');
    expect(() => parseTradeBill(wrongCount)).toThrow(/summary counts 2 trades but the bill has 1/);
    expect(() => parseTradeBill([TRADE_HEADER, paymentLine].join('\n'))).toThrow(/summary/);
    expect(() => parseTradeBill('')).toThrow(/empty/);
  });
});

describe('billRefundStatus', () => {
  it("reads the bill's refund status words, v2-era and v3, as the port's statuses, and no others", () => {
    const words = [
      'SUCCESS',
      'PROCESSING',
      'REFUNDCLOSE',
      'CLOSED',
      'CHANGE',
      'ABNORMAL',
      'SOMETHING',
      'toString',
    ];
    expect(words.map(billRefundStatus)).toEqual([
      'SUCCESS',
      'PROCESSING',
      'CLOSED',
      'CLOSED',
      'ABNORMAL',
      'ABNORMAL',
      undefined,
      undefined,
    ]);
  });
});

describe('parseFundFlowBill', () => {
  const header =
    '记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号';
  const summaryHeader = '资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额';

  it('reads income and expense lines with full-width-bracket titles', () => {
    const text = [
      header,
      line([
        '2026-11-22 10:00:05',
        '4200000001202611220000000001',
        '12300001',
        '交易',
        '交易',
        '收入',
        '19.99',
        '119.99',
        'system',
        '',
        'ORDER_0001',
      ]),
      line([
        '2026-11-22 12:30:05',
        '50000000382019052709732678859',
        '12300002',
        '退款',
        '退款',
        '支出',
        '5.00',
        '114.99',
        '1230000109API',
        '',
        'RF_0001',
      ]),
      summaryHeader,
      line(['2', '1', '19.99', '1', '5.00']),
    ].join('\n');
    const { rows, summary } = parseFundFlowBill(text);
    expect(rows.map((r) => [r.direction, r.amountFen, r.balanceFen])).toEqual([
      ['income', 1999, 11999],
      ['expense', 500, 11499],
    ]);
    expect(rows[0]?.remark).toBeUndefined();
    expect(rows[1]?.voucherNo).toBe('RF_0001');
    expect(summary).toMatchObject({
      entryCount: 2,
      incomeCount: 1,
      incomeFen: 1999,
      expenseCount: 1,
      expenseFen: 500,
    });
  });

  it('refuses an unknown direction', () => {
    const text = [
      header,
      line(['t', 'b', 'f', 'n', 't', '转入', '1.00', '1.00', 'a', '', 'v']),
      summaryHeader,
      line(['1', '0', '0', '0', '0']),
    ].join('\n');
    expect(() => parseFundFlowBill(text)).toThrow(/收支类型/);
  });
});
