import { afterEach, describe, expect, it } from 'vitest';
import { cryptoBackend, cryptoBackendReady, loadCryptoBackend, simulateNoNativeBackend } from '../../src/crypto/active-backend.js';
import { nobleCurves } from '../../src/crypto/noble-curves.js';
import { keyPairFromSecret, sign, verify } from '../../src/crypto/keys.js';
import { isCapmeshError } from '../../src/util/errors.js';

afterEach(() => simulateNoNativeBackend(false));

const seed = new Uint8Array(32).fill(9);
const message = new Uint8Array([1, 2, 3]);

describe('the synchronous backend where the platform has none (a browser)', () => {
  it('throws CRYPTO_NOT_LOADED until loadCryptoBackend() loaded noble’s curves, then signs as the native backend does', async () => {
    const nativeSignature = sign(seed, message);
    simulateNoNativeBackend(true);
    expect(cryptoBackendReady()).toBe(false);
    let thrown: unknown;
    try {
      sign(seed, message);
    } catch (e) {
      thrown = e;
    }
    expect(isCapmeshError(thrown) && thrown.code).toBe('CRYPTO_NOT_LOADED');
    expect(() => cryptoBackend()).toThrow(/loadCryptoBackend/);
    const first = loadCryptoBackend();
    expect(loadCryptoBackend()).toBe(first); // one load
    await first;
    expect(cryptoBackendReady()).toBe(true);
    expect(cryptoBackend()).toBe(nobleCurves);
    expect(sign(seed, message)).toEqual(nativeSignature);
    expect(verify(keyPairFromSecret(seed).publicKey, message, nativeSignature)).toBe(true);
  });

  it('Node’s own backend is ready at once: loadCryptoBackend() resolves to it without loading anything', async () => {
    expect(cryptoBackendReady()).toBe(true);
    const before = cryptoBackend();
    await loadCryptoBackend();
    expect(before.name).toBe('native');
    expect(cryptoBackend()).toBe(before);
  });
});
