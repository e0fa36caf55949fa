/**
 * Which identity this tab uses. Each tab of the demo is its own vat: capmesh
 * gives every open tab its own identity slot (`startBrowserVat`'s default
 * `identity: 'per-tab'`: Web Locks, kept across reloads, a closed tab's slot
 * reused by the next tab), so the demo only names its store and reads
 * `vat.slot`. `?profile=N` pins a tab to slot N's identity instead (for
 * demos and tests: two tabs pinned to one slot displace each other at the
 * relay, and the older one is told with a `replaced` event).
 */
export const DEMO_STORE = 'capmesh-demo';

export interface Profile {
  /** The slot number, 0 for the first tab. */
  readonly slot: number;
  /** Prefix for this identity's localStorage keys. */
  readonly prefix: string;
}

/** The slot `?profile=N` pins, if any. */
export function pinnedSlot(param: string | null): number | undefined {
  if (param === null || param === '') return undefined;
  const n = Number(param);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** `startBrowserVat` options that pin slot `n`'s identity (the store names capmesh gives slots). */
export function pinnedIdentity(n: number): { readonly store: string; readonly identity: 'shared' } {
  return { store: n === 0 ? DEMO_STORE : `${DEMO_STORE}-${n}`, identity: 'shared' };
}

export function profileFor(slot: number): Profile {
  return { slot, prefix: `capmesh-demo:${slot}:` };
}
