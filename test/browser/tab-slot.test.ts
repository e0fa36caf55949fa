import { afterEach, describe, expect, it, vi } from 'vitest';
import { claimTabSlot, slotLockName, slotMemoryKey, slotStoreName, type TabSlotLocks, type TabSlotMemory } from '../../src/browser/tab-slot.js';

/**
 * An exclusive-only lock manager with the `LockManager.request` semantics
 * `claimTabSlot` relies on: `ifAvailable` gets `null` when held, `signal`
 * aborts a queued wait (rejecting with AbortError), and a lock is held until
 * the callback's promise settles, then passed to the next waiter.
 */
class FakeLocks implements TabSlotLocks {
  readonly held = new Set<string>();
  private readonly queues = new Map<string, Array<() => void>>();

  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      this.held.add(name);
      try {
        return await callback({ name });
      } finally {
        this.held.delete(name);
        this.queues.get(name)?.shift()?.();
      }
    };
    if (!this.held.has(name)) return run();
    if (options.ifAvailable) return Promise.resolve(callback(null));
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      const go = (): void => {
        options.signal?.removeEventListener('abort', abort);
        run().then(resolve, reject);
      };
      const abort = (): void => {
        queue.splice(queue.indexOf(go), 1);
        reject(new DOMException('aborted', 'AbortError'));
      };
      options.signal?.addEventListener('abort', abort);
      queue.push(go);
    });
  }

  /** Another document holding `name` until the returned function is called. */
  holdElsewhere(name: string): () => void {
    let release: () => void = () => {};
    void this.request(name, {}, () => new Promise<void>((r) => (release = r)));
    return () => release();
  }
}

/** One tab's sessionStorage. */
class FakeMemory implements TabSlotMemory {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('claimTabSlot', () => {
  it('names slot 0 after the store itself and slot n with a suffix, one lock per slot', () => {
    expect(slotStoreName('capmesh', 0)).toBe('capmesh');
    expect(slotStoreName('capmesh', 3)).toBe('capmesh-3');
    expect(slotLockName('capmesh', 3)).toBe('capmesh#slot-3');
  });

  it('gives new tabs the lowest free slot, each holding its lock', async () => {
    const locks = new FakeLocks();
    const a = await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    const b = await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    const c = await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    expect([a.slot, b.slot, c.slot]).toEqual([0, 1, 2]);
    expect([a.store, b.store, c.store]).toEqual(['app', 'app-1', 'app-2']);
    expect([...locks.held].sort()).toEqual(['app#slot-0', 'app#slot-1', 'app#slot-2']);
    expect(a.locked).toBe(true);
  });

  it('hands a closed tab’s slot to the next new tab (the lowest free one)', async () => {
    const locks = new FakeLocks();
    const a = await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    a.release();
    a.release(); // idempotent
    await Promise.resolve();
    const next = await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() });
    expect(next.slot).toBe(0);
  });

  it('keeps a reloaded tab’s slot: it waits for the unloading document to let go', async () => {
    const locks = new FakeLocks();
    const memory = new FakeMemory();
    await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() }); // slot 0, another tab
    const before = await claimTabSlot({ store: 'app', locks, memory });
    expect(before.slot).toBe(1);
    expect(memory.getItem(slotMemoryKey('app'))).toBe('1');
    // The unloading document (modelled as another holder) still has slot 1 when the reloaded one asks for it.
    const unloading = locks.holdElsewhere('app#slot-1');
    before.release();
    const after = claimTabSlot({ store: 'app', locks, memory });
    await Promise.resolve();
    unloading();
    expect((await after).slot).toBe(1);
  });

  it('takes a free slot when the remembered one stays held past reloadWaitMs (e.g. a duplicated tab)', async () => {
    vi.useFakeTimers();
    const locks = new FakeLocks();
    const original = new FakeMemory();
    await claimTabSlot({ store: 'app', locks, memory: new FakeMemory() }); // slot 0
    const held = await claimTabSlot({ store: 'app', locks, memory: original }); // slot 1
    const duplicate = new FakeMemory();
    duplicate.setItem(slotMemoryKey('app'), String(held.slot));
    // Same lock manager, another document: the module only skips waiting for locks it holds itself.
    const other = new FakeLocks();
    other.holdElsewhere('app#slot-0');
    other.holdElsewhere('app#slot-1');
    const claim = claimTabSlot({ store: 'app', locks: other, memory: duplicate, reloadWaitMs: 500 });
    let settled = false;
    void claim.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const got = await claim;
    expect(got.slot).toBe(2);
    expect(duplicate.getItem(slotMemoryKey('app'))).toBe('2');
  });

  it('does not wait for a lock this document already holds (a second vat in one tab)', async () => {
    vi.useFakeTimers();
    const locks = new FakeLocks();
    const memory = new FakeMemory();
    const first = await claimTabSlot({ store: 'app', locks, memory });
    const second = await claimTabSlot({ store: 'app', locks, memory, reloadWaitMs: 60_000 });
    expect([first.slot, second.slot]).toEqual([0, 1]);
  });

  it('falls back to slot 0 without a lock when there are no Web Locks, or with identity: shared', async () => {
    const none = await claimTabSlot({ store: 'app', locks: undefined, memory: new FakeMemory() });
    expect(none).toMatchObject({ slot: 0, store: 'app', locked: false });
    const locks = new FakeLocks();
    const shared = await claimTabSlot({ store: 'app', identity: 'shared', locks, memory: new FakeMemory() });
    expect(shared).toMatchObject({ slot: 0, store: 'app', locked: false });
    expect(locks.held.size).toBe(0);
  });

  it('rejects with LIMIT when every slot up to maxSlots is held elsewhere', async () => {
    const locks = new FakeLocks();
    locks.holdElsewhere('app#slot-0');
    locks.holdElsewhere('app#slot-1');
    await expect(claimTabSlot({ store: 'app', locks, memory: new FakeMemory(), maxSlots: 2 })).rejects.toMatchObject({ code: 'LIMIT' });
  });

  it('treats a throwing sessionStorage as empty and ignores a remembered number that is not a slot', async () => {
    const locks = new FakeLocks();
    const broken: TabSlotMemory = {
      getItem: () => {
        throw new Error('storage disabled');
      },
      setItem: () => {
        throw new Error('storage disabled');
      },
    };
    expect((await claimTabSlot({ store: 'app', locks, memory: broken })).slot).toBe(0);
    const odd = new FakeMemory();
    odd.setItem(slotMemoryKey('app'), '-1');
    expect((await claimTabSlot({ store: 'app', locks, memory: odd })).slot).toBe(1);
  });
});
