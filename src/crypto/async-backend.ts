import type { CryptoBackend } from './backend.js';
import { nodeCryptoBackend } from './node-backend.js';
import { der, ED25519_PKCS8, passesStrictPrechecks, X25519_PKCS8 } from './strict.js';

/**
 * The asynchronous face of capmesh's curve primitives, for the paths that run
 * in browsers (the session handshake's location signature, handoff
 * verification, the relay end-to-end handshake): there the platform's crypto
 * is WebCrypto, which only answers with promises.
 *
 * Which implementation answers, per algorithm:
 * - Node: its native synchronous backend (node-backend.ts), each answer
 *   wrapped in a settled promise.
 * - Browsers (and any runtime with `crypto.subtle` but no Node crypto):
 *   WebCrypto Ed25519 / X25519 (Chromium 137+, Firefox 129+, Safari 17+).
 *   Support is probed once per algorithm (importing a fixed key); an
 *   algorithm the platform lacks is served by `@noble/*`, loaded then with a
 *   dynamic `import()` — so a bundle that runs on a capable browser never
 *   loads noble for it.
 *
 * Agreement: the same keys, signatures and X25519 results as noble, and the
 * same verification verdicts on every malformed input class, because the
 * strict prechecks (strict.ts) run before WebCrypto sees a key; the one known
 * difference is the one node-backend.ts documents (a signature whose R has a
 * small-order component, which only the key holder can make, passes noble's
 * cofactored check and not the platforms' cofactorless one).
 *
 * Ordering: each call is independent; promises settle in whatever order the
 * platform completes them. Callers that must keep order (a session's inbound
 * messages behind its hello check) queue on their side: see
 * connection-shell.ts.
 *
 * Failure: `ed25519Verify` resolves false, never rejects, for anything that
 * does not verify; `x25519Shared` rejects for a key the curve refuses; the
 * callers in this folder turn that into `CRYPTO_BAD_KEY`.
 */
