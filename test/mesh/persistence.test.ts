import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, memoryStore, type PersistentContext, type Store, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import type { SyrupValue } from '../../src/syrup/types.js';

interface Counter {
  increment(): bigint;
  read(): bigint;
}

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

/** A counter kind whose state is `{ count }` and which saves after each increment. */
function defineCounter(vat: EngineVat, made: { count: number } = { count: 0 }): void {
  vat.defineKind('counter', (data: SyrupValue, ctx: PersistentContext) => {
    made.count++;
    let count = (data as { count: bigint }).count;
    return far('counter', {
      increment() {
        count += 1n;
        void ctx.save({ count });
        return count;
      },
      read: () => count,
    });
  });
}

async function vatOn(network: MemoryNetwork, store?: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  vats.push(vat);
  return vat;
}

/** Closes `vat` (flushing its saves) and starts another on the same store: an in-process restart. */
async function restart(network: MemoryNetwork, vat: EngineVat, store: Store): Promise<EngineVat> {
  vats.splice(vats.indexOf(vat), 1);
  await vat.close();
  return vatOn(network, store);
}

describe('identity', () => {
  it('is made once and reloaded from the store: the designator survives a restart', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const first = await vatOn(network, store);
    const again = await restart(network, first, store);
    expect(again.designator).toBe(first.designator);
    expect(await store.keys('capmesh/')).toEqual(['capmesh/identity']);
  });

  it('is ephemeral without a store', async () => {
    const network = createMemoryNetwork();
    const a = await vatOn(network);
    const b = await vatOn(network);
    expect(a.designator).not.toBe(b.designator);
  });

  it('refuses a stored identity of the wrong shape instead of replacing it', async () => {
    const store = memoryStore();
    await store.set('capmesh/identity', { type: 'ed25519', secret: new Uint8Array(31) });
    await expect(createVat({ netlayers: [createMemoryNetwork().netlayer()], store })).rejects.toMatchObject({ code: 'STORE' });
    expect(await store.get('capmesh/identity')).toEqual({ type: 'ed25519', secret: new Uint8Array(31) });
  });
});

describe('persistent objects', () => {
  it('survive a restart: same URI, saved state, rebuilt lazily on first fetch', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const made = { count: 0 };
    let alice = await vatOn(network, store);
    defineCounter(alice, made);
    const bob = await vatOn(network);
    const uri = await alice.registerPersistent('counter', { count: 0n });
    const counter = await bob.enliven<Counter>(uri);
    expect(await E(counter).increment()).toBe(1n);
    expect(await E(counter).increment()).toBe(2n);

    alice = await restart(network, alice, store);
    made.count = 0;
    defineCounter(alice, made);
    await expect(E(counter).read()).rejects.toMatchObject({ code: expect.stringMatching(/^(DISCONNECTED|ABORTED)$/) });
    expect(made.count).toBe(0); // nothing rebuilt at start-up
    const again = await bob.enliven<Counter>(uri);
    expect(made.count).toBe(1);
    expect(await E(again).read()).toBe(2n);
    expect(await E(again).increment()).toBe(3n);
    expect((await bob.enliven<Counter>(uri)) === again).toBe(true);
    expect(made.count).toBe(1);
  });

  it('concurrent fetches after a restart share one rebuild', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const made = { count: 0 };
    let alice = await vatOn(network, store);
    defineCounter(alice, made);
    const uri = await alice.registerPersistent('counter', { count: 5n });
    alice = await restart(network, alice, store);
    made.count = 0;
    defineCounter(alice, made);
    const bob = await vatOn(network);
    const carol = await vatOn(network);
    const refs = await Promise.all([bob.enliven<Counter>(uri), carol.enliven<Counter>(uri), bob.enliven<Counter>(uri)]);
    expect(made.count).toBe(1);
    expect(await Promise.all(refs.map((r) => E(r).read()))).toEqual([5n, 5n, 5n]);
  });

  it('a plain register() stays ephemeral: its URI breaks with NOT_FOUND after a restart', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    const uri = await alice.register(far('greeter', { hi: () => 'hi' }));
    const bob = await vatOn(network);
    expect(await E(await bob.enliven<{ hi(): string }>(uri)).hi()).toBe('hi');
    alice = await restart(network, alice, store);
    await expect(bob.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(alice.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('the vat itself enlivens its own persistent URI to the local object, rebuilding it', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    defineCounter(alice);
    const uri = await alice.registerPersistent('counter', { count: 7n });
    alice = await restart(network, alice, store);
    defineCounter(alice);
    const local = await alice.enliven<Counter>(uri);
    expect(await E(local).increment()).toBe(8n);
  });

  it('keeps the last of a burst of saves; close() waits for it', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    let ctxOf: PersistentContext | undefined;
    alice.defineKind('cell', (data, ctx) => {
      ctxOf = ctx;
      return far('cell', { get: () => data });
    });
    const uri = await alice.registerPersistent('cell', 'v0');
    expect(ctxOf!.uri).toBe(uri);
    expect(ctxOf!.kind).toBe('cell');
    const saves = Array.from({ length: 50 }, (_, i) => ctxOf!.save(`v${i + 1}`));
    alice = await restart(network, alice, store);
    await Promise.all(saves);
    alice.defineKind('cell', (data) => far('cell', { get: () => data }));
    expect(await E(await alice.enliven<{ get(): string }>(uri)).get()).toBe('v50');
  });

  it('coalesces saves: a burst while one write is in flight costs two writes, not fifty', async () => {
    const inner = memoryStore();
    let writes = 0;
    const store: Store = { ...inner, set: (k, v) => (writes++, inner.set(k, v)) };
    const alice = await vatOn(createMemoryNetwork(), store);
    let save!: PersistentContext['save'];
    alice.defineKind('cell', (data, ctx) => ((save = ctx.save), far('cell', { get: () => data })));
    await alice.registerPersistent('cell', 0);
    writes = 0;
    await Promise.all(Array.from({ length: 50 }, (_, i) => save(i)));
    expect(writes).toBe(1);
  });

  it('refuses unknown kinds, non-far makers and unencodable data; a throwing maker leaves no record', async () => {
    const store = memoryStore();
    const alice = await vatOn(createMemoryNetwork(), store);
    await expect(alice.registerPersistent('nope', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    alice.defineKind('plain', () => ({ not: 'far' }));
    await expect(alice.registerPersistent('plain', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    alice.defineKind('boom', () => {
      throw new Error('boom');
    });
    await expect(alice.registerPersistent('boom', 1)).rejects.toThrow('boom');
    expect(() => alice.defineKind('boom', () => far('x', {}))).toThrow(/already defined/);
    alice.defineKind('ok', () => far('ok', {}));
    await expect(alice.registerPersistent('ok', (() => 1) as unknown as SyrupValue)).rejects.toMatchObject({ code: 'SYRUP_UNENCODABLE' });
    expect(await store.keys('capmesh/object/')).toEqual([]);
  });

  it('a record whose kind is not defined after a restart breaks with NOT_FOUND until the kind is defined', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    defineCounter(alice);
    const uri = await alice.registerPersistent('counter', { count: 1n });
    alice = await restart(network, alice, store);
    const bob = await vatOn(network);
    await expect(bob.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    defineCounter(alice);
    expect(await E(await bob.enliven<Counter>(uri)).read()).toBe(1n);
  });

  it('a maker that throws on restore breaks the fetch with STORE, and reveals nothing', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    defineCounter(alice);
    const uri = await alice.registerPersistent('counter', { count: 1n });
    alice = await restart(network, alice, store);
    alice.defineKind('counter', () => {
      throw new Error('secret detail');
    });
    const bob = await vatOn(network);
    const failure = await bob.enliven(uri).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'STORE' });
    expect(String((failure as Error).message)).not.toContain('secret');
  });
});

