import { CapmeshError } from '../util/errors.js';
import { Sym, isSym, type SyrupValue } from '../syrup/types.js';

/**
 * OCapN's gcrypt-style list forms for Ed25519 public keys and signatures.
 * These are pure Syrup structure (no cryptography), so `wire` may use them.
 *
 *   public key: [public-key [ecc [curve Ed25519] [flags eddsa] [q <32 bytes>]]]
 *   signature:  [sig-val [eddsa [r <32 bytes>] [s <32 bytes>]]]
 *
 * Reading is strict: exactly this shape, symbols where symbols go, exact byte
 * lengths; anything else throws `CRYPTO_BAD_KEY` / `CRYPTO_BAD_SIGNATURE`.
 */

const s = (name: string): Sym => new Sym(name);

export function publicKeyToSyrup(publicKey: Uint8Array): SyrupValue {
  if (publicKey.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', `an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  }
  return [s('public-key'), [s('ecc'), [s('curve'), s('Ed25519')], [s('flags'), s('eddsa')], [s('q'), publicKey]]];
}

export function signatureToSyrup(signature: Uint8Array): SyrupValue {
  if (signature.length !== 64) {
    throw new CapmeshError('CRYPTO_BAD_SIGNATURE', `an Ed25519 signature is 64 bytes, got ${signature.length}`);
  }
  return [s('sig-val'), [s('eddsa'), [s('r'), signature.subarray(0, 32)], [s('s'), signature.subarray(32, 64)]]];
}

function isList(v: SyrupValue, length: number): v is readonly SyrupValue[] {
  return Array.isArray(v) && v.length === length;
}

/** `[name <bytes of length n>]` → the bytes, or undefined. */
function namedBytes(v: SyrupValue, name: string, n: number): Uint8Array | undefined {
  if (!isList(v, 2) || !isSym(v[0], name)) return undefined;
  const b = v[1];
  return b instanceof Uint8Array && b.length === n ? b : undefined;
}

/** `[name sym]` with the given symbol value. */
function namedSym(v: SyrupValue, name: string, value: string): boolean {
  return isList(v, 2) && isSym(v[0], name) && isSym(v[1], value);
}

/** Reads a public-key list form; returns the 32-byte key. */
export function publicKeyFromSyrup(value: SyrupValue): Uint8Array {
  if (isList(value, 2) && isSym(value[0], 'public-key')) {
    const ecc = value[1];
    if (isList(ecc!, 4) && isSym(ecc[0], 'ecc') && namedSym(ecc[1]!, 'curve', 'Ed25519') && namedSym(ecc[2]!, 'flags', 'eddsa')) {
      const q = namedBytes(ecc[3]!, 'q', 32);
      if (q) return q;
    }
  }
  throw new CapmeshError('CRYPTO_BAD_KEY', 'not an OCapN Ed25519 public-key list');
}

/** Reads a sig-val list form; returns the 64-byte signature (r ‖ s). */
export function signatureFromSyrup(value: SyrupValue): Uint8Array {
  if (isList(value, 2) && isSym(value[0], 'sig-val')) {
    const eddsa = value[1];
    if (isList(eddsa!, 3) && isSym(eddsa[0], 'eddsa')) {
      const r = namedBytes(eddsa[1]!, 'r', 32);
      const sPart = namedBytes(eddsa[2]!, 's', 32);
      if (r && sPart) {
        const out = new Uint8Array(64);
        out.set(r, 0);
        out.set(sPart, 32);
        return out;
      }
    }
  }
  throw new CapmeshError('CRYPTO_BAD_SIGNATURE', 'not an OCapN Ed25519 sig-val list');
}
