// The simulator's test identity: merchants, their keys and the platform keys. Generated once per data folder.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSelfSignedCertificate,
  generateRsaKeyPair,
  randomAlnum,
  randomCertificateSerial,
  randomDigits,
  randomHex,
} from './crypto';
import { writeFileAtomic } from './fsutil';

/**
 * How WeChat Pay signs for a merchant: only with the platform certificate, only with the WeChat Pay public key
 * (merchants since ~Oct 2024), or the gray switching period where callbacks use either key, randomly mixed.
 */
export type KeyMode = 'certificate' | 'publicKey' | 'switching';

/** All key modes, for validation. */
export const KEY_MODES: readonly KeyMode[] = ['certificate', 'publicKey', 'switching'];

/** A merchant's API credentials (what the merchant platform hands out). */
export interface MerchantKeys {
  merchantPrivateKeyPem: string;
  merchantCertificatePem: string;
  /** Serial of merchantCertificatePem: 40 upper-case hex digits. */
  merchantSerial: string;
  /**
   * Further API certificates of this merchant that WeChat accepts signatures from: a rotation, where a new
   * certificate has been applied for while the one above is still valid. Registered with POST /sim/merchant-certificates.
   */
  additionalCertificates?: { serial: string; certificatePem: string }[];
  /** The APIv3 key: 32 ASCII characters, used for AES-256-GCM of notification resources. */
  apiV3Key: string;
  keyMode: KeyMode;
}

/** A direct (ordinary) merchant and the mini program bound to it. */
export interface DirectMerchant extends MerchantKeys {
  appid: string;
  mchid: string;
}

/** A service provider (服务商) with one sub-merchant and the sub-merchant's mini program. */
export interface PartnerMerchant extends MerchantKeys {
  spAppid: string;
  spMchid: string;
  subMchid: string;
  subAppid: string;
}

/** WeChat Pay's own keys: the platform certificate and the WeChat Pay public key (PUB_KEY_ID_…). */
export interface PlatformKeys {
  certificate: { certificatePem: string; privateKeyPem: string; serial: string };
  publicKey: { publicKeyPem: string; privateKeyPem: string; publicKeyId: string };
}

/** The whole simulated world's identity, stored in `<dataDir>/identity.json` (secrets included: dev only). */
export interface SimIdentity {
  version: 1;
  direct: DirectMerchant;
  partner: PartnerMerchant;
  platform: PlatformKeys;
}

/** The identity without private keys or APIv3 keys: safe to print or hand to anyone. */
export interface PublicIdentity {
  direct: Omit<DirectMerchant, 'merchantPrivateKeyPem' | 'apiV3Key'>;
  partner: Omit<PartnerMerchant, 'merchantPrivateKeyPem' | 'apiV3Key'>;
  platform: {
    certificate: { certificatePem: string; serial: string };
    publicKey: { publicKeyPem: string; publicKeyId: string };
  };
}

/** Options for generateIdentity: initial key modes per merchant (default 'certificate'). */
export interface IdentityOptions {
  directKeyMode?: KeyMode;
  partnerKeyMode?: KeyMode;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Generates a fresh identity with four RSA-2048 keys (slow: ~1 s); nothing is written. */
export async function generateIdentity(opts: IdentityOptions = {}): Promise<SimIdentity> {
  const [directKp, partnerKp, platformCertKp, platformPubKp] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  const now = Date.now();
  const mchid = `19${randomDigits(8)}`;
  const spMchid = `16${randomDigits(8)}`;
  const subMchid = `18${randomDigits(8)}`;
  const merchantCert = (kp: typeof directKp, id: string, name: string): { pem: string; serial: string } => {
    const serial = randomCertificateSerial();
    const pem = createSelfSignedCertificate({
      keyPair: kp,
      serial,
      commonName: id,
      organization: '微信商户系统',
      organizationalUnit: name,
      notBeforeMs: now - 24 * 3600 * 1000,
      notAfterMs: now + 5 * YEAR_MS,
    });
    return { pem, serial };
  };
  const direct = merchantCert(directKp, mchid, 'Simulated direct merchant');
  const partner = merchantCert(partnerKp, spMchid, 'Simulated service provider');
  const platformSerial = randomCertificateSerial();
  const platformPem = createSelfSignedCertificate({
    keyPair: platformCertKp,
    serial: platformSerial,
    commonName: 'Tenpay.com sign (simulator)',
    organization: 'Tenpay.com (simulator)',
    organizationalUnit: 'Tenpay.com CA Center (simulator)',
    notBeforeMs: now - 24 * 3600 * 1000,
    notAfterMs: now + 5 * YEAR_MS,
  });
  return {
    version: 1,
    direct: {
      appid: `wx${randomHex(16).toLowerCase()}`,
      mchid,
      merchantPrivateKeyPem: directKp.privateKeyPem,
      merchantCertificatePem: direct.pem,
      merchantSerial: direct.serial,
      apiV3Key: randomAlnum(32),
      keyMode: opts.directKeyMode ?? 'certificate',
    },
    partner: {
      spAppid: `wx${randomHex(16).toLowerCase()}`,
      spMchid,
      subMchid,
      subAppid: `wx${randomHex(16).toLowerCase()}`,
      merchantPrivateKeyPem: partnerKp.privateKeyPem,
      merchantCertificatePem: partner.pem,
      merchantSerial: partner.serial,
      apiV3Key: randomAlnum(32),
      keyMode: opts.partnerKeyMode ?? 'certificate',
    },
    platform: {
      certificate: {
        certificatePem: platformPem,
        privateKeyPem: platformCertKp.privateKeyPem,
        serial: platformSerial,
      },
      publicKey: {
        publicKeyPem: platformPubKp.publicKeyPem,
        privateKeyPem: platformPubKp.privateKeyPem,
        publicKeyId: `PUB_KEY_ID_01${mchid}${randomDigits(16)}`,
      },
    },
  };
}

/** Path of the identity file inside a data folder. */
export function identityPath(dataDir: string): string {
  return join(dataDir, 'identity.json');
}

/** Reads `<dataDir>/identity.json`, or returns undefined when there is none. Throws on a malformed file. */
export function readIdentity(dataDir: string): SimIdentity | undefined {
  const path = identityPath(dataDir);
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SimIdentity>;
  if (parsed.version !== 1 || !parsed.direct || !parsed.partner || !parsed.platform) {
    throw new Error(`${path} is not a simulator identity (version 1); delete it to generate a new one`);
  }
  return parsed as SimIdentity;
}

/** Writes the identity atomically with owner-only permissions (it holds private keys). */
export function writeIdentity(dataDir: string, identity: SimIdentity): void {
  writeFileAtomic(identityPath(dataDir), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}

/** The identity without any secret (private keys, APIv3 keys). */
export function publicIdentity(id: SimIdentity): PublicIdentity {
  const { merchantPrivateKeyPem: _dk, apiV3Key: _dv, ...direct } = id.direct;
  const { merchantPrivateKeyPem: _pk, apiV3Key: _pv, ...partner } = id.partner;
  return {
    direct,
    partner,
    platform: {
      certificate: {
        certificatePem: id.platform.certificate.certificatePem,
        serial: id.platform.certificate.serial,
      },
      publicKey: {
        publicKeyPem: id.platform.publicKey.publicKeyPem,
        publicKeyId: id.platform.publicKey.publicKeyId,
      },
    },
  };
}
