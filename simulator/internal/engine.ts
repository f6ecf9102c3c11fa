// The simulated WeChat Pay: orders, refunds, the payer, and the work that happens in virtual time.
import type {
  MerchantMode,
  OrderRecord,
  OrderRef,
  PayOptions,
  RefundOutcome,
  RefundRecord,
  RefundStatus,
  SimSettings,
  TradeState,
  TradeType,
} from '../types';
import { beijingDate, formatRfc3339Beijing, parseRfc3339, type VirtualClock } from './clock';
import { aesGcmEncrypt, canonicalJson, randomAlnum, randomDigits, randomHex, rsaOaepDecrypt } from './crypto';
import { ControlError, paramError, wx, WxError } from './errors';
import type { EventLog } from './events';
import { FieldReader, type JsonObject } from './fields';
import type { SimIdentity } from './identity';
import type { KnownMerchant } from './keys';
import { signersFor } from './keys';
import type { Notifier } from './notifier';
import type { TimedSource } from './scheduler';
import type { JournalStore } from './store';
import { refundJson, refundNotificationResource, transactionJson } from './views';
import { certificateValidity } from './crypto';

const ORDERS = 'order';
const REFUNDS = 'refund';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** prepay_id / code_url lifetime. */
export const PREPAY_LIFETIME_MS = 2 * HOUR;
const DEFAULT_EXPIRE_MS = 7 * DAY;
const MIN_EXPIRE_MS = MINUTE;
const MAX_EXPIRE_MS = 90 * DAY;
const REFUND_WINDOW_MS = 365 * DAY;

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

/** Default settings of a fresh simulator. */
export const DEFAULT_SETTINGS: SimSettings = {
  refundDelayMs: 60_000,
  defaultRefundOutcome: 'SUCCESS',
  switchingPublicKeyShare: 0.5,
  closeGuardMs: 5 * MINUTE,
};

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

const TRADE_TYPE: Record<Channel, TradeType> = { jsapi: 'JSAPI', native: 'NATIVE', h5: 'MWEB', app: 'APP' };

/** Dependencies of the engine. */
export interface EngineDeps {
  identity: SimIdentity;
  store: JournalStore;
  clock: VirtualClock;
  events: EventLog;
  notifier: Notifier;
  settings: () => SimSettings;
  publicUrl: () => string;
  kick: () => void;
}

/** Orders, refunds and the payer. Throws WxError for WeChat API answers and ControlError for control calls. */
export class Engine implements TimedSource {
  private readonly byTransactionId = new Map<string, string>();
  private readonly completing = new Set<string>();
  /** Keys of PROCESSING refunds: timed work only looks at these. */
  private readonly processing = new Set<string>();

  constructor(private readonly d: EngineDeps) {
    for (const o of this.orderMap().values()) {
      if (o.transactionId !== undefined) this.byTransactionId.set(o.transactionId, o.key);
    }
    for (const r of this.refundMap().values()) if (r.status === 'PROCESSING') this.processing.add(r.key);
  }

  // ---------------------------------------------------------------- WeChat API: transactions

