/**
 * Persistence: the `Store` interface, its memory implementation, and what a
 * vat keeps in it (its identity key, its persistent object records). The
 * file store (`capmesh/node`) and the IndexedDB store (`capmesh/browser`) are
 * imported from their own files so that neither platform loads the other's code.
 */
export { MAX_KEY_BYTES, namespaced } from './store.js';
export type { Store } from './store.js';
export { memoryStore } from './memory-store.js';
export { IDENTITY_KEY, loadOrCreateIdentity } from './identity.js';
export { ObjectRecords, OBJECT_KEY_PREFIX } from './object-records.js';
export type { ObjectRecord } from './object-records.js';
