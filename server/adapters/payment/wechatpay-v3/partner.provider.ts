// Service provider (服务商) mode: wechatpay-node-v3 has no partner endpoints, so these go straight through the same
// signed transport. Bodies carry sp_appid/sp_mchid/sub_mchid (and sub_appid when the sub-merchant has its own app).
import type { FundFlowAccountType, TradeBillType } from '../../../application/ports/payment-provider.port';
import type { PartnerIdentity, WechatPayV3Config } from './config';
import type { AbnormalRefundFields, H5SceneInfo, OrderFields, RefundFields } from './wechatpay-v3.provider';
import { WechatPayV3Provider, transportFor } from './wechatpay-v3.provider';
import type { WechatPayDeps } from './signer';
import { WechatPayClient } from './signer';
import type { VerifiedResponse } from './transport';
import type { SignatureVerifier } from './verifier';

/** The validated configuration of a service provider acting for one sub-merchant. */
export type PartnerConfig = WechatPayV3Config & { identity: PartnerIdentity };

function query(params: Readonly<Record<string, string>>): string {
  return `?${new URLSearchParams(params).toString()}`;
}

/** WeChat Pay APIv3 for a service provider and one sub-merchant. */
export class WechatPayPartnerProvider extends WechatPayV3Provider {
  readonly id = 'wechatpay-v3-partner';
  private readonly identity: PartnerIdentity;

  constructor(config: PartnerConfig, deps: WechatPayDeps, verifier: SignatureVerifier) {
    // The Authorization header names the service provider's merchant id and certificate.
    const signer = new WechatPayClient(config, config.identity.spAppid, config.identity.spMchid, deps);
    const transport = transportFor(config, signer, verifier, deps);
    super({ config, deps, transport, signer, verifier });
    this.identity = config.identity;
  }

  protected requestPaymentAppid(): string {
    return this.identity.subAppid ?? this.identity.spAppid;
  }

  private ids(): Record<string, string> {
    const { spAppid, spMchid, subMchid, subAppid } = this.identity;
    return {
      sp_appid: spAppid,
      sp_mchid: spMchid,
      ...(subAppid === undefined ? {} : { sub_appid: subAppid }),
      sub_mchid: subMchid,
    };
  }

  private post(path: string, body: object, operation: string): Promise<VerifiedResponse> {
    return this.transport.request({
      method: 'POST',
      pathWithQuery: path,
      body: JSON.stringify(body),
      kind: 'write',
      operation,
    });
  }

  private get(pathWithQuery: string, operation: string): Promise<VerifiedResponse> {
    return this.transport.request({ method: 'GET', pathWithQuery, kind: 'read', operation });
  }

  protected sendJsapi(order: OrderFields, openid: string): Promise<VerifiedResponse> {
    // The openid a mini program sees is scoped to its own appid: sub_openid when the app is the sub-merchant's.
    const payer = this.identity.subAppid === undefined ? { sp_openid: openid } : { sub_openid: openid };
    return this.post(
      '/v3/pay/partner/transactions/jsapi',
      { ...this.ids(), ...order, payer },
      'createJsapiPayment',
    );
  }

  protected sendNative(order: OrderFields): Promise<VerifiedResponse> {
    return this.post(
      '/v3/pay/partner/transactions/native',
      { ...this.ids(), ...order },
      'createNativePayment',
    );
  }

  protected sendH5(order: OrderFields, scene: H5SceneInfo): Promise<VerifiedResponse> {
    return this.post(
      '/v3/pay/partner/transactions/h5',
      { ...this.ids(), ...order, scene_info: scene },
      'createH5Payment',
    );
  }

  protected sendQuery(outTradeNo: string): Promise<VerifiedResponse> {
    const { spMchid, subMchid } = this.identity;
    return this.get(
      `/v3/pay/partner/transactions/out-trade-no/${outTradeNo}${query({ sp_mchid: spMchid, sub_mchid: subMchid })}`,
      'queryPayment',
    );
  }

  protected sendClose(outTradeNo: string): Promise<VerifiedResponse> {
    const { spMchid, subMchid } = this.identity;
    return this.post(
      `/v3/pay/partner/transactions/out-trade-no/${outTradeNo}/close`,
      { sp_mchid: spMchid, sub_mchid: subMchid },
      'closePayment',
    );
  }

  protected sendRefund(fields: RefundFields): Promise<VerifiedResponse> {
    return this.post(
      '/v3/refund/domestic/refunds',
      { sub_mchid: this.identity.subMchid, ...fields },
      'createRefund',
    );
  }

  protected sendRefundQuery(outRefundNo: string): Promise<VerifiedResponse> {
    return this.get(
      `/v3/refund/domestic/refunds/${outRefundNo}${query({ sub_mchid: this.identity.subMchid })}`,
      'queryRefund',
    );
  }

  protected sendApplyAbnormalRefund(
    refundId: string,
    fields: AbnormalRefundFields,
  ): Promise<VerifiedResponse> {
    return this.post(
      `/v3/refund/domestic/refunds/${encodeURIComponent(refundId)}/apply-abnormal-refund`,
      { sub_mchid: this.identity.subMchid, ...fields },
      'applyAbnormalRefund',
    );
  }

  protected sendTradeBillApply(billDate: string, type: TradeBillType): Promise<VerifiedResponse> {
    return this.get(
      `/v3/bill/tradebill${query({ bill_date: billDate, sub_mchid: this.identity.subMchid, bill_type: type })}`,
      'downloadTradeBill',
    );
  }

  protected sendFundFlowBillApply(
    billDate: string,
    accountType: FundFlowAccountType,
  ): Promise<VerifiedResponse> {
    // The fund flow bill is the service provider's own account (sub-merchant fund bills are a separate, encrypted API).
    return this.get(
      `/v3/bill/fundflowbill${query({ bill_date: billDate, account_type: accountType })}`,
      'downloadFundFlowBill',
    );
  }
}
