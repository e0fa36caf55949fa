import type { CryptoBackend } from './backend.js';

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
 * encodings, S ≥ L, small-order public keys, all refused by the checks
 * below before OpenSSL sees them). One known difference, documented in
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

/** DER prefixes of the raw 32-byte keys (RFC 8410): PKCS#8 private and SPKI public, Ed25519 and X25519. */
const ED25519_PKCS8 = hex('302e020100300506032b657004220420');
const ED25519_SPKI = hex('302a300506032b6570032100');
const X25519_PKCS8 = hex('302e020100300506032b656e04220420');
const X25519_SPKI = hex('302a300506032b656e032100');
const TAG_BYTES = 16;

/**
 * The Ed25519 public keys strict RFC 8032 verification refuses before any
 * arithmetic: the eight small-order points (canonical encodings). The
 * non-canonical encodings are refused by `isCanonicalPoint`.
 */
const SMALL_ORDER = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]);

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function der(prefix: Uint8Array, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + raw.length);
  out.set(prefix, 0);
  out.set(raw, prefix.length);
  return out;
}

/** A fresh `Uint8Array` (never a view into Node's shared Buffer pool). */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * True when `encoding` is a canonical Edwards point encoding as strict
 * decoding requires: y < p = 2^255 − 19, and no sign bit on x = 0 (the
 * points y = ±1, whose x is 0, have one encoding each).
 */
function isCanonicalPoint(encoding: Uint8Array): boolean {
  // y ≥ p exactly when bytes 1..30 are 0xff, byte 31 (less the sign bit) is 0x7f and byte 0 ≥ 0xed.
  let allFF = (encoding[31]! & 0x7f) === 0x7f;
  for (let i = 1; i < 31 && allFF; i++) allFF = encoding[i] === 0xff;
  if (allFF && encoding[0]! >= 0xed) return false;
  const signed = (encoding[31]! & 0x80) !== 0;
  if (!signed) return true;
  const h = toHex(encoding);
  return h !== '0100000000000000000000000000000000000000000000000000000000000080' && h !== 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
}

/** True when the 32-byte little-endian scalar is below the group order L (RFC 8032's check on S). */
function isReducedScalar(s: Uint8Array): boolean {
  const L = ORDER_LE;
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L[i]!) return true;
    if (s[i]! > L[i]!) return false;
  }
  return false;
}
/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

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
      if (!isCanonicalPoint(publicKey) || SMALL_ORDER.has(toHex(publicKey))) return false;
      if (!isCanonicalPoint(signature.subarray(0, 32)) || !isReducedScalar(signature.subarray(32, 64))) return false;
      try {
        return nc.verify(null, message, nc.createPublicKey({ key: der(ED25519_SPKI, publicKey), format: 'der', type: 'spki' }), signature);
      } catch {
        return false;
      }
    },
    x25519PublicKey: (secret: Uint8Array) => rawPublic(nc.createPrivateKey({ key: der(X25519_PKCS8, secret), format: 'der', type: 'pkcs8' })),
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
