import { afterEach, describe, expect, it } from 'vitest';
import { asyncCryptoBackend, asyncOf, useAsyncCryptoBackend, webCryptoBackend, type AsyncCryptoBackend, type SubtleLike } from '../../src/crypto/async-backend.js';
import { nobleBackend } from '../../src/crypto/backend.js';
import { generateKeyPairAsync, keyPairFromSecret, sign, signAsync, verify, verifyAsync } from '../../src/crypto/keys.js';
import { generateX25519KeyPairAsync, x25519SharedSecret, x25519SharedSecretAsync } from '../../src/crypto/x25519.js';
import { toHex } from '../../src/util/bytes.js';

/** `crypto.subtle` as a browser without `lacking` would have it: importing a key of that algorithm fails as unsupported. */
function subtleWithout(lacking: 'Ed25519' | 'X25519'): SubtleLike {
  const subtle = globalThis.crypto.subtle;
  return {
    importKey: ((format: never, data: never, algorithm: { name: string }, extractable: boolean, usages: KeyUsage[]) => {
      if (algorithm.name === lacking) return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
      return subtle.importKey(format, data, algorithm, extractable, usages);
    }) as SubtleLike['importKey'],
    exportKey: subtle.exportKey.bind(subtle) as SubtleLike['exportKey'],
    sign: subtle.sign.bind(subtle),
    verify: subtle.verify.bind(subtle),
    deriveBits: subtle.deriveBits.bind(subtle),
  };
}

function countingLoader(): { loads: number; load: () => Promise<typeof nobleBackend> } {
  const counter = {
    loads: 0,
    load: async () => {
      counter.loads++;
      return nobleBackend;
    },
  };
  return counter;
}

const message = new Uint8Array([1, 2, 3, 4]);
const seed = new Uint8Array(32).fill(9);

describe('asynchronous crypto backend', () => {
  let restore: AsyncCryptoBackend | undefined;
  afterEach(() => {
    if (restore) useAsyncCryptoBackend(restore);
    restore = undefined;
  });

  it('Node gets its native backend by default; useAsyncCryptoBackend switches and returns the previous one', async () => {
    expect(await asyncCryptoBackend().algorithms()).toEqual({ ed25519: 'native', x25519: 'native' });
    const web = webCryptoBackend(globalThis.crypto.subtle);
    restore = useAsyncCryptoBackend(web);
    expect(asyncCryptoBackend()).toBe(web);
    expect(await (await import('../../src/crypto/async-backend.js')).asyncCryptoBackend().algorithms()).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
  });

  it('a platform with both algorithms never loads the fallback', async () => {
    const loader = countingLoader();
    const web = webCryptoBackend(globalThis.crypto.subtle, loader.load);
    const kp = keyPairFromSecret(seed);
    expect(toHex(await web.ed25519PublicKey(seed))).toBe(toHex(kp.publicKey));
    expect(await web.ed25519Verify(kp.publicKey, message, await web.ed25519Sign(seed, message))).toBe(true);
    expect(toHex(await web.x25519PublicKey(seed))).toBe(toHex(nobleBackend.x25519PublicKey(seed)));
    expect(await web.algorithms()).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
    expect(loader.loads).toBe(0);
  });

  it('an algorithm the platform lacks is served by the fallback, loaded once; the other stays on WebCrypto', async () => {
    for (const lacking of ['X25519', 'Ed25519'] as const) {
      const loader = countingLoader();
      const web = webCryptoBackend(subtleWithout(lacking), loader.load);
      expect(await web.algorithms()).toEqual(lacking === 'X25519' ? { ed25519: 'webcrypto', x25519: 'noble' } : { ed25519: 'noble', x25519: 'webcrypto' });
      const other = nobleBackend.x25519PublicKey(new Uint8Array(32).fill(4));
      expect(toHex(await web.x25519Shared(seed, other))).toBe(toHex(nobleBackend.x25519Shared(seed, other)));
      const sig = await web.ed25519Sign(seed, message);
      expect(toHex(sig)).toBe(toHex(nobleBackend.ed25519Sign(seed, message)));
      expect(await web.ed25519Verify(nobleBackend.ed25519PublicKey(seed), message, sig)).toBe(true);
      await web.ed25519Verify(nobleBackend.ed25519PublicKey(seed), message, sig);
      await web.x25519PublicKey(seed);
      expect(loader.loads).toBe(1);
    }
    // The default fallback: noble-backend.ts through a dynamic import.
    const byDefault = webCryptoBackend(subtleWithout('X25519'));
    expect(toHex(await byDefault.x25519PublicKey(seed))).toBe(toHex(nobleBackend.x25519PublicKey(seed)));
  });

  it('a fallback that fails to load rejects that call, and the next call tries again', async () => {
    let attempts = 0;
    const web = webCryptoBackend(subtleWithout('X25519'), async () => {
      if (++attempts === 1) throw new Error('chunk failed to load');
      return nobleBackend;
    });
    await expect(web.x25519PublicKey(seed)).rejects.toThrow('chunk failed to load');
    expect(toHex(await web.x25519PublicKey(seed))).toBe(toHex(nobleBackend.x25519PublicKey(seed)));
    expect(attempts).toBe(2);
  });

  it('the …Async functions answer as their synchronous twins on WebCrypto, and refuse the same caller bugs and low-order keys', async () => {
    restore = useAsyncCryptoBackend(webCryptoBackend(globalThis.crypto.subtle, () => Promise.reject(new Error('no fallback here'))));
    const kp = await generateKeyPairAsync();
    const sig = await signAsync(kp.secretKey, message);
    expect(toHex(sig)).toBe(toHex(sign(kp.secretKey, message)));
    expect(await verifyAsync(kp.publicKey, message, sig)).toBe(verify(kp.publicKey, message, sig));
    expect(await verifyAsync(kp.publicKey, new Uint8Array([5]), sig)).toBe(false);
    expect(() => verifyAsync(kp.publicKey, message, sig.subarray(1))).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_SIGNATURE' }));
    expect(() => signAsync(new Uint8Array(31), message)).toThrow(expect.objectContaining({ code: 'CRYPTO_BAD_KEY' }));
    const a = await generateX25519KeyPairAsync();
    const b = await generateX25519KeyPairAsync();
    expect(toHex(await x25519SharedSecretAsync(a.secretKey, b.publicKey))).toBe(toHex(x25519SharedSecret(b.secretKey, a.publicKey)));
    // u = 0 and u = 1 are of low order: refused, not an all-zero secret.
    for (const low of [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))]) {
      await expect(x25519SharedSecretAsync(a.secretKey, low)).rejects.toMatchObject({ code: 'CRYPTO_BAD_KEY' });
    }
  });

  it('asyncOf wraps a synchronous backend with the same answers', async () => {
    const wrapped = asyncOf(nobleBackend);
    expect(await wrapped.algorithms()).toEqual({ ed25519: 'noble', x25519: 'noble' });
    expect(toHex(await wrapped.ed25519Sign(seed, message))).toBe(toHex(nobleBackend.ed25519Sign(seed, message)));
  });
});
