import { describe, expect, it } from 'vitest';
import { memoryStore, ObjectRecords, type Store } from '../../src/persistence/index.js';

const swiss = new Uint8Array(32).fill(1);
const KEY = 'capmesh/object/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE';

/** A store whose writes wait until the test releases them, to look inside the queue. */
function gatedStore(): { store: Store; writes: unknown[]; release(): void } {
  const inner = memoryStore();
  const writes: unknown[] = [];
  let gates: (() => void)[] = [];
  return {
    writes,
    release() {
      const open = gates;
      gates = [];
      for (const g of open) g();
    },
    store: {
      ...inner,
      async set(key, value) {
        writes.push((value as { data: unknown }).data);
        await new Promise<void>((resolve) => gates.push(resolve));
        return inner.set(key, value);
      },
    },
  };
}

describe('ObjectRecords', () => {
  it('stores {kind, data} under capmesh/object/<base64url swiss>', async () => {
    const store = memoryStore();
    const records = new ObjectRecords(store);
    await records.write(swiss, { kind: 'k', data: [1n] });
    expect(await store.keys()).toEqual([KEY]);
    expect(await store.get(KEY)).toEqual({ kind: 'k', data: [1n] });
    expect(await new ObjectRecords(store).load(swiss)).toEqual({ kind: 'k', data: [1n] });
  });

  it('writes one at a time; a burst during a write becomes one write of the newest', async () => {
    const { store, writes, release } = gatedStore();
    const records = new ObjectRecords(store);
    const first = records.write(swiss, { kind: 'k', data: 'a' });
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a']);
    const burst = ['b', 'c', 'd'].map((data) => records.write(swiss, { kind: 'k', data }));
    expect(await records.load(swiss)).toEqual({ kind: 'k', data: 'd' }); // seen before it is stored
    release();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a', 'd']);
    release();
    await Promise.all(burst);
    expect(await store.get(KEY)).toEqual({ kind: 'k', data: 'd' });
  });

  it('a remove queued behind a write wins; load sees it at once', async () => {
    const { store, release } = gatedStore();
    const records = new ObjectRecords(store);
    const w = records.write(swiss, { kind: 'k', data: 1n });
    const r = records.remove(swiss);
    expect(await records.load(swiss)).toBeUndefined();
    release();
    await Promise.all([w, r]);
    await records.idle();
    expect(await store.keys()).toEqual([]);
  });

  it('a failing store rejects the writes it was asked for; the next write still goes through', async () => {
    const inner = memoryStore();
    let fail = true;
    const store: Store = { ...inner, set: (k, v) => (fail ? Promise.reject(new Error('disk full')) : inner.set(k, v)) };
    const records = new ObjectRecords(store);
    await expect(records.write(swiss, { kind: 'k', data: 1n })).rejects.toThrow('disk full');
    fail = false;
    await records.write(swiss, { kind: 'k', data: 2n });
    expect(await records.load(swiss)).toEqual({ kind: 'k', data: 2n });
  });

  it('refuses unencodable data synchronously, and a stored non-record with STORE', async () => {
    const store = memoryStore();
    const records = new ObjectRecords(store);
    expect(() => records.write(swiss, { kind: 'k', data: Symbol('x') as never })).toThrow(expect.objectContaining({ code: 'SYRUP_UNENCODABLE' }));
    await store.set(KEY, 'not a record');
    await expect(records.load(swiss)).rejects.toMatchObject({ code: 'STORE' });
  });
});
