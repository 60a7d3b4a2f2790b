import { randomFillSync } from 'node:crypto';

// Per-request ids and CSP nonces need fresh randomness on a hot path; filling one 64 KiB pool from the
// CSPRNG and slicing it costs one syscall per 4096 nonces instead of one per request.
const POOL_SIZE = 64 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** Cryptographically random bytes from a pooled CSPRNG buffer (a copy, safe to keep). */
export function pooledRandomBytes(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}
