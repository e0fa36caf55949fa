/** Presences and remote promises: E() hands operations to their handler. */
import { describe, expect, it } from 'vitest';
import { E, makeE } from '../../src/vat/eventual.js';
import { far, isFar } from '../../src/vat/far.js';
import {
  handlerOf,
  isPresence,
  isRemotePromise,
  makePresence,
  makeRemotePromise,
  presenceName,
  settlementOf,
  type RemotePromiseKit,
} from '../../src/vat/handled.js';
import { makeManualScheduler } from '../../src/vat/scheduler.js';
import type { EventualHandler } from '../../src/vat/types.js';
import { CapmeshError, isCapmeshError } from '../../src/util/errors.js';

interface Call {
  readonly on: string;
  readonly op: string;
  readonly arg: unknown;
  readonly args?: readonly unknown[];
}

/**
 * A fake session: every handler records what it was asked on a shared log and
 * answers with a fresh remote promise whose own handler records under the
 * name `<parent>/<n>`, as a CapTP session answers with pipelinable promises.
 */
function makeRecorder() {
  const log: Call[] = [];
  const answers = new Map<string, RemotePromiseKit<unknown>>();
  let next = 0;
  const handlerFor = (on: string): EventualHandler => {
    const answer = (op: string, arg: unknown, args?: readonly unknown[]): Promise<unknown> => {
      log.push(args === undefined ? { on, op, arg } : { on, op, arg, args });
      const name = `${on}/${next++}`;
      const kit = makeRemotePromise(handlerFor(name));
      answers.set(name, kit);
      return kit.promise;
    };
    return {
      applyMethod: (method, args) => answer('apply', method, args),
      sendOnly: (method, args) => {
        log.push({ on, op: 'sendOnly', arg: method, args });
      },
      get: (field) => answer('get', field),
      index: (i) => answer('index', i),
      untag: (tag) => answer('untag', tag),
    };
  };
  return { log, answers, handlerFor };
}

