// Test support for the doctor: a correct configuration built from keys and certificates generated at test time.
import {
  generateTestKeyPair,
  makeTestCertificate,
  randomApiV3Key,
  randomSerial,
} from '../../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';
import type { TestKeyPair } from '../../server/adapters/payment/wechatpay-v3/wechatpay-v3.testkit';

/** Keys for one suite: the merchant's, WeChat Pay's, and a stranger's (for "wrong key" cases). */
export interface DoctorKeys {
  merchant: TestKeyPair;
  merchantSerial: string;
  merchantCertificatePem: string;
  wechatpay: TestKeyPair;
  stranger: TestKeyPair;
  strangerCertificatePem: string;
  apiV3Key: string;
}

/** Generates the suite's keys (slow: once per suite). */
export function doctorKeys(): DoctorKeys {
  const merchant = generateTestKeyPair();
  const merchantSerial = randomSerial();
  const stranger = generateTestKeyPair();
  return {
    merchant,
    merchantSerial,
    merchantCertificatePem: makeTestCertificate(merchant, merchantSerial, '1900000109'),
    wechatpay: generateTestKeyPair(),
    stranger,
    strangerCertificatePem: makeTestCertificate(stranger, randomSerial(), 'stranger'),
    apiV3Key: randomApiV3Key(),
  };
}

/** A release configuration every offline check passes. */
export function correctEnv(k: DoctorKeys): Record<string, string> {
  return {
    APP_ENV: 'production',
    PAY_PROVIDER: 'wechatpay-v3',
    WECHATPAY_MODE: 'direct',
    WECHATPAY_APPID: 'wx0123456789abcdef',
    WECHATPAY_MCHID: '1900000109',
    WECHATPAY_MERCHANT_PRIVATE_KEY: k.merchant.privateKeyPem,
    WECHATPAY_MERCHANT_SERIAL: k.merchantSerial,
    WECHATPAY_MERCHANT_CERTIFICATE: k.merchantCertificatePem,
    WECHATPAY_APIV3_KEY: k.apiV3Key,
    WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0119000001092025010100000000000001',
    WECHATPAY_PUBLIC_KEY: k.wechatpay.publicKeyPem,
    WECHATPAY_NOTIFY_URL: 'https://shop.example.com/payNotify',
    SHOP_ADMIN_OPENIDS: 'oStaff_0000000001',
  };
}

/** A release catalog without the demo test product. */
export const RELEASE_CATALOG = {
  products: [
    {
      productId: 'p-coffee',
      title: '咖啡豆',
      skus: [{ skuId: 'sku-coffee', spec: '250g', priceFen: 6800, stock: 10, onSale: true }],
    },
  ],
};
