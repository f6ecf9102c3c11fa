// Signs notification bodies the way WeChat Pay does (SHA256withRSA over `timestamp\nnonce\nbody\n` with the platform
// key), ahead of a timed run, so the load generator spends no RSA signing while the stack is measured.
import { createPrivateKey, randomBytes, sign } from 'node:crypto';

/** A notification ready to POST: exact body bytes and WeChat's headers. */
export interface SignedNotification {
  body: Buffer;
  headers: Record<string, string>;
}

/** Signs each body now (timestamps stay inside the receiver's 5-minute window for a few minutes). */
export function signNotifications(
  bodies: readonly string[],
  signer: { serial: string; privateKeyPem: string },
): SignedNotification[] {
  const key = createPrivateKey(signer.privateKeyPem);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return bodies.map((text) => {
    const body = Buffer.from(text, 'utf8');
    const nonce = randomBytes(16).toString('hex');
    const signature = sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${text}\n`, 'utf8'), key).toString(
      'base64',
    );
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-signature': signature,
        'wechatpay-serial': signer.serial,
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
    };
  });
}
