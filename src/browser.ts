/**
 * `capmesh/browser`: what only runs in a browser (a window or a dedicated
 * worker).
 *
 * - `indexedDbStore(name?)` — a `Store` in IndexedDB, so a tab's vat keeps
 *   its identity and persistent objects across reloads.
 */
export { indexedDbStore } from './persistence/indexeddb-store.js';
