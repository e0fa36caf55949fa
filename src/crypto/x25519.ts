import { CapmeshError } from '../util/errors.js';
import { randomBytes } from './random.js';
import { cryptoBackend } from './active-backend.js';
import { asyncCryptoBackend } from './async-backend.js';

/**
 * X25519 (RFC 7748) ephemeral key agreement, for the end-to-end channel that
 * the relay fallback path carries. Keys are 32-byte strings; a secret is
 * clamped by the curve code, so any 32 random bytes are a valid secret.
 *
 * Failure policy: a key that is not a 32-byte `Uint8Array` throws
 * `CRYPTO_BAD_KEY`; so does a peer public key of low order (the shared secret
 * would be all zeros and known to anyone, RFC 7748 §6.1).
 */

export interface X25519KeyPair {
  /** 32-byte Montgomery u-coordinate. Safe to send. */
  readonly publicKey: Uint8Array;
  /** 32-byte secret scalar. Use it for one key agreement, then drop it. */
  readonly secretKey: Uint8Array;
}

function checkKey(key: unknown, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', `\`${name}\` must be a 32-byte X25519 key`, { detail: { argument: name } });
  }
}

/** A fresh ephemeral key pair from the platform CSPRNG. */
export function generateX25519KeyPair(): X25519KeyPair {
  const secretKey = randomBytes(32);
  return { publicKey: cryptoBackend().x25519PublicKey(secretKey), secretKey };
}

/** The key pair of a known 32-byte secret (test vectors). */
export function x25519KeyPairFromSecret(secretKey: Uint8Array): X25519KeyPair {
  checkKey(secretKey, 'secretKey');
  const secret = Uint8Array.from(secretKey);
  return { publicKey: cryptoBackend().x25519PublicKey(secret), secretKey: secret };
}

/**
 * The 32-byte shared secret of our `secretKey` and the peer's `publicKey`.
 * Throws `CRYPTO_BAD_KEY` when the peer key is of low order (all-zero result).
 */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkKey(secretKey, 'secretKey');
  checkKey(publicKey, 'publicKey');
  let shared: Uint8Array;
  try {
    shared = cryptoBackend().x25519Shared(secretKey, publicKey);
  } catch (cause) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'the peer X25519 key is of low order', { cause });
  }
  return checkShared(shared);
}

/** Refuses the all-zero shared secret of a low-order peer key (RFC 7748 §6.1). */
function checkShared(shared: Uint8Array): Uint8Array {
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new CapmeshError('CRYPTO_BAD_KEY', 'the peer X25519 key is of low order');
  return shared;
}

/** `generateX25519KeyPair` on the asynchronous backend (WebCrypto in browsers, noble loaded only where it lacks X25519). */
export async function generateX25519KeyPairAsync(): Promise<X25519KeyPair> {
  const secretKey = randomBytes(32);
  return { publicKey: await asyncCryptoBackend().x25519PublicKey(secretKey), secretKey };
}

/** `x25519SharedSecret` on the asynchronous backend; rejects with `CRYPTO_BAD_KEY` where the synchronous one throws it. */
export async function x25519SharedSecretAsync(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  checkKey(secretKey, 'secretKey');
  checkKey(publicKey, 'publicKey');
  let shared: Uint8Array;
  try {
    shared = await asyncCryptoBackend().x25519Shared(secretKey, publicKey);
  } catch (cause) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'the peer X25519 key is of low order', { cause });
  }
  return checkShared(shared);
}
