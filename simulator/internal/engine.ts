// The simulated WeChat Pay as the routes and the control API see it: a thin façade over the order and refund ledgers
// (orders.ts, refunds.ts; request parsing in requests.ts), the certificate and echo endpoints, and the timed work
// that completes refunds in virtual time.
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
} from '../types';
import { formatRfc3339Beijing } from './clock';
import { aesGcmEncrypt, certificateValidity, randomAlnum } from './crypto';
import { wx } from './errors';
import { FieldReader } from './fields';
import { OrderLedger, type OrderLedgerDeps } from './orders';
import { RefundLedger } from './refunds';
import { checkNotifyUrl, decryptSensitive, type ApiCall, type ApiResult, type Channel } from './requests';
import type { TimedSource } from './scheduler';

export { PREPAY_LIFETIME_MS } from './orders';
export { checkNotifyUrl, orderKey, type ApiCall, type ApiResult, type Channel } from './requests';

/** Default settings of a fresh simulator. */
export const DEFAULT_SETTINGS: SimSettings = {
  refundDelayMs: 60_000,
  defaultRefundOutcome: 'SUCCESS',
  switchingPublicKeyShare: 0.5,
  closeGuardMs: 5 * 60_000,
};

/** Dependencies of the engine: the order ledger's, and the scheduler's kick. */
export interface EngineDeps extends OrderLedgerDeps {
  kick: () => void;
}

/** Orders, refunds and the payer. Throws WxError for WeChat API answers and ControlError for control calls. */
export class Engine implements TimedSource {
  private readonly orders: OrderLedger;
  private readonly refunds: RefundLedger;
  private readonly completing = new Set<string>();

  constructor(private readonly d: EngineDeps) {
    this.orders = new OrderLedger(d);
    this.refunds = new RefundLedger({ ...d, orders: this.orders });
  }

  // ---------------------------------------------------------------- WeChat API: transactions

  /** POST /v3/pay[/partner]/transactions/{jsapi,native,h5,app}. */
  createTransaction(call: ApiCall, family: MerchantMode, channel: Channel): ApiResult {
    return this.orders.create(call, family, channel);
  }

  /** GET …/transactions/out-trade-no/{no}?mchid= (partner: sp_mchid & sub_mchid). */
  queryByOutTradeNo(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    return this.orders.queryByOutTradeNo(call, family, outTradeNo);
  }

  /** GET …/transactions/id/{transaction_id}?mchid= (partner: sp_mchid & sub_mchid). */
  queryById(call: ApiCall, family: MerchantMode, transactionId: string): ApiResult {
    return this.orders.queryById(call, family, transactionId);
  }

  /** POST …/out-trade-no/{no}/close → 204 (see OrderLedger.close). */
  close(call: ApiCall, family: MerchantMode, outTradeNo: string): ApiResult {
    return this.orders.close(call, family, outTradeNo);
  }

  // ---------------------------------------------------------------- WeChat API: refunds

  /** POST /v3/refund/domestic/refunds → PROCESSING (idempotent by out_refund_no). */
  createRefund(call: ApiCall): ApiResult {
    return this.refunds.create(call);
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} (partner: ?sub_mchid=). */
  queryRefund(call: ApiCall, outRefundNo: string): ApiResult {
    return this.refunds.query(call, outRefundNo);
  }

  /** POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund (see RefundLedger.applyAbnormal). */
  applyAbnormalRefund(call: ApiCall, refundId: string): ApiResult {
    return this.refunds.applyAbnormal(call, refundId);
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
      out.decrypted_echo_message = decryptSensitive(
        this.d.identity,
        call,
        '/encrypted_echo_message',
        encrypted,
        {
          noKey: '加密字段需要在Wechatpay-Serial中指明所用平台证书或公钥',
          undecryptable: '加密字段解密失败，请使用RSA-OAEP(SHA-1)与对应的平台公钥加密',
        },
      );
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
    return this.orders.find(outTradeNo, ref);
  }

  /** Orders, oldest first, optionally by trade state. */
  listOrders(f: { tradeState?: TradeState; limit?: number } = {}): OrderRecord[] {
    return this.orders.list(f);
  }

  /** The shopper pays within the rules: NOTPAY, not expired, prepay_id still valid. */
  pay(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    return this.orders.pay(outTradeNo, opts);
  }

  /** The shopper pays although the order is closed or expired: money is taken anyway (close/pay race). */
  payLate(outTradeNo: string, opts: PayOptions = {}): OrderRecord {
    return this.orders.payLate(outTradeNo, opts);
  }

  /** The shopper closes the cashier; nothing changes but the record. */
  cancel(outTradeNo: string, ref: OrderRef = {}): OrderRecord {
    return this.orders.cancel(outTradeNo, ref);
  }

  /** The payment fails (default NOT_ENOUGH): the order stays NOTPAY. */
  fail(outTradeNo: string, ref: OrderRef & { reason?: string } = {}): OrderRecord {
    return this.orders.fail(outTradeNo, ref);
  }

  // ---------------------------------------------------------------- refunds (control API)

  /** Finds a refund by out_refund_no (and mchid/subMchid when ambiguous). */
  findRefund(outRefundNo: string, ref: OrderRef = {}): RefundRecord {
    return this.refunds.find(outRefundNo, ref);
  }

  /** Refunds, oldest first. */
  listRefunds(f: { outTradeNo?: string; status?: RefundStatus; limit?: number } = {}): RefundRecord[] {
    return this.refunds.list(f);
  }

  /** Chooses the outcome of a PROCESSING refund; `now` completes it immediately. */
  setRefundOutcome(
    outRefundNo: string,
    outcome: RefundOutcome,
    opts: OrderRef & { now?: boolean } = {},
  ): RefundRecord {
    return this.refunds.setOutcome(outRefundNo, outcome, opts);
  }

  /** An ABNORMAL refund settled by hand in the merchant platform → SUCCESS (notification only when asked). */
  settleRefundByHand(outRefundNo: string, opts: OrderRef & { notify?: boolean } = {}): RefundRecord {
    return this.refunds.settleByHand(outRefundNo, opts);
  }

  // ---------------------------------------------------------------- bills support

  /** All orders (for bills). */
  allOrders(): OrderRecord[] {
    return this.orders.all();
  }

  /** All refunds (for bills). */
  allRefunds(): RefundRecord[] {
    return this.refunds.all();
  }

  // ---------------------------------------------------------------- timed work: refund completion

  nextDueAt(): number | undefined {
    let min: number | undefined;
    for (const r of this.refunds.processingRefunds()) {
      if (this.completing.has(r.key)) continue;
      if (min === undefined || r.completeAt < min) min = r.completeAt;
    }
    return min;
  }

  startDue(now: number): Promise<void>[] {
    const due = this.refunds
      .processingRefunds()
      .filter((r) => r.completeAt <= now && !this.completing.has(r.key))
      .sort((a, b) => a.completeAt - b.completeAt);
    return due.map((r) => {
      this.completing.add(r.key);
      try {
        this.refunds.complete(r.key);
      } finally {
        this.completing.delete(r.key);
      }
      return Promise.resolve();
    });
  }
}
