/** An error answered to the caller as WeChat's body `{code, message, detail?}` with an HTTP status. */
export class WxError extends Error {
  override readonly name = 'WxError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }

  /** The JSON body WeChat Pay answers for this error. */
  body(): Record<string, unknown> {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

/** 400 PARAM_ERROR for a body/query field, in WeChat's style (`detail.field` is a JSON pointer). */
export function paramError(
  field: string,
  message: string,
  location: 'body' | 'query' | 'uri_template' = 'body',
): WxError {
  return new WxError(400, 'PARAM_ERROR', message, { field, location });
}

/** Common WeChat errors, named by code. */
export const wx = {
  invalidRequest: (message: string): WxError => new WxError(400, 'INVALID_REQUEST', message),
  appidMchidNotMatch: (message = 'appid和mch_id不匹配'): WxError =>
    new WxError(400, 'APPID_MCHID_NOT_MATCH', message),
  mchNotExists: (message = '商户号不存在'): WxError => new WxError(400, 'MCH_NOT_EXISTS', message),
  orderClosed: (message = '订单已关闭'): WxError => new WxError(400, 'ORDER_CLOSED', message),
  signError: (message: string, detail?: Record<string, unknown>): WxError =>
    new WxError(401, 'SIGN_ERROR', message, detail),
  outTradeNoUsed: (message = '商户订单号重复'): WxError => new WxError(403, 'OUT_TRADE_NO_USED', message),
  noAuth: (message: string): WxError => new WxError(403, 'NO_AUTH', message),
  notEnough: (message: string): WxError => new WxError(403, 'NOT_ENOUGH', message),
  ruleLimit: (message: string): WxError => new WxError(403, 'RULE_LIMIT', message),
  tradeError: (message: string): WxError => new WxError(403, 'TRADE_ERROR', message),
  orderNotExist: (message = '订单不存在'): WxError => new WxError(404, 'ORDER_NOT_EXIST', message),
  resourceNotExists: (message: string): WxError => new WxError(404, 'RESOURCE_NOT_EXISTS', message),
  systemError: (message = '系统错误'): WxError => new WxError(500, 'SYSTEM_ERROR', message),
} as const;

/** An error of the simulator's own control API: `{error: {code, message}}` with an HTTP status. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
