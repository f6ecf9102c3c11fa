// Trade and fund-flow bills in WeChat's CSV format (backtick-prefixed fields, yuan amounts, summary lines).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { OrderRecord, RefundRecord, RefundStatus } from '../types';
import { beijingDate, beijingMidnight, formatBeijingDateTime, type VirtualClock } from './clock';
import { randomAlnum } from './crypto';
import { paramError, WxError } from './errors';
import type { ApiCall, ApiResult } from './engine';

const DAY = 24 * 3600 * 1000;
/** Yesterday's bill becomes available at 10:00 Beijing time. */
const READY_AFTER_MIDNIGHT_MS = DAY + 10 * 3600 * 1000;
/** Bills are kept for about three months. */
const KEEP_DAYS = 92;
/** download_url validity (real time: it is a transport token). */
const TOKEN_TTL_REAL_MS = 30_000;
/** Fee rate of the simulated merchant: 0.6 % (per mille × 10), rounded half up per trade. */
const FEE_RATE_TEN_THOUSANDTHS = 60;

/** A prepared download: the bytes served by /v3/billdownload/file and who may fetch them. */
interface Download {
  mchid: string;
  body: Buffer;
  gzip: boolean;
  expiresRealMs: number;
}

/** Data access the bills need. */
export interface BillSource {
  allOrders(): OrderRecord[];
  allRefunds(): RefundRecord[];
}

