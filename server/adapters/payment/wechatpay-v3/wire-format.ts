// WeChat Pay's JSON → the port's types. Every field is checked; money stays integer fen, times become epoch ms.
import type {
  PaymentState,
  PaymentTransaction,
  Refund,
  RefundStatus,
} from '../../../application/ports/payment-provider.port';
import type { Fen } from '../../../domain/money';
import { fen } from '../../../domain/money';
import { PAYMENT_STATES } from '../port-input';

/** A WeChat document lacks a field or has one of the wrong kind; `path` says which. */
export class MalformedError extends Error {
  override readonly name = 'MalformedError';
  constructor(readonly path: string) {
    super(`${path} is missing or malformed`);
  }
}

type Rec = Readonly<Record<string, unknown>>;

/** `v` as a plain object, or MalformedError naming `path`. */
export function asRecord(v: unknown, path: string): Rec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedError(path);
  return v as Rec;
}

/** A non-empty string field. */
export function str(rec: Rec, key: string, path: string): string {
  const v = rec[key];
  if (typeof v !== 'string' || v === '') throw new MalformedError(`${path}.${key}`);
  return v;
}

/** An optional string field ('' counts as absent). */
export function optStr(rec: Rec, key: string, path: string): string | undefined {
  const v = rec[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new MalformedError(`${path}.${key}`);
  return v;
}

function fenField(rec: Rec, key: string, path: string, min: number): Fen {
  const v = rec[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new MalformedError(`${path}.${key}`);
  return fen(v);
}

function optFenField(rec: Rec, key: string, path: string): Fen | undefined {
  return rec[key] === undefined || rec[key] === null ? undefined : fenField(rec, key, path, 0);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time as WeChat prints it ("2026-11-23T10:34:56+08:00") into epoch ms. */
export function parseRfc3339(text: string, path: string): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new MalformedError(path);
  return ms;
}

function optTime(rec: Rec, key: string, path: string): number | undefined {
  const v = optStr(rec, key, path);
  return v === undefined ? undefined : parseRfc3339(v, `${path}.${key}`);
}

const REFUND_STATUSES: readonly RefundStatus[] = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'];

function checkCurrency(amount: Rec, path: string): void {
  const c = optStr(amount, 'currency', path);
  if (c !== undefined && c !== 'CNY') throw new MalformedError(`${path}.currency`);
}

/** A transaction document (query answer or decrypted notification) in direct or partner shape. */
export function normaliseTransaction(json: unknown, mode: 'direct' | 'partner'): PaymentTransaction {
  const p = 'transaction';
  const t = asRecord(json, p);
  const state = str(t, 'trade_state', p);
  if (!(PAYMENT_STATES as readonly string[]).includes(state)) throw new MalformedError(`${p}.trade_state`);
  const amount = asRecord(t['amount'], `${p}.amount`);
  checkCurrency(amount, `${p}.amount`);
  const payer = t['payer'] === undefined || t['payer'] === null ? {} : asRecord(t['payer'], `${p}.payer`);
  const transactionId = optStr(t, 'transaction_id', p);
  const successTimeMs = optTime(t, 'success_time', p);
  if (state === 'SUCCESS' && (transactionId === undefined || successTimeMs === undefined)) {
    throw new MalformedError(`${p}.transaction_id/success_time (required when trade_state is SUCCESS)`);
  }
  const payerTotalFen = optFenField(amount, 'payer_total', `${p}.amount`);
  const attach = optStr(t, 'attach', p);
  const tradeType = optStr(t, 'trade_type', p);
  const common = {
    outTradeNo: str(t, 'out_trade_no', p),
    state: state as PaymentState,
    chargedFen: fenField(amount, 'total', `${p}.amount`, 1),
    ...(transactionId === undefined ? {} : { transactionId }),
    ...(payerTotalFen === undefined ? {} : { payerTotalFen }),
    ...(successTimeMs === undefined ? {} : { successTimeMs }),
    ...(attach === undefined ? {} : { attach }),
    ...(tradeType === undefined ? {} : { tradeType }),
  };
  if (mode === 'direct') {
    const openid = optStr(payer, 'openid', `${p}.payer`);
    return {
      ...common,
      appid: str(t, 'appid', p),
      mchid: str(t, 'mchid', p),
      ...(openid === undefined ? {} : { payerOpenid: openid }),
    };
  }
  const subAppid = optStr(t, 'sub_appid', p);
  const openid = optStr(payer, 'sub_openid', `${p}.payer`) ?? optStr(payer, 'sp_openid', `${p}.payer`);
  return {
    ...common,
    appid: str(t, 'sp_appid', p),
    mchid: str(t, 'sp_mchid', p),
    subMchid: str(t, 'sub_mchid', p),
    ...(subAppid === undefined ? {} : { subAppid }),
    ...(openid === undefined ? {} : { payerOpenid: openid }),
  };
}

/** A refund document: the create/query answer (`status`) or a decrypted notification (`refund_status`). */
export function normaliseRefund(json: unknown): Refund {
  const p = 'refund';
  const r = asRecord(json, p);
  const status = optStr(r, 'status', p) ?? str(r, 'refund_status', p);
  if (!(REFUND_STATUSES as readonly string[]).includes(status)) throw new MalformedError(`${p}.status`);
  const amount = asRecord(r['amount'], `${p}.amount`);
  checkCurrency(amount, `${p}.amount`);
  const refundFen = fenField(amount, 'refund', `${p}.amount`, 1);
  const paidFen = fenField(amount, 'total', `${p}.amount`, 1);
  if (refundFen > paidFen) throw new MalformedError(`${p}.amount.refund (more than total)`);
  const transactionId = optStr(r, 'transaction_id', p);
  const payerRefundFen = optFenField(amount, 'payer_refund', `${p}.amount`);
  const successTimeMs = optTime(r, 'success_time', p);
  const createTimeMs = optTime(r, 'create_time', p);
  const receivedAccount = optStr(r, 'user_received_account', p);
  return {
    outTradeNo: str(r, 'out_trade_no', p),
    outRefundNo: str(r, 'out_refund_no', p),
    refundId: str(r, 'refund_id', p),
    status: status as RefundStatus,
    refundFen,
    paidFen,
    ...(transactionId === undefined ? {} : { transactionId }),
    ...(payerRefundFen === undefined ? {} : { payerRefundFen }),
    ...(successTimeMs === undefined ? {} : { successTimeMs }),
    ...(createTimeMs === undefined ? {} : { createTimeMs }),
    ...(receivedAccount === undefined || receivedAccount === '' ? {} : { receivedAccount }),
  };
}
