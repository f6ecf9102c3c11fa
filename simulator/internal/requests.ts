// What the WeChat API routes hand the engine, and the checks that turn a request body into a validated request.
// Parsing throws WxError in the order production checks: field formats first, then the merchant binding.
import { isIP } from 'node:net';
import type { MerchantMode, OrderRecord, TradeType } from '../types';
import { parseRfc3339 } from './clock';
import { rsaOaepDecrypt } from './crypto';
import { paramError, wx, WxError } from './errors';
import { FieldReader, type JsonObject } from './fields';
import type { SimIdentity } from './identity';
import type { KnownMerchant } from './keys';
import { signersFor } from './keys';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DEFAULT_EXPIRE_MS = 7 * DAY;
const MIN_EXPIRE_MS = MINUTE;
const MAX_EXPIRE_MS = 90 * DAY;

export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

/** An authenticated WeChat API call as the routes hand it to the engine. */
export interface ApiCall {
  merchant: KnownMerchant;
  query: URLSearchParams;
  body: JsonObject;
  /** Wechatpay-Serial of the request (which platform key the caller can verify / encrypted with). */
  requestedSerial?: string;
}

/** Result of an API operation: a status and a JSON body (204 → no body). */
export interface ApiResult {
  status: number;
  json?: unknown;
  /** For the event log / fault scoping. */
  outTradeNo?: string;
  outRefundNo?: string;
}

/** Payment channel of a create-order endpoint. */
export type Channel = 'jsapi' | 'native' | 'h5' | 'app';

export const TRADE_TYPE: Record<Channel, TradeType> = {
  jsapi: 'JSAPI',
  native: 'NATIVE',
  h5: 'MWEB',
  app: 'APP',
};

/** Internal order key: `<mchid>|no` for direct, `<sp_mchid>/<sub_mchid>|no` for partner. */
export function orderKey(
  family: MerchantMode,
  mchid: string,
  subMchid: string | undefined,
  outTradeNo: string,
): string {
  return family === 'direct' ? `${mchid}|${outTradeNo}` : `${mchid}/${subMchid ?? ''}|${outTradeNo}`;
}

/** notify_url must be https without a query; the simulator also accepts http://127.0.0.1 and http://localhost. */
export function checkNotifyUrl(value: string, pointer: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new WxError(400, 'PARAM_ERROR', '回调地址格式错误', {
      field: pointer,
      location: 'body',
      issue: 'notify_url is not a URL',
    });
  }
  if (u.search !== '' || value.includes('?')) {
    throw new WxError(400, 'PARAM_ERROR', '回调地址不能携带参数', {
      field: pointer,
      location: 'body',
      issue: 'notify_url must not carry a query string',
    });
  }
  const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol === 'https:' || (u.protocol === 'http:' && local)) return;
  throw new WxError(400, 'PARAM_ERROR', '回调地址必须为https协议', {
    field: pointer,
    location: 'body',
    issue: 'notify_url must be https:// (the simulator also accepts http://127.0.0.1 and http://localhost)',
  });
}

/** A direct merchant may not call partner endpoints, nor a service provider direct ones. */
export function requireFamily(call: ApiCall, family: MerchantMode): void {
  if (call.merchant.merchant !== family) {
    throw wx.noAuth(
      family === 'partner'
        ? '商户号未开通服务商权限，不能调用服务商接口'
        : '服务商商户号不能调用直连商户接口，请使用服务商接口',
    );
  }
}

/** The mchid a body or query declares must be the one that signed the request. */
export function requireSameMchid(call: ApiCall, declared: string, field: string): void {
  if (declared !== call.merchant.mchid) {
    throw wx.signError(`请求中的${field}与Authorization中的mchid不一致`, {
      field,
      issue: `${field} ${declared} differs from the Authorization mchid ${call.merchant.mchid}`,
    });
  }
}

