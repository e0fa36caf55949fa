import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, memoryStore, type PersistentContext, type Store, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { isCapmeshError } from '../../src/util/errors.js';

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function vatOn(network: MemoryNetwork, store?: Store, define?: (vat: EngineVat) => void): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  vats.push(vat);
  define?.(vat);
  return vat;
}

async function restart(network: MemoryNetwork, vat: EngineVat, store: Store, define: (vat: EngineVat) => void): Promise<EngineVat> {
  vats.splice(vats.indexOf(vat), 1);
  await vat.close();
  return vatOn(network, store, define);
}

function codeOf(e: unknown): string {
  return isCapmeshError(e) ? e.code : `not a CapmeshError: ${String(e)}`;
}

interface Linked {
  other?: string;
}

/** Kind `node`: on rebuild its maker awaits the object its data names (if any) and records what that gave. */
function defineNodes(seen: Map<string, string>) {
  return (vat: EngineVat): void => {
    vat.defineKind('node', async (data: Linked, ctx: PersistentContext) => {
      const state = { ...data };
      if (state.other !== undefined) {
        await ctx.enliven(state.other).then(
          () => seen.set(ctx.uri, 'ok'),
          (e: unknown) => seen.set(ctx.uri, codeOf(e)),
        );
      }
      return far('node', {
        async link(uri: string) {
          state.other = uri;
          await ctx.save(state);
        },
      });
    });
  };
}

describe('a maker reaches other objects through ctx', () => {
  it('rebuilds a persistent object its maker enlivens (after a restart, nothing live yet)', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const seen = new Map<string, string>();
    const define = defineNodes(seen);
    let server = await vatOn(network, store, define);
    const target = await server.registerPersistent<Linked>('node', {});
    const holder = await server.registerPersistent<Linked>('node', { other: target });
    expect(seen.get(holder)).toBe('ok');
    server = await restart(network, server, store, define);
    seen.clear();
    const client = await vatOn(network);
    await client.enliven(holder);
    expect(seen.get(holder)).toBe('ok');
  });

  it('rejects with NOT_FOUND when the object it names was revoked, URI_MALFORMED for a bad URI', async () => {
    const network = createMemoryNetwork();
    const seen = new Map<string, string>();
    const server = await vatOn(network, memoryStore(), defineNodes(seen));
    const target = await server.registerPersistent<Linked>('node', {});
    expect(await server.revoke(target)).toBe(true);
    const holder = await server.registerPersistent<Linked>('node', { other: target });
    expect(seen.get(holder)).toBe('NOT_FOUND');
    const bad = await server.registerPersistent<Linked>('node', { other: 'not a sturdyref' });
    expect(seen.get(bad)).toBe('URI_MALFORMED');
  });

  it('refuses a maker that waits on its own object while it is being made (INVALID_ARGUMENT, not a hang)', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const server = await vatOn(network, store, (vat) =>
      vat.defineKind('selfish', async (_data, ctx) => {
        await ctx.enliven(ctx.uri);
        return far('selfish', {});
      }),
    );
    const failure = await server.registerPersistent('selfish', {}).catch((e: unknown) => e);
    expect(codeOf(failure)).toBe('INVALID_ARGUMENT');
    expect((failure as Error).message).toMatch(/its own object/);
  });

  it('refuses the edge that would close a cycle of makers waiting on each other; both objects still come up', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const seen = new Map<string, string>();
    const define = defineNodes(seen);
    let server = await vatOn(network, store, define);
    const a = await server.registerPersistent<Linked>('node', {});
    const b = await server.registerPersistent<Linked>('node', { other: a });
    await E(await server.enliven<{ link(uri: string): void }>(a)).link(b);
    server = await restart(network, server, store, define);
    seen.clear();
    const client = await vatOn(network);
    // a's maker awaits b; b's maker awaits a, which waits on b: refused, so b's maker goes on, then a's.
    await client.enliven(a);
    expect(seen.get(b)).toBe('INVALID_ARGUMENT');
    expect(seen.get(a)).toBe('ok');
    await client.enliven(b);
  });

  it('makes a facet with ctx.registerPersistent: once made, the facet may enliven its creator even in its maker', async () => {
    const network = createMemoryNetwork();
    const server = await vatOn(network, memoryStore(), (vat) => {
      vat.defineKind('owner', (_data, ctx) =>
        far('owner', {
          facet: () => ctx.registerPersistent('eager-facet', { owner: ctx.uri }),
          name: () => 'owner',
        }),
      );
      vat.defineKind('eager-facet', async (data: { owner: string }, ctx) => {
        const owner = await ctx.enliven<{ name(): string }>(data.owner);
        return far('eager-facet', { ownerName: () => E(owner).name() });
      });
    });
    const owner = await server.registerPersistent('owner', {});
    const client = await vatOn(network);
    const facetUri = await E(await client.enliven<{ facet(): string }>(owner)).facet();
    expect(facetUri).not.toBe(owner);
    expect(await E(await client.enliven<{ ownerName(): string }>(facetUri)).ownerName()).toBe('owner');
  });

  it('refuses a facet maker that waits on the object whose maker is still creating it', async () => {
    const network = createMemoryNetwork();
    const server = await vatOn(network, memoryStore(), (vat) => {
      vat.defineKind('impatient', async (_data, ctx) => {
        const failure = await ctx.registerPersistent('eager-facet', { owner: ctx.uri }).then(() => 'made', codeOf);
        return far('impatient', { failure: () => failure });
      });
      vat.defineKind('eager-facet', async (data: { owner: string }, ctx) => {
        await ctx.enliven(data.owner);
        return far('eager-facet', {});
      });
    });
    const uri = await server.registerPersistent('impatient', {});
    expect(await E(await server.enliven<{ failure(): string }>(uri)).failure()).toBe('INVALID_ARGUMENT');
  });

  it('ctx.registerPersistent of an undefined kind rejects with INVALID_ARGUMENT naming the argument', async () => {
    const network = createMemoryNetwork();
    let ctxOf: PersistentContext | undefined;
    const server = await vatOn(network, memoryStore(), (vat) =>
      vat.defineKind('k', (_data, ctx) => {
        ctxOf = ctx;
        return far('k', {});
      }),
    );
    await server.registerPersistent('k', {});
    const failure = await ctxOf!.registerPersistent('nope', {}).catch((e: unknown) => e);
    expect(codeOf(failure)).toBe('INVALID_ARGUMENT');
    expect((failure as { detail?: { argument?: string } }).detail?.argument).toBe('kind');
  });
});