describe('makePresence', () => {
  it('makes a frozen, empty object branded as a presence, distinct from far', () => {
    const { handlerFor } = makeRecorder();
    const handler = handlerFor('p');
    const p = makePresence('Alice', handler);
    expect(Object.isFrozen(p)).toBe(true);
    expect(Reflect.ownKeys(p)).toEqual([]);
    expect(isPresence(p)).toBe(true);
    expect(isFar(p)).toBe(false);
    expect(isPresence({})).toBe(false);
    expect(isPresence(far('f', {}))).toBe(false);
    expect(presenceName(p)).toBe('Alice');
    expect(handlerOf(p)).toBe(handler);
    expect(handlerOf({})).toBeUndefined();
    expect(handlerOf(null)).toBeUndefined();
    expect(makePresence('Alice', handler)).not.toBe(p);
  });

  it('rejects a handler that is missing an operation', () => {
    const bad = { applyMethod: () => Promise.resolve() } as unknown as EventualHandler;
    let error: unknown;
    try {
      makePresence('x', bad);
    } catch (e) {
      error = e;
    }
    expect(isCapmeshError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(() => makeRemotePromise(bad)).toThrow(CapmeshError);
  });
});

describe('E on a presence', () => {
  it('calls handler.applyMethod synchronously, in call order, and returns its promise', () => {
    const { log, answers, handlerFor } = makeRecorder();
    const p = makePresence('Alice', handlerFor('alice'));
    const r1 = E(p).greet('Bob');
    expect(log).toEqual([{ on: 'alice', op: 'apply', arg: 'greet', args: ['Bob'] }]);
    const r2 = E(p)(1, 2);
    const r3 = E(p).other();
    expect(log.map((c) => c.arg)).toEqual(['greet', undefined, 'other']);
    expect(log[1]?.args).toEqual([1, 2]);
    expect(r1).toBe(answers.get('alice/0')?.promise);
    expect(isRemotePromise(r2)).toBe(true);
    expect(r3).toBe(answers.get('alice/2')?.promise);
  });

  it('pipelines: E(E(x).a()).b() reaches both handlers before any await', () => {
    const { log, handlerFor } = makeRecorder();
    const x = makePresence('x', handlerFor('x'));
    void E(E(E(x).a()).b()).c('arg');
    expect(log).toEqual([
      { on: 'x', op: 'apply', arg: 'a', args: [] },
      { on: 'x/0', op: 'apply', arg: 'b', args: [] },
      { on: 'x/0/1', op: 'apply', arg: 'c', args: ['arg'] },
    ]);
  });

  it('hands sendOnly, get, index and untag to the handler synchronously', () => {
    const { log, handlerFor } = makeRecorder();
    const p = makePresence('p', handlerFor('p'));
    expect(E.sendOnly(p).poke(1)).toBeUndefined();
    E.sendOnly(p)('call');
    void E.get(p, 'field');
    void E.index(p, 3);
    void E.untag(p, 'tag');
    expect(log).toEqual([
      { on: 'p', op: 'sendOnly', arg: 'poke', args: [1] },
      { on: 'p', op: 'sendOnly', arg: undefined, args: ['call'] },
      { on: 'p', op: 'get', arg: 'field' },
      { on: 'p', op: 'index', arg: 3 },
      { on: 'p', op: 'untag', arg: 'tag' },
    ]);
  });

  it('does not use the scheduler for remote sends', () => {
    const manual = makeManualScheduler();
    const E2 = makeE(manual.schedule);
    const { log, handlerFor } = makeRecorder();
    void E2(makePresence('p', handlerFor('p'))).m();
    expect(log).toHaveLength(1);
    expect(manual.pending).toBe(0);
  });

  it('turns a handler that throws into a rejection (and a dropped error for sendOnly)', async () => {
    const boom = new Error('handler bug');
    const throwing: EventualHandler = {
      applyMethod: () => {
        throw boom;
      },
      sendOnly: () => {
        throw boom;
      },
      get: () => {
        throw boom;
      },
      index: () => {
        throw boom;
      },
      untag: () => {
        throw boom;
      },
    };
    const dropped: unknown[] = [];
    const E2 = makeE(queueMicrotask, { onDroppedError: (e) => dropped.push(e) });
    const p = makePresence('p', throwing);
    await expect(E2(p).m()).rejects.toBe(boom);
    await expect(E2.get(p, 'f')).rejects.toBe(boom);
    E2.sendOnly(p).m();
    expect(dropped).toEqual([boom]);
  });
});

describe('makeRemotePromise', () => {
  it('is a native promise registered with its handler, settled by its kit', async () => {
    const { handlerFor } = makeRecorder();
    const handler = handlerFor('q');
    const kit = makeRemotePromise<string>(handler);
    expect(kit.promise).toBeInstanceOf(Promise);
    expect(Object.getPrototypeOf(kit.promise)).toBe(Promise.prototype);
    expect(isRemotePromise(kit.promise)).toBe(true);
    expect(isRemotePromise(Promise.resolve())).toBe(false);
    expect(handlerOf(kit.promise)).toBe(handler);
    expect(settlementOf(kit.promise)).toBeUndefined();
    kit.resolve('done');
    kit.resolve('ignored');
    kit.reject(new Error('ignored'));
    await expect(kit.promise).resolves.toBe('done');
    expect(settlementOf(kit.promise)).toEqual({ status: 'fulfilled', value: 'done' });
    // The session can still recognise its own promise after it settled.
    expect(handlerOf(kit.promise)).toBe(handler);
  });

  it('sends to the handler while pending, in order', () => {
    const { log, handlerFor } = makeRecorder();
    const kit = makeRemotePromise(handlerFor('q'));
    void E(kit.promise).a();
    E.sendOnly(kit.promise).b();
    void E(kit.promise).c();
    expect(log.map((c) => `${c.on}:${c.op}:${String(c.arg)}`)).toEqual(['q:apply:a', 'q:sendOnly:b', 'q:apply:c']);
  });

  it('once fulfilled with a presence, sends go to that presence’s handler', () => {
    const { log, handlerFor } = makeRecorder();
    const kit = makeRemotePromise(handlerFor('q'));
    kit.resolve(makePresence('carol', handlerFor('carol')));
    void E(kit.promise).m();
    expect(log).toEqual([{ on: 'carol', op: 'apply', arg: 'm', args: [] }]);
  });

  it('follows a chain of settled remote promises to the end', () => {
    const { log, handlerFor } = makeRecorder();
    const outer = makeRemotePromise(handlerFor('outer'));
    const inner = makeRemotePromise(handlerFor('inner'));
    outer.resolve(inner.promise);
    void E(outer.promise).m();
    expect(log.map((c) => c.on)).toEqual(['inner']);
  });

  it('once fulfilled with a far object, sends are delivered locally', async () => {
    const { log, handlerFor } = makeRecorder();
    const kit = makeRemotePromise(handlerFor('q'));
    kit.resolve(far('local', { m: () => 'local answer' }));
    await expect(E(kit.promise).m()).resolves.toBe('local answer');
    expect(log).toEqual([]);
  });

  it('once rejected, sends reject with the reason and the handler is not asked', async () => {
    const { log, handlerFor } = makeRecorder();
    const kit = makeRemotePromise(handlerFor('q'));
    const reason = new CapmeshError('BROKEN', 'the car factory broke');
    kit.reject(reason);
    await expect(E(kit.promise).m()).rejects.toBe(reason);
    await expect(E.get(kit.promise, 'f')).rejects.toBe(reason);
    E.sendOnly(kit.promise).m();
    expect(log).toEqual([]);
    expect(settlementOf(kit.promise)).toEqual({ status: 'rejected', reason });
  });

  it('rejects when resolved with itself', async () => {
    const { handlerFor } = makeRecorder();
    const kit = makeRemotePromise(handlerFor('q'));
    kit.resolve(kit.promise);
    const error = await kit.promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCapmeshError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('does not report an unobserved break as an unhandled rejection, yet awaiting it still throws', async () => {
    const { handlerFor } = makeRecorder();
    const seen: unknown[] = [];
    const listener = (reason: unknown): void => {
      seen.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      const reason = new Error('nobody listens');
      const dropped = makeRemotePromise(handlerFor('q'));
      dropped.reject(reason);
      const observed = makeRemotePromise(handlerFor('q'));
      observed.reject(reason);
      // Resolved with a promise that then breaks: it adopts the rejection, still unreported.
      const adopting = makeRemotePromise(handlerFor('q'));
      let breakLater!: (e: unknown) => void;
      adopting.resolve(new Promise((_, reject) => (breakLater = reject)));
      breakLater(reason);
      // Let the promise machinery and Node's rejection tracking run (a macrotask, not a sleep).
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(seen).toEqual([]);
      await expect(observed.promise).rejects.toBe(reason);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});
