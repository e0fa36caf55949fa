/** E() on local targets: far objects, far functions, local promises, plain data. */
import { describe, expect, it } from 'vitest';
import { E, makeE } from '../../src/vat/eventual.js';
import { far } from '../../src/vat/far.js';
import { makeManualScheduler } from '../../src/vat/scheduler.js';
import { tagged } from '../../src/syrup/types.js';
import { CapmeshError, type CapmeshErrorCode } from '../../src/util/errors.js';

/** Forgets a target's static type, for tests that send what its type does not allow. */
const loose = (x: unknown): unknown => x;

/** Resolves to the CapmeshError code the promise rejects with. */
async function rejectionCode(p: Promise<unknown>): Promise<CapmeshErrorCode | string> {
  try {
    await p;
  } catch (e) {
    return e instanceof CapmeshError ? e.code : `not a CapmeshError: ${String(e)}`;
  }
  return 'fulfilled';
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('E on far objects', () => {
  it('delivers in a later turn, never in the caller’s', async () => {
    const log: string[] = [];
    const obj = far('obj', {
      m: (x: string) => {
        log.push(`m(${x})`);
        return x.toUpperCase();
      },
    });
    const p = E(obj).m('a');
    log.push('after send');
    expect(log).toEqual(['after send']);
    await expect(p).resolves.toBe('A');
    expect(log).toEqual(['after send', 'm(a)']);
  });

  it('delivers several sends to one object in order', async () => {
    const log: number[] = [];
    const obj = far('obj', { m: (n: number) => log.push(n) });
    const ps = [1, 2, 3, 4].map((n) => E(obj).m(n));
    await Promise.all(ps);
    expect(log).toEqual([1, 2, 3, 4]);
  });

  it('binds `this` to the far object', async () => {
    const obj = far('obj', {
      self(this: unknown) {
        return this;
      },
    });
    await expect(E(obj).self()).resolves.toBe(obj);
  });

  it('flattens a returned promise and rejects on a thrown exception', async () => {
    const boom = new Error('boom');
    const obj = far('obj', {
      later: () => Promise.resolve(7),
      fail: () => {
        throw boom;
      },
      failLater: () => Promise.reject(boom),
    });
    await expect(E(obj).later()).resolves.toBe(7);
    await expect(E(obj).fail()).rejects.toBe(boom);
    await expect(E(obj).failLater()).rejects.toBe(boom);
  });

  it('rejects a missing method with NO_SUCH_METHOD naming it', async () => {
    const obj = far('Bob', { m: () => 1 });
    const inherited: string = 'toString';
    const p = E(loose(obj)).nope();
    await expect(p).rejects.toThrow(/Bob.*nope/);
    expect(await rejectionCode(E(loose(obj))[inherited]!())).toBe('NO_SUCH_METHOD');
    expect(await rejectionCode(E(loose(obj))())).toBe('NO_SUCH_METHOD');
  });
});

describe('E on far functions', () => {
  it('calls the function through the callable proxy, later', async () => {
    const log: string[] = [];
    const add = far('add', (a: number, b: number) => {
      log.push('called');
      return a + b;
    });
    const p = E(add)(2, 3);
    expect(log).toEqual([]);
    await expect(p).resolves.toBe(5);
    expect(await rejectionCode(E(loose(add)).someMethod())).toBe('NO_SUCH_METHOD');
  });
});

describe('E on local promises', () => {
  it('waits for the promise and keeps the order of sends made while it was pending', async () => {
    const log: string[] = [];
    const obj = far('obj', { m: (x: string) => log.push(x) });
    const d = deferred<typeof obj>();
    const sends = ['a', 'b', 'c'].map((x) => E(d.promise).m(x));
    // Interleave a direct send to show it is not held back by the pending promise.
    const direct = E(obj).m('direct');
    await direct;
    expect(log).toEqual(['direct']);
    d.resolve(obj);
    await Promise.all(sends);
    expect(log).toEqual(['direct', 'a', 'b', 'c']);
  });

  it('follows a chain of promises', async () => {
    const obj = far('obj', { m: () => 'ok' });
    await expect(E(Promise.resolve(Promise.resolve(obj))).m()).resolves.toBe('ok');
  });

  it('accepts a non-native thenable', async () => {
    const obj = far('obj', { m: () => 'ok' });
    const thenable = { then: (res: (v: unknown) => void) => res(obj) };
    await expect(E(loose(thenable)).m()).resolves.toBe('ok');
  });

  it('rejects with the promise’s rejection reason', async () => {
    const reason = new Error('broken');
    const p = Promise.reject(reason);
    await expect(E(p).m()).rejects.toBe(reason);
    await expect(E.get(p, 'x')).rejects.toBe(reason);
  });

  it('rejects when the promise resolves to something that is not a reference', async () => {
    expect(await rejectionCode(E(loose(Promise.resolve(42))).m())).toBe('NOT_A_REFERENCE');
  });
});

describe('E on things that are not references', () => {
  const targets: [string, unknown][] = [
    ['a number', 42],
    ['a string', 'str'],
    ['null', null],
    ['undefined', undefined],
    ['a plain object with functions', { m: () => 1 }],
    ['a plain function', () => 1],
    ['an array', [1]],
    ['a bigint', 1n],
  ];
  it.each(targets)('%s: rejects with NOT_A_REFERENCE and never throws', async (_label, target) => {
    let p1!: Promise<unknown>;
    let p2!: Promise<unknown>;
    expect(() => {
      p1 = E(target).m(1);
      p2 = E(target)();
    }).not.toThrow();
    expect(await rejectionCode(p1)).toBe('NOT_A_REFERENCE');
    expect(await rejectionCode(p2)).toBe('NOT_A_REFERENCE');
  });

  it('says to wrap a plain function with far()', async () => {
    await expect(E(() => 1)()).rejects.toThrow(/far\(\)/);
  });
});

describe('the E proxy', () => {
  it('is not thenable, so awaiting it yields the proxy itself', async () => {
    const obj = far('obj', { m: () => 1 });
    const proxy = E(obj);
    expect((proxy as unknown as { then?: unknown }).then).toBeUndefined();
    const awaited: unknown = await proxy;
    expect(awaited).toBe(proxy);
  });

  it('reads symbol properties as undefined and sends nothing for them', async () => {
    const log: string[] = [];
    const obj = far('obj', { m: () => log.push('m') });
    const proxy = E(obj) as unknown as Record<symbol, unknown>;
    expect(proxy[Symbol.iterator]).toBeUndefined();
    expect(proxy[Symbol.toPrimitive]).toBeUndefined();
    expect(proxy[Symbol.asyncIterator]).toBeUndefined();
    await Promise.resolve();
    expect(log).toEqual([]);
  });

  it('refuses writes and construction', () => {
    const proxy = E(far('obj', {})) as unknown as Record<string, unknown>;
    expect(() => {
      proxy.x = 1;
    }).toThrow(TypeError);
    expect(() => new (proxy as unknown as new () => unknown)()).toThrow(TypeError);
  });
});

describe('E.sendOnly on local targets', () => {
  it('delivers later, returns undefined, and reports failures to onDroppedError', async () => {
    const manual = makeManualScheduler();
    const dropped: unknown[] = [];
    const E2 = makeE(manual.schedule, { onDroppedError: (e) => dropped.push(e) });
    const log: string[] = [];
    const boom = new Error('boom');
    const obj = far('obj', {
      m: (x: string) => {
        log.push(x);
      },
      fail: () => {
        throw boom;
      },
      failLater: () => Promise.reject(boom),
    });
    expect(E2.sendOnly(obj).m('a')).toBeUndefined();
    E2.sendOnly(obj).fail();
    E2.sendOnly(obj).failLater();
    E2.sendOnly(loose(obj)).missing();
    E2.sendOnly(loose(42)).m();
    expect(log).toEqual([]);
    // The non-reference is reported at once; deliveries wait for the scheduler.
    expect(dropped.map((e) => (e as CapmeshError).code)).toEqual(['NOT_A_REFERENCE']);
    manual.drain();
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['a']);
    expect(dropped.slice(1, 2)).toEqual([boom]);
    expect(dropped.map((e) => (e instanceof CapmeshError ? e.code : e))).toEqual([
      'NOT_A_REFERENCE',
      boom,
      'NO_SUCH_METHOD',
      boom,
    ]);
  });

  it('waits for a local promise, and drops a rejected one silently by default', async () => {
    const log: string[] = [];
    const obj = far('obj', { m: (x: string) => log.push(x) });
    const d = deferred<typeof obj>();
    E.sendOnly(d.promise).m('x');
    E.sendOnly(Promise.reject(new Error('broken'))).m('never');
    // A send on the same promise is delivered after the sendOnly: a sync point.
    const after = E(d.promise).m('after');
    expect(log).toEqual([]);
    d.resolve(obj);
    await after;
    expect(log).toEqual(['x', 'after']);
  });
});

