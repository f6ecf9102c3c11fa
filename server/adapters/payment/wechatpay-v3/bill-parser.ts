// WeChat's daily bills: a CSV whose every data field starts with a backtick (so spreadsheets keep long ids as text),
// a header line, data lines, then a summary header line and one summary line. Amounts are yuan strings, turned
// into fen only through parseYuan (integer arithmetic). Fields are split on ",`" rather than ",", because a goods
// name may contain a comma but every field starts with a backtick.
import type {
  FundFlowBillRow,
  FundFlowBillSummary,
  RefundStatus,
  TradeBillRow,
  TradeBillSummary,
} from '../../../application/ports/payment-provider.port';
import { isDomainError } from '../../../domain/errors';
import { parseYuan } from '../../../domain/money';
import type { Fen } from '../../../domain/money';

/** The bill text cannot be parsed; `line` is 1-based. Messages quote column names, never field values. */
export class BillFormatError extends Error {
  override readonly name = 'BillFormatError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

interface Section {
  header: string[];
  rows: { line: number; fields: string[] }[];
}

// Column titles are printed with ASCII or full-width brackets and sometimes a unit: compare them without.
function normaliseTitle(title: string): string {
  return title
    .replace(/^\uFEFF/, '')
    .replace(/[(（][^)）]*[)）]/g, '')
    .trim();
}

function splitDataLine(line: string, lineNo: number): string[] {
  if (!line.startsWith('`')) throw new BillFormatError('data line does not start with a backtick', lineNo);
  return line.slice(1).split(',`');
}

/** Splits bill text into its data section and its summary section. */
export function splitBill(text: string): { data: Section; summary: Section } {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l, i) => ({ l, n: i + 1 }))
    .filter(({ l }) => l.trim() !== '');
  const first = lines[0];
  if (first === undefined) throw new BillFormatError('bill is empty');
  if (first.l.startsWith('`')) throw new BillFormatError('bill does not start with a header line', first.n);
  // The last two lines are the summary: its header (no backtick) and its values.
  const summaryHeader = lines[lines.length - 2];
  const summaryLine = lines[lines.length - 1];
  if (lines.length < 3 || summaryHeader === undefined || summaryLine === undefined) {
    throw new BillFormatError('summary header and summary line are missing');
  }
  if (summaryHeader.l.startsWith('`'))
    throw new BillFormatError('summary header line is missing', summaryHeader.n);
  const data: Section = { header: first.l.split(',').map(normaliseTitle), rows: [] };
  for (const cur of lines.slice(1, -2)) data.rows.push({ line: cur.n, fields: splitDataLine(cur.l, cur.n) });
  return {
    data,
    summary: {
      header: summaryHeader.l.split(',').map(normaliseTitle),
      rows: [{ line: summaryLine.n, fields: splitDataLine(summaryLine.l, summaryLine.n) }],
    },
  };
}

function toColumns(header: string[], fields: string[], line: number): Record<string, string> {
  if (fields.length !== header.length) {
    throw new BillFormatError(`expected ${header.length} fields, found ${fields.length}`, line);
  }
  const out: Record<string, string> = {};
  header.forEach((title, i) => {
    out[title] = (fields[i] ?? '').trim();
  });
  return out;
}

class Row {
  constructor(
    readonly columns: Readonly<Record<string, string>>,
    readonly line: number,
  ) {}

  text(title: string): string {
    const v = this.columns[title];
    if (v === undefined) throw new BillFormatError(`column "${title}" is missing`, this.line);
    return v;
  }

  optText(title: string): string | undefined {
    const v = this.columns[title];
    return v === undefined || v === '' ? undefined : v;
  }

  // WeChat prints "0" for an absent refund id / refund number.
  optId(title: string): string | undefined {
    const v = this.optText(title);
    return v === undefined || v === '0' ? undefined : v;
  }

  fen(title: string): Fen {
    return this.yuan(title, this.text(title));
  }

  optFen(title: string): Fen | undefined {
    const v = this.optText(title);
    return v === undefined ? undefined : this.yuan(title, v);
  }

  count(title: string): number {
    const v = this.text(title);
    if (!/^\d{1,12}$/.test(v)) throw new BillFormatError(`column "${title}" is not a count`, this.line);
    return Number(v);
  }

  private yuan(title: string, v: string): Fen {
    try {
      return parseYuan(v);
    } catch (e) {
      if (isDomainError(e)) throw new BillFormatError(`column "${title}" is not a yuan amount`, this.line);
      throw e;
    }
  }
}

/** Bill refund statuses in both the v2-era bill words and the v3 API words, mapped to the port's RefundStatus. */
const BILL_REFUND_STATUS: Readonly<Record<string, RefundStatus>> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  REFUNDCLOSE: 'CLOSED',
  CLOSED: 'CLOSED',
  CHANGE: 'ABNORMAL',
  ABNORMAL: 'ABNORMAL',
};

