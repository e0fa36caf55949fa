import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { CryptoBackend } from './backend.js';
import { nobleCurves } from './noble-curves.js';

/**
 * The pure-JS backend (`@noble/curves`, `@noble/ciphers`): every platform.
 * Its own module so that async-backend.ts can load it with a dynamic
 * `import()` only when WebCrypto lacks an algorithm.
 */
export const nobleBackend: CryptoBackend = Object.freeze({
  ...nobleCurves,
  aeadSeal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadOpen: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => chacha20poly1305(key, nonce, aad).decrypt(sealed),
});
