import type { CryptoBackend } from './backend.js';
import { der, ED25519_PKCS8, ED25519_SPKI, passesStrictPrechecks, X25519_PKCS8, X25519_SPKI } from './strict.js';

/**
 * Node's own crypto (OpenSSL) behind the `CryptoBackend` interface: Ed25519
 * verification ~10× and signing ~30× faster than pure JS on this kind of
 * machine, and ChaCha20-Poly1305 in C. Reached through
 * `process.getBuiltinModule` (Node ≥ 20.16), so browser bundles never see an
 * import of `node:crypto`; elsewhere `nodeCryptoBackend()` is `undefined`.
 *
 * Agreement with noble (test/crypto/backend.test.ts): identical keys,
 * signatures and AEAD frames; identical verdicts on everything an honest
 * signer produces and on every malformed key or signature (non-canonical
 * encodings, S ≥ L, small-order public keys, all refused by strict.ts's prechecks
 * before OpenSSL sees them). One known difference, documented in
 * docs/security.md: OpenSSL checks the cofactorless equation, noble the
 * cofactored one, so a signature whose R carries a small-order component —
 * which only the key's own holder can make — verifies under noble and not
 * here. Neither accepts a forgery.
 */

/** The slice of `node:crypto` this file uses (typed here so that browser builds need no Node types). */
interface NodeCrypto {
  createPrivateKey(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): NodeKeyObject;
  createPublicKey(options: NodeKeyObject | { key: Uint8Array; format: 'der'; type: 'spki' }): NodeKeyObject;
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject): Uint8Array;
  verify(algorithm: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
  diffieHellman(options: { privateKey: NodeKeyObject; publicKey: NodeKeyObject }): Uint8Array;
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  createCipheriv(algorithm: 'chacha20-poly1305', key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeAeadCipher;
  createDecipheriv(algorithm: 'chacha20-poly1305', key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeAeadDecipher;
}
interface NodeKeyObject {
  export(options: { format: 'der'; type: 'spki' }): Uint8Array;
}
interface NodeAeadCipher {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
}
interface NodeAeadDecipher {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

const TAG_BYTES = 16;

/** A fresh `Uint8Array` (never a view into Node's shared Buffer pool). */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Node's backend, or `undefined` where `process.getBuiltinModule('node:crypto')` is not there. */
export function nodeCryptoBackend(): CryptoBackend | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nc = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  if (!nc || typeof nc.createPrivateKey !== 'function' || typeof nc.diffieHellman !== 'function') return undefined;
  /** The last signing key, kept with a copy of its seed (a vat signs with one key over and over). */
  let lastSigner: { seed: Uint8Array; key: NodeKeyObject } | undefined;
  const signingKey = (seed: Uint8Array): NodeKeyObject => {
    if (lastSigner && lastSigner.seed.every((b, i) => b === seed[i])) return lastSigner.key;
    const key = nc.createPrivateKey({ key: der(ED25519_PKCS8, seed), format: 'der', type: 'pkcs8' });
    lastSigner = { seed: Uint8Array.from(seed), key };
    return key;
  };
  const rawPublic = (key: NodeKeyObject): Uint8Array => own(nc.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32));
  return Object.freeze({
    name: 'native',
    ed25519PublicKey: (seed: Uint8Array) => rawPublic(signingKey(seed)),
    ed25519Sign: (seed: Uint8Array, message: Uint8Array) => own(nc.sign(null, message, signingKey(seed))),
    ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (!passesStrictPrechecks(publicKey, signature)) return false;
      try {
        return nc.verify(null, message, nc.createPublicKey({ key: der(ED25519_SPKI, publicKey), format: 'der', type: 'spki' }), signature);
      } catch {
        return false;
      }
    },
    x25519PublicKey: (secret: Uint8Array) => rawPublic(nc.createPrivateKey({ key: der(X25519_PKCS8, secret), format: 'der', type: 'pkcs8' })),
    sha256: (bytes: Uint8Array) => own(nc.createHash('sha256').update(bytes).digest()),
    x25519Shared(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
      const privateKey = nc.createPrivateKey({ key: der(X25519_PKCS8, secret), format: 'der', type: 'pkcs8' });
      return own(nc.diffieHellman({ privateKey, publicKey: nc.createPublicKey({ key: der(X25519_SPKI, publicKey), format: 'der', type: 'spki' }) }));
    },
    aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
      const cipher = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad, { plaintextLength: plaintext.length });
      const body = cipher.update(plaintext);
      const tail = cipher.final();
      const out = new Uint8Array(body.length + tail.length + TAG_BYTES);
      out.set(body, 0);
      out.set(tail, body.length);
      out.set(cipher.getAuthTag(), body.length + tail.length);
      return out;
    },
    aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
      if (sealed.length < TAG_BYTES) throw new Error('sealed data shorter than its tag');
      const cipherLength = sealed.length - TAG_BYTES;
      const decipher = nc.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad, { plaintextLength: cipherLength });
      decipher.setAuthTag(sealed.subarray(cipherLength));
      const body = decipher.update(sealed.subarray(0, cipherLength));
      const tail = decipher.final();
      const out = new Uint8Array(body.length + tail.length);
      out.set(body, 0);
      out.set(tail, body.length);
      return out;
    },
  });
}
