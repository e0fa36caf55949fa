import { CapmeshError } from '../util/errors.js';

/**
 * One identity per tab. Two tabs of one browser profile share an origin, so
 * they share IndexedDB: with one database they would load one designator key
 * and fight over it at the relay (the newer registration wins, the other tab
 * is `replaced`). Instead each tab takes a numbered **slot** and keeps its
 * identity and persistent objects in that slot's database:
 *
 * - slot 0 uses the database `store` itself (so a single-tab app keeps the
 *   name it always had), slot `n > 0` uses `${store}-${n}`;
 * - a tab holds the Web Lock `${store}#slot-${n}` for as long as its document
 *   lives (or until `release()`); the browser frees it when the tab closes or
 *   crashes;
 * - a **reload** keeps its slot: the number is remembered in `sessionStorage`
 *   (per tab, survives reloads) and the new document waits up to
 *   `reloadWaitMs` (default 2 000 ms) for the unloading one to let go of the
 *   lock. If it is still held then (another tab took it meanwhile, or a
 *   duplicated tab copied the number), the tab takes a free slot instead;
 * - a **new tab**, or a closed and reopened one, takes the lowest free slot:
 *   the host that closes its only tab and opens the app again gets its
 *   identity, and its persistent objects, back.
 *
 * Ordering: slots are tried from 0 up, each with `ifAvailable`, so two tabs
 * starting at once never get the same one (the lock manager decides).
 *
 * Fallback: where `navigator.locks` does not exist (old browsers, some
 * embedded webviews) every tab gets slot 0 unlocked, i.e. the shared
 * behaviour; `identity: 'shared'` asks for that on purpose (for apps that
 * coordinate their tabs themselves).
 *
 * Failure: when `maxSlots` (default 64) slots are all held by other tabs,
 * `claimTabSlot` rejects with `LIMIT`. A `sessionStorage` that throws (e.g.
 * storage disabled) is treated as empty: reloads then take the lowest free
 * slot, which is the same one unless another tab took it in between.
 */

/** The part of `navigator.locks` (`LockManager`) this module uses. */
export interface TabSlotLocks {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** The part of `sessionStorage` this module uses. */
export interface TabSlotMemory {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface TabSlotOptions {
  /** The base IndexedDB name (`BrowserVatOptions.store`). */
  readonly store: string;
  /** `per-tab` (default): claim a slot as described above. `shared`: slot 0, no lock. */
  readonly identity?: 'per-tab' | 'shared';
  /** How long a reload waits for its previous document to release the remembered slot. Default 2 000 ms. */
  readonly reloadWaitMs?: number;
  /** Slots tried at most before giving up with `LIMIT`. Default 64. */
  readonly maxSlots?: number;
  /** Default `navigator.locks` (absent: the shared fallback). Tests pass a fake. */
  readonly locks?: TabSlotLocks | undefined;
  /** Default `sessionStorage`. Tests pass a fake. */
  readonly memory?: TabSlotMemory | undefined;
}

/** The slot a tab holds. */
export interface TabSlot {
  /** 0, 1, …; 0 also for `shared` and the no-Web-Locks fallback. */
  readonly slot: number;
  /** The IndexedDB database of this slot. */
  readonly store: string;
  /** Whether a Web Lock backs the slot (false for `shared` and the fallback). */
  readonly locked: boolean;
  /** Lets go of the lock (idempotent). Another tab may take the slot from then on. */
  release(): void;
}

export const TAB_SLOT_DEFAULTS = Object.freeze({ reloadWaitMs: 2_000, maxSlots: 64 });

/** The database of slot `n`: `store` for 0, `${store}-${n}` otherwise. */
export function slotStoreName(store: string, n: number): string {
  return n === 0 ? store : `${store}-${n}`;
}

/** The Web Lock that a tab using slot `n` holds. */
export function slotLockName(store: string, n: number): string {
  return `${store}#slot-${n}`;
}

/** The `sessionStorage` key remembering this tab's slot for `store`. */
export function slotMemoryKey(store: string): string {
  return `capmesh-tab-slot:${store}`;
}

/** Lock names this document holds through this module, per lock manager: a second vat in one tab never waits for its own lock. */
const heldHere = new WeakMap<TabSlotLocks, Set<string>>();

function heldBy(locks: TabSlotLocks): Set<string> {
  let set = heldHere.get(locks);
  if (!set) heldHere.set(locks, (set = new Set()));
  return set;
}

/**
 * Requests lock `name` and, once granted, holds it until the returned
 * release function is called. Resolves undefined when it was not granted
 * (`ifAvailable` and taken, or the signal aborted the wait).
 */
function hold(locks: TabSlotLocks, name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    let letGo: () => void = () => {};
    const held = new Promise<void>((r) => (letGo = r));
    locks
      .request(name, options, (lock) => {
        if (lock === null || lock === undefined) {
          resolve(undefined);
          return undefined;
        }
        resolve(letGo);
        return held;
      })
      .catch(() => resolve(undefined));
  });
}

function defaultLocks(): TabSlotLocks | undefined {
  const nav = (globalThis as { navigator?: { locks?: TabSlotLocks } }).navigator;
  return nav?.locks;
}

function defaultMemory(): TabSlotMemory | undefined {
  try {
    return (globalThis as { sessionStorage?: TabSlotMemory }).sessionStorage;
  } catch {
    return undefined; // some browsers throw on access when storage is disabled
  }
}

function unlocked(store: string): TabSlot {
  return { slot: 0, store, locked: false, release: () => {} };
}

/** Claims this tab's identity slot for `options.store` (see the module note). */
export async function claimTabSlot(options: TabSlotOptions): Promise<TabSlot> {
  const { store } = options;
  const locks = options.identity === 'shared' ? undefined : 'locks' in options ? options.locks : defaultLocks();
  if (locks === undefined) return unlocked(store);
  const memory = 'memory' in options ? options.memory : defaultMemory();
  const reloadWaitMs = options.reloadWaitMs ?? TAB_SLOT_DEFAULTS.reloadWaitMs;
  const maxSlots = options.maxSlots ?? TAB_SLOT_DEFAULTS.maxSlots;
  const mine = heldBy(locks);
  const key = slotMemoryKey(store);

  const taken = (n: number, letGo: () => void): TabSlot => {
    const name = slotLockName(store, n);
    mine.add(name);
    try {
      memory?.setItem(key, String(n));
    } catch {
      // storage full or disabled: the next reload takes the lowest free slot
    }
    let released = false;
    return {
      slot: n,
      store: slotStoreName(store, n),
      locked: true,
      release() {
        if (released) return;
        released = true;
        mine.delete(name);
        letGo();
      },
    };
  };

  let remembered: number | undefined;
  try {
    const text = memory?.getItem(key) ?? null;
    if (text !== null && /^\d{1,9}$/.test(text) && Number(text) < maxSlots) remembered = Number(text);
  } catch {
    remembered = undefined;
  }
  if (remembered !== undefined && !mine.has(slotLockName(store, remembered))) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), reloadWaitMs);
    const letGo = await hold(locks, slotLockName(store, remembered), { signal: controller.signal });
    clearTimeout(timer);
    if (letGo) return taken(remembered, letGo);
  }
  for (let n = 0; n < maxSlots; n++) {
    if (mine.has(slotLockName(store, n))) continue;
    const letGo = await hold(locks, slotLockName(store, n), { ifAvailable: true });
    if (letGo) return taken(n, letGo);
  }
  throw new CapmeshError('LIMIT', `all ${maxSlots} identity slots of "${store}" are held by other tabs (maxTabSlots)`);
}
