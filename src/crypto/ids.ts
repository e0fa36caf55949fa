import { sha256 } from '@noble/hashes/sha2.js';
import { encode } from '../syrup/index.js';
import { assertBytes } from '../util/assert.js';
import { asciiBytes, compareBytes, concatBytes } from '../util/bytes.js';
import { publicKeyToSyrup } from './forms.js';

/**
 * OCapN identifiers derived from session keys (notes §3).
 *
 * - Public ID ("side ID") of a key: SHA-256(SHA-256(Syrup bytes of the key's
 *   `[public-key [ecc …]]` list)), 32 bytes. Handoffs name a side by it, and
 *   crossed hellos are settled by comparing two of them bytewise.
 * - Session ID: SHA-256(SHA-256("prot0" ‖ lower ID ‖ higher ID)), 32 bytes, the
 *   two Public IDs in bytewise order, so both sides compute the same value.
 */

const PROT0 = asciiBytes('prot0');

function doubleSha256(bytes: Uint8Array): Uint8Array {
  return sha256(sha256(bytes));
}

/** The Public ID of a 32-byte Ed25519 public key. Throws `CRYPTO_BAD_KEY` on a bad length. */
export function publicIdOf(publicKey: Uint8Array): Uint8Array {
  return doubleSha256(encode(publicKeyToSyrup(publicKey)));
}

/**
 * The Session ID of the session between the sides with Public IDs `idA` and
 * `idB`; symmetric in its arguments. Throws `INVALID_ARGUMENT` unless both are
 * 32 bytes.
 */
export function sessionIdOf(idA: Uint8Array, idB: Uint8Array): Uint8Array {
  assertBytes(idA, 'idA', 32);
  assertBytes(idB, 'idB', 32);
  const [low, high] = compareBytes(idA, idB) <= 0 ? [idA, idB] : [idB, idA];
  return doubleSha256(concatBytes(PROT0, low, high));
}
