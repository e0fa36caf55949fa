import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import type { CryptoBackend } from './backend.js';

/**
 * The pure-JS backend (`@noble/curves`, `@noble/ciphers`): every platform.
 * Its own module so that async-backend.ts can load it with a dynamic
 * `import()` only when WebCrypto lacks an algorithm.
 */
export const nobleBackend: CryptoBackend = Object.freeze({
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
  aeadSeal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadOpen: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => chacha20poly1305(key, nonce, aad).decrypt(sealed),
});
