import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createVat, isCapmeshError, memoryStore, namespaced, type EngineVat, type Store } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { defineYjsKinds, joinDoc, shareDoc } from '../../src/yjs/index.js';
import { closeVats, converged, statusLog, vatOn, vats, whenText } from './helpers.js';

afterEach(closeVats);

/** A host start: open the store, define the kind at once (before anything can reach the vat). */
async function startHost(network: MemoryNetwork, store: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], store });
  defineYjsKinds(vat);
  vats.push(vat);
  return vat;
}

async function stop(vat: EngineVat): Promise<void> {
  vats.splice(vats.indexOf(vat), 1);
  await vat.close();
}

const fast = { initialDelayMs: 5, maxDelayMs: 20 };

describe('a persistent share', () => {
  it('serves the same links after a restart, with the state restored from the store', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const app = namespaced(store, 'app');
    let host = await startHost(network, store);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'kept');
    const share = await shareDoc(host, hd, { store: app, name: 'notes' });
    await share.saved();
    await stop(host);

    host = await startHost(network, store);
    const again = new Y.Doc();
    const share2 = await shareDoc(host, again, { store: app, name: 'notes' });
    expect([share2.editor, share2.viewer]).toEqual([share.editor, share.viewer]);
    expect(again.getText('t').toString()).toBe('kept');

    const reader = await vatOn(network);
    const rd = new Y.Doc();
    const joined = await joinDoc(reader, share.viewer, rd);
    await joined.synced;
    expect(rd.getText('t').toString()).toBe('kept');
    joined.close();
  });

  it('merges edits a member made while the host was down, both ways, when it rejoins by itself', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let host = await startHost(network, store);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'one ');
    const share = await shareDoc(host, hd, { store, name: 'notes' });
    const alice = await vatOn(network);
    const ad = new Y.Doc();
    const log = statusLog();
    const a = await joinDoc(alice, share.editor, ad, { reconnect: fast, onStatus: log.onStatus });
    await a.synced;

    const offline = log.next('offline');
    await share.saved();
    await stop(host);
    await offline;
    ad.getText('t').insert(ad.getText('t').length, 'alice-offline ');

    host = await startHost(network, store);
    const hd2 = new Y.Doc();
    const back = log.next('synced');
    await shareDoc(host, hd2, { store, name: 'notes' });
    hd2.getText('t').insert(0, 'host-after ');
    await back;
    await converged([hd2, ad]);
    const text = hd2.getText('t').toString();
    expect(text).toContain('one ');
    expect(text).toContain('alice-offline ');
    expect(text).toContain('host-after ');
    expect(log.seen).toContain('offline');
    // And it keeps flowing after the rejoin.
    ad.getText('t').insert(0, '>');
    await whenText(hd2, (t) => t.startsWith('>'));
    a.close();
  });

  it('revoke forgets the share: the old links are refused after a restart too, and a new share gets new links', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let host = await startHost(network, store);
    const share = await shareDoc(host, new Y.Doc(), { store, name: 'notes' });
    await share.revoke();
    expect(await store.keys('capmesh-yjs/')).toEqual([]);
    await stop(host);
    host = await startHost(network, store);
    const fresh = await shareDoc(host, new Y.Doc(), { store, name: 'notes' });
    expect(fresh.editor).not.toBe(share.editor);
    const member = await vatOn(network);
    const code = await joinDoc(member, share.editor, new Y.Doc()).then(() => 'joined', (e: unknown) => (isCapmeshError(e) ? e.code : String(e)));
    expect(code).toBe('NOT_FOUND');
    await (await joinDoc(member, fresh.editor, new Y.Doc())).synced;
  });

  it('refuses a second share of the same name on one vat', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const host = await startHost(network, store);
    await shareDoc(host, new Y.Doc(), { store, name: 'notes' });
    const code = await shareDoc(host, new Y.Doc(), { store, name: 'notes' }).then(() => 'shared', (e: unknown) => (isCapmeshError(e) ? e.code : String(e)));
    expect(code).toBe('INVALID_ARGUMENT');
  });
});
