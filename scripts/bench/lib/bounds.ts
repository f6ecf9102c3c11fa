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

/** Operations per second of each primitive (single thread), by the wall clock. */
export interface Bounds {
  rsaSignPerS: number;
  rsaVerifyPerS: number;
  aesGcmDecryptPerS: number;
  fsyncPerS: number;
  /**
   * The same per second of this process's own CPU time: what one core does when it is not shared. On a busy machine
   * the wall-clock rates above shrink with the share of a core the process got; these do not.
   */
  perCpuSecond: { rsaSign: number; rsaVerify: number; aesGcmDecrypt: number };
}

interface Rate {
  wall: number;
  cpu: number;
}

function rate(seconds: number, op: () => void): Rate {
  // A short warm-up so the first JIT tier and lazy initialisation are not in the figure.
  for (let i = 0; i < 5; i++) op();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  do {
    op();
    n++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  const cpu = process.cpuUsage(cpu0);
  return { wall: n / (Number(elapsed) / 1e9), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

/** Measures every bound for `seconds` each; `dir` is where the fsync probe writes (a temp folder inside it). */
export function measureBounds(seconds: number, dir: string): Bounds {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // About what a payment notification signs: timestamp, nonce and a ~900-byte body.
  const message = Buffer.from(`1700000000\nNONCE\n${'x'.repeat(900)}\n`);
  const signature = sign('sha256', message, privateKey);
  const rsaSign = rate(seconds, () => sign('sha256', message, privateKey));
  const rsaVerify = rate(seconds, () => verify('sha256', message, publicKey, signature));

  // A transaction resource is ~600 bytes of JSON.
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = Buffer.from('transaction');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from('y'.repeat(600))), cipher.final()]);
  const tag = cipher.getAuthTag();
  const aes = rate(seconds, () => {
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
    // Waiting for the disk is the point here: the wall-clock rate is the bound.
    fsyncPerS = rate(seconds, () => {
      writeSync(fd, line);
      fsyncSync(fd);
    }).wall;
  } finally {
    closeSync(fd);
    rmSync(probeDir, { recursive: true, force: true });
  }
  return {
    rsaSignPerS: rsaSign.wall,
    rsaVerifyPerS: rsaVerify.wall,
    aesGcmDecryptPerS: aes.wall,
    fsyncPerS,
    perCpuSecond: { rsaSign: rsaSign.cpu, rsaVerify: rsaVerify.cpu, aesGcmDecrypt: aes.cpu },
  };
}
