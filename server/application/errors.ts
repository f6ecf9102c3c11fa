import { DomainError } from '../domain/errors';

/** Stable codes raised by use cases (domain codes live in server/domain/errors.ts). Never rename, only add. */
export const AppErrorCodes = {
  REQUEST_INVALID: 'REQUEST.INVALID',
  CART_BUSY: 'CART.BUSY',
  ORDER_NOT_FOUND: 'ORDER.NOT_FOUND',
  ORDER_BUSY: 'ORDER.BUSY',
  ORDER_NOT_CANCELLABLE: 'ORDER.NOT_CANCELLABLE',
  ORDER_ALREADY_PAID: 'ORDER.ALREADY_PAID',
  ORDER_PAYMENT_UNCONFIRMED: 'ORDER.PAYMENT_UNCONFIRMED',
  ORDER_EXPIRED: 'ORDER.EXPIRED',
  ORDER_NOT_PAYABLE: 'ORDER.NOT_PAYABLE',
  ORDER_PRICE_CHANGED: 'ORDER.PRICE_CHANGED',
  ORDER_STILL_PAYABLE: 'ORDER.STILL_PAYABLE',
  REFUND_NOT_FOUND: 'REFUND.NOT_FOUND',
  REFUND_NOT_ALLOWED: 'REFUND.NOT_ALLOWED',
  REFUND_RETRY_UNSUPPORTED: 'REFUND.RETRY_UNSUPPORTED',
  PAYMENT_MISMATCH: 'PAYMENT.MISMATCH',
  NOT_SIMULATED: 'PAYMENT.NOT_SIMULATED',
  FORBIDDEN: 'AUTH.FORBIDDEN',
} as const;

/** A request field is missing or malformed: names the field, never echoes large or secret values. */
export function invalidRequest(field: string, expectation: string): DomainError {
  return new DomainError(AppErrorCodes.REQUEST_INVALID, `${field} must be ${expectation}`, { field });
}
