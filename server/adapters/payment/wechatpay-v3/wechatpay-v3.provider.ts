// The WeChat Pay APIv3 provider: everything direct and partner mode share (input checks, answer checks, wx.requestPayment
// signing, notification trust, bills). A mode supplies only its endpoints and body shapes (direct.provider.ts,
// partner.provider.ts), like Medusa's one abstract provider with thin concrete ones.
import { X509Certificate, constants, createHash, createPublicKey, publicEncrypt } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { ProviderError, ProviderErrorCodes } from '../../../application/ports/payment-provider.errors';
import type {
  ApplyAbnormalRefundInput,
  ClosePaymentResult,
  CreateH5PaymentInput,
  CreateJsapiPaymentInput,
  CreateNativePaymentInput,
  CreatePaymentBase,
  CreateRefundInput,
  FundFlowAccountType,
  FundFlowBill,
  H5Payment,
  IncomingNotification,
  JsapiPayment,
  NativePayment,
  PaymentNotificationEvent,
  PaymentProvider,
  PaymentQueryResult,
  Refund,
  RefundQueryResult,
  TradeBill,
  TradeBillType,
} from '../../../application/ports/payment-provider.port';
import type { Retryability } from '../../../application/ports/payment-provider.errors';
import { BillFormatError, parseFundFlowBill, parseTradeBill } from './bill-parser';
import type { WechatPayV3Config } from './config';
import { classifyUntrustedAnswer } from './error-classification';
import type { RequestKind } from './error-classification';
import { beijingRfc3339 } from '../../../domain/beijing-time';
import { BANK_ACCOUNT_PATTERN, BANK_TYPE_PATTERN, REFUND_ID_PATTERN } from '../../../domain/ids';
import { checkFen, checkOpenid, checkOutRefundNo, checkOutTradeNo, invalid } from '../port-input';
import {
  checkBillDate,
  checkExpiry,
  checkIp,
  checkNotifyUrl,
  checkOneOf,
  checkText,
} from './input-validation';
import { checkTransactionIdentity, verifyWechatPayNotification } from './notification-verifier';
import { buildRequestPayment } from './request-payment';
import type { RequestSigner, WechatPayDeps } from './signer';
import type { VerifiedResponse } from './transport';
import { WechatPayTransport } from './transport';
import type { SignatureVerifier } from './verifier';
import { MalformedError, asRecord, normaliseRefund, normaliseTransaction, str } from './wire-format';

/** How long a prepay_id stays usable after it was issued. */
export const PREPAY_ID_LIFETIME_MS = 2 * 60 * 60 * 1000;

/** The order fields every create endpoint takes, already in WeChat's shape. */
export interface OrderFields {
  description: string;
  out_trade_no: string;
  time_expire: string;
  attach?: string;
  notify_url: string;
  amount: { total: number; currency: 'CNY' };
}

/** The refund fields both modes send (partner mode adds sub_mchid). */
export interface RefundFields {
  out_trade_no: string;
  out_refund_no: string;
  reason?: string;
  notify_url: string;
  amount: { refund: number; total: number; currency: 'CNY' };
}

/** The body of apply-abnormal-refund both modes send (partner mode adds sub_mchid). Card fields are encrypted. */
export interface AbnormalRefundFields {
  out_refund_no: string;
  type: 'USER_BANK_CARD' | 'MERCHANT_BANK_CARD';
  bank_type?: string;
  bank_account?: string;
  real_name?: string;
}

/** The H5 scene WeChat requires. */
export interface H5SceneInfo {
  payer_client_ip: string;
  h5_info: { type: 'Wap' | 'iOS' | 'Android' };
}

/** The parts a concrete mode hands to the shared provider. */
export interface ProviderParts {
  config: WechatPayV3Config;
  deps: WechatPayDeps;
  transport: WechatPayTransport;
  signer: RequestSigner;
  verifier: SignatureVerifier;
}

/** The transport both modes send through: the configured endpoint, signed by `signer`, answers checked by `verifier`. */
export function transportFor(
  config: WechatPayV3Config,
  signer: RequestSigner,
  verifier: SignatureVerifier,
  deps: WechatPayDeps,
): WechatPayTransport {
  return new WechatPayTransport({
    baseUrl: config.baseUrl,
    timeoutMs: config.requestTimeoutMs,
    signer,
    verifier,
    platformSerial: config.preferredPlatformSerial,
    deps,
  });
}

