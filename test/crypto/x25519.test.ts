import { describe, expect, it } from 'vitest';
import { generateX25519KeyPair, x25519KeyPairFromSecret, x25519SharedSecret } from '../../src/crypto/x25519.js';
import { fromHex, toHex } from '../../src/util/bytes.js';

describe('X25519', () => {
  it('matches the RFC 7748 §6.1 test vector both ways', () => {
    const alice = x25519KeyPairFromSecret(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = x25519KeyPairFromSecret(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(x25519SharedSecret(alice.secretKey, bob.publicKey))).toBe(shared);
    expect(toHex(x25519SharedSecret(bob.secretKey, alice.publicKey))).toBe(shared);
  });

  it('agrees on a secret between two fresh key pairs, different each time', () => {
    const a = generateX25519KeyPair();
    const b = generateX25519KeyPair();
    const s = x25519SharedSecret(a.secretKey, b.publicKey);
    expect(toHex(s)).toBe(toHex(x25519SharedSecret(b.secretKey, a.publicKey)));
    expect(toHex(s)).not.toBe(toHex(x25519SharedSecret(generateX25519KeyPair().secretKey, b.publicKey)));
  });

  it('refuses low-order peer keys (the shared secret would be public) and bad lengths', () => {
    const a = generateX25519KeyPair();
    const zero = new Uint8Array(32);
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(() => x25519SharedSecret(a.secretKey, zero)).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }));
    expect(() => x25519SharedSecret(a.secretKey, one)).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }));
    expect(() => x25519SharedSecret(a.secretKey, new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }));
    expect(() => x25519KeyPairFromSecret(new Uint8Array(33))).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }));
  });
});