  /** POST /v3/pay[/partner]/transactions/{jsapi,native,h5,app}. */
  createTransaction(call: ApiCall, family: MerchantMode, channel: Channel): ApiResult {
    this.requireFamily(call, family);
    const r = new FieldReader(call.body);
    const now = this.d.clock.now();
    const id = this.d.identity;
    let appid: string;
    let subMchid: string | undefined;
    let subAppid: string | undefined;
    if (family === 'direct') {
      appid = r.reqStr('appid', { label: '应用ID', minBytes: 1, maxBytes: 32 });
      const mchid = r.reqStr('mchid', { label: '直连商户号', minBytes: 1, maxBytes: 32 });
      this.requireSameMchid(call, mchid, 'mchid');
    } else {
      appid = r.reqStr('sp_appid', { label: '服务商应用ID', minBytes: 1, maxBytes: 32 });
      const spMchid = r.reqStr('sp_mchid', { label: '服务商户号', minBytes: 1, maxBytes: 32 });
      this.requireSameMchid(call, spMchid, 'sp_mchid');
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
    if (channel === 'h5') {
      const scene = r.reqObj('scene_info', '场景信息');
      scene.reqStr('payer_client_ip', { label: '用户终端IP', minBytes: 1, maxBytes: 45 });
      const h5 = scene.reqObj('h5_info', 'H5场景信息');
      h5.reqStr('type', { label: '场景类型', minBytes: 1, maxBytes: 32 });
    }

    if (family === 'direct') {
      if (appid !== id.direct.appid) throw wx.appidMchidNotMatch('appid和mch_id不匹配，请检查后再试');
    } else {
      if (appid !== id.partner.spAppid) throw wx.appidMchidNotMatch('sp_appid和sp_mchid不匹配，请检查后再试');
      if (subMchid !== id.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
      if (subAppid !== undefined && subAppid !== id.partner.subAppid) {
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

    const key = orderKey(family, call.merchant.mchid, subMchid, outTradeNo);
    const fingerprint = canonicalJson({ endpoint: `${family}/${channel}`, body: call.body });
    const existing = this.orderMap().get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint)
        throw wx.outTradeNoUsed('商户订单号重复，且与原订单参数不一致');
      if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND') {
        throw wx.tradeError('该订单已支付，请勿重复下单');
      }
      if (existing.tradeState === 'CLOSED') throw wx.orderClosed('订单已关闭，请使用新的商户订单号下单');
      if (now >= existing.timeExpireAt)
        throw wx.orderClosed('订单已过支付结束时间，请使用新的商户订单号下单');
      if (now - existing.prepayIssuedAt >= PREPAY_LIFETIME_MS) {
        existing.prepayId = newPrepayId(now);
        existing.prepayIssuedAt = now;
        if (existing.codeUrl !== undefined) existing.codeUrl = newCodeUrl();
        if (existing.h5Url !== undefined) existing.h5Url = this.h5Url(existing.prepayId);
        this.saveOrder(existing);
      }
      return { status: 200, json: this.createAnswer(existing, channel), outTradeNo };
    }

    const order: OrderRecord = {
      key,
      mode: family,
      tradeType: TRADE_TYPE[channel],
      mchid: call.merchant.mchid,
      appid,
      outTradeNo,
      description,
      notifyUrl,
      totalFen,
      currency,
      fingerprint,
      createdAt: now,
      timeExpireAt,
      prepayId: newPrepayId(now),
      prepayIssuedAt: now,
      tradeState: 'NOTPAY',
      payerActions: [],
    };
    if (subMchid !== undefined) order.subMchid = subMchid;
    if (subAppid !== undefined) order.subAppid = subAppid;
    if (attach !== undefined) order.attach = attach;
    if (openid !== undefined) order.openid = openid;
    if (spOpenid !== undefined) order.spOpenid = spOpenid;
    if (subOpenid !== undefined) order.subOpenid = subOpenid;
    if (channel === 'native') order.codeUrl = newCodeUrl();
    if (channel === 'h5') order.h5Url = this.h5Url(order.prepayId);
    this.saveOrder(order);
    return { status: 200, json: this.createAnswer(order, channel), outTradeNo };
  }

  /** GET …/transactions/out-trade-no/{no}?mchid= (partner: sp_mchid & sub_mchid). */
  queryByOutTradeNo(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    const key = this.queryKey(call, family, outTradeNo);
    const order = this.orderMap().get(key);
    if (!order) throw wx.orderNotExist('订单不存在');
    return { status: 200, json: transactionJson(order), outTradeNo };
  }

  /** GET …/transactions/id/{transaction_id}?mchid= (partner: sp_mchid & sub_mchid). */
  queryById(call: ApiCall, family: MerchantMode, transactionId: string): ApiResult {
    const expectedPrefix = this.queryKey(call, family, '');
    const key = this.byTransactionId.get(transactionId);
    const order = key === undefined ? undefined : this.orderMap().get(key);
    if (!order || !order.key.startsWith(expectedPrefix)) throw wx.orderNotExist('订单不存在');
    return { status: 200, json: transactionJson(order), outTradeNo: order.outTradeNo };
  }

  /**
   * POST …/out-trade-no/{no}/close → 204. Closing a closed order is 204 again, and so is an unknown out_trade_no
   * (production answers 204 there too). A paid order → 403 TRADE_ERROR; before `closeGuardMs` → 403 RULE_LIMIT.
   */
  close(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    this.requireFamily(call, family);
    const r = new FieldReader(call.body);
    let subMchid: string | undefined;
    if (family === 'direct') {
      this.requireSameMchid(
        call,
        r.reqStr('mchid', { label: '直连商户号', minBytes: 1, maxBytes: 32 }),
        'mchid',
      );
    } else {
      this.requireSameMchid(
        call,
        r.reqStr('sp_mchid', { label: '服务商户号', minBytes: 1, maxBytes: 32 }),
        'sp_mchid',
      );
      subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
      if (subMchid !== this.d.identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
    }
    if (!OUT_TRADE_NO.test(outTradeNo)) {
      throw paramError('/out_trade_no', '商户订单号格式错误', 'uri_template');
    }
    const order = this.orderMap().get(orderKey(family, call.merchant.mchid, subMchid, outTradeNo));
    if (!order || order.tradeState === 'CLOSED') return { status: 204, outTradeNo };
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw wx.tradeError('订单已支付，不能关单，请查询订单并按已支付处理');
    }
    const now = this.d.clock.now();
    const guard = this.d.settings().closeGuardMs;
    if (now - order.createdAt < guard) {
      throw wx.ruleLimit(`订单创建${Math.round(guard / MINUTE)}分钟内不能关单，请稍后再试`);
    }
    order.tradeState = 'CLOSED';
    order.closedAt = now;
    this.saveOrder(order);
    return { status: 204, outTradeNo };
  }

  // ---------------------------------------------------------------- WeChat API: refunds

  /** POST /v3/refund/domestic/refunds → PROCESSING (idempotent by out_refund_no). */
  createRefund(call: ApiCall): ApiResult {
    const r = new FieldReader(call.body);
    const family = call.merchant.merchant;
    let subMchid: string | undefined;
    if (family === 'partner') {
      subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
      if (subMchid !== this.d.identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
    }
    const transactionId = r.str('transaction_id', { label: '微信支付订单号', minBytes: 1, maxBytes: 32 });
    const outTradeNoIn = r.str('out_trade_no', { label: '商户订单号', minBytes: 1, maxBytes: 32 });
    if (transactionId === undefined && outTradeNoIn === undefined) {
      throw paramError('/out_trade_no', 'transaction_id和out_trade_no必须二选一进行传参');
    }
    const outRefundNo = r.reqStr('out_refund_no', {
      label: '商户退款单号',
      pattern: OUT_REFUND_NO,
      patternHint: 'must be 1-64 characters of [0-9A-Za-z_-|*@]',
    });
    const reason = r.str('reason', { label: '退款原因', minBytes: 1, maxBytes: 80 });
    const notifyUrl = r.str('notify_url', { label: '退款结果回调url', minBytes: 1, maxBytes: 256 });
    if (notifyUrl !== undefined) checkNotifyUrl(notifyUrl, '/notify_url');
    const amount = r.reqObj('amount', '金额信息');
    const refundFen = amount.reqInt('refund', { label: '退款金额', min: 1 });
    const totalFen = amount.reqInt('total', { label: '原订单金额', min: 1 });
    const currency = amount.reqStr('currency', { label: '退款币种', minBytes: 1, maxBytes: 16 });
    if (currency !== 'CNY') throw paramError('/amount/currency', '退款币种只支持人民币（CNY）');

    const prefix = orderKey(family, call.merchant.mchid, subMchid, '');
    const refundKey = `${prefix}${outRefundNo}`;
    const fingerprint = canonicalJson(call.body);
    const existing = this.refundMap().get(refundKey);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw wx.invalidRequest('商户退款单号已存在，且与原退款请求参数不一致');
      }
      return this.refundAnswer(existing);
    }

    let order: OrderRecord | undefined;
    if (transactionId !== undefined) {
      const k = this.byTransactionId.get(transactionId);
      order = k === undefined ? undefined : this.orderMap().get(k);
      if (order && !order.key.startsWith(prefix)) order = undefined;
      if (order && outTradeNoIn !== undefined && order.outTradeNo !== outTradeNoIn) order = undefined;
    } else if (outTradeNoIn !== undefined) {
      order = this.orderMap().get(`${prefix}${outTradeNoIn}`);
    }
    if (!order) throw wx.resourceNotExists('订单不存在');
    if (order.transactionId === undefined || order.successAt === undefined) {
      throw wx.invalidRequest('订单未支付，不能退款');
    }
    const now = this.d.clock.now();
    if (now - order.successAt > REFUND_WINDOW_MS) throw wx.invalidRequest('订单已超过可退款期限（一年）');
    if (totalFen !== order.totalFen) {
      throw paramError('/amount/total', `原订单金额与实际订单金额不一致（订单金额 ${order.totalFen} 分）`);
    }
    const used = this.refundedOrPending(order.key);
    if (refundFen > order.totalFen - used) {
      throw wx.notEnough(`申请退款金额超过订单可退金额（可退 ${order.totalFen - used} 分）`);
    }
    const settings = this.d.settings();
    const refund: RefundRecord = {
      key: refundKey,
      mode: family,
      mchid: call.merchant.mchid,
      orderKey: order.key,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId,
      outRefundNo,
      refundId: newRefundId(now),
      refundFen,
      totalFen,
      currency,
      fingerprint,
      createdAt: now,
      status: 'PROCESSING',
      completeAt: now + settings.refundDelayMs,
      plannedOutcome: settings.defaultRefundOutcome,
      userReceivedAccount: '支付用户零钱',
      statusHistory: [{ status: 'PROCESSING', at: now }],
    };
    if (subMchid !== undefined) refund.subMchid = subMchid;
    if (reason !== undefined) refund.reason = reason;
    if (notifyUrl !== undefined) refund.notifyUrl = notifyUrl;
    this.d.store.put(REFUNDS, refund.key, refund);
    this.processing.add(refund.key);
    if (order.tradeState === 'SUCCESS') {
      order.tradeState = 'REFUND';
      this.saveOrder(order);
    }
    this.d.kick();
    return this.refundAnswer(refund);
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} (partner: ?sub_mchid=). */
  queryRefund(call: ApiCall, outRefundNo: string): ApiResult {
    let subMchid: string | undefined;
    if (call.merchant.merchant === 'partner') {
      subMchid = call.query.get('sub_mchid') ?? undefined;
      if (!subMchid) throw paramError('/sub_mchid', '子商户号sub_mchid必填', 'query');
      if (subMchid !== this.d.identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
    }
    const refund = this.refundMap().get(
      `${orderKey(call.merchant.merchant, call.merchant.mchid, subMchid, '')}${outRefundNo}`,
    );
    if (!refund) throw wx.resourceNotExists('退款单不存在');
    return this.refundAnswer(refund);
  }

  /**
   * POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund: retries an ABNORMAL refund to the payer's bank
   * card (USER_BANK_CARD: bank_type, and bank_account + real_name RSA-OAEP encrypted with the platform key named by
   * Wechatpay-Serial) or to the merchant's (MERCHANT_BANK_CARD). The refund is PROCESSING again and then settles
   * (SUCCESS unless an outcome was chosen). Asking again while that retry is PROCESSING answers it again.
   */
  applyAbnormalRefund(call: ApiCall, refundId: string): ApiResult {
    const r = new FieldReader(call.body);
    let subMchid: string | undefined;
    if (call.merchant.merchant === 'partner') {
      subMchid = r.reqStr('sub_mchid', { label: '子商户号', minBytes: 1, maxBytes: 32 });
      if (subMchid !== this.d.identity.partner.subMchid) throw wx.noAuth('特约商户号与服务商不存在受理关系');
    }
    const outRefundNo = r.reqStr('out_refund_no', {
      label: '商户退款单号',
      pattern: OUT_REFUND_NO,
      patternHint: 'must be 1-64 characters of [0-9A-Za-z_-|*@]',
    });
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
      const account = this.decryptSensitive(call, '/bank_account', bankAccountCipher);
      this.decryptSensitive(call, '/real_name', realNameCipher);
      if (!/^\d{8,32}$/.test(account)) throw paramError('/bank_account', '收款银行卡号格式错误');
      accountTail = account.slice(-4);
    }
    const key = `${orderKey(call.merchant.merchant, call.merchant.mchid, subMchid, '')}${outRefundNo}`;
    const refund = this.refundMap().get(key);
    if (!refund || refund.refundId !== refundId) throw wx.resourceNotExists('退款单不存在');
    const retried = refund.abnormalRetries ?? [];
    if (refund.status === 'PROCESSING' && retried.length > 0) return this.refundAnswer(refund);
    if (refund.status !== 'ABNORMAL') {
      throw wx.invalidRequest(`退款单状态为${refund.status}，只有异常退款单可以发起异常退款处理`);
    }
    const now = this.d.clock.now();
    refund.status = 'PROCESSING';
    refund.completeAt = now + this.d.settings().refundDelayMs;
    refund.plannedOutcome = 'SUCCESS';
    refund.userReceivedAccount =
      type === 'USER_BANK_CARD'
        ? `${bankType ?? ''}银行卡${accountTail ?? ''}`
        : '商户银行卡（由商户线下退给用户）';
    refund.abnormalRetries = [
      ...retried,
      {
        at: now,
        type,
        ...(bankType !== undefined ? { bankType } : {}),
        ...(accountTail !== undefined ? { accountTail } : {}),
      },
    ];
    refund.statusHistory = [...(refund.statusHistory ?? []), { status: 'PROCESSING', at: now }];
    this.d.store.put(REFUNDS, refund.key, refund);
    this.processing.add(refund.key);
    this.d.events.add({
      kind: 'refund',
      at: now,
      summary: `refund ${refund.outRefundNo} of ${refund.outTradeNo}: abnormal refund retried (${type}) → PROCESSING`,
      mchid: refund.mchid,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    });
    this.d.kick();
    return this.refundAnswer(refund);
  }