const NOT_FOUND_CODES = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'RESOURCE_NOT_EXISTS', 'NOT_FOUND']);
// Closing a paid order is refused with an error (v2: ORDERPAID; the simulator, like v3: 403 TRADE_ERROR). Reading
// such a refusal as "maybe paid" is the safe side: the caller queries next, and NOTPAY means close again later.
const ALREADY_PAID_CODES = new Set(['TRADE_ERROR', 'ORDER_PAID', 'ORDERPAID']);
// Closing within 5 minutes of creating: 403 RULE_LIMIT, which on this endpoint means "later", not "never".
const CLOSE_TOO_EARLY_CODES = new Set(['RULE_LIMIT']);
const ALREADY_CLOSED_CODES = new Set(['ORDER_CLOSED', 'ORDERCLOSED']);

/** The shared WeChat Pay APIv3 provider; a mode implements the `send*` endpoint hooks. */
export abstract class WechatPayV3Provider implements PaymentProvider {
  abstract readonly id: string;
  protected readonly config: WechatPayV3Config;
  protected readonly deps: WechatPayDeps;
  protected readonly transport: WechatPayTransport;
  private readonly signer: RequestSigner;
  private readonly verifier: SignatureVerifier;

  protected constructor(parts: ProviderParts) {
    this.config = parts.config;
    this.deps = parts.deps;
    this.transport = parts.transport;
    this.signer = parts.signer;
    this.verifier = parts.verifier;
  }

  /** The appid wx.requestPayment is signed for: the appid the order is created with (partner: sub_appid when set). */
  protected abstract requestPaymentAppid(): string;
  protected abstract sendJsapi(order: OrderFields, openid: string): Promise<VerifiedResponse>;
  protected abstract sendNative(order: OrderFields): Promise<VerifiedResponse>;
  protected abstract sendH5(order: OrderFields, scene: H5SceneInfo): Promise<VerifiedResponse>;
  protected abstract sendQuery(outTradeNo: string): Promise<VerifiedResponse>;
  protected abstract sendClose(outTradeNo: string): Promise<VerifiedResponse>;
  protected abstract sendRefund(fields: RefundFields): Promise<VerifiedResponse>;
  protected abstract sendRefundQuery(outRefundNo: string): Promise<VerifiedResponse>;
  protected abstract sendApplyAbnormalRefund(
    refundId: string,
    fields: AbnormalRefundFields,
  ): Promise<VerifiedResponse>;
  protected abstract sendTradeBillApply(billDate: string, type: TradeBillType): Promise<VerifiedResponse>;
  protected abstract sendFundFlowBillApply(
    billDate: string,
    accountType: FundFlowAccountType,
  ): Promise<VerifiedResponse>;

  /** Business time (expiry), which is transport time unless a business clock was injected. */
  private businessNowMs(): number {
    return (this.deps.businessNowMs ?? this.deps.nowMs)();
  }

  /** Releases the transport's pooled connections. */
  close(): void {
    this.transport.close();
  }

  async createJsapiPayment(input: CreateJsapiPaymentInput): Promise<JsapiPayment> {
    const op = 'createJsapiPayment';
    const order = this.orderFields(op, input);
    const openid = checkOpenid(op, input.payerOpenid);
    const res = await this.run(op, () => this.sendJsapi(order, openid));
    const prepayId = this.readAnswer(op, 'write', res, (doc) => str(doc, 'prepay_id', 'answer'));
    const nowMs = this.deps.nowMs();
    return {
      prepayId,
      // On the business clock: the payment core compares this expiry with its own now (one clock, ADR 0006).
      prepayExpiresAtMs: Math.min(this.businessNowMs() + PREPAY_ID_LIFETIME_MS, input.expiresAtMs),
      requestPayment: buildRequestPayment(
        this.requestPaymentAppid(),
        prepayId,
        nowMs,
        this.signer.nonce(),
        (m) => this.signer.sign(m),
      ),
    };
  }

  async createNativePayment(input: CreateNativePaymentInput): Promise<NativePayment> {
    const op = 'createNativePayment';
    const order = this.orderFields(op, input);
    const res = await this.run(op, () => this.sendNative(order));
    return { codeUrl: this.readAnswer(op, 'write', res, (doc) => str(doc, 'code_url', 'answer')) };
  }

