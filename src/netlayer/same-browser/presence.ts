/**
 * Tab presence through Web Locks: how the same-browser broker and the vat
 * workers learn at once that a tab went away (a `MessagePort` says nothing
 * when the other end's tab closes).
 *
 * A vat worker holds one exclusive lock with a fresh random name for its
 * whole life ({@link Presence.hold}); whoever wants to know when that worker
 * is gone asks for the same lock ({@link Presence.whenGone}): the browser
 * grants it only once the holder released it, i.e. when the worker closed
 * its netlayer or its tab (and so its worker) was destroyed.
 */
export interface Presence {
  /**
   * Takes a fresh lock and keeps it until `release` runs. Resolves with its
   * name once it is held (so nobody can be granted it before us).
   */
  hold(): Promise<{ readonly name: string; release(): void }>;
  /**
   * Resolves once the lock `name` is free (its holder is gone). Aborting
   * `signal` stops watching: the promise then never settles.
   */
  whenGone(name: string, signal: AbortSignal): Promise<void>;
}

interface LockManagerLike {
  request(name: string, options: { mode?: 'exclusive'; signal?: AbortSignal }, callback: () => Promise<void> | void): Promise<unknown>;
}

function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : undefined;
}

function randomName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `capmesh-same-browser:${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Web Locks presence, or undefined where the platform has no `navigator.locks` (then tab closes are noticed only by heartbeats). */
export function webLocksPresence(): Presence | undefined {
  const locks = lockManager();
  if (!locks) return undefined;
  return {
    hold() {
      const name = randomName();
      return new Promise((resolve, reject) => {
        locks
          .request(name, { mode: 'exclusive' }, () => new Promise<void>((release) => resolve({ name, release: () => release() })))
          .catch(reject);
      });
    },
    whenGone(name, signal) {
      return new Promise<void>((resolve) => {
        locks.request(name, { mode: 'exclusive', signal }, () => resolve()).catch(() => undefined); // aborted: never settles
      });
    },
  };
}