  private decryptSensitive(call: ApiCall, pointer: string, cipher: string): string {
    const wanted = (call.requestedSerial ?? '').toUpperCase();
    const signer = signersFor(this.d.identity, 'switching').find((s) => s.serial.toUpperCase() === wanted);
    if (!signer) throw paramError(pointer, '敏感信息加密需要在Wechatpay-Serial中指明所用平台证书或公钥');
    try {
      return rsaOaepDecrypt(cipher, signer.privateKeyPem);
    } catch {
      throw paramError(pointer, '敏感信息解密失败，请使用RSA-OAEP(SHA-1)与对应的平台公钥加密');
    }
  }

  // ---------------------------------------------------------------- WeChat API: certificates, echo

  /** GET /v3/certificates: the platform certificate encrypted with the APIv3 key; 404 in public-key-only mode. */
  certificates(call: ApiCall): ApiResult {
    const mode = call.merchant.keys.keyMode;
    if (mode === 'publicKey') {
      throw wx.resourceNotExists('无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥');
    }
    const cert = this.d.identity.platform.certificate;
    const validity = certificateValidity(cert.certificatePem);
    const nonce = randomAlnum(12);
    return {
      status: 200,
      json: {
        data: [
          {
            serial_no: cert.serial,
            effective_time: formatRfc3339Beijing(validity.notBeforeMs),
            expire_time: formatRfc3339Beijing(validity.notAfterMs),
            encrypt_certificate: {
              algorithm: 'AEAD_AES_256_GCM',
              nonce,
              associated_data: 'certificate',
              ciphertext: aesGcmEncrypt(
                cert.certificatePem,
                call.merchant.keys.apiV3Key,
                nonce,
                'certificate',
              ),
            },
          },
        ],
      },
    };
  }