  async createH5Payment(input: CreateH5PaymentInput): Promise<H5Payment> {
    const op = 'createH5Payment';
    const order = this.orderFields(op, input);
    const scene: H5SceneInfo = {
      payer_client_ip: checkIp(op, input.payerClientIp),
      h5_info: {
        type:
          input.h5Type === undefined
            ? 'Wap'
            : checkOneOf(op, 'h5Type', input.h5Type, ['Wap', 'iOS', 'Android']),
      },
    };
    const res = await this.run(op, () => this.sendH5(order, scene));
    return { h5Url: this.readAnswer(op, 'write', res, (doc) => str(doc, 'h5_url', 'answer')) };
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    const op = 'queryPayment';
    const no = checkOutTradeNo(op, outTradeNo);
    let res: VerifiedResponse;
    try {
      res = await this.run(op, () => this.sendQuery(no));
    } catch (e) {
      if (e instanceof ProviderError && e.httpStatus === 404 && NOT_FOUND_CODES.has(e.code)) {
        return { kind: 'not-found', outTradeNo: no };
      }
      throw e;
    }
    const transaction = this.readAnswer(op, 'read', res, (doc) =>
      normaliseTransaction(doc, this.config.identity.mode),
    );
    const mismatch =
      transaction.outTradeNo !== no
        ? 'the answer is about another out_trade_no'
        : checkTransactionIdentity(transaction, this.config.identity);
    if (mismatch !== undefined) throw this.badAnswer(op, 'read', mismatch, res);
    return { kind: 'found', transaction };
  }

  async closePayment(outTradeNo: string): Promise<ClosePaymentResult> {
    const op = 'closePayment';
    const no = checkOutTradeNo(op, outTradeNo);
    try {
      await this.run(op, () => this.sendClose(no));
      return { outcome: 'closed' };
    } catch (e) {
      if (e instanceof ProviderError && ALREADY_CLOSED_CODES.has(e.code)) return { outcome: 'closed' };
      // An order WeChat does not have cannot be paid either: that is all a close has to achieve (not a failure).
      if (e instanceof ProviderError && e.httpStatus === 404 && NOT_FOUND_CODES.has(e.code)) {
        return { outcome: 'closed' };
      }
      if (e instanceof ProviderError && ALREADY_PAID_CODES.has(e.code)) return { outcome: 'already-paid' };
      if (e instanceof ProviderError && CLOSE_TOO_EARLY_CODES.has(e.code)) {
        throw new ProviderError(e.code, e.message, 'retry', {
          operation: op,
          ...(e.httpStatus === undefined ? {} : { httpStatus: e.httpStatus }),
          ...(e.requestId === undefined ? {} : { requestId: e.requestId }),
          cause: e,
        });
      }
      throw e;
    }
  }

  async createRefund(input: CreateRefundInput): Promise<Refund> {
    const op = 'createRefund';
    const outTradeNo = checkOutTradeNo(op, input.outTradeNo);
    const outRefundNo = checkOutRefundNo(op, input.outRefundNo);
    const refundFen = checkFen(op, 'refundFen', input.refundFen, 1);
    const paidFen = checkFen(op, 'paidFen', input.paidFen, 1);
    if (refundFen > paidFen) invalid(op, 'refundFen must not exceed paidFen');
    const reason = input.reason === undefined ? undefined : checkText(op, 'reason', input.reason, 1, 80);
    const notifyUrl =
      input.notifyUrl === undefined ? this.config.refundNotifyUrl : checkNotifyUrl(op, input.notifyUrl);
    const fields: RefundFields = {
      out_trade_no: outTradeNo,
      out_refund_no: outRefundNo,
      ...(reason === undefined ? {} : { reason }),
      notify_url: notifyUrl,
      amount: { refund: refundFen, total: paidFen, currency: 'CNY' },
    };
    const res = await this.run(op, () => this.sendRefund(fields));
    const refund = this.readAnswer(op, 'write', res, (doc) => normaliseRefund(doc));
    if (refund.outRefundNo !== outRefundNo || refund.outTradeNo !== outTradeNo) {
      throw this.badAnswer(op, 'write', 'the answer is about another refund', res);
    }
    return refund;
  }

  refundNotifyUrl(): string {
    return this.config.refundNotifyUrl;
  }

  async queryRefund(outRefundNo: string): Promise<RefundQueryResult> {
    const op = 'queryRefund';
    const no = checkOutRefundNo(op, outRefundNo);
    let res: VerifiedResponse;
    try {
      res = await this.run(op, () => this.sendRefundQuery(no));
    } catch (e) {
      if (e instanceof ProviderError && e.httpStatus === 404 && NOT_FOUND_CODES.has(e.code)) {
        return { kind: 'not-found', outRefundNo: no };
      }
      throw e;
    }
    const refund = this.readAnswer(op, 'read', res, (doc) => normaliseRefund(doc));
    if (refund.outRefundNo !== no)
      throw this.badAnswer(op, 'read', 'the answer is about another refund', res);
    return { kind: 'found', refund };
  }

