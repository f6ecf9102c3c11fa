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
} as const;

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
