import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { cryptoBackend, nobleBackend, useCryptoBackend, type CryptoBackend } from '../../src/crypto/backend.js';
import { nodeCryptoBackend } from '../../src/crypto/node-backend.js';
import { webCryptoBackend } from '../../src/crypto/async-backend.js';
import { FrameOpener, FrameSealer } from '../../src/crypto/aead.js';
import { keyPairFromSecret, sign, verify } from '../../src/crypto/keys.js';
import { fromHex, toHex } from '../../src/util/bytes.js';

const native = nodeCryptoBackend()!;
/** WebCrypto as browsers get it (Node 20's `crypto.subtle` has Ed25519 and X25519); the fallback must never load here. */
const webcrypto = webCryptoBackend(globalThis.crypto.subtle, () => Promise.reject(new Error('the noble fallback was loaded')));
const SEED = 0x5eed_c0de;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const P = (1n << 255n) - 19n;

function le(n: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function fromLe(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
/** noble's, native's and WebCrypto's verdicts on one (key, message, signature). */
async function verdicts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<[boolean, boolean, boolean]> {
  return [
    nobleBackend.ed25519Verify(publicKey, message, signature),
    native.ed25519Verify(publicKey, message, signature),
    await webcrypto.ed25519Verify(publicKey, message, signature),
  ];
}

const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('crypto backends', () => {
  let restore: CryptoBackend | undefined;
  afterEach(() => {
    if (restore) useCryptoBackend(restore);
    restore = undefined;
  });

  it('Node gets the native backend by default; useCryptoBackend switches and returns the previous one', () => {
    expect(native.name).toBe('native');
    expect(cryptoBackend().name).toBe('native');
    restore = useCryptoBackend(nobleBackend);
    expect(restore?.name).toBe('native');
    expect(cryptoBackend()).toBe(nobleBackend);
    const kp = keyPairFromSecret(new Uint8Array(32).fill(7));
    const sig = sign(kp.secretKey, new Uint8Array([1, 2, 3]));
    useCryptoBackend(restore);
    expect(verify(kp.publicKey, new Uint8Array([1, 2, 3]), sig)).toBe(true);
  });

  it('agree on public keys and signatures, byte for byte, and on verdicts for honest and bit-flipped signatures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(511), async (seed, message, flip) => {
        const pub = nobleBackend.ed25519PublicKey(seed);
        expect(toHex(native.ed25519PublicKey(seed))).toBe(toHex(pub));
        expect(toHex(await webcrypto.ed25519PublicKey(seed))).toBe(toHex(pub));
        const sig = nobleBackend.ed25519Sign(seed, message);
        expect(toHex(native.ed25519Sign(seed, message))).toBe(toHex(sig));
        expect(toHex(await webcrypto.ed25519Sign(seed, message))).toBe(toHex(sig));
        expect(await verdicts(pub, message, sig)).toEqual([true, true, true]);
        const bad = sig.slice();
        bad[flip >> 3]! ^= 1 << (flip & 7);
        expect(await verdicts(pub, message, bad)).toEqual([false, false, false]);
        const badKey = pub.slice();
        badKey[flip & 31]! ^= 1 << (flip >> 6);
        expect(await verdicts(badKey, message, sig)).toEqual([false, false, false]);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('all refuse S + L, non-canonical R and key encodings, and every small-order public key', async () => {
    const kp = keyPairFromSecret(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    const msg = new Uint8Array([0x72]);
    const sig = nobleBackend.ed25519Sign(kp.secretKey, msg);
    const sPlusL = concat(sig.subarray(0, 32), le(fromLe(sig.subarray(32)) + L));
    expect(await verdicts(kp.publicKey, msg, sPlusL)).toEqual([false, false, false]);
    // R encoded as y + p (the same point, non-canonically) where that fits in 255 bits.
    for (const y of [0n, 1n, 5n, 18n]) {
      const nonCanonical = le(P + y);
      expect(await verdicts(kp.publicKey, msg, concat(nonCanonical, sig.subarray(32)))).toEqual([false, false, false]);
      expect(await verdicts(nonCanonical, msg, sig)).toEqual([false, false, false]);
      const signed = nonCanonical.slice();
      signed[31]! |= 0x80;
      expect(await verdicts(signed, msg, sig)).toEqual([false, false, false]);
    }
    // x = 0 with the sign bit set (y = 1 and y = p − 1).
    for (const h of ['0100000000000000000000000000000000000000000000000000000000000080', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']) {
      expect(await verdicts(fromHex(h), msg, sig)).toEqual([false, false, false]);
    }
    // Small-order keys with a signature that satisfies the cofactored equation for A = identity: R = S·B.
    for (const h of SMALL_ORDER) {
      const s = 12345n;
      const forged = concat(ed25519.Point.BASE.multiply(s).toBytes(), le(s));
      expect(await verdicts(fromHex(h), msg, forged)).toEqual([false, false, false]);
      expect(await verdicts(fromHex(h), msg, sig)).toEqual([false, false, false]);
    }
  });

  it('agree on random 32-byte strings used as keys (most are not points): never true, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), async (key, sig) => {
        expect(await verdicts(key, new Uint8Array([1]), sig)).toEqual([false, false, false]);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('the one documented difference: a signature whose R carries a small-order component (made by the key holder) passes noble (cofactored), not OpenSSL nor WebCrypto', async () => {
    const seed = new Uint8Array(32).fill(3);
    const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(seed);
    const msg = new Uint8Array([9, 9]);
    const r = 777n;
    const T = ed25519.Point.fromBytes(fromHex(SMALL_ORDER[5]!));
    const R = ed25519.Point.BASE.multiply(r).add(T).toBytes();
    const k = fromLe(sha512(concat(R, A.toBytes(), msg))) % L;
    const S = (r + k * a) % L;
    const odd = concat(R, le(S));
    expect(await verdicts(A.toBytes(), msg, odd)).toEqual([true, false, false]);
  });

  it('SHA-256: the FIPS 180-4 "abc" vector on both synchronous backends, and equal digests for random input', () => {
    for (const b of [nobleBackend, native]) {
      expect(toHex(b.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => toHex(nobleBackend.sha256(bytes)) === toHex(native.sha256(bytes))));
  });

  it('X25519: the RFC 7748 §6.1 vector on all three, and equal shared secrets for random keys', async () => {
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    for (const b of [nobleBackend, native]) {
      expect(toHex(b.x25519PublicKey(alice))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(toHex(b.x25519Shared(alice, bobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    }
    expect(toHex(await webcrypto.x25519PublicKey(alice))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(await webcrypto.x25519Shared(alice, bobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (x, y) => {
        const py = nobleBackend.x25519PublicKey(y);
        expect(toHex(native.x25519PublicKey(y))).toBe(toHex(py));
        expect(toHex(await webcrypto.x25519PublicKey(y))).toBe(toHex(py));
        const shared = toHex(nobleBackend.x25519Shared(x, py));
        expect(toHex(native.x25519Shared(x, py))).toBe(shared);
        expect(toHex(await webcrypto.x25519Shared(x, py))).toBe(shared);
        // A peer key with the top bit set (RFC 7748 masks it): the same answer everywhere.
        const high = py.slice();
        high[31]! |= 0x80;
        expect(toHex(await webcrypto.x25519Shared(x, high))).toBe(toHex(nobleBackend.x25519Shared(x, high)));
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('ChaCha20-Poly1305: identical frames both ways, each opens the other, and both refuse a flipped bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 5 }), fc.nat(), (key, plaintexts, flip) => {
        const frames: Uint8Array[][] = [];
        for (const b of [nobleBackend, native]) {
          useCryptoBackend(b);
          const sealer = new FrameSealer(key);
          frames.push(plaintexts.map((p) => sealer.seal(p)));
        }
        expect(frames[1]!.map(toHex)).toEqual(frames[0]!.map(toHex));
        for (const [b, other] of [[nobleBackend, native], [native, nobleBackend]] as const) {
          useCryptoBackend(b);
          const opener = new FrameOpener(key);
          expect(frames[other === native ? 1 : 0]!.map((f) => toHex(opener.open(f)))).toEqual(plaintexts.map(toHex));
          const tampered = frames[0]![0]!.slice();
          tampered[8 + (flip % (tampered.length - 8))]! ^= 1;
          expect(() => new FrameOpener(key).open(tampered)).toThrow(expect.objectContaining({ code: 'E2E_TAMPERED' }));
        }
        useCryptoBackend(native);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});
