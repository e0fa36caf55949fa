import type { SyrupValue } from '../syrup/types.js';
import { checkKey, decodeValue, encodeValue, type Store } from './store.js';

/**
 * A {@link Store} held in this process's memory: for tests, and for a vat that
 * should behave like a persistent one without outliving its process. Values
 * are kept as their Syrup bytes, so they are copied on the way in and out
 * exactly like a real backend would. Every operation completes in one
 * microtask, in call order.
 */
export function memoryStore(): Store {
  const entries = new Map<string, Uint8Array>();
  return {
    async get(key: string): Promise<SyrupValue | undefined> {
      checkKey(key);
      const bytes = entries.get(key);
      return bytes === undefined ? undefined : decodeValue(key, bytes);
    },
    async set(key: string, value: SyrupValue): Promise<void> {
      checkKey(key);
      entries.set(key, encodeValue(key, value));
    },
    async delete(key: string): Promise<void> {
      checkKey(key);
      entries.delete(key);
    },
    async keys(prefix = ''): Promise<string[]> {
      return [...entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
