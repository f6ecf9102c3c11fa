// The TradeManagement port over wx-server-sdk's cloud call (`cloud.openapi`): WeChat's 发货信息管理 without an
// access_token, authenticated by the calling function's environment. The function's config.json must list the three
// APIs under permissions.openapi; a just-deployed permission can be refused for ~10 minutes (-604101).
//
// What WeChat's pages say (developers.weixin.qq.com/miniprogram/dev/server/API/order_shipping/, read through the
// docs search; "出入参和 HTTPS 调用相同" on each page, i.e. the cloud call takes and answers WeChat's snake_case bodies):
//   api_uploadshippinginfo  cloud call `wxa.sec.order.uploadShippingInfo`; body {order_key, logistics_type,
//                           delivery_mode, is_all_delivered?, shipping_list[1..15], upload_time, payer} → {errcode, errmsg}
//   api_getorder            cloud call `wxa.sec.order.getOrder`; body FLAT (no order_key): {transaction_id} or
//                           {merchant_id, merchant_trade_no} (+ sub_merchant_id, 二级商户号) → {errcode, errmsg, order:
//                           {transaction_id, merchant_id, sub_merchant_id, merchant_trade_no, description, paid_amount,
//                           openid, trade_create_time, pay_time, in_complaint, order_state, shipping: {…,
//                           finish_shipping_count}}}
//   api_istrademanaged      cloud call `wxa.sec.order.isTradeManaged`; body {appid} → {errcode, errmsg, is_trade_managed}
// The SDK reports failures either as an answer with a non-zero errcode or by rejecting with {errCode, errMsg} (e.g.
// -604101 no permission yet, -501xxx no answer); both become TradeManagementError (-1 when nothing usable came back).
import {
  TradeErrcodes,
  TradeManagementError,
  type TradeManagement,
  type TradeOrderInfo,
  type TradeOrderKey,
  type TradeOrderState,
  type UploadShippingInfoRequest,
} from '../../application/ports/trade-management.port';

type Call = (body: Record<string, unknown>) => Promise<unknown>;

/** The three cloud-call methods this adapter uses, as wx-server-sdk exposes them under `cloud.openapi`. */
export interface TradeOpenApi {
  wxa: {
    sec: {
      order: {
        uploadShippingInfo: Call;
        getOrder: Call;
        isTradeManaged: Call;
      };
    };
  };
}

/** Options of {@link CloudTradeManagement}. */
export interface CloudTradeManagementOptions {
  /** `cloud.openapi` of wx-server-sdk (untyped there; checked here on use). */
  openapi: unknown;
  /** The mini program's appid (is_trade_managed asks about one appid). */
  appid: string;
}

const ORDER_STATES: readonly number[] = [1, 2, 3, 4, 5, 6];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberField(o: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = o[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

function stringField(o: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = o[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** The get_order body for a port key: WeChat's flat fields, not the upload's order_key object. */
export function getOrderBody(key: TradeOrderKey): Record<string, string> {
  return key.order_number_type === 2
    ? { transaction_id: key.transaction_id }
    : { merchant_id: key.mchid, merchant_trade_no: key.out_trade_no };
}

/** {@link TradeManagement} through `cloud.openapi.wxa.sec.order.*`. */
export class CloudTradeManagement implements TradeManagement {
  constructor(private readonly o: CloudTradeManagementOptions) {}

  async isTradeManaged(): Promise<boolean> {
    const answer = await this.call('isTradeManaged', { appid: this.o.appid });
    const v = answer['is_trade_managed'];
    if (typeof v !== 'boolean')
      throw new TradeManagementError(
        TradeErrcodes.NO_ANSWER,
        'answer without is_trade_managed',
        'isTradeManaged',
      );
    return v;
  }

  async uploadShippingInfo(request: UploadShippingInfoRequest): Promise<void> {
    // The port's request is WeChat's own body: passed through as is (a copy, so nothing downstream can mutate ours).
    await this.call('uploadShippingInfo', structuredClone(request) as unknown as Record<string, unknown>);
  }

  async getOrder(key: TradeOrderKey): Promise<TradeOrderInfo> {
    const answer = await this.call('getOrder', getOrderBody(key));
    const order = answer['order'];
    const bad = (what: string): TradeManagementError =>
      new TradeManagementError(TradeErrcodes.NO_ANSWER, `get_order answer ${what}`, 'getOrder');
    if (!isRecord(order)) throw bad('has no order');
    const state = numberField(order, 'order_state');
    if (state === undefined || !ORDER_STATES.includes(state))
      throw bad(`has an unknown order_state ${String(order['order_state'])}`);
    const transactionId = stringField(order, 'transaction_id');
    if (transactionId === undefined) throw bad('has no transaction_id');
    const shipping = isRecord(order['shipping']) ? order['shipping'] : {};
    return {
      orderState: state as TradeOrderState,
      transactionId,
      uploadCount: numberField(shipping, 'finish_shipping_count') ?? 0,
      payerOpenid: stringField(order, 'openid') ?? '',
    };
  }

  private method(name: keyof TradeOpenApi['wxa']['sec']['order']): Call {
    const api = this.o.openapi as Partial<TradeOpenApi> | undefined;
    const fn = api?.wxa?.sec?.order?.[name];
    if (typeof fn !== 'function')
      throw new TradeManagementError(
        TradeErrcodes.NO_ANSWER,
        `cloud.openapi.wxa.sec.order.${name} is not available in this runtime`,
        name,
      );
    return fn;
  }

  private async call(name: keyof TradeOpenApi['wxa']['sec']['order'], body: Record<string, unknown>) {
    const fn = this.method(name);
    let answer: unknown;
    try {
      answer = await fn(body);
    } catch (e) {
      throw fromThrown(e, name);
    }
    if (!isRecord(answer))
      throw new TradeManagementError(TradeErrcodes.NO_ANSWER, 'the cloud call answered no object', name);
    // WeChat's body says errcode; the SDK's envelope may say errCode (0 with errMsg "...:ok") as well.
    const code = numberField(answer, 'errcode') ?? numberField(answer, 'errCode') ?? 0;
    if (code !== 0) {
      throw new TradeManagementError(code, stringField(answer, 'errmsg', 'errMsg') ?? 'refused', name);
    }
    return answer;
  }
}

function fromThrown(e: unknown, operation: string): TradeManagementError {
  if (e instanceof TradeManagementError) return e;
  if (isRecord(e) || e instanceof Error) {
    const r = e as unknown as Record<string, unknown>;
    const code = numberField(r, 'errCode', 'errcode');
    const msg = stringField(r, 'errMsg', 'errmsg') ?? (e instanceof Error ? e.message : undefined);
    if (code !== undefined && code !== 0) return new TradeManagementError(code, msg ?? 'failed', operation);
    return new TradeManagementError(TradeErrcodes.NO_ANSWER, msg ?? 'the cloud call failed', operation);
  }
  return new TradeManagementError(TradeErrcodes.NO_ANSWER, String(e), operation);
}
