import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createStore, get as idbGet, set as idbSet } from 'idb-keyval';
import { designatorOf, designatorSigner, generateKeyPair, isKeyPair, verify } from '../../src/crypto/index.js';
import { encode, record } from '../../src/syrup/index.js';
import { indexedDbStore } from '../../src/persistence/indexeddb-store.js';
import { CRYPTO_IDENTITY_KEY, loadOrCreateBrowserIdentity } from '../../src/persistence/browser-identity.js';
import { IDENTITY_KEY } from '../../src/persistence/identity.js';

// Against fake-indexeddb and Node's WebCrypto; real Chromium is covered by e2e/identity.spec.ts.
let n = 0;
const freshName = (): string => `capmesh-identity-test-${++n}`;
const stored = (name: string): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey } | undefined> =>
  idbGet(CRYPTO_IDENTITY_KEY as string[], createStore(name, 'capmesh'));

describe('loadOrCreateBrowserIdentity', () => {
  it('makes a non-extractable WebCrypto Ed25519 key, stores the CryptoKeys, and loads the same one again', async () => {
    const name = freshName();
    const store = indexedDbStore(name);
    const first = await loadOrCreateBrowserIdentity(name, store);
    expect(isKeyPair(first)).toBe(false);
    const keys = (await stored(name))!;
    expect(keys.privateKey).toBeInstanceOf(CryptoKey);
    expect(keys.privateKey.extractable).toBe(false);
    expect(keys.privateKey.algorithm.name).toBe('Ed25519');
    await expect(crypto.subtle.exportKey('pkcs8', keys.privateKey)).rejects.toThrow();
    // No seed was written, and the string-keyed Store does not see the CryptoKey entry.
    expect(await store.get(IDENTITY_KEY)).toBeUndefined();
    expect(await store.keys()).toEqual([]);
    const again = await loadOrCreateBrowserIdentity(name, indexedDbStore(name));
    expect(designatorOf(again.publicKey)).toBe(designatorOf(first.publicKey));
    if (isKeyPair(again)) throw new Error('expected the WebCrypto key again, got a seed');
    // It signs through the labelled signer, and noble verifies the platform signature.
    const statement = record('init:peer-auth', new Uint8Array(32).fill(3));
    const signature = await designatorSigner(again).sign(statement);
    expect(verify(first.publicKey, encode(statement), signature)).toBe(true);
  });

  it('keeps an existing stored seed (no identity change on upgrade) and writes no CryptoKey', async () => {
    const name = freshName();
    const store = indexedDbStore(name);
    const old = generateKeyPair();
    await store.set(IDENTITY_KEY, { type: 'ed25519', secret: old.secretKey });
    const identity = await loadOrCreateBrowserIdentity(name, store);
    expect(isKeyPair(identity)).toBe(true);
    expect(designatorOf(identity.publicKey)).toBe(designatorOf(old.publicKey));
    expect(await stored(name)).toBeUndefined();
  });

  it('falls back to a stored seed where the platform has no WebCrypto Ed25519', async () => {
    const name = freshName();
    const store = indexedDbStore(name);
    const identity = await loadOrCreateBrowserIdentity(name, store, { noWebCrypto: true });
    expect(isKeyPair(identity)).toBe(true);
    expect(await store.get(IDENTITY_KEY)).toMatchObject({ type: 'ed25519' });
    expect(designatorOf((await loadOrCreateBrowserIdentity(name, store)).publicKey)).toBe(designatorOf(identity.publicKey));
  });

  it('refuses a stored entry of another shape with STORE, and leaves it alone', async () => {
    const name = freshName();
    await idbSet(CRYPTO_IDENTITY_KEY as string[], { type: 'ed25519-webcrypto', privateKey: 'nope' }, createStore(name, 'capmesh'));
    await expect(loadOrCreateBrowserIdentity(name, indexedDbStore(name))).rejects.toMatchObject({ code: 'STORE' });
    expect(await stored(name)).toEqual({ type: 'ed25519-webcrypto', privateKey: 'nope' });
  });
});
