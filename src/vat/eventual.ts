/**
 * Eventual send: `E(ref).method(...args)`.
 *
 * Where an operation goes, decided when it is made:
 * 1. a presence, or a remote promise still pending → its `EventualHandler`,
 *    synchronously, so sends leave in the order they were made and a send to
 *    an unanswered result is pipelined;
 * 2. a remote promise already settled → its settlement (followed, not asked);
 * 3. a far object or far function → `callLocal` in a later turn obtained from
 *    the injected scheduler (never in the caller's turn);
 * 4. any other promise or thenable → waits for it, then decides again with the
 *    value. Sends waiting on one promise keep their order;
 * 5. anything else → for a call, rejects with `CapmeshError('NOT_A_REFERENCE')`;
 *    `get`/`index`/`untag` read plain data in a later turn.
 *
 * No form throws synchronously: failures reject the returned promise, or, for
 * `sendOnly`, are reported to `onDroppedError` (default: ignored).
 */
import { Tagged } from '../syrup/types.js';
import { CapmeshError } from '../util/errors.js';
import { callLocal, isFar } from './far.js';
import { activeHandlerOf, settlementOf, shorten } from './handled.js';
import type { EFunction } from './remote.js';
import type { EventualHandler, Scheduler } from './types.js';
import { microtaskScheduler } from './scheduler.js';

type Op =
  | { readonly kind: 'apply'; readonly method: string | undefined; readonly args: readonly unknown[] }
  | { readonly kind: 'get'; readonly field: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'untag'; readonly tag: string };

export interface MakeEOptions {
  /** Told of every failure `E.sendOnly` swallows (the local method threw, the target broke…). */
  onDroppedError?: (error: unknown) => void;
}

function noop(): void {}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  if (x instanceof Promise) return true;
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function describeTarget(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'function') return 'a plain function (wrap it with far())';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object') return 'a plain object or data (wrap methods with far())';
  return `a ${typeof x}`;
}

function notAReference(target: unknown, method: string | undefined): CapmeshError {
  const what = method === undefined ? 'call' : `send ${JSON.stringify(method)}`;
  return new CapmeshError('NOT_A_REFERENCE', `cannot ${what}: target is ${describeTarget(target)}, not a reference`, {
    detail: { method },
  });
}

function readField(target: unknown, field: string): unknown {
  const proto = typeof target === 'object' && target !== null ? (Object.getPrototypeOf(target) as unknown) : undefined;
  if (isFar(target) || Array.isArray(target) || (proto !== Object.prototype && proto !== null)) {
    throw new CapmeshError('BAD_FIELD', `cannot get field ${JSON.stringify(field)}: target is not a struct`, {
      detail: { field },
    });
  }
  const desc = Object.getOwnPropertyDescriptor(target, field);
  if (desc === undefined || !desc.enumerable || !('value' in desc)) {
    throw new CapmeshError('BAD_FIELD', `struct has no field ${JSON.stringify(field)}`, { detail: { field } });
  }
  return desc.value;
}

function readIndex(target: unknown, index: number): unknown {
  if (!Array.isArray(target)) {
    throw new CapmeshError('BAD_INDEX', `cannot index [${index}]: target is not a list`, { detail: { index } });
  }
  if (index >= target.length || !Object.hasOwn(target, index)) {
    throw new CapmeshError('BAD_INDEX', `index ${index} out of range for a list of ${target.length}`, {
      detail: { index, length: target.length },
    });
  }
  return target[index];
}

function readTagged(target: unknown, tag: string): unknown {
  if (!(target instanceof Tagged)) {
    throw new CapmeshError('BAD_TAG', `cannot untag ${JSON.stringify(tag)}: target is not a Tagged value`, {
      detail: { tag },
    });
  }
  if (target.tag !== tag) {
    throw new CapmeshError('BAD_TAG', `expected tag ${JSON.stringify(tag)}, got ${JSON.stringify(target.tag)}`, {
      detail: { tag, actual: target.tag },
    });
  }
  return target.value;
}

/** Performs `op` on a non-promise local target, synchronously. */
function doLocal(target: unknown, op: Op): unknown {
  switch (op.kind) {
    case 'apply':
      return callLocal(target, op.method, op.args);
    case 'get':
      return readField(target, op.field);
    case 'index':
      return readIndex(target, op.index);
    case 'untag':
      return readTagged(target, op.tag);
  }
}

function toHandler(handler: EventualHandler, op: Op): Promise<unknown> {
  try {
    switch (op.kind) {
      case 'apply':
        return handler.applyMethod(op.method, op.args);
      case 'get':
        return handler.get(op.field);
      case 'index':
        return handler.index(op.index);
      case 'untag':
        return handler.untag(op.tag);
    }
  } catch (e) {
    // A handler must not throw; if one does, the caller still gets a rejection.
    return Promise.reject(e);
  }
}