  /**
   * POST /v3/security/echo (service providers): answers echo_message and, if encrypted_echo_message was sent
   * (RSA-OAEP with the platform key named by Wechatpay-Serial), its decryption; optional SECURITY_ECHO.SUCCESS.
   */
  echo(call: ApiCall): ApiResult {
    if (call.merchant.merchant !== 'partner') throw wx.noAuth('该接口仅支持服务商调用');
    const r = new FieldReader(call.body);
    const message = r.reqStr('echo_message', { label: '回显信息', minBytes: 1, maxBytes: 1024 });
    const encrypted = r.str('encrypted_echo_message', { label: '加密测试字段', minBytes: 1, maxBytes: 4096 });
    const notifyUrl = r.str('notify_url', { label: '商户回调地址', minBytes: 1, maxBytes: 255 });
    if (notifyUrl !== undefined) checkNotifyUrl(notifyUrl, '/notify_url');
    const out: Record<string, unknown> = { echo_message: message };
    if (encrypted !== undefined) {
      const wanted = (call.requestedSerial ?? '').toUpperCase();
      const signer = signersFor(this.d.identity, 'switching').find((s) => s.serial.toUpperCase() === wanted);
      if (!signer)
        throw paramError('/encrypted_echo_message', '加密字段需要在Wechatpay-Serial中指明所用平台证书或公钥');
      try {
        out.decrypted_echo_message = rsaOaepDecrypt(encrypted, signer.privateKeyPem);
      } catch {
        throw paramError(
          '/encrypted_echo_message',
          '加密字段解密失败，请使用RSA-OAEP(SHA-1)与对应的平台公钥加密',
        );
      }
    }
    if (notifyUrl !== undefined) {
      this.d.notifier.create({
        eventType: 'SECURITY_ECHO.SUCCESS',
        summary: '回调通知成功',
        merchant: 'partner',
        notifyUrl,
        originalType: 'security',
        associatedData: '',
        resource: { echo_message: message },
      });
    }
    return { status: 200, json: out };
  }

