import { expect, test } from '@playwright/test';
import { reloadVatPage, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { designatorOf } from '../src/crypto/index.js';
import { closeTabs, openTabs } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a tab keeps its identity as a non-extractable WebCrypto key in IndexedDB, and the designator survives reload', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 1);
  const [tab] = tabs as [(typeof tabs)[0]];
  // Read what the worker stored, from the page (same origin, same database).
  const read = () =>
    tab.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('capmesh-e2e');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const entry = await new Promise<{ type: string; privateKey: CryptoKey; publicKey: CryptoKey } | undefined>((resolve, reject) => {
        const r = db.transaction('capmesh', 'readonly').objectStore('capmesh').get(['capmesh', 'identity-cryptokey']);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const seed = await new Promise<unknown>((resolve, reject) => {
        const r = db.transaction('capmesh', 'readonly').objectStore('capmesh').get('capmesh/identity');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      db.close();
      if (!entry) return undefined;
      let exported = 'refused';
      try {
        await crypto.subtle.exportKey('pkcs8', entry.privateKey);
        exported = 'exported';
      } catch {}
      return {
        type: entry.type,
        isCryptoKey: entry.privateKey instanceof CryptoKey,
        extractable: entry.privateKey.extractable,
        algorithm: entry.privateKey.algorithm.name,
        usages: entry.privateKey.usages,
        exported,
        publicKey: [...new Uint8Array(await crypto.subtle.exportKey('raw', entry.publicKey))],
        seedStored: seed !== undefined,
      };
    });
  const before = await read();
  expect(before).toMatchObject({ type: 'ed25519-webcrypto', isCryptoKey: true, extractable: false, algorithm: 'Ed25519', usages: ['sign'], exported: 'refused', seedStored: false });
  // The designator is base32 of the stored public key.
  expect(designatorOf(Uint8Array.from(before!.publicKey))).toBe(tab.designator);
  // A new page and worker load the same key: same designator.
  expect(await reloadVatPage(tab.page)).toBe(tab.designator);
  expect((await read())!.publicKey).toEqual(before!.publicKey);
  await closeTabs(tabs);
});
