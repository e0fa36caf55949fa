import { CapmeshError } from '../util/errors.js';
import type { CryptoBackend } from './backend.js';
import { nodeCryptoBackend } from './node-backend.js';

/**
 * The synchronous backend in use. Library code imports `cryptoBackend` from
 * here, not from backend.ts, so that noble stays out of every bundle's
 * initial load.
 *
 * Where the platform's crypto is synchronous (Node) that is the backend, at
 * once. Where it is not (browsers: WebCrypto answers with promises), the
 * synchronous backend is noble's curves (noble-curves.ts), **loaded on
 * demand** by {@link loadCryptoBackend}; until then {@link cryptoBackend}
 * throws `CRYPTO_NOT_LOADED`. capmesh's own browser paths need it only in
 * two places, and load it first: a vat about to hold two sessions at once
 * (a handoff signs its gift certificate while it marshals,
 * mesh/connection-shell.ts) and a relay circuit (its end-to-end handshake,
 * netlayer/relay/netlayer.ts). A tab with one peer never loads it: its
 * session key is made and its hello signed through WebCrypto
 * (mesh/handshake.ts).
 */

let active: CryptoBackend | undefined;
/** `null` once known to be absent (a browser). */
let native: CryptoBackend | null | undefined;
let loading: Promise<void> | undefined;

function nativeBackend(): CryptoBackend | undefined {
  if (native === undefined) native = nodeCryptoBackend() ?? null;
  return native ?? undefined;
}

/**
 * The backend in use: the one `useCryptoBackend` set or `loadCryptoBackend`
 * loaded, else the platform's own. Throws `CRYPTO_NOT_LOADED` in a runtime
 * without a synchronous platform backend (a browser) before
 * `loadCryptoBackend()` resolved.
 */
export function cryptoBackend(): CryptoBackend {
  const backend = active ?? (active = nativeBackend());
  if (backend) return backend;
  throw new CapmeshError(
    'CRYPTO_NOT_LOADED',
    'the synchronous Ed25519/X25519 backend is not loaded in this runtime yet: `await loadCryptoBackend()` first (browsers load @noble/curves on demand)',
  );
}

/** True when `cryptoBackend()` answers without throwing. */
export function cryptoBackendReady(): boolean {
  return (active ??= nativeBackend()) !== undefined;
}

/**
 * Makes the synchronous key functions usable (`generateKeyPair`, `sign`,
 * …): at once where the platform's crypto is synchronous (Node), else — a
 * browser — by loading noble's curves with a dynamic `import()` (once; a
 * failed load rejects, and the next call tries again).
 */
export function loadCryptoBackend(): Promise<void> {
  if (cryptoBackendReady()) return Promise.resolve();
  loading ??= import('./noble-curves.js').then(
    ({ nobleCurves }) => {
      active ??= nobleCurves;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * Switches the backend (tests run the same vectors on each; an app could pin
 * `noble`); `undefined` goes back to the default (the platform's, or none
 * until loaded). Returns the previous one. Not exported from any package
 * entry.
 */
export function useCryptoBackend(backend: CryptoBackend | undefined): CryptoBackend | undefined {
  const previous = active ?? nativeBackend();
  active = backend;
  if (backend === undefined) loading = undefined;
  return previous;
}

/** Tests only: behave as a runtime without a synchronous platform backend (`true`), or as this one (`false`). */
export function simulateNoNativeBackend(on: boolean): void {
  native = on ? null : undefined;
  active = undefined;
  loading = undefined;
}