/** A bill's refund status word as the port's RefundStatus (undefined for a word this shop does not know). */
export function billRefundStatus(word: string): RefundStatus | undefined {
  return Object.prototype.hasOwnProperty.call(BILL_REFUND_STATUS, word)
    ? BILL_REFUND_STATUS[word]
    : undefined;
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Parses a trade bill (ALL, SUCCESS or REFUND columns) into rows and its summary, amounts in fen. */
export function parseTradeBill(text: string): { rows: TradeBillRow[]; summary: TradeBillSummary } {
  return parseBill(
    text,
    (r) => {
      const refundStatus = r.optText('退款状态');
      return compact<TradeBillRow>({
        tradeTime: r.text('交易时间'),
        appid: r.text('公众账号ID'),
        mchid: r.text('商户号'),
        subMchid: r.optId('特约商户号') ?? r.optId('子商户号'),
        transactionId: r.text('微信订单号'),
        outTradeNo: r.text('商户订单号'),
        openid: r.optText('用户标识'),
        tradeType: r.optText('交易类型'),
        tradeState: r.text('交易状态'),
        settlementTotalFen: r.fen('应结订单金额'),
        orderTotalFen: r.optFen('订单金额'),
        couponFen: r.optFen('代金券金额'),
        refundId: r.optId('微信退款单号'),
        outRefundNo: r.optId('商户退款单号'),
        refundFen: r.optFen('退款金额'),
        requestedRefundFen: r.optFen('申请退款金额'),
        refundStatus,
        refundSnapshot: refundStatus === undefined ? undefined : billRefundStatus(refundStatus),
        feeYuanText: r.optText('手续费'),
        rate: r.optText('费率'),
        attach: r.optText('商户数据包'),
        goodsName: r.optText('商品名称'),
        columns: r.columns,
      });
    },
    (sr) =>
      compact<TradeBillSummary>({
        tradeCount: sr.count('总交易单数'),
        settlementTotalFen: sr.fen('应结订单总金额'),
        refundTotalFen: sr.fen('退款总金额'),
        orderTotalFen: sr.optFen('订单总金额'),
        requestedRefundTotalFen: sr.optFen('申请退款总金额'),
        feeTotalYuanText: sr.optText('手续费总金额'),
        columns: sr.columns,
      }),
    (summary) => summary.tradeCount,
    'trades',
  );
}

/** Parses a fund flow bill into rows and its summary, amounts in fen. */
export function parseFundFlowBill(text: string): { rows: FundFlowBillRow[]; summary: FundFlowBillSummary } {
  return parseBill(
    text,
    (r) => {
      const kind = r.text('收支类型');
      if (kind !== '收入' && kind !== '支出')
        throw new BillFormatError('column "收支类型" is neither 收入 nor 支出', r.line);
      return compact<FundFlowBillRow>({
        bookedAt: r.text('记账时间'),
        businessId: r.text('微信支付业务单号'),
        fundFlowId: r.text('资金流水单号'),
        businessName: r.text('业务名称'),
        businessType: r.text('业务类型'),
        direction: kind === '收入' ? 'income' : 'expense',
        amountFen: r.fen('收支金额'),
        balanceFen: r.fen('账户结余'),
        remark: r.optText('备注'),
        voucherNo: r.optText('业务凭证号'),
        columns: r.columns,
      });
    },
    (sr): FundFlowBillSummary => ({
      entryCount: sr.count('资金流水总笔数'),
      incomeCount: sr.count('收入笔数'),
      incomeFen: sr.fen('收入金额'),
      expenseCount: sr.count('支出笔数'),
      expenseFen: sr.fen('支出金额'),
      columns: sr.columns,
    }),
    (summary) => summary.entryCount,
    'entries',
  );
}

/** Reads every data line and the summary line of `text`, and refuses a summary that miscounts the lines. */
function parseBill<R, S>(
  text: string,
  readRow: (r: Row) => R,
  readSummary: (r: Row) => S,
  counted: (summary: S) => number,
  what: string,
): { rows: R[]; summary: S } {
  const { data, summary } = splitBill(text);
  const rows = data.rows.map(({ line, fields }) =>
    readRow(new Row(toColumns(data.header, fields, line), line)),
  );
  const s = summary.rows[0];
  if (s === undefined) throw new BillFormatError('summary line is missing');
  const parsed = readSummary(new Row(toColumns(summary.header, s.fields, s.line), s.line));
  if (counted(parsed) !== rows.length) {
    throw new BillFormatError(
      `summary counts ${counted(parsed)} ${what} but the bill has ${rows.length} lines`,
    );
  }
  return { rows, summary: parsed };
}
