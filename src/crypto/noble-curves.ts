import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend } from './backend.js';

/**
 * noble's curves (`@noble/curves`, with `@noble/hashes`' SHA-256) without the AEAD: the synchronous default
 * where the platform's crypto is asynchronous (browsers). The AEAD is left
 * out so that this never pulls `@noble/ciphers` into a bundle's initial load:
 * aead.ts (loaded with the relay circuit) seals with noble itself when the
 * backend has no `aeadSeal`.
 */
export const nobleCurves: CryptoBackend = Object.freeze({
  name: 'noble',
  ed25519PublicKey: (seed: Uint8Array) => ed25519.getPublicKey(seed),
  ed25519Sign: (seed: Uint8Array, message: Uint8Array) => ed25519.sign(message, seed),
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  x25519PublicKey: (secret: Uint8Array) => x25519.getPublicKey(secret),
  x25519Shared: (secret: Uint8Array, publicKey: Uint8Array) => x25519.getSharedSecret(secret, publicKey),
  sha256: (bytes: Uint8Array) => sha256(bytes),
});
