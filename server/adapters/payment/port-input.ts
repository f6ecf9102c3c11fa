// Checks of the PaymentProvider port's inputs that every payment adapter makes the same way, before anything is signed
// or sent; a refusal is ProviderError INVALID_ARGUMENT (fatal). The shapes come from domain/ids.ts.
import type { PaymentState } from '../../application/ports/payment-provider.port';
import { ProviderError, ProviderErrorCodes } from '../../application/ports/payment-provider.errors';
import { OPENID_PATTERN, OUT_REFUND_NO_PATTERN, OUT_TRADE_NO_PATTERN } from '../../domain/ids';
import type { Fen } from '../../domain/money';
import { fen } from '../../domain/money';

/** Every trade_state the port knows (WeChat's, in v2 and v3 alike). */
export const PAYMENT_STATES: readonly PaymentState[] = [
  'SUCCESS',
  'REFUND',
  'NOTPAY',
  'CLOSED',
  'REVOKED',
  'USERPAYING',
  'PAYERROR',
];

/** Throws ProviderError INVALID_ARGUMENT for `operation` saying what is wrong. */
export function invalid(operation: string, problem: string): never {
  throw new ProviderError(ProviderErrorCodes.INVALID_ARGUMENT, `${operation}: ${problem}`, 'fatal', {
    operation,
  });
}

/** Length in characters as WeChat counts them (code points, not UTF-16 units). */
export function charCount(s: string): number {
  return [...s].length;
}

/** outTradeNo: 6–32 of [0-9A-Za-z_-|*]. */
export function checkOutTradeNo(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OUT_TRADE_NO_PATTERN.test(v))
    invalid(operation, 'outTradeNo must be 6–32 of [0-9A-Za-z_-|*]');
  return v;
}

/** outRefundNo: 1–64 of [0-9A-Za-z_-|*@]. */
export function checkOutRefundNo(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OUT_REFUND_NO_PATTERN.test(v))
    invalid(operation, 'outRefundNo must be 1–64 of [0-9A-Za-z_-|*@]');
  return v;
}

/** A whole number of fen, at least `min`. */
export function checkFen(operation: string, name: string, v: unknown, min: number): Fen {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    invalid(operation, `${name} must be an integer number of fen ≥ ${min}`);
  }
  return fen(v);
}

/** An openid as WeChat issues them. */
export function checkOpenid(operation: string, v: unknown): string {
  if (typeof v !== 'string' || !OPENID_PATTERN.test(v))
    invalid(operation, 'payerOpenid must be an openid (1–128 of [0-9A-Za-z_-])');
  return v;
}