export interface AsyncCryptoBackend {
  /** What answers each algorithm: `native` (Node), `webcrypto`, or `noble`; resolved on first use. */
  algorithms(): Promise<{ readonly ed25519: CryptoImplementation; readonly x25519: CryptoImplementation }>;
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  x25519PublicKey(secret: Uint8Array): Promise<Uint8Array>;
  x25519Shared(secret: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
}

export type CryptoImplementation = 'native' | 'webcrypto' | 'noble';

/** The slice of `SubtleCrypto` used here (a test can hand in one that lacks an algorithm). */
export type SubtleLike = Pick<SubtleCrypto, 'importKey' | 'exportKey' | 'sign' | 'verify' | 'deriveBits'>;

/** Loads the synchronous pure-JS backend; by default a dynamic import of noble-backend.ts. */
export type FallbackLoader = () => Promise<CryptoBackend>;

const loadNoble: FallbackLoader = async () => (await import('./noble-backend.js')).nobleBackend;

/** A synchronous backend behind the asynchronous interface (Node's native one, or noble). */
export function asyncOf(backend: CryptoBackend): AsyncCryptoBackend {
  const name: CryptoImplementation = backend.name;
  const algorithms = { ed25519: name, x25519: name };
  return Object.freeze({
    algorithms: async () => algorithms,
    ed25519PublicKey: async (seed: Uint8Array) => backend.ed25519PublicKey(seed),
    ed25519Sign: async (seed: Uint8Array, message: Uint8Array) => backend.ed25519Sign(seed, message),
    ed25519Verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => backend.ed25519Verify(publicKey, message, signature),
    x25519PublicKey: async (secret: Uint8Array) => backend.x25519PublicKey(secret),
    x25519Shared: async (secret: Uint8Array, publicKey: Uint8Array) => backend.x25519Shared(secret, publicKey),
  });
}

/** base64url (JWK `x`) to bytes. */
function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A fresh `ArrayBuffer`-backed copy (WebCrypto's typings want one; it also never aliases the caller's bytes). */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** A fixed 32-byte scalar the probe imports; any value would do. */
const PROBE_SEED = new Uint8Array(32).fill(1);

/**
 * WebCrypto Ed25519 and X25519 over `subtle`, with `loadFallback` (noble by
 * default, through a dynamic import) for an algorithm `subtle` lacks. The
 * probe and the fallback load happen once per algorithm, on first use; a
 * fallback that fails to load rejects that call and is retried on the next.
 */
export function webCryptoBackend(subtle: SubtleLike, loadFallback: FallbackLoader = loadNoble): AsyncCryptoBackend {
  let fallback: Promise<CryptoBackend> | undefined;
  const noble = (): Promise<CryptoBackend> => {
    fallback ??= loadFallback().catch((e: unknown) => {
      fallback = undefined;
      throw e;
    });
    return fallback;
  };
  const probe = (algorithm: 'Ed25519' | 'X25519', prefix: Uint8Array, usages: KeyUsage[]): Promise<CryptoImplementation> =>
    subtle.importKey('pkcs8', der(prefix, PROBE_SEED), { name: algorithm }, false, usages).then(
      () => 'webcrypto' as const,
      () => 'noble' as const,
    );
  let ed: Promise<CryptoImplementation> | undefined;
  let x: Promise<CryptoImplementation> | undefined;
  const edImpl = (): Promise<CryptoImplementation> => (ed ??= probe('Ed25519', ED25519_PKCS8, ['sign']));
  const xImpl = (): Promise<CryptoImplementation> => (x ??= probe('X25519', X25519_PKCS8, ['deriveBits']));

  /** The last signing key, kept with a copy of its seed (a session signs with one key over and over). */
  let lastSigner: { seed: Uint8Array; key: Promise<CryptoKey> } | undefined;
  const signingKey = (seed: Uint8Array): Promise<CryptoKey> => {
    if (lastSigner && lastSigner.seed.every((b, i) => b === seed[i])) return lastSigner.key;
    const key = subtle.importKey('pkcs8', der(ED25519_PKCS8, seed), { name: 'Ed25519' }, false, ['sign']);
    lastSigner = { seed: Uint8Array.from(seed), key };
    key.catch(() => {
      if (lastSigner?.key === key) lastSigner = undefined;
    });
    return key;
  };
  /** The raw public key of a raw private scalar: import it extractable, read the JWK's `x`. */
  const publicOf = async (algorithm: 'Ed25519' | 'X25519', prefix: Uint8Array, secret: Uint8Array): Promise<Uint8Array> => {
    const usages: KeyUsage[] = algorithm === 'Ed25519' ? ['sign'] : ['deriveBits'];
    const key = await subtle.importKey('pkcs8', der(prefix, secret), { name: algorithm }, true, usages);
    const jwk = await subtle.exportKey('jwk', key);
    return fromBase64Url(jwk.x!);
  };

  return Object.freeze({
    algorithms: async () => ({ ed25519: await edImpl(), x25519: await xImpl() }),
    async ed25519PublicKey(seed: Uint8Array) {
      if ((await edImpl()) === 'noble') return (await noble()).ed25519PublicKey(seed);
      return publicOf('Ed25519', ED25519_PKCS8, seed);
    },
    async ed25519Sign(seed: Uint8Array, message: Uint8Array) {
      if ((await edImpl()) === 'noble') return (await noble()).ed25519Sign(seed, message);
      return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, await signingKey(seed), copy(message)));
    },
    async ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) {
      if ((await edImpl()) === 'noble') return (await noble()).ed25519Verify(publicKey, message, signature);
      if (!passesStrictPrechecks(publicKey, signature)) return false;
      try {
        const key = await subtle.importKey('raw', copy(publicKey), { name: 'Ed25519' }, false, ['verify']);
        return await subtle.verify({ name: 'Ed25519' }, key, copy(signature), copy(message));
      } catch {
        return false;
      }
    },
    async x25519PublicKey(secret: Uint8Array) {
      if ((await xImpl()) === 'noble') return (await noble()).x25519PublicKey(secret);
      return publicOf('X25519', X25519_PKCS8, secret);
    },
    async x25519Shared(secret: Uint8Array, publicKey: Uint8Array) {
      if ((await xImpl()) === 'noble') return (await noble()).x25519Shared(secret, publicKey);
      const privateKey = await subtle.importKey('pkcs8', der(X25519_PKCS8, secret), { name: 'X25519' }, false, ['deriveBits']);
      const peer = await subtle.importKey('raw', copy(publicKey), { name: 'X25519' }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, 256));
    },
  });
}

/** Everything through noble, loaded on first use (a runtime with neither Node crypto nor WebCrypto). */
function lazyNobleBackend(loadFallback: FallbackLoader = loadNoble): AsyncCryptoBackend {
  let loaded: Promise<AsyncCryptoBackend> | undefined;
  const get = (): Promise<AsyncCryptoBackend> => (loaded ??= loadFallback().then(asyncOf));
  return Object.freeze({
    algorithms: async () => (await get()).algorithms(),
    ed25519PublicKey: async (seed: Uint8Array) => (await get()).ed25519PublicKey(seed),
    ed25519Sign: async (seed: Uint8Array, message: Uint8Array) => (await get()).ed25519Sign(seed, message),
    ed25519Verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => (await get()).ed25519Verify(publicKey, message, signature),
    x25519PublicKey: async (secret: Uint8Array) => (await get()).x25519PublicKey(secret),
    x25519Shared: async (secret: Uint8Array, publicKey: Uint8Array) => (await get()).x25519Shared(secret, publicKey),
  });
}

let active: AsyncCryptoBackend | undefined;

/** The asynchronous backend in use: chosen on first use as the module note says, or set by `useAsyncCryptoBackend`. */
export function asyncCryptoBackend(): AsyncCryptoBackend {
  if (active) return active;
  const native = nodeCryptoBackend();
  const subtle = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  active = native ? asyncOf(native) : subtle ? webCryptoBackend(subtle) : lazyNobleBackend();
  return active;
}

/**
 * Switches the asynchronous backend (tests run the same vectors on each).
 * Returns the previous one. Not exported from any package entry.
 */
export function useAsyncCryptoBackend(backend: AsyncCryptoBackend): AsyncCryptoBackend {
  const previous = asyncCryptoBackend();
  active = backend;
  return previous;
}
