// WeChat Pay API v2 as cloudPay speaks it: the format rules of a request, Beijing "compact" times, and the answer
// shapes (success / returnCode FAIL / resultCode FAIL, signed with the v2 key; the payment object for
// wx.requestPayment; the callback event).
import { randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { md5Sign } from './md5-sign';
import { cloudCallError } from '../sdk/cloud-call';
import type { LocalCloudPayIdentity } from './types';

export type Params = Readonly<Record<string, unknown>>;
export type AnswerFields = Record<string, unknown>;

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*@]{1,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
const COMPACT_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const BEIJING_MS = 8 * 3600_000;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function beijingParts(ms: number): [string, string, string, string, string, string] {
  const d = new Date(ms + BEIJING_MS);
  return [
    pad(d.getUTCFullYear(), 4),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    pad(d.getUTCHours()),
    pad(d.getUTCMinutes()),
    pad(d.getUTCSeconds()),
  ];
}

/** "yyyyMMddHHmmss" in Beijing time (v2 time_end / time_expire). */
export function beijingCompact(ms: number): string {
  return beijingParts(ms).join('');
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time (v2 refund_success_time). */
export function beijingSpaced(ms: number): string {
  const [y, mo, d, h, mi, s] = beijingParts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

/** Epoch ms of a "yyyyMMddHHmmss" Beijing time; undefined unless it names a real moment. */
export function parseCompact(text: string): number | undefined {
  const m = COMPACT_TIME.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5]) - BEIJING_MS;
  return beijingCompact(ms) === text ? ms : undefined;
}

export function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

function randomNonce(): string {
  return randomBytes(16).toString('hex');
}

function chars(s: string): number {
  return [...s].length;
}

export function isRecord(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How the SDK rejects a call (errCode and errMsg on the Error, errMsg "cloudPay.<method>:fail …"). */
export function sdkReject(
  method: string,
  errCode: number,
  message: string,
): Error & { errCode: number; errMsg: string } {
  return cloudCallError(`cloudPay.${method}`, errCode, message);
}

type Rules = Readonly<Record<string, (v: unknown) => boolean>>;

// The first field whose value breaks its rule, described for returnMsg (production only says "参数格式校验错误").
function formatProblem(p: Params, rules: Rules): string | undefined {
  for (const [field, ok] of Object.entries(rules)) {
    if (!ok(p[field])) return `${field} 格式错误`;
  }
  return undefined;
}

const isFee = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isNonce = (v: unknown): boolean => typeof v === 'string' && v.length <= 32;

/** unifiedOrder's format rules, in the order they are checked. */
export function unifiedOrderProblem(p: Params): string | undefined {
  return formatProblem(p, {
    body: (v) => typeof v === 'string' && chars(v) >= 1 && chars(v) <= 128,
    outTradeNo: (v) => typeof v === 'string' && OUT_TRADE_NO.test(v),
    spbillCreateIp: (v) => typeof v === 'string' && isIP(v) !== 0,
    totalFee: isFee,
    envId: (v) => typeof v === 'string' && v.length <= 64,
    functionName: (v) => typeof v === 'string' && FUNCTION_NAME.test(v),
    nonceStr: isNonce,
    tradeType: (v) => v === undefined || v === 'JSAPI',
    attach: (v) => v === undefined || (typeof v === 'string' && chars(v) <= 127),
    subOpenid: (v) => v === undefined || (typeof v === 'string' && v.length <= 128),
    openid: (v) => v === undefined || (typeof v === 'string' && v.length <= 128),
    feeType: (v) => v === undefined || v === 'CNY',
    timeExpire: (v) => v === undefined || (typeof v === 'string' && parseCompact(v) !== undefined),
  });
}

/** refund's format rules, in the order they are checked. */
export function refundProblem(p: Params): string | undefined {
  return formatProblem(p, {
    outRefundNo: (v) => typeof v === 'string' && OUT_REFUND_NO.test(v),
    totalFee: isFee,
    refundFee: isFee,
    refundDesc: (v) => v === undefined || (typeof v === 'string' && chars(v) <= 80),
    functionName: (v) => v === undefined || (typeof v === 'string' && FUNCTION_NAME.test(v)),
    nonceStr: isNonce,
  });
}

/** The answers of the stand-in, from who it is and the v2 key that signs them. */
export class V2Answers {
  constructor(
    private readonly identity: LocalCloudPayIdentity,
    private readonly mchKey: string,
  ) {}

  /** The communication-level and business success header every answer (and the callback) carries. */
  success(): AnswerFields {
    return { returnCode: 'SUCCESS', returnMsg: 'OK', ...this.parties(), resultCode: 'SUCCESS' };
  }

  returnFail(returnMsg: string): AnswerFields {
    return { returnCode: 'FAIL', returnMsg };
  }

  resultFail(code: string, des: string): AnswerFields {
    return { ...this.success(), resultCode: 'FAIL', errCode: code, errCodeDes: des };
  }

  /** LACK_PARAMS for the first of `fields` that is missing or empty. */
  lacking(p: Params, fields: readonly string[]): AnswerFields | undefined {
    const missing = fields.find((f) => p[f] === undefined || p[f] === null || p[f] === '');
    return missing === undefined ? undefined : this.resultFail('LACK_PARAMS', `缺少参数 ${missing}`);
  }

  /** returnCode FAIL unless the request names the bound sub-merchant (and, if any, the mini program's appid). */
  binding(p: Params): AnswerFields | undefined {
    if (p.subMchId !== this.identity.subMchId) return this.returnFail('受理关系不存在');
    if (p.subAppid !== undefined && p.subAppid !== this.identity.appid)
      return this.returnFail('sub_mch_id与sub_appid不匹配');
    return undefined;
  }

  /** The SDK's envelope: errCode / errMsg, and v2's sign over answers that passed the communication level. */
  finish(method: string, answer: AnswerFields): AnswerFields {
    const errMsg = `cloudPay.${method}:ok`;
    // v2 signs only answers that passed the communication level; the nested payment object is never signed.
    if (answer.returnCode === 'FAIL') return { errCode: 0, errMsg, ...answer };
    const { payment: _payment, ...flat } = answer;
    return { ...answer, sign: md5Sign(flat, this.mchKey), errCode: answer.errCode ?? 0, errMsg };
  }

  /** The parameters wx.requestPayment takes, paySign by v2's MD5 rule. */
  payment(prepayId: string, now: number): AnswerFields {
    const unsigned = {
      appId: this.identity.appid,
      timeStamp: String(Math.floor(now / 1000)),
      nonceStr: randomNonce(),
      package: `prepay_id=${prepayId}`,
      signType: 'MD5',
    };
    return { ...unsigned, paySign: md5Sign(unsigned, this.mchKey) };
  }

  /** Whether `paySign` is what wx.requestPayment's parameters must carry for the mini program's appid. */
  paySignMatches(params: {
    timeStamp: string;
    nonceStr: string;
    package: string;
    signType: string;
    paySign: string;
  }): boolean {
    const expected = md5Sign(
      {
        appId: this.identity.appid,
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
      },
      this.mchKey,
    );
    return params.signType === 'MD5' && params.paySign === expected;
  }

  private parties(): AnswerFields {
    const { appid, mchId, subMchId } = this.identity;
    return { appid, mchId, subAppid: appid, subMchId, nonceStr: randomNonce() };
  }

  // The event the callback function receives: v2's payment notification fields, camelCased (documented sample).
  callbackEvent(
    rec: PaidOrderFields & { outTradeNo: string; attach: string | null },
  ): Record<string, unknown> {
    return {
      returnCode: 'SUCCESS',
      ...this.parties(),
      resultCode: 'SUCCESS',
      ...(rec.subOpenid !== null ? { subOpenid: rec.subOpenid, subIsSubscribe: 'N' } : {}),
      ...(rec.openid !== null ? { openid: rec.openid } : {}),
      ...paymentFields(rec),
      outTradeNo: rec.outTradeNo,
      ...(rec.attach !== null ? { attach: rec.attach } : {}),
      timeEnd: rec.timeEnd,
    };
  }
}

/** What a paid order tells about its payment. */
export interface PaidOrderFields {
  openid: string | null;
  subOpenid: string | null;
  totalFee: number;
  transactionId: string | null;
  timeEnd: string | null;
}

function paymentFields(rec: PaidOrderFields): AnswerFields {
  return {
    isSubscribe: 'N',
    tradeType: 'JSAPI',
    bankType: 'OTHERS',
    totalFee: rec.totalFee,
    feeType: 'CNY',
    cashFee: rec.totalFee,
    transactionId: rec.transactionId,
  };
}

/** orderquery's payment fields of a paid order. */
export function paidFields(rec: PaidOrderFields): AnswerFields {
  return {
    ...(rec.openid !== null ? { openid: rec.openid } : {}),
    ...(rec.subOpenid !== null ? { subOpenid: rec.subOpenid } : {}),
    ...paymentFields(rec),
    timeEnd: rec.timeEnd,
  };
}
