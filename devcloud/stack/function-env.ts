// The cloud functions' configuration when they run on the local stack: the same settings a shop puts in the cloud
// console, filled from the simulator's generated test identity and pointed at the simulator's URL (the only thing
// that differs from production is configuration — docs/adr/0001).
import type { SimIdentity } from '../../simulator';

/** Which merchant kind the local stack runs as. */
export type StackMerchantMode = 'direct' | 'partner';

/** Inputs of {@link stackFunctionEnv}. */
export interface StackEnvOptions {
  identity: SimIdentity;
  mode: StackMerchantMode;
  simulatorUrl: string;
  gatewayUrl: string;
  /** Shoppers charged 1 fen. */
  testerOpenids?: readonly string[];
  /** Staff allowed to refund. */
  adminOpenids?: readonly string[];
  orderTtlMinutes?: number;
  testerAutoRefund?: boolean;
}

/** The local stack's pickup point (SHOP_PICKUP_POINT), so self-pickup can be tried locally. */
export const LOCAL_PICKUP_POINT = '小店自提点|广州市海珠区新港中路 397 号|每天 9:00–21:00';

/** Local staff and tester identities the stack configures by default (the console acts as them). */
export const LOCAL_ADMIN_OPENID = 'o-dev-admin';
/** The mini program's local identity switch offers this one as 店员 (miniprogram/config/build-env.ts localIdentities). */
export const LOCAL_STAFF_OPENID = 'o-dev-staff';
export const LOCAL_TESTER_OPENID = 'o-dev-tester';

/**
 * The local stack's subscription message templates (docs/adr/0010): what a shop sets as SHOP_MSG_TEMPLATE_* after
 * picking templates in the admin console. The local cloud's subscribeMessage.send knows these ids and keys.
 */
export const LOCAL_MSG_TEMPLATES = {
  SHOP_MSG_TEMPLATE_PAID:
    'local-tmpl-paid|character_string1=orderNo,thing2=goods,amount3=paidAmount,time4=paidTime,thing5=note',
  SHOP_MSG_TEMPLATE_SHIPPED:
    'local-tmpl-shipped|character_string1=orderNo,thing2=goods,thing3=carrier,character_string4=trackingNo,time5=shippedTime',
  SHOP_MSG_TEMPLATE_REFUND:
    'local-tmpl-refund|character_string1=orderNo,amount2=refundAmount,phrase3=refundResult,time4=refundTime,thing5=note',
} as const;

/** The function environment variables for the local stack. Contains secrets: never print it. */
export function stackFunctionEnv(o: StackEnvOptions): Record<string, string> {
  const p = o.identity.platform;
  const merchant = o.mode === 'direct' ? o.identity.direct : o.identity.partner;
  const preferred = merchant.keyMode === 'publicKey' ? p.publicKey.publicKeyId : p.certificate.serial;
  const ids: Record<string, string> =
    o.mode === 'direct'
      ? { WECHATPAY_APPID: o.identity.direct.appid, WECHATPAY_MCHID: o.identity.direct.mchid }
      : {
          WECHATPAY_SP_APPID: o.identity.partner.spAppid,
          WECHATPAY_SP_MCHID: o.identity.partner.spMchid,
          WECHATPAY_SUB_MCHID: o.identity.partner.subMchid,
          WECHATPAY_SUB_APPID: o.identity.partner.subAppid,
        };
  return {
    APP_ENV: 'development',
    PAY_PROVIDER: 'wechatpay-v3',
    ORDER_TTL_MINUTES: String(o.orderTtlMinutes ?? 30),
    SHOP_TESTER_OPENIDS: (o.testerOpenids ?? [LOCAL_TESTER_OPENID]).join(','),
    SHOP_ADMIN_OPENIDS: (o.adminOpenids ?? [LOCAL_ADMIN_OPENID, LOCAL_STAFF_OPENID]).join(','),
    SHOP_TESTER_AUTO_REFUND: String(o.testerAutoRefund ?? false),
    SHOP_PICKUP_POINT: LOCAL_PICKUP_POINT,
    ...LOCAL_MSG_TEMPLATES,
    WECHATPAY_MODE: o.mode,
    ...ids,
    WECHATPAY_MERCHANT_PRIVATE_KEY: merchant.merchantPrivateKeyPem,
    WECHATPAY_MERCHANT_SERIAL: merchant.merchantSerial,
    WECHATPAY_MERCHANT_CERTIFICATE: merchant.merchantCertificatePem,
    WECHATPAY_APIV3_KEY: merchant.apiV3Key,
    // Both platform keys are configured, as a merchant in WeChat's certificate→public-key switch must have them.
    WECHATPAY_PLATFORM_CERTIFICATES: p.certificate.certificatePem,
    WECHATPAY_PUBLIC_KEY_ID: p.publicKey.publicKeyId,
    WECHATPAY_PUBLIC_KEY: p.publicKey.publicKeyPem,
    WECHATPAY_PREFERRED_SERIAL: preferred,
    WECHATPAY_BASE_URL: o.simulatorUrl,
    WECHATPAY_NOTIFY_URL: `${o.gatewayUrl}/http/payNotify`,
  };
}
