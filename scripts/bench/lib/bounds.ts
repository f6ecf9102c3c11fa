// The machine's own bounds, measured in the same run as the system so ratios compare like with like: one core's
// RSA-2048 SHA256 signatures and verifications per second (parsed KeyObjects, as the adapter uses them), AES-256-GCM
// decryptions of a notification-sized resource, and durable appends (write + fsync) in the data directory's file system.
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Operations per second of each primitive (single thread). */
export interface Bounds {
  rsaSignPerS: number;
  rsaVerifyPerS: number;
  aesGcmDecryptPerS: number;
  fsyncPerS: number;
}

function rate(seconds: number, op: () => void): number {
  // A short warm-up so the first JIT tier and lazy initialisation are not in the figure.
  for (let i = 0; i < 5; i++) op();
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  do {
    op();
    n++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return n / (Number(elapsed) / 1e9);
}

/** Measures every bound for `seconds` each; `dir` is where the fsync probe writes (a temp folder inside it). */
export function measureBounds(seconds: number, dir: string): Bounds {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // About what a payment notification signs: timestamp, nonce and a ~900-byte body.
  const message = Buffer.from(`1700000000\nNONCE\n${'x'.repeat(900)}\n`);
  const signature = sign('sha256', message, privateKey);
  const rsaSignPerS = rate(seconds, () => sign('sha256', message, privateKey));
  const rsaVerifyPerS = rate(seconds, () => verify('sha256', message, publicKey, signature));

  // A transaction resource is ~600 bytes of JSON.
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = Buffer.from('transaction');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from('y'.repeat(600))), cipher.final()]);
  const tag = cipher.getAuthTag();
  const aesGcmDecryptPerS = rate(seconds, () => {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(aad);
    d.setAuthTag(tag);
    d.update(ciphertext);
    d.final();
  });

  const probeDir = mkdtempSync(join(dir, 'fsync-probe-'));
  const fd = openSync(join(probeDir, 'probe.log'), 'a');
  const line = Buffer.from(`${'z'.repeat(255)}\n`);
  let fsyncPerS: number;
  try {
    fsyncPerS = rate(seconds, () => {
      writeSync(fd, line);
      fsyncSync(fd);
    });
  } finally {
    closeSync(fd);
    rmSync(probeDir, { recursive: true, force: true });
  }
  return { rsaSignPerS, rsaVerifyPerS, aesGcmDecryptPerS, fsyncPerS };
}
