import { CapmeshError } from '../util/errors.js';
import { generateKeyPairAsync, keyPairFromSecretAsync, type KeyPair } from '../crypto/index.js';
import type { SyrupValue } from '../syrup/types.js';
import type { Store } from './store.js';

/** Where a vat keeps its designator key in its store. */
export const IDENTITY_KEY = 'capmesh/identity';

/**
 * The vat's long-lived designator key from `store`, made and saved on first
 * use. The save completes before this resolves, so a designator that was ever
 * announced is the one every later start loads. Stored as
 * `{ type: "ed25519", secret: <32 bytes> }`.
 *
 * Keys go through the asynchronous backend (WebCrypto in browsers: no noble).
 *
 * Failure: a stored record of another shape rejects with `STORE` (and is left
 * untouched: replacing it would silently change the vat's identity and void
 * every sturdyref it issued).
 */
export async function loadOrCreateIdentity(store: Store): Promise<KeyPair> {
  const stored = await store.get(IDENTITY_KEY);
  if (stored !== undefined) return identityFromRecord(stored);
  const identity = await generateKeyPairAsync();
  await store.set(IDENTITY_KEY, { type: 'ed25519', secret: identity.secretKey });
  return identity;
}

function identityFromRecord(stored: SyrupValue): Promise<KeyPair> {
  const record = stored as { type?: unknown; secret?: unknown } | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.type !== 'ed25519' ||
    !(record.secret instanceof Uint8Array) ||
    record.secret.length !== 32
  ) {
    throw new CapmeshError('STORE', `the stored identity under "${IDENTITY_KEY}" is not an Ed25519 secret key`);
  }
  return keyPairFromSecretAsync(record.secret);
}
