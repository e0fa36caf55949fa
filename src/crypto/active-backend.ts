import type { CryptoBackend } from './backend.js';
import { nobleCurves } from './noble-curves.js';
import { nodeCryptoBackend } from './node-backend.js';

/**
 * The synchronous backend in use. Library code imports `cryptoBackend` from
 * here, not from backend.ts, so that the full noble backend (with
 * `@noble/ciphers`) stays out of every bundle's initial load; the browsers'
 * default is noble's curves alone (noble-curves.ts).
 */

let active: CryptoBackend | undefined;

/** The backend in use: chosen on first use (native where available), or set by `useCryptoBackend`. */
export function cryptoBackend(): CryptoBackend {
  return (active ??= nodeCryptoBackend() ?? nobleCurves);
}

/**
 * Switches the backend (tests run the same vectors on each; an app could pin
 * `noble`). Returns the previous one. Not exported from any package entry.
 */
export function useCryptoBackend(backend: CryptoBackend): CryptoBackend {
  const previous = cryptoBackend();
  active = backend;
  return previous;
}
