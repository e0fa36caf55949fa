import { createStore, get, set, type UseStore } from 'idb-keyval';
import { CapmeshError } from '../util/errors.js';
import { cryptoKeyDesignatorKey, type DesignatorKey, type KeyPair } from '../crypto/index.js';
import { IDENTITY_KEY, loadOrCreateIdentity } from './identity.js';
import { storeFault, type Store } from './store.js';

/**
 * A browser vat's designator key, kept where the page's own script cannot
 * read it out: a **non-extractable WebCrypto Ed25519 key pair**
 * (`generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])`), stored
 * as the `CryptoKey` objects themselves in IndexedDB (structured clone keeps
 * them non-extractable). The designator is base32 of the exported *public*
 * key (raw, 32 bytes).
 *
 * Where the key lives: the same database and object store as
 * `indexedDbStore(name)`, under the **array key** {@link CRYPTO_IDENTITY_KEY}.
 * The `Store` interface only has string keys, so `get`/`keys` never see it.
 *
 * Which identity is used, in order:
 * 1. a 32-byte seed already saved under `capmesh/identity` (a vat made before
 *    this change, or on a platform without Ed25519): kept, so an upgrade never
 *    changes a vat's designator;
 * 2. a stored WebCrypto key pair;
 * 3. otherwise a new WebCrypto key pair, saved before this resolves;
 * 4. where the platform has no WebCrypto Ed25519 (or cannot store a
 *    `CryptoKey`), a new seed in `store`, as `loadOrCreateIdentity` does.
 *
 * Failure: a stored record under the array key of another shape rejects with
 * `STORE` (and is left alone, as `loadOrCreateIdentity` does with a bad seed
 * record); IndexedDB trouble rejects with `STORE`.
 */

/** The IndexedDB key of the WebCrypto identity (an array key: invisible to the string-keyed `Store`). */
export const CRYPTO_IDENTITY_KEY: readonly string[] = Object.freeze(['capmesh', 'identity-cryptokey']);

/** The same object store `indexedDbStore` uses. */
const OBJECT_STORE = 'capmesh';

interface StoredCryptoIdentity {
  readonly type: 'ed25519-webcrypto';
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export interface BrowserIdentityOptions {
  /** Tests: behave as a platform without WebCrypto Ed25519 (fall back to a stored seed). Default false. */
  readonly noWebCrypto?: boolean;
}

function isStoredCryptoIdentity(value: unknown): value is StoredCryptoIdentity {
  const v = value as Partial<StoredCryptoIdentity> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.type === 'ed25519-webcrypto' &&
    typeof CryptoKey !== 'undefined' &&
    v.privateKey instanceof CryptoKey &&
    v.publicKey instanceof CryptoKey
  );
}

async function designatorKeyOf(stored: StoredCryptoIdentity): Promise<DesignatorKey> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', stored.publicKey));
  return cryptoKeyDesignatorKey(stored.privateKey, raw);
}

/** A fresh non-extractable Ed25519 pair, or undefined where the platform has none. */
async function generateCryptoIdentity(): Promise<StoredCryptoIdentity | undefined> {
  if (typeof crypto === 'undefined' || crypto.subtle === undefined || typeof CryptoKey === 'undefined') return undefined;
  try {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    return { type: 'ed25519-webcrypto', privateKey: pair.privateKey, publicKey: pair.publicKey };
  } catch {
    return undefined;
  }
}

/**
 * The designator key of the browser vat whose IndexedDB database is `name`
 * (and whose `Store` over that database is `store`). See the module note.
 */
export async function loadOrCreateBrowserIdentity(name: string, store: Store, options: BrowserIdentityOptions = {}): Promise<KeyPair | DesignatorKey> {
  if ((await store.get(IDENTITY_KEY)) !== undefined) return loadOrCreateIdentity(store);
  if (typeof indexedDB === 'undefined') {
    throw storeFault('cannot open the IndexedDB identity', new Error('IndexedDB is not available here'));
  }
  const db: UseStore = createStore(name, OBJECT_STORE);
  const key = CRYPTO_IDENTITY_KEY as string[];
  let found: unknown;
  try {
    found = await get(key, db);
  } catch (e) {
    throw storeFault('cannot read the WebCrypto identity', e);
  }
  if (found !== undefined) {
    if (!isStoredCryptoIdentity(found)) {
      throw new CapmeshError('STORE', 'the stored WebCrypto identity is not an Ed25519 CryptoKey pair');
    }
    return designatorKeyOf(found);
  }
  const fresh = options.noWebCrypto === true ? undefined : await generateCryptoIdentity();
  if (fresh === undefined) return loadOrCreateIdentity(store);
  try {
    await set(key, fresh, db);
  } catch {
    // This platform cannot keep a CryptoKey in IndexedDB: a seed is better than an identity lost on reload.
    return loadOrCreateIdentity(store);
  }
  return designatorKeyOf(fresh);
}
