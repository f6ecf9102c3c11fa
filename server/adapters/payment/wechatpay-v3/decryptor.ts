// AEAD_AES_256_GCM decryption of notification resources with the APIv3 key. Unlike wechatpay-node-v3's
// decipher_gcm, this calls final(), which is where GCM checks the tag: tampered ciphertext is refused, not decoded.
import { createDecipheriv } from 'node:crypto';

/** The algorithm WeChat Pay encrypts resources with. */
export const RESOURCE_ALGORITHM = 'AEAD_AES_256_GCM';

/** The encrypted part of a notification (or of a certificate download). */
export interface EncryptedResource {
  /** base64 of ciphertext followed by the 16-byte tag. */
  ciphertext: string;
  /** The 12-character nonce, used as its UTF-8 bytes. */
  nonce: string;
  /** Additional authenticated data; may be ''. */
  associatedData: string;
}

/** Decryption failed: malformed input or a tag that does not verify. The message never contains plaintext. */
export class DecryptError extends Error {
  override readonly name = 'DecryptError';
}

const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decrypts `resource` with the 32-byte `apiV3Key`, verifying the GCM tag; returns the plaintext bytes. */
export function decryptResource(resource: EncryptedResource, apiV3Key: Buffer): Buffer {
  if (apiV3Key.length !== 32) throw new DecryptError('the APIv3 key must be 32 bytes');
  const iv = Buffer.from(resource.nonce, 'utf8');
  if (iv.length !== 12) throw new DecryptError('resource nonce must be 12 bytes');
  if (resource.ciphertext.length % 4 !== 0 || !BASE64.test(resource.ciphertext)) {
    throw new DecryptError('resource ciphertext is not base64');
  }
  const sealed = Buffer.from(resource.ciphertext, 'base64');
  if (sealed.length <= TAG_BYTES) throw new DecryptError('resource ciphertext is shorter than its tag');
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', apiV3Key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    decipher.setAAD(Buffer.from(resource.associatedData, 'utf8'));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError(
      'authentication tag does not verify (tampered ciphertext, wrong nonce/associated data or wrong APIv3 key)',
    );
  }
}