  // ---------------------------------------------------------------- the payer (control API)

  /** Finds an order by out_trade_no (and mchid/subMchid when several merchants use the same number). */
  findOrder(outTradeNo: string, ref: OrderRef = {}): OrderRecord {
    const hits = [...this.orderMap().values()].filter(
      (o) =>
        o.outTradeNo === outTradeNo &&
        (ref.mchid === undefined || o.mchid === ref.mchid) &&
        (ref.subMchid === undefined || o.subMchid === ref.subMchid),
    );
    if (hits.length === 0)
      throw new ControlError(404, 'SIM.ORDER_NOT_FOUND', `no order with out_trade_no ${outTradeNo}`);
    if (hits.length > 1) {
      throw new ControlError(
        409,
        'SIM.ORDER_AMBIGUOUS',
        `out_trade_no ${outTradeNo} exists for several merchants; pass mchid or subMchid`,
      );
    }
    return hits[0] as OrderRecord;
  }

  /** Orders, oldest first, optionally by trade state. */
  listOrders(f: { tradeState?: TradeState; limit?: number } = {}): OrderRecord[] {
    const all = [...this.orderMap().values()]
      .filter((o) => f.tradeState === undefined || o.tradeState === f.tradeState)
      .sort((a, b) => a.createdAt - b.createdAt || a.key.localeCompare(b.key));
    const limit = f.limit ?? 500;
    return all.slice(Math.max(0, all.length - limit));
  }

