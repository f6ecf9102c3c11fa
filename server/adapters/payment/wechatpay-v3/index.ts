// Entry point of the WeChat Pay APIv3 adapter: build a provider from validated configuration.
import { randomBytes } from 'node:crypto';
import type { PaymentProvider } from '../../../application/ports/payment-provider.port';
import type { WechatPayV3Config } from './config';
import { WechatPayDirectProvider } from './direct.provider';
import { WechatPayPartnerProvider } from './partner.provider';
import type { WechatPayDeps } from './signer';
import { certificateVerifier, combinedVerifier, publicKeyVerifier } from './verifier';
import type { SignatureVerifier } from './verifier';

export { parseWechatPayV3Config, WechatPayConfigError, WechatPayEnv } from './config';
export type { WechatPayV3Config } from './config';
export type { WechatPayDeps } from './signer';
export { WechatPayDirectProvider } from './direct.provider';
export { WechatPayPartnerProvider } from './partner.provider';

/** The real clock and crypto randomness. */
export const systemDeps: WechatPayDeps = {
  nowMs: () => Date.now(),
  randomBytes: (size) => randomBytes(size),
};

/** The verifier for every platform key in `config`: certificates and the public key, both accepted (a key switch). */
export function platformVerifier(config: WechatPayV3Config): SignatureVerifier {
  const verifiers: SignatureVerifier[] = [];
  if (config.platformPublicKey !== undefined) {
    verifiers.push(publicKeyVerifier(config.platformPublicKey.id, config.platformPublicKey.pem));
  }
  if (Object.keys(config.platformCertificates).length > 0)
    verifiers.push(certificateVerifier(config.platformCertificates));
  return combinedVerifier(verifiers);
}

/** A WeChat Pay APIv3 provider (direct or partner, by config) with `close()` to release pooled connections. */
export function createWechatPayV3Provider(
  config: WechatPayV3Config,
  deps: WechatPayDeps = systemDeps,
): PaymentProvider & { close(): void } {
  const verifier = platformVerifier(config);
  const { identity } = config;
  if (identity.mode === 'direct') return new WechatPayDirectProvider({ ...config, identity }, deps, verifier);
  return new WechatPayPartnerProvider({ ...config, identity }, deps, verifier);
}