describe('E.get / E.index / E.untag on local data', () => {
  it('reads a field, an element and a tagged value, directly or through a promise', async () => {
    await expect(E.get({ a: 1 }, 'a')).resolves.toBe(1);
    await expect(E.get(Promise.resolve({ a: { b: 2 } }), 'a')).resolves.toEqual({ b: 2 });
    await expect(E.index(['x', 'y'], 1)).resolves.toBe('y');
    await expect(E.index(Promise.resolve([10n]), 0)).resolves.toBe(10n);
    await expect(E.untag(tagged('point', [1n, 2n]), 'point')).resolves.toEqual([1n, 2n]);
    await expect(E.untag(Promise.resolve(tagged('t', 'v')), 't')).resolves.toBe('v');
  });

  it('reads in a later turn', async () => {
    const manual = makeManualScheduler();
    const E2 = makeE(manual.schedule);
    const data: Record<string, number> = { a: 1 };
    const p = E2.get(data, 'a');
    data.a = 2;
    expect(manual.pending).toBe(1);
    manual.drain();
    await expect(p).resolves.toBe(2);
  });

  it('rejects a missing field, a non-struct and an accessor with BAD_FIELD, without running the getter', async () => {
    let getterRan = false;
    const withGetter = Object.defineProperty({}, 'g', {
      get: () => {
        getterRan = true;
        return 1;
      },
      enumerable: true,
    });
    expect(await rejectionCode(E.get(loose({ a: 1 }), 'b'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(loose({ a: 1 }), 'toString'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(loose([1]), '0'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(loose(42), 'a'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(new Map(), 'size'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(far('obj', { m: () => 1 }), 'm'))).toBe('BAD_FIELD');
    expect(await rejectionCode(E.get(loose(withGetter), 'g'))).toBe('BAD_FIELD');
    expect(getterRan).toBe(false);
  });

  it('rejects out-of-range indices, holes and non-lists with BAD_INDEX', async () => {
    expect(await rejectionCode(E.index([1, 2], 2))).toBe('BAD_INDEX');
    // eslint-disable-next-line no-sparse-arrays
    expect(await rejectionCode(E.index([, 1], 0))).toBe('BAD_INDEX');
    expect(await rejectionCode(E.index({ 0: 'x' }, 0))).toBe('BAD_INDEX');
    expect(await rejectionCode(E.index('abc', 0))).toBe('BAD_INDEX');
  });

  it('rejects a tag mismatch and a non-Tagged with BAD_TAG', async () => {
    await expect(E.untag(tagged('a', 1n), 'b')).rejects.toThrow(/"b".*"a"/);
    expect(await rejectionCode(E.untag(tagged('a', 1n), 'b'))).toBe('BAD_TAG');
    expect(await rejectionCode(E.untag({ tag: 'a', value: 1 }, 'a'))).toBe('BAD_TAG');
  });

  it('rejects bad selectors with INVALID_ARGUMENT instead of throwing', async () => {
    const loose = E as unknown as Record<'get' | 'index' | 'untag', (t: unknown, s: unknown) => Promise<unknown>>;
    expect(await rejectionCode(loose.get({}, 1))).toBe('INVALID_ARGUMENT');
    expect(await rejectionCode(loose.index([], -1))).toBe('INVALID_ARGUMENT');
    expect(await rejectionCode(loose.index([], 1.5))).toBe('INVALID_ARGUMENT');
    expect(await rejectionCode(loose.index([], 0n))).toBe('INVALID_ARGUMENT');
    expect(await rejectionCode(loose.untag({}, Symbol('t')))).toBe('INVALID_ARGUMENT');
  });
});

describe('E.when', () => {
  it('runs the callbacks in a later turn with the settled value or reason', async () => {
    const log: string[] = [];
    const p = E.when(1, (n) => {
      log.push(`got ${n}`);
      return n + 1;
    });
    log.push('after');
    await expect(p).resolves.toBe(2);
    expect(log).toEqual(['after', 'got 1']);
    await expect(E.when(Promise.reject(new Error('x')), undefined, (e) => (e as Error).message)).resolves.toBe('x');
    await expect(E.when(Promise.resolve('v'))).resolves.toBe('v');
  });
});

describe('makeE with an injected scheduler', () => {
  it('runs no local delivery until the test drains the queue, then runs them in send order', async () => {
    const manual = makeManualScheduler();
    const E2 = makeE(manual.schedule);
    const log: string[] = [];
    const a = far('a', { m: (x: string) => log.push(`a.${x}`) });
    const b = far('b', { m: (x: string) => log.push(`b.${x}`) });
    const ps = [E2(a).m('1'), E2(b).m('1'), E2(a).m('2')];
    // Promise jobs may run; deliveries may not.
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual([]);
    expect(manual.pending).toBe(3);
    manual.runNext();
    expect(log).toEqual(['a.1']);
    manual.drain();
    expect(log).toEqual(['a.1', 'b.1', 'a.2']);
    await expect(Promise.all(ps)).resolves.toEqual([1, 2, 3]);
  });

  it('a scheduler that throws turns into a rejection, not a thrown error', async () => {
    const E2 = makeE(() => {
      throw new Error('no turns today');
    });
    let p!: Promise<unknown>;
    expect(() => {
      p = E2(far('obj', { m: () => 1 })).m();
    }).not.toThrow();
    await expect(p).rejects.toThrow('no turns today');
  });
});
