import { expect, it } from 'vitest';
import fc from 'fast-check';
import { float64, record, sym, SyrupSet, tagged, type SyrupValue } from '../../src/syrup/types.js';
import { syrupEquals } from '../../src/syrup/equals.js';
import { MAX_KEY_BYTES, namespaced, type Store } from '../../src/persistence/index.js';

/**
 * The behaviour every Store must have (see src/persistence/store.ts), run
 * against each implementation. `open` returns a fresh, empty store.
 */
export function storeContract(open: () => Promise<Store> | Store): void {
  it('gets what was set, as a fresh copy, and undefined for a missing key', async () => {
    const store = await open();
    expect(await store.get('missing')).toBeUndefined();
    const bytes = new Uint8Array([1, 2, 3]);
    await store.set('b', bytes);
    bytes[0] = 99;
    const back = await store.get('b');
    expect(back).toEqual(new Uint8Array([1, 2, 3]));
    (back as Uint8Array)[1] = 42;
    expect(await store.get('b')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('holds any Syrup value; integers come back as bigint', async () => {
    const store = await open();
    const value: SyrupValue = {
      n: 7,
      big: 2n ** 100n,
      f: 1.5,
      two: float64(2),
      s: 'héllo',
      sym: sym('x'),
      list: [true, false, null],
      rec: record('point', 1n, 2n),
      set: new SyrupSet([1n, 2n]),
      tag: tagged('t', 'v'),
      nested: { deep: [[[new Uint8Array(0)]]] },
    };
    await store.set('v', value);
    const back = await store.get('v');
    expect(syrupEquals(back, { ...value, n: 7n })).toBe(true);
    expect((back as { n: unknown }).n).toBe(7n);
  });

  it('replaces, deletes, and deleting a missing key is fine', async () => {
    const store = await open();
    await store.set('k', 'one');
    await store.set('k', 'two');
    expect(await store.get('k')).toBe('two');
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
    await store.delete('k');
    expect(await store.keys()).toEqual([]);
  });

  it('lists keys by prefix, sorted', async () => {
    const store = await open();
    for (const k of ['b/2', 'a', 'b/1', 'b', 'c/\uffff', 'c/\uffffz', 'ba', 'é']) await store.set(k, 1);
    expect(await store.keys()).toEqual(['a', 'b', 'b/1', 'b/2', 'ba', 'c/\uffff', 'c/\uffffz', 'é']);
    expect(await store.keys('b/')).toEqual(['b/1', 'b/2']);
    expect(await store.keys('b')).toEqual(['b', 'b/1', 'b/2', 'ba']);
    expect(await store.keys('c/\uffff')).toEqual(['c/\uffff', 'c/\uffffz']);
    expect(await store.keys('zzz')).toEqual([]);
  });

  it('keeps call order per key without awaiting in between', async () => {
    const store = await open();
    const ops = [store.set('k', 1), store.set('k', 2), store.delete('k'), store.set('k', 3)];
    const read = store.get('k');
    const after = store.set('k', 4);
    await Promise.all(ops);
    expect(await read).toBe(3n);
    await after;
    expect(await store.get('k')).toBe(4n);
  });

  it('refuses bad keys and undefined values before writing anything', async () => {
    const store = await open();
    await expect(store.set('', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.set('x'.repeat(MAX_KEY_BYTES + 1), 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.set('a\uD800', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.get(5 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.set('u', undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.set('f', (() => 1) as unknown as SyrupValue)).rejects.toMatchObject({ code: 'SYRUP_UNENCODABLE' });
    await store.set('x'.repeat(MAX_KEY_BYTES), 1);
    expect(await store.keys()).toEqual(['x'.repeat(MAX_KEY_BYTES)]);
  });

  it('namespaced views prefix keys and list them back without the prefix', async () => {
    const store = await open();
    const app = namespaced(store, 'app');
    const inner = namespaced(app, 'inner');
    await app.set('a', 1);
    await inner.set('b', 2);
    await store.set('other', 3);
    expect(await store.keys()).toEqual(['app/a', 'app/inner/b', 'other']);
    expect(await app.keys()).toEqual(['a', 'inner/b']);
    expect(await inner.keys()).toEqual(['b']);
    expect(await inner.get('b')).toBe(2n);
    await app.delete('a');
    expect(await store.get('app/a')).toBeUndefined();
  });

  it('matches a Map model under random operations (fast-check, seeded)', async () => {
    const store = await open();
    const key = fc.constantFrom('a', 'b', 'b/c', 'é/ü', 'k'.repeat(20));
    const op = fc.oneof(
      fc.record({ type: fc.constant('set' as const), key, value: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 8 }), fc.bigInt()) }),
      fc.record({ type: fc.constant('delete' as const), key }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        for (const k of await store.keys()) await store.delete(k);
        const model = new Map<string, SyrupValue>();
        await Promise.all(
          ops.map((o) => {
            if (o.type === 'set') {
              model.set(o.key, o.value);
              return store.set(o.key, o.value);
            }
            model.delete(o.key);
            return store.delete(o.key);
          }),
        );
        expect(await store.keys()).toEqual([...model.keys()].sort());
        for (const [k, v] of model) expect(await store.get(k)).toEqual(v);
      }),
      { seed: 42, numRuns: 30 },
    );
  });
}
