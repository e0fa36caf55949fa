import { nobleBackend } from './noble-backend.js';

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
  /** SHA-256 (FIPS 180-4): the 32-byte digest of `bytes` (Public and Session IDs, ids.ts). */
  sha256(bytes: Uint8Array): Uint8Array;
  /**
   * ChaCha20-Poly1305 (RFC 8439): ciphertext ‖ 16-byte tag. Absent on the
   * browsers' default (noble-curves.ts): aead.ts then seals with
   * `@noble/ciphers` itself, so the cipher loads only with the relay circuit.
   */
  aeadSeal?(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of `aeadSeal`; throws when the tag does not verify. Present exactly when `aeadSeal` is. */
  aeadOpen?(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/**
 * The pure-JS backend (`@noble/curves`, `@noble/ciphers`): see noble-backend.ts.
 * Re-exported for tests and benches only: library code imports
 * active-backend.ts, so that no bundle loads noble-backend.ts statically.
 */
export { nobleBackend };

/** Which backend answers (`cryptoBackend`, `useCryptoBackend`): active-backend.ts, which browser code imports instead of this file. */
export { cryptoBackend, useCryptoBackend } from './active-backend.js';
