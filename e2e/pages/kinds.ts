/**
 * Persistent kinds the e2e page defines (`startBrowserVat({ kinds })`): their
 * objects live in the page; the worker keeps their records in IndexedDB and
 * asks the page to rebuild one when a peer fetches it after a reload.
 */
import { far } from 'capmesh';
import type { PageKindMaker } from 'capmesh/browser';

export interface Counter {
  increment(): Promise<bigint>;
  value(): bigint;
}

export const testKinds: Record<string, PageKindMaker> = {
  /** A counter whose every increment is saved before it answers. */
  counter: (data, ctx) => {
    let n = typeof data === 'bigint' ? data : 0n;
    return far('counter', {
      increment: async () => {
        n += 1n;
        await ctx.save(n);
        return n;
      },
      value: () => n,
    });
  },
};
