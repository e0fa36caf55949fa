import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { set as idbSet, createStore } from 'idb-keyval';
import { indexedDbStore } from '../../src/persistence/indexeddb-store.js';
import { storeContract } from './store-contract.js';

// The store logic against fake-indexeddb (an in-memory IndexedDB); real
// browsers (window and worker) are covered by the browser e2e tests.
let n = 0;
const freshName = (): string => `capmesh-test-${++n}`;

describe('indexedDbStore', () => {
  storeContract(() => indexedDbStore(freshName()));

  it('a second store on the same database (a reload) sees what the first wrote', async () => {
    const name = freshName();
    await indexedDbStore(name).set('capmesh/identity', new Uint8Array([9]));
    expect(await indexedDbStore(name).get('capmesh/identity')).toEqual(new Uint8Array([9]));
  });

  it('databases with different names are apart; the default name is "capmesh"', async () => {
    await indexedDbStore(freshName()).set('k', 1);
    expect(await indexedDbStore(freshName()).keys()).toEqual([]);
    const def = indexedDbStore();
    await def.set('d', 2);
    expect(await indexedDbStore('capmesh').get('d')).toBe(2n);
  });

  it('a value capmesh did not write rejects with STORE', async () => {
    const name = freshName();
    await idbSet('foreign', { not: 'bytes' }, createStore(name, 'capmesh'));
    await idbSet('garbage', new Uint8Array([0x5b]), createStore(name, 'capmesh'));
    const store = indexedDbStore(name);
    await expect(store.get('foreign')).rejects.toMatchObject({ code: 'STORE' });
    await expect(store.get('garbage')).rejects.toMatchObject({ code: 'STORE' });
  });

  it('where there is no IndexedDB, every operation rejects with STORE', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error: simulating a context without IndexedDB
    delete globalThis.indexedDB;
    try {
      const store = indexedDbStore(freshName());
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE' });
      await expect(store.set('k', 1)).rejects.toMatchObject({ code: 'STORE' });
      await expect(store.keys()).rejects.toMatchObject({ code: 'STORE' });
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});
