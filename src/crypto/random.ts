import { assertInteger } from '../util/assert.js';

/**
 * Randomness from the platform CSPRNG (`crypto.getRandomValues`, present in
 * browsers, workers and Node ≥ 19). Nothing here is seedable: tests that need
 * determinism inject their own bytes instead.
 */

/** The largest request `getRandomValues` serves in one call. */
const CHUNK = 65_536;

/** `n` fresh random bytes. Throws `INVALID_ARGUMENT` unless `n` is a non-negative safe integer. */
export function randomBytes(n: number): Uint8Array {
  assertInteger(n, 'n', 0);
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += CHUNK) {
    crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + CHUNK)));
  }
  return out;
}

/** A swiss number: 32 fresh random bytes, the unguessable secret behind a sturdyref. */
export function randomSwiss(): Uint8Array {
  return randomBytes(32);
}
