/**
 * The strict RFC 8032 prechecks every platform backend runs before handing
 * an Ed25519 verification to the platform (Node's OpenSSL, WebCrypto), so
 * that its verdicts equal `@noble/curves` with `zip215: false` on every
 * malformed input class: non-canonical point encodings (y ≥ p, a sign bit on
 * x = 0), S ≥ L, and the eight small-order public keys. Pure functions over
 * bytes; no I/O. Also the DER wrappers (RFC 8410) both platforms import raw
 * keys through.
 */

/** DER prefixes of the raw 32-byte keys (RFC 8410): PKCS#8 private and SPKI public, Ed25519 and X25519. */
export const ED25519_PKCS8 = hex('302e020100300506032b657004220420');
export const ED25519_SPKI = hex('302a300506032b6570032100');
export const X25519_PKCS8 = hex('302e020100300506032b656e04220420');
export const X25519_SPKI = hex('302a300506032b656e032100');

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

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

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

/** `prefix ‖ raw`, in a fresh array. */
export function der(prefix: Uint8Array, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(prefix.length + raw.length);
  out.set(prefix, 0);
  out.set(raw, prefix.length);
  return out;
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
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < ORDER_LE[i]!) return true;
    if (s[i]! > ORDER_LE[i]!) return false;
  }
  return false;
}

/**
 * False when strict verification must refuse (publicKey, signature) whatever
 * the message: a non-canonical or small-order key, a non-canonical R, S ≥ L.
 * True means only "the platform may now decide". Lengths are the caller's
 * (32 and 64 bytes, checked in keys.ts).
 */
export function passesStrictPrechecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!isCanonicalPoint(publicKey) || SMALL_ORDER.has(toHex(publicKey))) return false;
  return isCanonicalPoint(signature.subarray(0, 32)) && isReducedScalar(signature.subarray(32, 64));
}
