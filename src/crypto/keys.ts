import { CapmeshError } from '../util/errors.js';
import { assertBytes } from '../util/assert.js';
import { randomBytes } from './random.js';
import { cryptoBackend } from './active-backend.js';
import { asyncCryptoBackend } from './async-backend.js';

/**
 * Ed25519 (RFC 8032, "pure" EdDSA over SHA-512) keys, signing and verification.
 *
 * Byte conventions: a secret key is the 32-byte RFC 8032 seed, a public key is
 * the 32-byte compressed point, a signature is 64 bytes (R ‖ S).
 *
 * Failure policy:
 * - A length or type the caller should never have passed is a bug, reported
 *   loudly: a secret or public key that is not a 32-byte `Uint8Array` throws
 *   `CRYPTO_BAD_KEY`; a signature that is not a 64-byte `Uint8Array` throws
 *   `CRYPTO_BAD_SIGNATURE`; a message that is not a `Uint8Array` throws
 *   `INVALID_ARGUMENT`. (Keys and signatures read off the wire go through
 *   `publicKeyFromSyrup` / `signatureFromSyrup`, which already fix the lengths.)
 * - Anything of the right shape that does not check out — a public key that is
 *   not a valid point, a small-order key, a non-canonical S, a signature for a
 *   different message — makes `verify` return `false`; it never throws for those.
 *
 * Verification is the strict RFC 8032 / FIPS 186-5 variant (noble's
 * `zip215: false`): canonical encodings only, small-order public keys refused.
 * The synchronous functions run on the platform's crypto where it is
 * synchronous (Node), else on `@noble/curves`, which a browser loads on
 * demand: there they throw `CRYPTO_NOT_LOADED` until `await
 * loadCryptoBackend()` (active-backend.ts). The `…Async`
 * ones run on the platform's crypto everywhere — WebCrypto in browsers, with
 * noble loaded only for an algorithm the browser lacks (async-backend.ts) —
 * and check their arguments the same way, throwing (synchronously, before any
 * promise) for the caller bugs above; what they resolve is what the
 * synchronous twin returns.
 * Every honest signer (libgcrypt in Goblins, noble in Endo, Python
 * `cryptography` in the test suite) produces signatures this accepts.
 */

export interface KeyPair {
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** 32-byte RFC 8032 secret seed. Keep it private; never send it. */
  readonly secretKey: Uint8Array;
}

function checkKey(key: unknown, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
    throw new CapmeshError('CRYPTO_BAD_KEY', `\`${name}\` must be a 32-byte Ed25519 key, got ${got}`, {
      detail: { argument: name },
    });
  }
}

function checkSignature(signature: unknown): asserts signature is Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    const got = signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature;
    throw new CapmeshError('CRYPTO_BAD_SIGNATURE', `an Ed25519 signature is 64 bytes, got ${got}`);
  }
}

/** A fresh key pair from 32 bytes of `crypto.getRandomValues`. */
export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(randomBytes(32));
}

/**
 * The key pair for a known 32-byte secret seed (for stored identities and test
 * vectors). The result holds its own copy of the secret; the argument is not
 * kept. Throws `CRYPTO_BAD_KEY` unless `secretKey` is 32 bytes.
 */
export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  checkKey(secretKey, 'secretKey');
  const secret = Uint8Array.from(secretKey);
  return { publicKey: cryptoBackend().ed25519PublicKey(secret), secretKey: secret };
}

/** The public key of a 32-byte secret seed. Throws `CRYPTO_BAD_KEY` on a bad length. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  checkKey(secretKey, 'secretKey');
  return cryptoBackend().ed25519PublicKey(secretKey);
}

/** Signs `message` (deterministic, RFC 8032); returns the 64-byte signature. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkKey(secretKey, 'secretKey');
  assertBytes(message, 'message');
  return cryptoBackend().ed25519Sign(secretKey, message);
}

/**
 * True when `signature` is `publicKey`'s valid signature over `message`.
 * Returns false (never throws) for a well-sized key or signature that is
 * invalid; throws only for the caller bugs listed in the module note.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkKey(publicKey, 'publicKey');
  checkSignature(signature);
  assertBytes(message, 'message');
  return cryptoBackend().ed25519Verify(publicKey, message, signature);
}

/** `keyPairFromSecret` on the asynchronous backend. */
export async function keyPairFromSecretAsync(secretKey: Uint8Array): Promise<KeyPair> {
  checkKey(secretKey, 'secretKey');
  const secret = Uint8Array.from(secretKey);
  return { publicKey: await asyncCryptoBackend().ed25519PublicKey(secret), secretKey: secret };
}

/** `generateKeyPair` on the asynchronous backend. */
export function generateKeyPairAsync(): Promise<KeyPair> {
  return keyPairFromSecretAsync(randomBytes(32));
}

/** `sign` on the asynchronous backend: the same 64 bytes (RFC 8032 is deterministic). */
export function signAsync(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  checkKey(secretKey, 'secretKey');
  assertBytes(message, 'message');
  return asyncCryptoBackend().ed25519Sign(secretKey, message);
}

/** `verify` on the asynchronous backend: resolves the same verdict, never rejects for an invalid key or signature. */
export function verifyAsync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  checkKey(publicKey, 'publicKey');
  checkSignature(signature);
  assertBytes(message, 'message');
  return asyncCryptoBackend().ed25519Verify(publicKey, message, signature);
}