  async applyAbnormalRefund(input: ApplyAbnormalRefundInput): Promise<Refund> {
    const op = 'applyAbnormalRefund';
    if (typeof input.refundId !== 'string' || !REFUND_ID_PATTERN.test(input.refundId))
      invalid(op, 'refundId must be 1–64 of [0-9A-Za-z]');
    const outRefundNo = checkOutRefundNo(op, input.outRefundNo);
    const type = checkOneOf(op, 'type', input.type, ['USER_BANK_CARD', 'MERCHANT_BANK_CARD']);
    let card: Pick<AbnormalRefundFields, 'bank_type' | 'bank_account' | 'real_name'> = {};
    if (type === 'USER_BANK_CARD') {
      if (typeof input.bankType !== 'string' || !BANK_TYPE_PATTERN.test(input.bankType))
        invalid(op, 'bankType must be a bank code such as ICBC_DEBIT');
      if (typeof input.bankAccount !== 'string' || !BANK_ACCOUNT_PATTERN.test(input.bankAccount))
        invalid(op, 'bankAccount must be 8–32 digits');
      const realName = checkText(op, 'realName', input.realName, 1, 64);
      // Sensitive fields travel RSA-OAEP encrypted to the platform key named in Wechatpay-Serial.
      card = {
        bank_type: input.bankType,
        bank_account: this.encryptSensitive(input.bankAccount),
        real_name: this.encryptSensitive(realName),
      };
    } else if (
      input.bankType !== undefined ||
      input.bankAccount !== undefined ||
      input.realName !== undefined
    ) {
      invalid(op, 'bank card fields belong to type USER_BANK_CARD only');
    }
    const res = await this.run(op, () =>
      this.sendApplyAbnormalRefund(input.refundId, { out_refund_no: outRefundNo, type, ...card }),
    );
    const refund = this.readAnswer(op, 'write', res, (doc) => normaliseRefund(doc));
    if (refund.outRefundNo !== outRefundNo)
      throw this.badAnswer(op, 'write', 'the answer is about another refund', res);
    return refund;
  }

