/**
 * Persistent kinds the e2e page defines (`startBrowserVat({ kinds })`): their
 * objects live in the page; the worker keeps their records in IndexedDB and
 * asks the page to rebuild one when a peer fetches it after a reload.
 */
import { E, far } from 'capmesh';
import type { PageKindMaker } from 'capmesh/browser';

export interface Counter {
  increment(): Promise<bigint>;
  value(): bigint;
  /** Makes a read-only facet (its own persistent object, kind `counter-view`) and returns its sturdyref. */
  view(): Promise<string>;
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
      // A new facet per call keeps the counter's data a plain bigint; an app would make it once and save its URI.
      view: () => ctx.uri().then((uri) => ctx.registerPersistent('counter-view', { counter: uri })),
    });
  },
  /** A read-only facet of a counter: its data is the counter's URI, enlivened on each read. */
  'counter-view': (data, ctx) => {
    const { counter } = data as { counter: string };
    return far('counter view', {
      value: async () => E(await ctx.enliven<Counter>(counter)).value(),
    });
  },
};
