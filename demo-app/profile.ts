/**
 * Which identity this tab uses. Each tab of the demo is its own vat, so two
 * tabs of one browser must not share a designator (the relay would let only
 * one of them register it). Identities live in numbered IndexedDB stores
 * (`capmesh-demo-0`, `-1`, …); a tab holds a Web Lock on the one it uses for
 * as long as it is open.
 *
 * - A reload keeps its identity: the number is remembered in sessionStorage
 *   and the tab waits briefly for the unloading document to release it.
 * - A new tab (or a tab that was closed and reopened) takes the lowest free
 *   number, so the host who closes its tab and opens the app again gets its
 *   identity back, and with it the rooms it hosts.
 */
const SESSION_KEY = 'capmesh-demo-profile';
const LOCK_PREFIX = 'capmesh-demo-profile-';
/** How long a reload waits for its previous document to let go of the lock. */
const RELOAD_WAIT_MS = 2_000;

export interface Profile {
  /** The slot number, 0 for the first tab. */
  readonly slot: number;
  /** The IndexedDB store name for this identity. */
  readonly store: string;
  /** Prefix for this identity's localStorage keys. */
  readonly prefix: string;
}

function profileFor(slot: number): Profile {
  return { slot, store: `capmesh-demo-${slot}`, prefix: `capmesh-demo:${slot}:` };
}

/** Holds the lock named `name` until the page goes away; resolves true once held, false if not taken. */
function hold(name: string, options: LockOptions): Promise<boolean> {
  return new Promise((resolve) => {
    navigator.locks
      .request(name, options, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise<void>(() => {}); // held for the life of the page
      })
      .catch(() => resolve(false));
  });
}

/** Picks this tab's identity slot (see the module comment). `?profile=N` forces one. */
export async function claimProfile(forced?: string | null): Promise<Profile> {
  if (forced && /^\d+$/.test(forced)) return profileFor(Number(forced));
  if (!('locks' in navigator)) return profileFor(0);
  const remembered = sessionStorage.getItem(SESSION_KEY);
  if (remembered !== null && /^\d+$/.test(remembered)) {
    const slot = Number(remembered);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), RELOAD_WAIT_MS);
    const got = await hold(`${LOCK_PREFIX}${slot}`, { signal: controller.signal });
    clearTimeout(timer);
    if (got) return profileFor(slot);
  }
  for (let slot = 0; ; slot++) {
    if (await hold(`${LOCK_PREFIX}${slot}`, { ifAvailable: true })) {
      sessionStorage.setItem(SESSION_KEY, String(slot));
      return profileFor(slot);
    }
  }
}
