// Platform signature verifiers, chosen by the Wechatpay-Serial a message names: a platform certificate serial, or a
// WeChat Pay public key id (PUB_KEY_ID_…). During a certificate → public key switch both must verify, so the
// adapter combines them. Keys are per instance (wechatpay-node-v3 keeps one static cache shared by every Pay).
import { X509Certificate, createPublicKey, verify as rsaVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The outcome of checking one signature. */
export type VerifyOutcome = 'ok' | 'bad-signature' | 'unknown-serial';

/** Verifies SHA256withRSA signatures made by WeChat Pay, looking the key up by serial / key id. */
export interface SignatureVerifier {
  /** Checks base64 `signature` over the exact `message` bytes with the key named `serial`. */
  verify(serial: string, message: Uint8Array, signature: string): VerifyOutcome;
  /** The serials / key ids this verifier holds. */
  serials(): string[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function verifyWith(key: KeyObject, message: Uint8Array, signature: string): boolean {
  // Buffer.from(…, 'base64') silently skips junk; a signature with junk in it is not WeChat's.
  if (signature.length % 4 !== 0 || !BASE64.test(signature)) return false;
  try {
    return rsaVerify('sha256', message, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

// Certificate serials are hex and compared without regard to case; public key ids are compared exactly.
function normaliseSerial(serial: string): string {
  return serial.startsWith('PUB_KEY_ID_') ? serial : serial.toUpperCase();
}

class KeyringVerifier implements SignatureVerifier {
  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {}

  verify(serial: string, message: Uint8Array, signature: string): VerifyOutcome {
    const key = this.keys.get(normaliseSerial(serial));
    if (key === undefined) return 'unknown-serial';
    return verifyWith(key, message, signature) ? 'ok' : 'bad-signature';
  }

  serials(): string[] {
    return [...this.keys.keys()];
  }
}

/** A verifier holding platform certificates by serial; each certificate's own serial must match its key. */
export function certificateVerifier(certificates: Readonly<Record<string, string>>): SignatureVerifier {
  const keys = new Map<string, KeyObject>();
  for (const [serial, pem] of Object.entries(certificates)) {
    const cert = new X509Certificate(pem);
    if (cert.serialNumber.toUpperCase() !== serial.toUpperCase()) {
      throw new Error(`platform certificate filed under serial ${serial} has serial ${cert.serialNumber}`);
    }
    keys.set(serial.toUpperCase(), cert.publicKey);
  }
  return new KeyringVerifier(keys);
}

/** A verifier holding the WeChat Pay public key under its id (PUB_KEY_ID_…). */
export function publicKeyVerifier(keyId: string, pem: string): SignatureVerifier {
  if (!keyId.startsWith('PUB_KEY_ID_')) throw new Error('a WeChat Pay public key id starts with PUB_KEY_ID_');
  return new KeyringVerifier(new Map([[keyId, createPublicKey(pem)]]));
}

/** A verifier that asks each verifier in turn; the first that holds the serial decides. */
export function combinedVerifier(verifiers: readonly SignatureVerifier[]): SignatureVerifier {
  return {
    verify(serial, message, signature) {
      for (const v of verifiers) {
        const outcome = v.verify(serial, message, signature);
        if (outcome !== 'unknown-serial') return outcome;
      }
      return 'unknown-serial';
    },
    serials: () => verifiers.flatMap((v) => v.serials()),
  };
}
