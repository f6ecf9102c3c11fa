/** The one answer shape of every client-called cloud function. Type-only: shared by pages and functions. */
export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: ApiError };

/** A refusal or failure: `code` is stable (e.g. ORDER.NOT_PAYABLE), `message` is for people. */
export interface ApiError {
  code: string;
  message: string;
  /** True when the same request may simply be sent again later. */
  retryable?: boolean;
  /** Correlates with the function's logs. */
  requestId?: string;
  /**
   * Machine-readable facts about the refusal, per code as docs/API.md lists them (e.g. REFUND.EXCEEDS_REFUNDABLE →
   * `{requestedFen, refundableFen}`, ORDER.OUT_OF_STOCK → `{skuId, available}`). Plain JSON values only.
   */
  details?: ApiErrorDetails;
}

/** A JSON value as it crosses the function boundary. */
export type ApiJsonValue =
  string | number | boolean | null | ApiJsonValue[] | { [key: string]: ApiJsonValue };

/** The `details` of an {@link ApiError}. */
export type ApiErrorDetails = { [key: string]: ApiJsonValue };
