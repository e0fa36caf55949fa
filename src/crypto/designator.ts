import { base32Decode, base32Encode } from '../util/base32.js';
import { CapmeshError } from '../util/errors.js';

/**
 * Designators for netlayers whose designator is a long-lived Ed25519 public key
 * (websocket, and capmesh's own webrtc): lowercase, unpadded RFC 4648 base32
 * of the 32 key bytes — always 52 characters. Decoding is strict (see
 * `util/base32.ts`): uppercase, padding and non-zero trailing bits are refused,
 * so one key has exactly one designator and designators compare as strings.
 */

/** The designator of a 32-byte public key. Throws `CRYPTO_BAD_KEY` on a bad length. */
export function designatorOf(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'a designator key is a 32-byte Ed25519 public key');
  }
  return base32Encode(publicKey);
}

/**
 * The 32-byte public key a designator names. Throws `CRYPTO_BAD_KEY` when the
 * text is not strict lowercase base32 or does not decode to 32 bytes. (It does
 * not check that the bytes are a valid curve point; `verify` does, by failing.)
 */
export function publicKeyOfDesignator(designator: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base32Decode(designator);
  } catch (e) {
    throw new CapmeshError('CRYPTO_BAD_KEY', `designator is not lowercase unpadded base32`, { cause: e });
  }
  if (bytes.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', `designator decodes to ${bytes.length} bytes, not a 32-byte key`);
  }
  return bytes;
}