/** Signed yuan with two decimals from integer fen (no floats). */
export function yuan(fenValue: number): string {
  const sign = fenValue < 0 ? '-' : '';
  const abs = Math.abs(fenValue);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The fee WeChat keeps on `amountFen` at 0.6 %, rounded half up to the fen. */
export function feeFen(amountFen: number): number {
  return Math.floor((amountFen * FEE_RATE_TEN_THOUSANDTHS + 5000) / 10000);
}

function row(fields: readonly (string | number)[]): string {
  return fields.map((f) => `\`${String(f)}`).join(',');
}

function csv(
  header: readonly string[],
  rows: readonly string[],
  caption: readonly string[],
  summary: string,
): Buffer {
  const lines = [header.join(','), ...rows, caption.join(','), summary];
  // A UTF-8 BOM and CRLF lines as WeChat's bill files have; the last line ends with CRLF too.
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

/** The words trade bills print for refund statuses. */
const BILL_REFUND_STATUS: Readonly<Record<RefundStatus, string>> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  CLOSED: 'REFUNDCLOSE',
  ABNORMAL: 'CHANGE',
};

/** The refund's status just before `atMs` (from its history; records without one only know their current status). */
export function statusAt(r: RefundRecord, atMs: number): RefundStatus {
  const history = r.statusHistory;
  if (history === undefined || history.length === 0) {
    return r.status === 'SUCCESS' && r.successAt !== undefined && r.successAt >= atMs
      ? 'PROCESSING'
      : r.status;
  }
  let status: RefundStatus = 'PROCESSING';
  for (const h of history) if (h.at < atMs) status = h.status;
  return status;
}

/** Generates bills on demand from the recorded orders/refunds and serves them by token. */
export class Bills {
  private readonly downloads = new Map<string, Download>();

  constructor(
    private readonly source: BillSource,
    private readonly clock: VirtualClock,
    private readonly publicUrl: () => string,
  ) {}

  /** GET /v3/bill/tradebill?bill_date=&bill_type=ALL|SUCCESS|REFUND&tar_type=GZIP[&sub_mchid=]. */
  tradeBill(call: ApiCall): ApiResult {
    const date = this.billDate(call);
    const billType = call.query.get('bill_type') ?? 'ALL';
    if (!['ALL', 'SUCCESS', 'REFUND'].includes(billType)) {
      throw paramError('/bill_type', '账单类型bill_type只能是ALL、SUCCESS或REFUND', 'query');
    }
    const gzip = this.tarType(call);
    const subMchid = call.query.get('sub_mchid') ?? undefined;
    const from = beijingMidnight(date) ?? 0;
    const to = from + DAY;
    const mine = (o: { mchid: string; subMchid?: string }): boolean =>
      o.mchid === call.merchant.mchid && (subMchid === undefined || o.subMchid === subMchid);
    const orders = this.source.allOrders().filter(mine);
    const byKey = new Map(orders.map((o) => [o.key, o]));
    const paid = orders
      .filter((o) => o.successAt !== undefined && o.successAt >= from && o.successAt < to)
      .sort((a, b) => (a.successAt ?? 0) - (b.successAt ?? 0));
    // As WeChat's bill: a refund is listed on the day it was ACCEPTED, in whatever status it had when the day's bill
    // was cut (a snapshot that later days never update), not on the day it succeeded.
    const refunds = this.source
      .allRefunds()
      .filter((r) => mine(r) && r.createdAt >= from && r.createdAt < to)
      .sort((a, b) => a.createdAt - b.createdAt);

    const rows: string[] = [];
    let settled = 0;
    let refunded = 0;
    let fees = 0;
    let ordered = 0;
    let count = 0;
    if (billType !== 'REFUND') {
      for (const o of paid) {
        const fee = feeFen(o.totalFen);
        settled += o.totalFen;
        ordered += o.totalFen;
        fees += fee;
        count += 1;
        rows.push(
          row([
            formatBeijingDateTime(o.successAt ?? 0),
            o.appid,
            o.mchid,
            o.subMchid ?? '0',
            '',
            o.transactionId ?? '',
            o.outTradeNo,
            o.openid ?? o.subOpenid ?? o.spOpenid ?? '',
            o.tradeType,
            'SUCCESS',
            o.bankType ?? 'OTHERS',
            'CNY',
            yuan(o.totalFen),
            '0.00',
            '0',
            '0',
            '0.00',
            '0.00',
            '',
            '',
            o.description,
            o.attach ?? '',
            yuan(fee),
            '0.60%',
            yuan(o.totalFen),
            '0.00',
            '',
          ]),
        );
      }
    }
    if (billType !== 'SUCCESS') {
      for (const r of refunds) {
        const o = byKey.get(r.orderKey);
        const fee = -feeFen(r.refundFen);
        refunded += r.refundFen;
        fees += fee;
        count += 1;
        rows.push(
          row([
            formatBeijingDateTime(r.createdAt),
            o?.appid ?? '',
            r.mchid,
            r.subMchid ?? '0',
            '',
            r.transactionId,
            r.outTradeNo,
            o?.openid ?? o?.subOpenid ?? o?.spOpenid ?? '',
            o?.tradeType ?? '',
            'REFUND',
            o?.bankType ?? 'OTHERS',
            'CNY',
            '0.00',
            '0.00',
            r.refundId,
            r.outRefundNo,
            yuan(r.refundFen),
            '0.00',
            'ORIGINAL',
            BILL_REFUND_STATUS[statusAt(r, to)],
            o?.description ?? '',
            o?.attach ?? '',
            yuan(fee),
            '0.60%',
            '0.00',
            yuan(r.refundFen),
            '',
          ]),
        );
      }
    }
    if (rows.length === 0) throw noStatement(date);
    const body = csv(
      [
        '交易时间',
        '公众账号ID',
        '商户号',
        '特约商户号',
        '设备号',
        '微信订单号',
        '商户订单号',
        '用户标识',
        '交易类型',
        '交易状态',
        '付款银行',
        '货币种类',
        '应结订单金额',
        '代金券金额',
        '微信退款单号',
        '商户退款单号',
        '退款金额',
        '充值券退款金额',
        '退款类型',
        '退款状态',
        '商品名称',
        '商户数据包',
        '手续费',
        '费率',
        '订单金额',
        '申请退款金额',
        '费率备注',
      ],
      rows,
      [
        '总交易单数',
        '应结订单总金额',
        '退款总金额',
        '充值券退款总金额',
        '手续费总金额',
        '订单总金额',
        '申请退款总金额',
      ],
      row([count, yuan(settled), yuan(refunded), '0.00', yuan(fees), yuan(ordered), yuan(refunded)]),
    );
    return this.offer(call.merchant.mchid, body, gzip);
  }

  /** GET /v3/bill/fundflowbill?bill_date=&account_type=BASIC&tar_type=GZIP: income and refunds of the basic account. */
  fundFlowBill(call: ApiCall): ApiResult {
    const date = this.billDate(call);
    const account = call.query.get('account_type') ?? 'BASIC';
    if (!['BASIC', 'OPERATION', 'FEES'].includes(account)) {
      throw paramError('/account_type', '资金账户类型account_type只能是BASIC、OPERATION或FEES', 'query');
    }
    const gzip = this.tarType(call);
    if (account !== 'BASIC') throw noStatement(date);
    const from = beijingMidnight(date) ?? 0;
    const to = from + DAY;
    type Entry = {
      at: number;
      id: string;
      flowId: string;
      name: string;
      type: string;
      amountFen: number;
      ref: string;
    };
    const entries: Entry[] = [];
    for (const o of this.source.allOrders()) {
      if (o.mchid !== call.merchant.mchid || o.successAt === undefined || o.transactionId === undefined)
        continue;
      entries.push({
        at: o.successAt,
        id: o.transactionId,
        flowId: `${o.transactionId.slice(-10)}1`,
        name: '交易',
        type: '交易',
        amountFen: o.totalFen - feeFen(o.totalFen),
        ref: o.outTradeNo,
      });
    }
    for (const r of this.source.allRefunds()) {
      if (r.mchid !== call.merchant.mchid || r.status !== 'SUCCESS' || r.successAt === undefined) continue;
      entries.push({
        at: r.successAt,
        id: r.refundId,
        flowId: `${r.refundId.slice(-10)}2`,
        name: '退款',
        type: '退款',
        amountFen: -(r.refundFen - feeFen(r.refundFen)),
        ref: r.outRefundNo,
      });
    }
    entries.sort((a, b) => a.at - b.at); // stable: ties keep creation order
    let balance = 0;
    const rows: string[] = [];
    let income = 0;
    let incomeCount = 0;
    let expense = 0;
    let expenseCount = 0;
    for (const e of entries) {
      balance += e.amountFen;
      if (e.at < from || e.at >= to) continue;
      if (e.amountFen >= 0) {
        income += e.amountFen;
        incomeCount += 1;
      } else {
        expense += -e.amountFen;
        expenseCount += 1;
      }
      rows.push(
        row([
          formatBeijingDateTime(e.at),
          e.id,
          e.flowId,
          e.name,
          e.type,
          e.amountFen >= 0 ? '收入' : '支出',
          yuan(Math.abs(e.amountFen)),
          yuan(balance),
          'system',
          '',
          e.ref,
        ]),
      );
    }
    if (rows.length === 0) throw noStatement(date);
    const body = csv(
      [
        '记账时间',
        '微信支付业务单号',
        '资金流水单号',
        '业务名称',
        '业务类型',
        '收支类型',
        '收支金额(元)',
        '账户结余(元)',
        '资金变更提交申请人',
        '备注',
        '业务凭证号',
      ],
      rows,
      ['资金流水总笔数', '收入笔数', '收入金额', '支出笔数', '支出金额'],
      row([incomeCount + expenseCount, incomeCount, yuan(income), expenseCount, yuan(expense)]),
    );
    return this.offer(call.merchant.mchid, body, gzip);
  }

  /** The bytes for GET /v3/billdownload/file?token= (unsigned), or a WeChat error. */
  download(call: ApiCall): { body: Buffer; contentType: string } {
    const token = call.query.get('token') ?? '';
    const d = this.downloads.get(token);
    if (!d || d.expiresRealMs < Date.now()) {
      this.downloads.delete(token);
      throw new WxError(400, 'INVALID_REQUEST', '下载链接已过期或无效，请重新申请账单');
    }
    if (d.mchid !== call.merchant.mchid) throw new WxError(403, 'NO_AUTH', '无权下载该账单');
    return { body: d.body, contentType: d.gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8' };
  }

  private offer(mchid: string, csvBody: Buffer, gzip: boolean): ApiResult {
    this.prune();
    const token = randomAlnum(40);
    const body = gzip ? gzipSync(csvBody) : csvBody;
    this.downloads.set(token, { mchid, body, gzip, expiresRealMs: Date.now() + TOKEN_TTL_REAL_MS });
    return {
      status: 200,
      json: {
        hash_type: 'SHA1',
        hash_value: createHash('sha1').update(csvBody).digest('hex'),
        download_url: `${this.publicUrl()}/v3/billdownload/file?token=${token}`,
      },
    };
  }

  private billDate(call: ApiCall): string {
    const date = call.query.get('bill_date');
    if (!date) throw paramError('/bill_date', '账单日期bill_date必填', 'query');
    const midnight = beijingMidnight(date);
    if (midnight === undefined) throw paramError('/bill_date', '账单日期格式错误，应为YYYY-MM-DD', 'query');
    const now = this.clock.now();
    const today = beijingDate(now);
    if (date >= today) throw new WxError(400, 'INVALID_REQUEST', '账单日期只能是今天以前的日期');
    if (now < midnight + READY_AFTER_MIDNIGHT_MS) {
      throw new WxError(400, 'STATEMENT_CREATING', '账单生成中，请在次日10点后再申请');
    }
    if (now - midnight > KEEP_DAYS * DAY)
      throw new WxError(400, 'NO_STATEMENT_EXIST', '账单只保留三个月，该日期的账单已不存在');
    return date;
  }

  private tarType(call: ApiCall): boolean {
    const tar = call.query.get('tar_type');
    if (tar !== null && tar !== 'GZIP')
      throw paramError('/tar_type', '压缩类型tar_type只能是GZIP或不传', 'query');
    return tar === 'GZIP';
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, d] of this.downloads) if (d.expiresRealMs < now) this.downloads.delete(k);
  }
}

function noStatement(date: string): WxError {
  return new WxError(400, 'NO_STATEMENT_EXIST', `${date} 没有交易或资金变动，账单不存在`);
}
