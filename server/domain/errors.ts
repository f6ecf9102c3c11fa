/**
 * Stable error codes. A code is a contract with clients and dashboards: never rename one, only add.
 * Format: AREA.REASON in upper snake case.
 */
export const ErrorCodes = {
  MONEY_NOT_INTEGER: 'MONEY.NOT_INTEGER',
  MONEY_NEGATIVE: 'MONEY.NEGATIVE',
  MONEY_NOT_POSITIVE: 'MONEY.NOT_POSITIVE',
  MONEY_OVERFLOW: 'MONEY.OVERFLOW',
  MONEY_BAD_YUAN: 'MONEY.BAD_YUAN',
  MONEY_BAD_WEIGHTS: 'MONEY.BAD_WEIGHTS',

  CATALOG_INVALID: 'CATALOG.INVALID',

  CART_QUANTITY_INVALID: 'CART.QUANTITY_INVALID',
  CART_QUANTITY_LIMIT: 'CART.QUANTITY_LIMIT',
  CART_UNKNOWN_SKU: 'CART.UNKNOWN_SKU',
  CART_SKU_OFF_SALE: 'CART.SKU_OFF_SALE',
  CART_OUT_OF_STOCK: 'CART.OUT_OF_STOCK',
  CART_TOO_MANY_LINES: 'CART.TOO_MANY_LINES',
  CART_LINE_NOT_FOUND: 'CART.LINE_NOT_FOUND',

  ORDER_EMPTY: 'ORDER.EMPTY',
  ORDER_LINES_INVALID: 'ORDER.LINES_INVALID',
  ORDER_DUPLICATE_LINE: 'ORDER.DUPLICATE_LINE',
  ORDER_TOO_MANY_LINES: 'ORDER.TOO_MANY_LINES',
  ORDER_QUANTITY_INVALID: 'ORDER.QUANTITY_INVALID',
  ORDER_QUANTITY_LIMIT: 'ORDER.QUANTITY_LIMIT',
  ORDER_UNKNOWN_SKU: 'ORDER.UNKNOWN_SKU',
  ORDER_SKU_OFF_SALE: 'ORDER.SKU_OFF_SALE',
  ORDER_OUT_OF_STOCK: 'ORDER.OUT_OF_STOCK',
  ORDER_ILLEGAL_TRANSITION: 'ORDER.ILLEGAL_TRANSITION',
  ORDER_UNKNOWN_STATE: 'ORDER.UNKNOWN_STATE',
  ORDER_NOT_PAYABLE: 'ORDER.NOT_PAYABLE',

  REFUND_AMOUNT_INVALID: 'REFUND.AMOUNT_INVALID',
  REFUND_EXCEEDS_REFUNDABLE: 'REFUND.EXCEEDS_REFUNDABLE',
  REFUND_LEDGER_INCONSISTENT: 'REFUND.LEDGER_INCONSISTENT',
  REFUND_ILLEGAL_TRANSITION: 'REFUND.ILLEGAL_TRANSITION',
  REFUND_UNKNOWN_STATUS: 'REFUND.UNKNOWN_STATUS',
  REFUND_WINDOW_EXPIRED: 'REFUND.WINDOW_EXPIRED',

  IDS_BAD_OUT_TRADE_NO: 'IDS.BAD_OUT_TRADE_NO',
  IDS_BAD_OUT_REFUND_NO: 'IDS.BAD_OUT_REFUND_NO',
  IDS_BAD_RANDOM: 'IDS.BAD_RANDOM',

  TIME_INVALID: 'TIME.INVALID',

  RECONCILE_INVALID_INPUT: 'RECONCILE.INVALID_INPUT',
} as const;

/** One of the stable codes above. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A domain rule was broken; `code` is stable, `message` is for humans and never carries secrets. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** True when `e` is a DomainError, optionally with the given code. */
export function isDomainError(e: unknown, code?: string): e is DomainError {
  return e instanceof DomainError && (code === undefined || e.code === code);
}
