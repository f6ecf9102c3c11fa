// Cryptographically random bytes handed out from a pool that crypto.randomBytes refills 4 KiB at a time. Each small
// crypto.randomBytes call is a trip into OpenSSL (about 10 µs on the bench machine) and a checkout makes three (the
// order number, the request's nonce, the payment parameters' nonce); from the pool they cost a copy. Every byte is
// handed out once, and only from the CSPRNG: the same bytes crypto.randomBytes would give, fetched in bulk, as Node's
// own crypto.randomUUID does.
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `size` fresh random bytes (a Buffer the caller owns). */
export function pooledRandomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`size must be a non-negative integer, got ${size}`);
  if (size > POOL_BYTES / 4) return randomBytes(size);
  if (used + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + size));
  // What was handed out is not kept where a later caller could read it.
  pool.fill(0, used, used + size);
  used += size;
  return out;
}
