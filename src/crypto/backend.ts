import { nobleBackend } from './noble-backend.js';
import { nodeCryptoBackend } from './node-backend.js';

/**
 * The primitives capmesh's crypto module runs on, and which implementation
 * backs them: the platform's own where it can be called synchronously (Node's
 * `crypto`, reached through `process.getBuiltinModule` so that no bundle ever
 * imports `node:crypto`), else `@noble/*` (pure JS, every platform).
 *
 * Every backend must agree bit for bit with the others on every input, valid
 * or not (test/crypto/backend.test.ts runs one against the other): the same
 * signatures (RFC 8032 is deterministic), the same strict verification
 * verdicts (canonical encodings only, small-order public keys refused, as
 * noble's `zip215: false`), the same X25519 results, the same AEAD frames.
 *
 * This synchronous interface is noble's in browsers (WebCrypto is
 * asynchronous); the paths that verify or agree keys in browsers go through
 * the asynchronous `AsyncCryptoBackend` instead (async-backend.ts), which
 * is WebCrypto there and loads noble only for an algorithm the platform lacks.
 *
 * Failure: `ed25519Verify` returns false for anything that does not verify and
 * never throws; `x25519Shared` throws (any error) for a key the curve refuses;
 * `aeadOpen` throws when the tag does not verify. The callers in this folder
 * turn those into `CapmeshError`s.
 */
export interface CryptoBackend {
  /** `native` (the platform's) or `noble`. */
  readonly name: 'native' | 'noble';
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  x25519PublicKey(secret: Uint8Array): Uint8Array;
  x25519Shared(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439): ciphertext ‖ 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of `aeadSeal`; throws when the tag does not verify. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/** The pure-JS backend (`@noble/curves`, `@noble/ciphers`): see noble-backend.ts. */
export { nobleBackend };

let active: CryptoBackend | undefined;

/** The backend in use: chosen on first use (native where available), or set by `useCryptoBackend`. */
export function cryptoBackend(): CryptoBackend {
  return (active ??= nodeCryptoBackend() ?? nobleBackend);
}

/**
 * Switches the backend (tests run the same vectors on each; an app could pin
 * `noble`). Returns the previous one. Not exported from any package entry.
 */
export function useCryptoBackend(backend: CryptoBackend): CryptoBackend {
  const previous = cryptoBackend();
  active = backend;
  return previous;
}
