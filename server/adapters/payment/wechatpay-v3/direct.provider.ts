// Direct merchant (普通商户) mode: the endpoints wechatpay-node-v3 already knows. Its methods compose the URL and body;
// our WechatPayClient signs them and our transport (plugged into createHttp) sends, verifies and returns the answer.
import type { FundFlowAccountType, TradeBillType } from '../../../application/ports/payment-provider.port';
import type { Ih5 } from 'wechatpay-node-v3/dist/lib/interface';
import type { DirectIdentity, WechatPayV3Config } from './config';
import type { AbnormalRefundFields, H5SceneInfo, OrderFields, RefundFields } from './wechatpay-v3.provider';
import { WechatPayV3Provider, transportFor } from './wechatpay-v3.provider';
import type { WechatPayDeps } from './signer';
import { WechatPayClient } from './signer';
import { VerifiedResponse } from './transport';
import type { SignatureVerifier } from './verifier';

/** The validated configuration of a direct merchant. */
export type DirectConfig = WechatPayV3Config & { identity: DirectIdentity };

function verified(data: unknown): VerifiedResponse {
  // The transport is the only HTTP service the client has, and it always answers with a VerifiedResponse.
  if (data instanceof VerifiedResponse) return data;
  throw new Error('wechatpay-node-v3 returned something other than the transport answer');
}

/** WeChat Pay APIv3 for a direct merchant, on wechatpay-node-v3's endpoint methods. */
export class WechatPayDirectProvider extends WechatPayV3Provider {
  readonly id = 'wechatpay-v3-direct';
  private readonly pay: WechatPayClient;
  private readonly identity: DirectIdentity;

  constructor(config: DirectConfig, deps: WechatPayDeps, verifier: SignatureVerifier) {
    const pay = new WechatPayClient(config, config.identity.appid, config.identity.mchid, deps);
    const transport = transportFor(config, pay, verifier, deps);
    pay.createHttp(transport.payRequestSeam());
    super({ config, deps, transport, signer: pay, verifier });
    this.pay = pay;
    this.identity = config.identity;
  }

  protected requestPaymentAppid(): string {
    return this.identity.appid;
  }

  protected async sendJsapi(order: OrderFields, openid: string): Promise<VerifiedResponse> {
    return verified((await this.pay.transactions_jsapi({ ...order, payer: { openid } })).data);
  }

  protected async sendNative(order: OrderFields): Promise<VerifiedResponse> {
    return verified((await this.pay.transactions_native(order)).data);
  }

  protected async sendH5(order: OrderFields, scene: H5SceneInfo): Promise<VerifiedResponse> {
    // The library's type marks h5_info.app_name required; WeChat's API does not, and we do not invent one.
    const params = { ...order, scene_info: scene } as unknown as Ih5;
    return verified((await this.pay.transactions_h5(params)).data);
  }

  protected async sendQuery(outTradeNo: string): Promise<VerifiedResponse> {
    return verified((await this.pay.query({ out_trade_no: outTradeNo })).data);
  }

  protected async sendClose(outTradeNo: string): Promise<VerifiedResponse> {
    return verified((await this.pay.close(outTradeNo)).data);
  }

  protected async sendRefund(fields: RefundFields): Promise<VerifiedResponse> {
    return verified((await this.pay.refunds(fields)).data);
  }

  protected async sendRefundQuery(outRefundNo: string): Promise<VerifiedResponse> {
    return verified((await this.pay.find_refunds(outRefundNo)).data);
  }

  protected sendApplyAbnormalRefund(
    refundId: string,
    fields: AbnormalRefundFields,
  ): Promise<VerifiedResponse> {
    // wechatpay-node-v3 has no method for it: straight through the same signed transport.
    return this.transport.request({
      method: 'POST',
      pathWithQuery: `/v3/refund/domestic/refunds/${encodeURIComponent(refundId)}/apply-abnormal-refund`,
      body: JSON.stringify(fields),
      kind: 'write',
      operation: 'applyAbnormalRefund',
    });
  }

  protected async sendTradeBillApply(billDate: string, type: TradeBillType): Promise<VerifiedResponse> {
    return verified((await this.pay.tradebill({ bill_date: billDate, bill_type: type })).data);
  }

  protected async sendFundFlowBillApply(
    billDate: string,
    accountType: FundFlowAccountType,
  ): Promise<VerifiedResponse> {
    return verified((await this.pay.fundflowbill({ bill_date: billDate, account_type: accountType })).data);
  }
}