/** What an E proxy does with a method call (`method` undefined: the proxy itself was called). */
type Sender = (method: string | undefined, args: unknown[]) => unknown;

/** The one handler of every E proxy; each proxy's target is its `Sender`. */
const proxyHandler: ProxyHandler<Sender> = Object.freeze({
  get: (send: Sender, prop: string | symbol) => (typeof prop === 'symbol' || prop === 'then' ? undefined : (...args: unknown[]) => send(prop, args)),
  apply: (send: Sender, _this: unknown, args: unknown[]) => send(undefined, args),
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
});

/** Makes an `E` whose local deliveries run in turns obtained from `scheduler`. */
export function makeE(scheduler: Scheduler, options: MakeEOptions = {}): EFunction {
  const onDropped = options.onDroppedError ?? noop;
  const report = (e: unknown): void => {
    try {
      onDropped(e);
    } catch {
      // A failing reporter must not turn a dropped error into a thrown one.
    }
  };

  /** Runs `work` in a later turn; its result (flattened) or exception settles the promise. */
  const later = (work: () => unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      scheduler(() => {
        try {
          resolve(work());
        } catch (e) {
          reject(e);
        }
      });
    });

  function dispatch(target: unknown, op: Op): Promise<unknown> {
    try {
      let t = target;
      if (settlementOf(t) !== undefined) {
        const s = shorten(t);
        if ('rejected' in s) return Promise.reject(s.rejected);
        t = s.target;
      }
      const handler = activeHandlerOf(t);
      if (handler !== undefined) return toHandler(handler, op);
      if (isFar(t)) return later(() => doLocal(t, op));
      if (isThenable(t)) return Promise.resolve(t).then((v) => dispatch(v, op));
      if (op.kind === 'apply') return Promise.reject(notAReference(t, op.method));
      return later(() => doLocal(t, op));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  function dispatchOnly(target: unknown, method: string | undefined, args: readonly unknown[]): void {
    try {
      let t = target;
      if (settlementOf(t) !== undefined) {
        const s = shorten(t);
        if ('rejected' in s) {
          report(s.rejected);
          return;
        }
        t = s.target;
      }
      const handler = activeHandlerOf(t);
      if (handler !== undefined) {
        handler.sendOnly(method, args);
      } else if (isFar(t)) {
        scheduler(() => {
          try {
            const result = callLocal(t, method, args);
            if (isThenable(result)) Promise.resolve(result).then(noop, report);
          } catch (e) {
            report(e);
          }
        });
      } else if (isThenable(t)) {
        Promise.resolve(t).then((v) => dispatchOnly(v, method, args), report);
      } else {
        report(notAReference(t, method));
      }
    } catch (e) {
      report(e);
    }
  }

  /**
   * A callable proxy (the target is an arrow function, so `E(f)(…)` works and
   * `new` does not). Symbol keys and `then` read as undefined: an E proxy is
   * never a thenable, so `await E(x)` yields the proxy instead of sending "then".
   */
  function makeProxy(send: Sender): unknown {
    // The proxy's target is the sender itself, so one handler serves every proxy (a call allocates no handler).
    return new Proxy(send, proxyHandler);
  }

  const E = (target: unknown): unknown => makeProxy((method, args) => dispatch(target, { kind: 'apply', method, args }));

  const sendOnly = (target: unknown): unknown => makeProxy((method, args) => dispatchOnly(target, method, args));

  const get = (target: unknown, field: unknown): Promise<unknown> =>
    typeof field === 'string'
      ? dispatch(target, { kind: 'get', field })
      : Promise.reject(new CapmeshError('INVALID_ARGUMENT', `E.get: field must be a string, got ${typeof field}`));

  const index = (target: unknown, i: unknown): Promise<unknown> =>
    typeof i === 'number' && Number.isSafeInteger(i) && i >= 0
      ? dispatch(target, { kind: 'index', index: i })
      : Promise.reject(new CapmeshError('INVALID_ARGUMENT', `E.index: index must be a non-negative safe integer, got ${String(i)}`));

  const untag = (target: unknown, tag: unknown): Promise<unknown> =>
    typeof tag === 'string'
      ? dispatch(target, { kind: 'untag', tag })
      : Promise.reject(new CapmeshError('INVALID_ARGUMENT', `E.untag: tag must be a string, got ${typeof tag}`));

  const when = (
    x: unknown,
    onFulfilled?: ((value: unknown) => unknown) | null,
    onRejected?: ((reason: unknown) => unknown) | null,
  ): Promise<unknown> => Promise.resolve(x).then(onFulfilled, onRejected);

  return Object.freeze(Object.assign(E, { sendOnly, get, index, untag, when })) as unknown as EFunction;
}

/** The default `E`: local deliveries run in microtasks. */
export const E: EFunction = makeE(microtaskScheduler);
