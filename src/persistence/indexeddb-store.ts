import { createStore, del, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { CapmeshError } from '../util/errors.js';
import type { SyrupValue } from '../syrup/types.js';
import { checkKey, decodeValue, encodeValue, storeFault, type Store } from './store.js';

/** The object store inside the database (idb-keyval's convention is one per database). */
const OBJECT_STORE = 'capmesh';

/**
 * A {@link Store} in IndexedDB, through `idb-keyval`: usable in a window and
 * in a dedicated worker (both have `indexedDB`), so a tab's vat keeps its
 * identity and persistent objects across reloads.
 *
 * Database `name` (default `capmesh`), one object store; each key holds its
 * value's Syrup bytes. Every operation is its own IndexedDB transaction, and
 * IndexedDB runs read-write transactions over the same store in creation
 * order, so operations take effect in call order; a committed transaction is
 * all-or-nothing, so a closed tab or a crashed worker never leaves a torn
 * value. The database opens on first use; where there is no IndexedDB (Node,
 * some private modes) every operation rejects with `CapmeshError('STORE')`.
 */
export function indexedDbStore(name = 'capmesh'): Store {
  let use: UseStore | undefined;
  const db = (): UseStore => {
    if (typeof indexedDB === 'undefined') {
      throw storeFault('cannot open the IndexedDB store', new Error('IndexedDB is not available here'));
    }
    return (use ??= createStore(name, OBJECT_STORE));
  };
  const guard = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      throw storeFault(what, e);
    }
  };
  return {
    async get(key: string): Promise<SyrupValue | undefined> {
      checkKey(key);
      const stored: unknown = await guard(`cannot read "${key}"`, () => get(key, db()));
      if (stored === undefined) return undefined;
      if (!ArrayBuffer.isView(stored)) {
        throw new CapmeshError('STORE', `the stored value of "${key}" is not a byte string (not written by capmesh?)`, { detail: { key } });
      }
      return decodeValue(key, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength));
    },
    async set(key: string, value: SyrupValue): Promise<void> {
      checkKey(key);
      const bytes = encodeValue(key, value);
      await guard(`cannot write "${key}"`, () => set(key, bytes, db()));
    },
    async delete(key: string): Promise<void> {
      checkKey(key);
      await guard(`cannot delete "${key}"`, () => del(key, db()));
    },
    async keys(prefix = ''): Promise<string[]> {
      const found = await guard('cannot list the IndexedDB store', () =>
        db()('readonly', (store) => promisifyRequest(store.getAllKeys(prefixRange(prefix)))),
      );
      return found.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)).sort();
    },
  };
}

/** The key range holding exactly the strings that start with `prefix` (all keys when it is empty). */
function prefixRange(prefix: string): IDBKeyRange | undefined {
  if (prefix === '') return undefined;
  const last = prefix.charCodeAt(prefix.length - 1);
  // Strings are ordered by UTF-16 code units: the first string after every `prefix…` is
  // `prefix` with its last unit bumped. A last unit of 0xFFFF cannot be bumped: scan to the end.
  if (last === 0xffff) return IDBKeyRange.lowerBound(prefix);
  return IDBKeyRange.bound(prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1), false, true);
}