  /** RSA-OAEP (SHA-1, as WeChat Pay requires) with the platform key our requests name as Wechatpay-Serial. */
  private encryptSensitive(text: string): string {
    const serial = this.config.preferredPlatformSerial;
    const pem =
      this.config.platformPublicKey?.id === serial
        ? this.config.platformPublicKey.pem
        : this.config.platformCertificates[serial];
    if (pem === undefined) {
      throw new ProviderError(
        ProviderErrorCodes.INVALID_ARGUMENT,
        'no platform key to encrypt sensitive fields with',
        'fatal',
      );
    }
    const key = pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return publicEncrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(text, 'utf8'),
    ).toString('base64');
  }

  verifyNotification(notification: IncomingNotification): Promise<PaymentNotificationEvent> {
    // Synchronous underneath; the port is async so other providers may do I/O here.
    return new Promise((resolve) => {
      resolve(
        verifyWechatPayNotification(notification, {
          identity: this.config.identity,
          verifier: this.verifier,
          apiV3Key: this.config.apiV3Key,
          nowMs: this.deps.nowMs,
        }),
      );
    });
  }

  async downloadTradeBill(billDate: string, type: TradeBillType): Promise<TradeBill> {
    const op = 'downloadTradeBill';
    const date = checkBillDate(op, billDate);
    const billType = checkOneOf(op, 'type', type, ['ALL', 'SUCCESS', 'REFUND']);
    const { text, sha1 } = await this.fetchBill(op, () => this.sendTradeBillApply(date, billType));
    const parsed = this.parseBill(op, () => parseTradeBill(text));
    return { billDate: date, type: billType, ...parsed, sha1 };
  }

  async downloadFundFlowBill(billDate: string, accountType: FundFlowAccountType): Promise<FundFlowBill> {
    const op = 'downloadFundFlowBill';
    const date = checkBillDate(op, billDate);
    const account = checkOneOf(op, 'accountType', accountType, ['BASIC', 'OPERATION', 'FEES']);
    const { text, sha1 } = await this.fetchBill(op, () => this.sendFundFlowBillApply(date, account));
    const parsed = this.parseBill(op, () => parseFundFlowBill(text));
    return { billDate: date, accountType: account, ...parsed, sha1 };
  }

  private orderFields(op: string, input: CreatePaymentBase): OrderFields {
    const attach = input.attach === undefined ? undefined : checkText(op, 'attach', input.attach, 0, 128);
    return {
      description: checkText(op, 'description', input.description, 1, 127),
      out_trade_no: checkOutTradeNo(op, input.outTradeNo),
      time_expire: beijingRfc3339(checkExpiry(op, input.expiresAtMs, this.businessNowMs()), 'second'),
      ...(attach === undefined || attach === '' ? {} : { attach }),
      notify_url: this.config.notifyUrl,
      amount: { total: checkFen(op, 'payableFen', input.payableFen, 1), currency: 'CNY' },
    };
  }

  /** Runs one exchange and names `op` in any ProviderError it throws. */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ProviderError) {
        throw new ProviderError(e.code, `${op}: ${e.message}`, e.retryability, {
          operation: op,
          ...(e.httpStatus === undefined ? {} : { httpStatus: e.httpStatus }),
          ...(e.requestId === undefined ? {} : { requestId: e.requestId }),
          cause: e,
        });
      }
      throw e;
    }
  }

  /** Parses a verified answer as a JSON object and reads it with `read`; a bad shape is ProviderError BAD_RESPONSE. */
  private readAnswer<T>(
    op: string,
    kind: RequestKind,
    res: VerifiedResponse,
    read: (doc: Readonly<Record<string, unknown>>) => T,
  ): T {
    try {
      return read(asRecord(res.json(), 'answer'));
    } catch (e) {
      if (e instanceof MalformedError) throw this.badAnswer(op, kind, e.message, res);
      if (e instanceof SyntaxError) throw this.badAnswer(op, kind, 'the answer is not JSON', res);
      throw e;
    }
  }

  private badAnswer(
    op: string,
    kind: RequestKind,
    problem: string,
    res: VerifiedResponse,
    retry?: Retryability,
  ): ProviderError {
    return new ProviderError(
      ProviderErrorCodes.BAD_RESPONSE,
      `${op}: unexpected WeChat Pay answer: ${problem}`,
      retry ?? classifyUntrustedAnswer(kind),
      {
        operation: op,
        httpStatus: res.status,
        ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
      },
    );
  }

  private async fetchBill(
    op: string,
    apply: () => Promise<VerifiedResponse>,
  ): Promise<{ text: string; sha1: string }> {
    const res = await this.run(op, apply);
    const meta = this.readAnswer(op, 'read', res, (doc) => ({
      hashType: str(doc, 'hash_type', 'answer'),
      hashValue: str(doc, 'hash_value', 'answer').toLowerCase(),
      downloadUrl: str(doc, 'download_url', 'answer'),
    }));
    if (meta.hashType !== 'SHA1' || !/^[0-9a-f]{40}$/.test(meta.hashValue)) {
      throw this.badAnswer(op, 'read', 'hash_type must be SHA1 with a 40-digit hex hash_value', res);
    }
    const bytes = await this.run(op, () => this.transport.download(meta.downloadUrl, op));
    // The hash is over the bill itself; a gzip answer (tar_type=GZIP, or a proxy) is checked after unpacking.
    let file = bytes;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        file = gunzipSync(bytes);
      } catch {
        throw new ProviderError(
          ProviderErrorCodes.BILL_HASH_MISMATCH,
          `${op}: bill download is a broken gzip file`,
          'retry',
          { operation: op },
        );
      }
    }
    const actual = createHash('sha1').update(file).digest('hex');
    if (actual !== meta.hashValue) {
      // The download answer is not signed: the hash from the signed apply answer is the only integrity check.
      throw new ProviderError(
        ProviderErrorCodes.BILL_HASH_MISMATCH,
        `${op}: downloaded bill does not match the SHA1 WeChat published for it`,
        'retry',
        { operation: op },
      );
    }
    return { text: file.toString('utf8'), sha1: actual };
  }

  private parseBill<T>(op: string, parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      if (e instanceof BillFormatError) {
        // The bytes are what WeChat published (hash matched): asking again returns the same file.
        throw new ProviderError(
          ProviderErrorCodes.BAD_RESPONSE,
          `${op}: bill cannot be parsed: ${e.message}`,
          'fatal',
          {
            operation: op,
          },
        );
      }
      throw e;
    }
  }
}
