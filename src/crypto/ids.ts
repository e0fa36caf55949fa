import { encode } from '../syrup/index.js';
import { assertBytes } from '../util/assert.js';
import { asciiBytes, compareBytes, concatBytes } from '../util/bytes.js';
import { publicKeyToSyrup } from './forms.js';
import { cryptoBackend, cryptoBackendReady } from './active-backend.js';

/**
 * OCapN identifiers derived from session keys (notes §3).
 *
 * - Public ID ("side ID") of a key: SHA-256(SHA-256(Syrup bytes of the key's
 *   `[public-key [ecc …]]` list)), 32 bytes. Handoffs name a side by it, and
 *   crossed hellos are settled by comparing two of them bytewise.
 * - Session ID: SHA-256(SHA-256("prot0" ‖ lower ID ‖ higher ID)), 32 bytes, the
 *   two Public IDs in bytewise order, so both sides compute the same value.
 *
 * The synchronous functions hash on the synchronous backend (Node's own;
 * in a browser, only once `loadCryptoBackend()` loaded it, else they throw
 * `CRYPTO_NOT_LOADED`); the `…Async` ones on WebCrypto where that backend
 * is not ready, so a browser vat's handshake needs no SHA-256 code of ours.
 */

const PROT0 = asciiBytes('prot0');

function doubleSha256(bytes: Uint8Array): Uint8Array {
  const backend = cryptoBackend();
  return backend.sha256(backend.sha256(bytes));
}

async function doubleSha256Async(bytes: Uint8Array): Promise<Uint8Array> {
  if (cryptoBackendReady()) return doubleSha256(bytes);
  const once = await crypto.subtle.digest('SHA-256', Uint8Array.from(bytes));
  return new Uint8Array(await crypto.subtle.digest('SHA-256', once));
}

/** The Public ID of a 32-byte Ed25519 public key. Throws `CRYPTO_BAD_KEY` on a bad length. */
export function publicIdOf(publicKey: Uint8Array): Uint8Array {
  return doubleSha256(encode(publicKeyToSyrup(publicKey)));
}

/** `publicIdOf` where a browser has no synchronous backend (see the module note); the same 32 bytes. */
export function publicIdOfAsync(publicKey: Uint8Array): Promise<Uint8Array> {
  return doubleSha256Async(encode(publicKeyToSyrup(publicKey)));
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

/** `sessionIdOf` where a browser has no synchronous backend (see the module note); the same 32 bytes. */
export function sessionIdOfAsync(idA: Uint8Array, idB: Uint8Array): Promise<Uint8Array> {
  assertBytes(idA, 'idA', 32);
  assertBytes(idB, 'idB', 32);
  const [low, high] = compareBytes(idA, idB) <= 0 ? [idA, idB] : [idB, idA];
  return doubleSha256Async(concatBytes(PROT0, low, high));
}
