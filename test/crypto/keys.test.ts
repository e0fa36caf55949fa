import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPair, keyPairFromSecret, publicKeyOf, sign, verify } from '../../src/crypto/keys.js';
import { fromHex, toHex, utf8Encode } from '../../src/util/bytes.js';
import { codeOf } from '../helpers/codes.js';

/** RFC 8032 §7.1, tests 1 and 2. */
const RFC1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};
const RFC2 = {
  secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature:
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

/** The group order L of Ed25519, little-endian, for a non-canonical S. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function leBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function fromLe(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

describe('Ed25519 keys', () => {
  it.each([RFC1, RFC2])('matches RFC 8032 vector with public key $public', (v) => {
    const pair = keyPairFromSecret(fromHex(v.secret));
    expect(toHex(pair.publicKey)).toBe(v.public);
    expect(toHex(publicKeyOf(fromHex(v.secret)))).toBe(v.public);
    const sig = sign(pair.secretKey, fromHex(v.message));
    expect(toHex(sig)).toBe(v.signature);
    expect(verify(pair.publicKey, fromHex(v.message), sig)).toBe(true);
  });

  it('keyPairFromSecret keeps its own copy of the secret', () => {
    const secret = fromHex(RFC1.secret);
    const pair = keyPairFromSecret(secret);
    secret.fill(0);
    expect(toHex(pair.secretKey)).toBe(RFC1.secret);
  });

  it('generates distinct, working key pairs', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.secretKey).toHaveLength(32);
    expect(a.publicKey).toHaveLength(32);
    expect(toHex(a.secretKey)).not.toBe(toHex(b.secretKey));
    expect(toHex(keyPairFromSecret(a.secretKey).publicKey)).toBe(toHex(a.publicKey));
    const msg = utf8Encode('hello');
    expect(verify(a.publicKey, msg, sign(a.secretKey, msg))).toBe(true);
    expect(verify(b.publicKey, msg, sign(a.secretKey, msg))).toBe(false);
  });

  it('round-trips sign/verify, and any single-bit change of message or signature fails', () => {
    const pair = keyPairFromSecret(fromHex(RFC2.secret));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.nat(7), (msg, at, bit) => {
        const sig = sign(pair.secretKey, msg);
        expect(verify(pair.publicKey, msg, sig)).toBe(true);
        const badMsg = Uint8Array.from(msg);
        badMsg[at % msg.length]! ^= 1 << bit;
        expect(verify(pair.publicKey, badMsg, sig)).toBe(false);
        const badSig = Uint8Array.from(sig);
        badSig[at % 64]! ^= 1 << bit;
        expect(verify(pair.publicKey, msg, badSig)).toBe(false);
      }),
      { seed: 8032, numRuns: 60 },
    );
  });

  it('rejects a non-canonical S (S + L) under strict verification', () => {
    const pair = keyPairFromSecret(fromHex(RFC1.secret));
    const msg = utf8Encode('malleable?');
    const sig = sign(pair.secretKey, msg);
    const s = fromLe(sig.subarray(32));
    const forged = new Uint8Array(64);
    forged.set(sig.subarray(0, 32), 0);
    forged.set(leBytes(s + L, 32), 32);
    expect(verify(pair.publicKey, msg, sig)).toBe(true);
    expect(verify(pair.publicKey, msg, forged)).toBe(false);
  });

  it('returns false, without throwing, for well-sized but invalid keys and signatures', () => {
    const msg = utf8Encode('m');
    const sig = sign(fromHex(RFC1.secret), msg);
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral point: small order
    expect(verify(identity, msg, sig)).toBe(false);
    expect(verify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false); // y ≥ p: not canonical
    expect(verify(fromHex(RFC1.public), msg, new Uint8Array(64))).toBe(false);
    expect(verify(fromHex(RFC1.public), msg, new Uint8Array(64).fill(0xff))).toBe(false);
  });

  it('throws CRYPTO_BAD_KEY / CRYPTO_BAD_SIGNATURE / INVALID_ARGUMENT for wrong-sized or wrong-typed inputs', () => {
    const msg = utf8Encode('m');
    const pub = fromHex(RFC1.public);
    const sig = sign(fromHex(RFC1.secret), msg);
    expect(codeOf(() => keyPairFromSecret(new Uint8Array(31)))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => keyPairFromSecret(new Uint8Array(64)))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => publicKeyOf(new Uint8Array(0)))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => sign(new Uint8Array(33), msg))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => sign(fromHex(RFC1.secret), 'm' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => verify(new Uint8Array(31), msg, sig))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => verify('key' as unknown as Uint8Array, msg, sig))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => verify(pub, msg, sig.subarray(0, 63)))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => verify(pub, msg, new Uint8Array(65)))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => verify(pub, null as unknown as Uint8Array, sig))).toBe('INVALID_ARGUMENT');
  });
});