  /** The shopper pays within the rules: NOTPAY, not expired, prepay_id still valid. */
  pay(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    const order = this.findOrder(outTradeNo, opts);
    const now = this.d.clock.now();
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw new ControlError(409, 'SIM.ALREADY_PAID', `order ${outTradeNo} is already paid`);
    }
    if (order.tradeState === 'CLOSED') {
      throw new ControlError(
        409,
        'SIM.ORDER_CLOSED',
        `order ${outTradeNo} is closed; use payLate to simulate the close/pay race`,
      );
    }
    if (now >= order.timeExpireAt) {
      throw new ControlError(
        409,
        'SIM.ORDER_EXPIRED',
        `order ${outTradeNo} passed its time_expire; use payLate to pay anyway`,
      );
    }
    if (now - order.prepayIssuedAt >= PREPAY_LIFETIME_MS) {
      throw new ControlError(
        409,
        'SIM.PREPAY_EXPIRED',
        `the prepay_id of ${outTradeNo} is older than 2 hours; the merchant must create the order again (same parameters) for a new one`,
      );
    }
    return this.markPaid(order, 'pay', opts.bankType);
  }

  /** The shopper pays although the order is closed or expired: money is taken anyway (close/pay race). */
  payLate(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    const order = this.findOrder(outTradeNo, opts);
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      throw new ControlError(409, 'SIM.ALREADY_PAID', `order ${outTradeNo} is already paid`);
    }
    return this.markPaid(order, 'payLate', opts.bankType);
  }

  /** The shopper closes the cashier; nothing changes but the record. */
  cancel(outTradeNo: string, ref: OrderRef = {}): OrderRecord {
    const order = this.findOrder(outTradeNo, ref);
    return this.recordAction(order, 'cancel', 'requestPayment:fail cancel');
  }

  /** The payment fails (default NOT_ENOUGH): the order stays NOTPAY. */
  fail(outTradeNo: string, ref: OrderRef & { reason?: string } = {}): OrderRecord {
    const order = this.findOrder(outTradeNo, ref);
    if (order.tradeState !== 'NOTPAY') {
      throw new ControlError(
        409,
        'SIM.NOT_PAYABLE',
        `order ${outTradeNo} is ${order.tradeState}, not NOTPAY`,
      );
    }
    return this.recordAction(order, 'fail', ref.reason ?? 'NOT_ENOUGH');
  }

  // ---------------------------------------------------------------- refunds (control API)

  /** Finds a refund by out_refund_no (and mchid/subMchid when ambiguous). */
  findRefund(outRefundNo: string, ref: OrderRef = {}): RefundRecord {
    const hits = [...this.refundMap().values()].filter(
      (r) =>
        r.outRefundNo === outRefundNo &&
        (ref.mchid === undefined || r.mchid === ref.mchid) &&
        (ref.subMchid === undefined || r.subMchid === ref.subMchid),
    );
    if (hits.length === 0)
      throw new ControlError(404, 'SIM.REFUND_NOT_FOUND', `no refund with out_refund_no ${outRefundNo}`);
    if (hits.length > 1) {
      throw new ControlError(
        409,
        'SIM.REFUND_AMBIGUOUS',
        `out_refund_no ${outRefundNo} is ambiguous; pass mchid or subMchid`,
      );
    }
    return hits[0] as RefundRecord;
  }

  /** Refunds, oldest first. */
  listRefunds(f: { outTradeNo?: string; status?: RefundStatus; limit?: number } = {}): RefundRecord[] {
    const all = [...this.refundMap().values()]
      .filter(
        (r) =>
          (f.outTradeNo === undefined || r.outTradeNo === f.outTradeNo) &&
          (f.status === undefined || r.status === f.status),
      )
      .sort((a, b) => a.createdAt - b.createdAt || a.key.localeCompare(b.key));
    const limit = f.limit ?? 500;
    return all.slice(Math.max(0, all.length - limit));
  }

  /** Chooses the outcome of a PROCESSING refund; `now` completes it immediately. */
  setRefundOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts: OrderRef & { now?: boolean } = {},
  ): RefundRecord {
    const refund = this.findRefund(outRefundNo, opts);
    if (refund.status !== 'PROCESSING') {
      throw new ControlError(409, 'SIM.REFUND_FINAL', `refund ${outRefundNo} is already ${refund.status}`);
    }
    refund.plannedOutcome = outcome;
    this.d.store.put(REFUNDS, refund.key, refund);
    if (opts.now) this.completeRefund(refund.key);
    this.d.kick();
    return this.refundMap().get(refund.key) ?? refund;
  }

  /** An ABNORMAL refund settled by hand in the merchant platform → SUCCESS (notification only when asked). */
  settleRefundByHand(outRefundNo: string, opts: OrderRef & { notify?: boolean } = {}): RefundRecord {
    const refund = this.findRefund(outRefundNo, opts);
    if (refund.status !== 'ABNORMAL') {
      throw new ControlError(
        409,
        'SIM.REFUND_NOT_ABNORMAL',
        `refund ${outRefundNo} is ${refund.status}; only an ABNORMAL refund is settled by hand`,
      );
    }
    const now = this.d.clock.now();
    refund.status = 'SUCCESS';
    refund.successAt = now;
    refund.userReceivedAccount = '商户平台手工退款';
    refund.statusHistory = [...(refund.statusHistory ?? []), { status: 'SUCCESS', at: now }];
    this.d.store.put(REFUNDS, refund.key, refund);
    this.d.events.add({
      kind: 'refund',
      at: now,
      summary: `refund ${refund.outRefundNo} of ${refund.outTradeNo} settled by hand → SUCCESS`,
      mchid: refund.mchid,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    });
    if (opts.notify === true) this.notifyRefund(refund);
    return refund;
  }

  // ---------------------------------------------------------------- bills support

  /** All orders (for bills). */
  allOrders(): OrderRecord[] {
    return [...this.orderMap().values()];
  }

  /** All refunds (for bills). */
  allRefunds(): RefundRecord[] {
    return [...this.refundMap().values()];
  }

  // ---------------------------------------------------------------- timed work: refund completion

  nextDueAt(): number | undefined {
    let min: number | undefined;
    for (const r of this.processingRefunds()) {
      if (this.completing.has(r.key)) continue;
      if (min === undefined || r.completeAt < min) min = r.completeAt;
    }
    return min;
  }

  startDue(now: number): Promise<void>[] {
    const due = this.processingRefunds()
      .filter((r) => r.completeAt <= now && !this.completing.has(r.key))
      .sort((a, b) => a.completeAt - b.completeAt);
    return due.map((r) => {
      this.completing.add(r.key);
      try {
        this.completeRefund(r.key);
      } finally {
        this.completing.delete(r.key);
      }
      return Promise.resolve();
    });
  }

  private processingRefunds(): RefundRecord[] {
    const out: RefundRecord[] = [];
    for (const key of this.processing) {
      const r = this.refundMap().get(key);
      if (r && r.status === 'PROCESSING') out.push(r);
      else this.processing.delete(key);
    }
    return out;
  }

  // ---------------------------------------------------------------- internals

  private completeRefund(key: string): void {
    const refund = this.refundMap().get(key);
    if (!refund || refund.status !== 'PROCESSING') return;
    const now = this.d.clock.now();
    refund.status = refund.plannedOutcome;
    if (refund.status === 'SUCCESS') refund.successAt = now;
    refund.statusHistory = [...(refund.statusHistory ?? []), { status: refund.status, at: now }];
    this.d.store.put(REFUNDS, key, refund);
    this.d.events.add({
      kind: 'refund',
      at: now,
      summary: `refund ${refund.outRefundNo} of ${refund.outTradeNo} → ${refund.status} (${refund.refundFen} fen)`,
      mchid: refund.mchid,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    });
    this.notifyRefund(refund);
  }

  private notifyRefund(refund: RefundRecord): void {
    if (refund.status === 'PROCESSING') return;
    const order = this.orderMap().get(refund.orderKey);
    if (refund.notifyUrl !== undefined) {
      const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' }[refund.status];
      this.d.notifier.create({
        eventType: `REFUND.${refund.status}`,
        summary,
        merchant: refund.mode,
        notifyUrl: refund.notifyUrl,
        originalType: 'refund',
        associatedData: 'refund',
        resource: refundNotificationResource(refund, order?.payerTotalFen ?? refund.totalFen),
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
      });
    }
  }

  private refundAnswer(refund: RefundRecord): ApiResult {
    const order = this.orderMap().get(refund.orderKey);
    return {
      status: 200,
      json: refundJson(refund, order?.payerTotalFen ?? refund.totalFen),
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
    };
  }

  /** Fen already refunded or being refunded (CLOSED refunds free their amount). */
  private refundedOrPending(orderKeyValue: string): number {
    let sum = 0;
    for (const r of this.refundMap().values()) {
      if (r.orderKey === orderKeyValue && r.status !== 'CLOSED') sum += r.refundFen;
    }
    return sum;
  }

  private markPaid(order: OrderRecord, action: 'pay' | 'payLate', bankType: string | undefined): OrderRecord {
    const now = this.d.clock.now();
    const late = order.tradeState === 'CLOSED' || now >= order.timeExpireAt;
    order.tradeState = 'SUCCESS';
    order.transactionId = newTransactionId(now);
    order.successAt = now;
    order.bankType = bankType ?? 'OTHERS';
    order.payerTotalFen = order.totalFen;
    if (late) order.paidLate = true;
    if (order.mode === 'direct' && order.openid === undefined) order.openid = newOpenid();
    if (order.mode === 'partner' && order.spOpenid === undefined && order.subOpenid === undefined) {
      order.spOpenid = newOpenid();
    }
    order.payerActions.push({ at: now, action, ...(late ? { detail: 'paid after close/expiry' } : {}) });
    this.byTransactionId.set(order.transactionId, order.key);
    this.saveOrder(order);
    this.d.events.add({
      kind: 'payer',
      at: now,
      summary: `payer ${action}: ${order.outTradeNo} ${order.totalFen} fen → SUCCESS (${order.transactionId})${late ? ' LATE' : ''}`,
      mchid: order.mchid,
      outTradeNo: order.outTradeNo,
    });
    this.d.notifier.create({
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      merchant: order.mode,
      notifyUrl: order.notifyUrl,
      originalType: 'transaction',
      associatedData: 'transaction',
      resource: transactionJson(order),
      outTradeNo: order.outTradeNo,
    });
    return order;
  }

  private recordAction(order: OrderRecord, action: 'cancel' | 'fail', detail: string): OrderRecord {
    const now = this.d.clock.now();
    order.payerActions.push({ at: now, action, detail });
    this.saveOrder(order);
    this.d.events.add({
      kind: 'payer',
      at: now,
      summary: `payer ${action}: ${order.outTradeNo} (${detail}); state stays ${order.tradeState}`,
      mchid: order.mchid,
      outTradeNo: order.outTradeNo,
    });
    return order;
  }

  private createAnswer(order: OrderRecord, channel: Channel): Record<string, unknown> {
    if (channel === 'native') return { code_url: order.codeUrl };
    if (channel === 'h5') return { h5_url: order.h5Url };
    return { prepay_id: order.prepayId };
  }

  private h5Url(prepayId: string): string {
    return `${this.d.publicUrl()}/sim/cashier/${prepayId}`;
  }

  private queryKey(call: ApiCall, family: MerchantMode, outTradeNo: string): string {
    this.requireFamily(call, family);
    if (family === 'direct') {
      const mchid = call.query.get('mchid');
      if (!mchid)
        throw paramError(
          '/mchid',
          '输入源“/query/mchid”映射到字段“直连商户号”必填性规则校验失败，此字段为必填项',
          'query',
        );
      this.requireSameMchid(call, mchid, 'mchid');
      return orderKey('direct', mchid, undefined, outTradeNo);
    }
    const sp = call.query.get('sp_mchid');
    const sub = call.query.get('sub_mchid');
    if (!sp)
      throw paramError(
        '/sp_mchid',
        '输入源“/query/sp_mchid”映射到字段“服务商户号”必填性规则校验失败，此字段为必填项',
        'query',
      );
    if (!sub)
      throw paramError(
        '/sub_mchid',
        '输入源“/query/sub_mchid”映射到字段“子商户号”必填性规则校验失败，此字段为必填项',
        'query',
      );
    this.requireSameMchid(call, sp, 'sp_mchid');
    return orderKey('partner', sp, sub, outTradeNo);
  }

  private requireFamily(call: ApiCall, family: MerchantMode): void {
    if (call.merchant.merchant !== family) {
      throw wx.noAuth(
        family === 'partner'
          ? '商户号未开通服务商权限，不能调用服务商接口'
          : '服务商商户号不能调用直连商户接口，请使用服务商接口',
      );
    }
  }

  private requireSameMchid(call: ApiCall, declared: string, field: string): void {
    if (declared !== call.merchant.mchid) {
      throw wx.signError(`请求中的${field}与Authorization中的mchid不一致`, {
        field,
        issue: `${field} ${declared} differs from the Authorization mchid ${call.merchant.mchid}`,
      });
    }
  }

  private saveOrder(order: OrderRecord): void {
    this.d.store.put(ORDERS, order.key, order);
  }

  private orderMap(): ReadonlyMap<string, OrderRecord> {
    return this.d.store.all<OrderRecord>(ORDERS);
  }

  private refundMap(): ReadonlyMap<string, RefundRecord> {
    return this.d.store.all<RefundRecord>(REFUNDS);
  }
}

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

function compactDate(epochMs: number): string {
  return beijingDate(epochMs).replace(/-/g, '');
}

function newPrepayId(now: number): string {
  const t = formatRfc3339Beijing(now).replace(/[-:T]/g, '').slice(0, 14);
  return `wx${t}${randomHex(20).toLowerCase()}`;
}

function newCodeUrl(): string {
  return `weixin://wxpay/bizpayurl?pr=${randomAlnum(7)}`;
}

function newTransactionId(now: number): string {
  return `42000${randomDigits(5)}${compactDate(now)}${randomDigits(10)}`;
}

function newRefundId(now: number): string {
  return `50${randomDigits(9)}${compactDate(now)}${randomDigits(10)}`;
}

function newOpenid(): string {
  return `o${randomAlnum(27)}`;
}
