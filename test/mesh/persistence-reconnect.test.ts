import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, memoryStore, reconnecting, type ReconnectState, type ReconnectTimer, type Store, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';

interface Counter {
  increment(): bigint;
  read(): bigint;
}

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function vatOn(network: MemoryNetwork, store?: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  vats.push(vat);
  return vat;
}

function defineCounter(vat: EngineVat): void {
  vat.defineKind('counter', (data, ctx) => {
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

/** Timers the test fires by hand: no real time passes. */
function manualTimer(): ReconnectTimer & { delays: number[]; fire(): void; pending(): number } {
  let queue: { callback: () => void; handle: number }[] = [];
  let next = 0;
  const delays: number[] = [];
  return {
    delays,
    set(callback, ms) {
      delays.push(ms);
      queue.push({ callback, handle: ++next });
      return next;
    },
    clear(handle) {
      queue = queue.filter((t) => t.handle !== handle);
    },
    fire() {
      const t = queue.shift();
      if (!t) throw new Error('no timer pending');
      t.callback();
    },
    pending: () => queue.length,
  };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

describe('whenSessionEnds and reconnecting', () => {
  it('whenSessionEnds resolves with the closing error, and at once when no session is open', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const [aliceLocator] = alice.locators();
    expect(await bob.whenSessionEnds(aliceLocator!)).toMatchObject({ code: 'DISCONNECTED' });
    await bob.enliven(await alice.register(far('x', {})));
    const ended = bob.whenSessionEnds(aliceLocator!);
    network.linkBetween(bob.designator, alice.designator)!.cut('cable pulled');
    expect(await ended).toMatchObject({ code: 'DISCONNECTED' });
  });

  it('re-enlivens a persistent object after its vat restarts, backing off while it is down', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    let alice = await vatOn(network, store);
    defineCounter(alice);
    const bob = await vatOn(network);
    const uri = await alice.registerPersistent('counter', { count: 0n });
    const timer = manualTimer();
    const states: ReconnectState[] = [];
    const counter = reconnecting<Counter>(bob, uri, { timer, initialDelayMs: 10, onChange: (s) => states.push(s) });
    const first = await counter.current();
    expect(await E(first).increment()).toBe(1n);
    expect(await E(first).increment()).toBe(2n);

    vats.splice(vats.indexOf(alice), 1);
    await alice.close();
    await until(() => counter.state === 'waiting', 'a failed attempt while alice is down');
    await expect(E(first).read()).rejects.toMatchObject({ code: expect.stringMatching(/^(DISCONNECTED|ABORTED)$/) });
    const next = counter.current(); // waits for the next success
    timer.fire(); // alice is still down: fails again, waits longer
    await until(() => timer.pending() === 1 && timer.delays.length === 2, 'second backoff');
    expect(timer.delays).toEqual([10, 20]);

    alice = await vatOn(network, store);
    defineCounter(alice);
    timer.fire();
    const second = await next;
    expect(second).not.toBe(first);
    expect(await E(second).read()).toBe(2n);
    expect(counter.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'connecting', 'waiting', 'connecting', 'waiting', 'connecting', 'connected']);
    counter.close();
  });

  it('caps the delay, and resets it after a success', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uri = await alice.register(far('x', { ping: () => 'pong' }));
    vats.splice(vats.indexOf(alice), 1);
    await alice.close();
    const timer = manualTimer();
    const ref = reconnecting(bob, uri, { timer, initialDelayMs: 10, factor: 3, maxDelayMs: 100 });
    for (let i = 1; i <= 5; i++) {
      await until(() => timer.pending() === 1, `attempt ${i} failed`);
      if (i < 5) timer.fire();
    }
    expect(timer.delays).toEqual([10, 30, 90, 100, 100]);
    ref.close();
    expect(timer.pending()).toBe(0);
    await expect(ref.current()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('gives up on NOT_FOUND (an ephemeral object after a restart)', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const alice = await vatOn(network, store);
    const bob = await vatOn(network);
    const uri = await alice.register(far('x', {}));
    const timer = manualTimer();
    const ref = reconnecting(bob, uri, { timer });
    await ref.current();
    vats.splice(vats.indexOf(alice), 1);
    await alice.close();
    await vatOn(network, store);
    await until(() => ref.state === 'waiting' || ref.state === 'failed', 'the first retry');
    if (ref.state === 'waiting') timer.fire();
    await until(() => ref.state === 'failed', 'giving up');
    await expect(ref.current()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(timer.pending()).toBe(0);
  });

  it('a waiting current() rejects on close; a reference into the own vat never reconnects', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const uri = await alice.register(far('x', { ping: () => 'pong' }));
    const local = reconnecting<{ ping(): string }>(alice, uri);
    expect(await E(await local.current()).ping()).toBe('pong');
    expect(local.state).toBe('connected');
    local.close();

    const bob = await vatOn(network);
    const gone = uri.replace(alice.designator, 'nobody');
    const timer = manualTimer();
    const ref = reconnecting(bob, gone, { timer });
    const waiting = ref.current();
    await until(() => timer.pending() === 1, 'first failure');
    ref.close();
    await expect(waiting).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(() => reconnecting(bob, 'ocapn://bad')).toThrow(expect.objectContaining({ code: 'URI_MALFORMED' }));
  });

  it('stops when the vat closes', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uri = await alice.register(far('x', {}));
    const timer = manualTimer();
    const ref = reconnecting(bob, uri, { timer });
    await ref.current();
    vats.splice(vats.indexOf(bob), 1);
    await bob.close();
    await until(() => ref.state === 'failed', 'gave up');
    expect(timer.pending()).toBe(0);
  });
});
