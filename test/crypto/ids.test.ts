import { afterEach, describe, expect, it } from 'vitest';
import { cryptoBackendReady, loadCryptoBackend, simulateNoNativeBackend } from '../../src/crypto/active-backend.js';
import fc from 'fast-check';
import { keyPairFromSecret, publicIdOf, publicIdOfAsync, sessionIdOf, sessionIdOfAsync } from '../../src/crypto/index.js';
import { compareBytes, toHex } from '../../src/util/bytes.js';
import { codeOf } from '../helpers/codes.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('Public IDs and Session IDs', () => {
  it('a Public ID is 32 bytes and differs between keys', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (k1, k2) => {
        fc.pre(compareBytes(k1, k2) !== 0);
        const id1 = publicIdOf(k1);
        expect(id1).toHaveLength(32);
        expect(toHex(id1)).not.toBe(toHex(publicIdOf(k2)));
        expect(publicIdOf(k1)).toEqual(id1);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('a Session ID is symmetric and depends on both sides', () => {
    fc.assert(
      fc.property(bytes32, bytes32, bytes32, (a, b, c) => {
        fc.pre(compareBytes(b, c) !== 0);
        const ab = sessionIdOf(a, b);
        expect(ab).toHaveLength(32);
        expect(sessionIdOf(b, a)).toEqual(ab);
        expect(toHex(sessionIdOf(a, c))).not.toBe(toHex(ab));
      }),
      { seed: 2, numRuns: 50 },
    );
  });

  it('a session with oneself is well defined', () => {
    const id = new Uint8Array(32).fill(9);
    expect(sessionIdOf(id, id)).toHaveLength(32);
  });

  it('rejects wrong lengths', () => {
    expect(codeOf(() => publicIdOf(new Uint8Array(31)))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => sessionIdOf(new Uint8Array(31), new Uint8Array(32)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => sessionIdOf(new Uint8Array(32), new Uint8Array(64)))).toBe('INVALID_ARGUMENT');
  });
});

describe('Public and Session IDs hashed on WebCrypto (a browser without the synchronous backend)', () => {
  afterEach(() => simulateNoNativeBackend(false));

  it('the …Async twins give the same bytes; the synchronous ones refuse until the backend is loaded', async () => {
    const a = keyPairFromSecret(new Uint8Array(32).fill(1)).publicKey;
    const b = keyPairFromSecret(new Uint8Array(32).fill(2)).publicKey;
    const idA = publicIdOf(a);
    const idB = publicIdOf(b);
    const session = sessionIdOf(idA, idB);
    simulateNoNativeBackend(true);
    expect(() => publicIdOf(a)).toThrow(/loadCryptoBackend/);
    expect(await publicIdOfAsync(a)).toEqual(idA);
    expect(await sessionIdOfAsync(idB, idA)).toEqual(session);
    expect(cryptoBackendReady()).toBe(false); // WebCrypto did the hashing
    await loadCryptoBackend();
    expect(publicIdOf(b)).toEqual(idB); // noble's SHA-256 agrees
    expect(sessionIdOf(idA, idB)).toEqual(session);
  });
});
