// Which key WeChat Pay signs with, per merchant key mode.
import { randomInt } from 'node:crypto';
import type { MerchantMode } from '../types';
import type { KeyMode, MerchantKeys, SimIdentity } from './identity';

/** A platform signing key and the id put in Wechatpay-Serial (certificate serial or PUB_KEY_ID_…). */
export interface PlatformSigner {
  serial: string;
  privateKeyPem: string;
}

/** A merchant known to the simulator (the one that authenticates API calls and receives callbacks). */
export interface KnownMerchant {
  merchant: MerchantMode;
  mchid: string;
  keys: MerchantKeys;
}

/** The merchant whose mchid (direct mchid or sp_mchid) is `mchid`, if any. */
export function findMerchant(id: SimIdentity, mchid: string): KnownMerchant | undefined {
  if (mchid === id.direct.mchid) return { merchant: 'direct', mchid, keys: id.direct };
  if (mchid === id.partner.spMchid) return { merchant: 'partner', mchid, keys: id.partner };
  return undefined;
}

/** The merchant record of `merchant`. */
export function merchantKeys(id: SimIdentity, merchant: MerchantMode): KnownMerchant {
  return merchant === 'direct'
    ? { merchant, mchid: id.direct.mchid, keys: id.direct }
    : { merchant, mchid: id.partner.spMchid, keys: id.partner };
}

function certSigner(id: SimIdentity): PlatformSigner {
  return { serial: id.platform.certificate.serial, privateKeyPem: id.platform.certificate.privateKeyPem };
}

function pubKeySigner(id: SimIdentity): PlatformSigner {
  return { serial: id.platform.publicKey.publicKeyId, privateKeyPem: id.platform.publicKey.privateKeyPem };
}

/** Keys that exist for a merchant in `mode`: certificate, public key, or both while switching. */
export function signersFor(id: SimIdentity, mode: KeyMode): PlatformSigner[] {
  if (mode === 'certificate') return [certSigner(id)];
  if (mode === 'publicKey') return [pubKeySigner(id)];
  return [pubKeySigner(id), certSigner(id)];
}

/**
 * The key for an API response: the one the request's Wechatpay-Serial names if the merchant has it, else the
 * mode's default (certificate mode → certificate; public-key and switching → public key).
 */
export function responseSigner(
  id: SimIdentity,
  mode: KeyMode,
  requestedSerial: string | undefined,
): PlatformSigner {
  const available = signersFor(id, mode);
  if (requestedSerial) {
    const wanted = requestedSerial.trim().toUpperCase();
    const hit = available.find((s) => s.serial.toUpperCase() === wanted);
    if (hit) return hit;
  }
  return available[0] ?? certSigner(id);
}

/** The key for a callback: switching mode mixes both keys at random with `publicKeyShare` for the public key. */
export function callbackSigner(id: SimIdentity, mode: KeyMode, publicKeyShare: number): PlatformSigner {
  if (mode === 'switching') {
    return randomInt(1_000_000) < publicKeyShare * 1_000_000 ? pubKeySigner(id) : certSigner(id);
  }
  return mode === 'certificate' ? certSigner(id) : pubKeySigner(id);
}

/** A signer for unauthenticated answers (401 before the merchant is known): asked-for key, else the certificate. */
export function anonymousSigner(id: SimIdentity, requestedSerial: string | undefined): PlatformSigner {
  return responseSigner(id, 'switching', requestedSerial ?? id.platform.certificate.serial);
}