/** The simulated service provider has exactly one sub-merchant. */
export function requireBoundSubMchid(identity: SimIdentity, subMchid: string): void {
  if (subMchid !== identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
}

/** A partner body's sub_mchid (checked against the binding); undefined for a direct merchant. */
export function bodySubMchid(call: ApiCall, r: FieldReader, identity: SimIdentity): string | undefined {
  if (call.merchant.merchant !== 'partner') return undefined;
  const subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
  requireBoundSubMchid(identity, subMchid);
  return subMchid;
}

function requiredQuery(call: ApiCall, name: string, label: string): string {
  const value = call.query.get(name);
  if (!value) {
    throw paramError(
      `/${name}`,
      `输入源“/query/${name}”映射到字段“${label}”必填性规则校验失败，此字段为必填项`,
      'query',
    );
  }
  return value;
}

/** The order key a transaction query names through ?mchid= (partner: ?sp_mchid=&sub_mchid=). */
export function queryOrderKey(call: ApiCall, family: MerchantMode, outTradeNo: string): string {
  requireFamily(call, family);
  if (family === 'direct') {
    const mchid = requiredQuery(call, 'mchid', '直连商户号');
    requireSameMchid(call, mchid, 'mchid');
    return orderKey('direct', mchid, undefined, outTradeNo);
  }
  const sp = requiredQuery(call, 'sp_mchid', '服务商户号');
  const sub = requiredQuery(call, 'sub_mchid', '子商户号');
  requireSameMchid(call, sp, 'sp_mchid');
  return orderKey('partner', sp, sub, outTradeNo);
}

/**
 * Decrypts a sensitive field (RSA-OAEP with the platform key the request names in Wechatpay-Serial); `problems` are
 * the answers when no key is named and when decryption fails.
 */
export function decryptSensitive(
  identity: SimIdentity,
  call: ApiCall,
  pointer: string,
  cipher: string,
  problems: { noKey: string; undecryptable: string },
): string {
  const wanted = (call.requestedSerial ?? '').toUpperCase();
  const signer = signersFor(identity, 'switching').find((s) => s.serial.toUpperCase() === wanted);
  if (!signer) throw paramError(pointer, problems.noKey);
  try {
    return rsaOaepDecrypt(cipher, signer.privateKeyPem);
  } catch {
    throw paramError(pointer, problems.undecryptable);
  }
}

/** A validated create-order request (JSAPI / Native / H5 / App, direct or partner): the order's fields it sets. */
export type CreateOrderRequest = Pick<
  OrderRecord,
  | 'appid'
  | 'subMchid'
  | 'subAppid'
  | 'description'
  | 'outTradeNo'
  | 'attach'
  | 'notifyUrl'
  | 'totalFen'
  | 'currency'
  | 'openid'
  | 'spOpenid'
  | 'subOpenid'
  | 'timeExpireAt'
  | 'payerClientIp'
  | 'h5Type'
>;

/** POST /v3/pay[/partner]/transactions/{channel}: formats, then the appid/mchid binding, then time_expire. */
export function parseCreateOrder(
  call: ApiCall,
  family: MerchantMode,
  channel: Channel,
  identity: SimIdentity,
  now: number,
): CreateOrderRequest {
  requireFamily(call, family);
  const r = new FieldReader(call.body);
  let appid: string;
  let subMchid: string | undefined;
  let subAppid: string | undefined;
  if (family === 'direct') {
    appid = r.reqStr('appid', { label: '应用ID', minBytes: 1, maxBytes: 32 });
    const mchid = r.reqStr('mchid', { label: '直连商户号', minBytes: 1, maxBytes: 32 });
    requireSameMchid(call, mchid, 'mchid');
  } else {
    appid = r.reqStr('sp_appid', { label: '服务商应用ID', minBytes: 1, maxBytes: 32 });
    const spMchid = r.reqStr('sp_mchid', { label: '服务商户号', minBytes: 1, maxBytes: 32 });
    requireSameMchid(call, spMchid, 'sp_mchid');
    subAppid = r.str('sub_appid', { label: '子商户应用ID', minBytes: 1, maxBytes: 32 });
    subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
  }
  const description = r.reqStr('description', { label: '商品描述', minBytes: 1, maxBytes: 127 });
  const outTradeNo = r.reqStr('out_trade_no', {
    label: '商户订单号',
    pattern: OUT_TRADE_NO,
    patternHint: 'must be 6-32 characters of [0-9A-Za-z_-|*]',
  });
  const timeExpireText = r.str('time_expire', { label: '支付结束时间', minBytes: 1, maxBytes: 64 });
  const attach = r.str('attach', { label: '商户数据包', minBytes: 1, maxBytes: 128 });
  const notifyUrl = r.reqStr('notify_url', { label: '商户回调地址', minBytes: 1, maxBytes: 255 });
  r.str('goods_tag', { label: '订单优惠标记', minBytes: 1, maxBytes: 32 });
  const amount = r.reqObj('amount', '订单金额');
  const totalFen = amount.reqInt('total', { label: '总金额', min: 1 });
  const currency = amount.str('currency', { label: '货币类型', minBytes: 1, maxBytes: 16 }) ?? 'CNY';
  if (currency !== 'CNY') throw paramError('/amount/currency', '货币类型只支持人民币（CNY）');
  checkNotifyUrl(notifyUrl, '/notify_url');

  let openid: string | undefined;
  let spOpenid: string | undefined;
  let subOpenid: string | undefined;
  const payer = r.obj('payer', '支付者', channel === 'jsapi');
  if (family === 'direct') {
    if (payer)
      openid = payer.str('openid', {
        label: '用户标识',
        required: channel === 'jsapi',
        minBytes: 1,
        maxBytes: 128,
      });
  } else if (payer) {
    spOpenid = payer.str('sp_openid', { label: '用户服务标识', minBytes: 1, maxBytes: 128 });
    subOpenid = payer.str('sub_openid', { label: '用户子标识', minBytes: 1, maxBytes: 128 });
    if (channel === 'jsapi' && spOpenid === undefined && subOpenid === undefined) {
      throw paramError('/payer', 'sp_openid和sub_openid不能同时为空');
    }
    if (subOpenid !== undefined && subAppid === undefined) {
      throw paramError('/payer/sub_openid', '传入sub_openid时sub_appid必填');
    }
  }
  let payerClientIp: string | undefined;
  let h5Type: string | undefined;
  if (channel === 'h5') {
    const scene = r.reqObj('scene_info', '场景信息');
    payerClientIp = scene.reqStr('payer_client_ip', { label: '用户终端IP', minBytes: 1, maxBytes: 45 });
    // WeChat takes an IPv4 or IPv6 address here, nothing else (a host name, a list, "unknown").
    if (isIP(payerClientIp) === 0)
      throw paramError('/scene_info/payer_client_ip', '用户终端IP格式不正确，请传入IPv4或IPv6地址');
    const h5 = scene.reqObj('h5_info', 'H5场景信息');
    h5Type = h5.reqStr('type', { label: '场景类型', minBytes: 1, maxBytes: 32 });
    if (!['Wap', 'iOS', 'Android'].includes(h5Type))
      throw paramError('/scene_info/h5_info/type', '场景类型只能是iOS、Android或Wap');
  }

  if (family === 'direct') {
    if (appid !== identity.direct.appid) throw wx.appidMchidNotMatch('appid和mch_id不匹配，请检查后再试');
  } else {
    if (appid !== identity.partner.spAppid)
      throw wx.appidMchidNotMatch('sp_appid和sp_mchid不匹配，请检查后再试');
    if (subMchid !== identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
    if (subAppid !== undefined && subAppid !== identity.partner.subAppid) {
      throw wx.appidMchidNotMatch('sub_appid和sub_mchid不匹配，请检查后再试');
    }
  }

  let timeExpireAt = now + DEFAULT_EXPIRE_MS;
  if (timeExpireText !== undefined) {
    const parsed = parseRfc3339(timeExpireText);
    if (parsed === undefined) {
      throw paramError(
        '/time_expire',
        '支付结束时间格式错误，请使用RFC 3339格式，如2026-11-23T10:34:56+08:00',
      );
    }
    timeExpireAt = Math.min(Math.max(parsed, now + MIN_EXPIRE_MS), now + MAX_EXPIRE_MS);
  }
  return {
    appid,
    ...(subMchid !== undefined ? { subMchid } : {}),
    ...(subAppid !== undefined ? { subAppid } : {}),
    description,
    outTradeNo,
    ...(attach !== undefined ? { attach } : {}),
    notifyUrl,
    totalFen,
    currency,
    ...(openid !== undefined ? { openid } : {}),
    ...(spOpenid !== undefined ? { spOpenid } : {}),
    ...(subOpenid !== undefined ? { subOpenid } : {}),
    ...(payerClientIp !== undefined ? { payerClientIp } : {}),
    ...(h5Type !== undefined ? { h5Type } : {}),
    timeExpireAt,
  };
}

/** POST …/out-trade-no/{no}/close: the merchant fields, then the out_trade_no of the path; the partner's sub_mchid. */
export function parseClose(
  call: ApiCall,
  family: MerchantMode,
  outTradeNo: string,
  identity: SimIdentity,
): string | undefined {
  requireFamily(call, family);
  const r = new FieldReader(call.body);
  let subMchid: string | undefined;
  if (family === 'direct') {
    requireSameMchid(call, r.reqStr('mchid', { label: '直连商户号', minBytes: 1, maxBytes: 32 }), 'mchid');
  } else {
    requireSameMchid(
      call,
      r.reqStr('sp_mchid', { label: '服务商户号', minBytes: 1, maxBytes: 32 }),
      'sp_mchid',
    );
    subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
    requireBoundSubMchid(identity, subMchid);
  }
  if (!OUT_TRADE_NO.test(outTradeNo)) {
    throw paramError('/out_trade_no', '商户订单号格式错误', 'uri_template');
  }
  return subMchid;
}

/** A validated refund request. */
export interface RefundRequest {
  subMchid?: string;
  transactionId?: string;
  outTradeNo?: string;
  outRefundNo: string;
  reason?: string;
  notifyUrl?: string;
  refundFen: number;
  totalFen: number;
  currency: string;
}

/** POST /v3/refund/domestic/refunds. */
export function parseRefund(call: ApiCall, identity: SimIdentity): RefundRequest {
  const r = new FieldReader(call.body);
  const subMchid = bodySubMchid(call, r, identity);
  const transactionId = r.str('transaction_id', { label: '微信支付订单号', minBytes: 1, maxBytes: 32 });
  const outTradeNo = r.str('out_trade_no', { label: '商户订单号', minBytes: 1, maxBytes: 32 });
  if (transactionId === undefined && outTradeNo === undefined) {
    throw paramError('/out_trade_no', 'transaction_id和out_trade_no必须二选一进行传参');
  }
  const outRefundNo = readOutRefundNo(r);
  const reason = r.str('reason', { label: '退款原因', minBytes: 1, maxBytes: 80 });
  const notifyUrl = r.str('notify_url', { label: '退款结果回调url', minBytes: 1, maxBytes: 256 });
  if (notifyUrl !== undefined) checkNotifyUrl(notifyUrl, '/notify_url');
  const amount = r.reqObj('amount', '金额信息');
  const refundFen = amount.reqInt('refund', { label: '退款金额', min: 1 });
  const totalFen = amount.reqInt('total', { label: '原订单金额', min: 1 });
  const currency = amount.reqStr('currency', { label: '退款币种', minBytes: 1, maxBytes: 16 });
  if (currency !== 'CNY') throw paramError('/amount/currency', '退款币种只支持人民币（CNY）');
  return {
    ...(subMchid !== undefined ? { subMchid } : {}),
    ...(transactionId !== undefined ? { transactionId } : {}),
    ...(outTradeNo !== undefined ? { outTradeNo } : {}),
    outRefundNo,
    ...(reason !== undefined ? { reason } : {}),
    ...(notifyUrl !== undefined ? { notifyUrl } : {}),
    refundFen,
    totalFen,
    currency,
  };
}

/** A validated abnormal-refund retry; the card number is decrypted and only its last four digits kept. */
export interface AbnormalRetryRequest {
  subMchid?: string;
  outRefundNo: string;
  type: 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD';
  bankType?: string;
  accountTail?: string;
}

/** POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund. */
export function parseAbnormalRetry(call: ApiCall, identity: SimIdentity): AbnormalRetryRequest {
  const r = new FieldReader(call.body);
  const subMchid = bodySubMchid(call, r, identity);
  const outRefundNo = readOutRefundNo(r);
  const type = r.reqStr('type', { label: '异常退款处理方式', minBytes: 1, maxBytes: 32 });
  if (type !== 'USER_BANK_CARD' && type !== 'MERCHANT_BANK_CARD') {
    throw paramError('/type', '异常退款处理方式只能是USER_BANK_CARD或MERCHANT_BANK_CARD');
  }
  const bankType = r.str('bank_type', { label: '开户银行', minBytes: 1, maxBytes: 128 });
  const bankAccountCipher = r.str('bank_account', { label: '收款银行卡号', minBytes: 1, maxBytes: 1024 });
  const realNameCipher = r.str('real_name', { label: '收款用户姓名', minBytes: 1, maxBytes: 1024 });
  let accountTail: string | undefined;
  if (type === 'USER_BANK_CARD') {
    if (bankType === undefined || bankAccountCipher === undefined || realNameCipher === undefined) {
      throw paramError('/bank_type', '退款至用户银行卡时，bank_type、bank_account、real_name必填');
    }
    const sensitive = {
      noKey: '敏感信息加密需要在Wechatpay-Serial中指明所用平台证书或公钥',
      undecryptable: '敏感信息解密失败，请使用RSA-OAEP(SHA-1)与对应的平台公钥加密',
    };
    const account = decryptSensitive(identity, call, '/bank_account', bankAccountCipher, sensitive);
    decryptSensitive(identity, call, '/real_name', realNameCipher, sensitive);
    if (!/^\d{8,32}$/.test(account)) throw paramError('/bank_account', '收款银行卡号格式错误');
    accountTail = account.slice(-4);
  }
  return {
    ...(subMchid !== undefined ? { subMchid } : {}),
    outRefundNo,
    type,
    ...(bankType !== undefined ? { bankType } : {}),
    ...(accountTail !== undefined ? { accountTail } : {}),
  };
}

function readOutRefundNo(r: FieldReader): string {
  return r.reqStr('out_refund_no', {
    label: '商户退款单号',
    pattern: OUT_REFUND_NO,
    patternHint: 'must be 1-64 characters of [0-9A-Za-z_-|*@]',
  });
}

/** GET /v3/refund/domestic/refunds/{no}: a partner names its sub-merchant in ?sub_mchid=. */
export function parseRefundQuery(call: ApiCall, identity: SimIdentity): string | undefined {
  if (call.merchant.merchant !== 'partner') return undefined;
  const subMchid = call.query.get('sub_mchid') ?? undefined;
  if (!subMchid) throw paramError('/sub_mchid', '子商户号sub_mchid必填', 'query');
  requireBoundSubMchid(identity, subMchid);
  return subMchid;
}