describe('revoke', () => {
  it('forgets a persistent swiss number: later fetches break with NOT_FOUND, live references stay live', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    let save!: PersistentContext['save'];
    alice.defineKind('counter', (data, ctx) => {
      save = ctx.save;
      let count = (data as { count: bigint }).count;
      return far('counter', { increment: () => ++count, read: () => count });
    });
    const uri = await alice.registerPersistent('counter', { count: 0n });
    const bob = await vatOn(network);
    const held = await bob.enliven<Counter>(uri);
    expect(await alice.revoke(uri)).toBe(true);
    expect(await E(held).increment()).toBe(1n); // OCapN: a live reference is not revoked
    await expect(bob.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(save({ count: 9n })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.keys('capmesh/object/')).toEqual([]);
    expect(await alice.revoke(uri)).toBe(false);
    alice = await restart(network, alice, store);
    alice.defineKind('counter', () => far('counter', {}));
    await expect(bob.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('revokes an ephemeral registration and a persistent one that is not live', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    defineCounter(alice);
    const ephemeral = await alice.register(far('x', {}));
    const persistent = await alice.registerPersistent('counter', { count: 0n });
    const bob = await vatOn(network);
    expect(await alice.revoke(ephemeral)).toBe(true);
    await expect(bob.enliven(ephemeral)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    alice = await restart(network, alice, store);
    defineCounter(alice);
    expect(await alice.revoke(persistent)).toBe(true);
    await expect(bob.enliven(persistent)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a save racing a revoke does not bring the record back', async () => {
    const store = memoryStore();
    const alice = await vatOn(createMemoryNetwork(), store);
    let save!: PersistentContext['save'];
    alice.defineKind('cell', (data, ctx) => ((save = ctx.save), far('cell', { get: () => data })));
    const uri = await alice.registerPersistent('cell', 0);
    const saved = save(1);
    await alice.revoke(uri);
    await saved;
    expect(await store.keys('capmesh/object/')).toEqual([]);
  });

  it('refuses another vat’s URI', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uri = await bob.register(far('x', {}));
    await expect(alice.revoke(uri)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
