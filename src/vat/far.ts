/**
 * Local object references ("far objects").
 *
 * `far(name, methods)` turns a plain object of functions, or a single function,
 * into a frozen reference that may be passed to other vats and invoked
 * eventually with `E(ref).method(...)`. The brand lives in a module-private
 * WeakMap, so it cannot be forged by copying properties and does not keep
 * anything alive.
 *
 * Ownership: `far` copies the methods into a new object; later changes to the
 * `methods` argument do not affect the far object. Inside a method, `this` is
 * the far object (for a far function, the wrapper).
 *
 * A method named `then` is refused: a far object that looked like a thenable
 * would be adopted by every promise it was resolved with, and its "then" would
 * run with JavaScript's promise machinery as caller.
 */
import { assertString } from '../util/assert.js';
import { CapmeshError } from '../util/errors.js';

/** Far object or far function → its name (kept for messages and debugging). */
const farNames = new WeakMap<object, string>();

function invalid(message: string, detail: Record<string, unknown>): CapmeshError {
  return new CapmeshError('INVALID_ARGUMENT', message, { detail });
}

/**
 * Makes a local reference.
 *
 * - `methods` an object: returns a new frozen object holding the same own
 *   function-valued properties. Only plain objects (prototype `Object.prototype`
 *   or `null`) are accepted, so methods inherited from a class are never lost
 *   silently. Symbol keys, accessors, non-function values and a `then` method
 *   throw `CapmeshError('INVALID_ARGUMENT')`.
 * - `methods` a function: returns a frozen, non-constructible wrapper that
 *   calls it ("far function"); `E(ref)(...args)` reaches it.
 */
export function far<T extends object>(name: string, methods: T): T {
  assertString(name, 'name');
  if (typeof methods === 'function') return makeFarFunction(name, methods as T & ((...args: unknown[]) => unknown));
  if (typeof methods !== 'object' || methods === null) {
    throw invalid('`methods` must be an object of functions or a function', { name, argument: 'methods' });
  }
  if (farNames.has(methods)) {
    throw invalid(`\`methods\` is already the far object "${farNames.get(methods)}"`, { name });
  }
  const proto = Object.getPrototypeOf(methods) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw invalid('`methods` must be a plain object (methods inherited from a class would be lost)', { name, argument: 'methods' });
  }
  const result: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(methods)) {
    if (typeof key === 'symbol') {
      throw invalid(`\`methods\` has a symbol-keyed property ${String(key)}; method names are strings`, { name, argument: 'methods' });
    }
    const desc = Object.getOwnPropertyDescriptor(methods, key) as PropertyDescriptor;
    if (!('value' in desc)) {
      throw invalid(`\`methods.${key}\` is an accessor; far objects hold only methods`, { name, method: key, argument: `methods.${key}` });
    }
    if (typeof desc.value !== 'function') {
      throw invalid(`\`methods.${key}\` must be a function, got ${typeof desc.value}`, { name, method: key, argument: `methods.${key}` });
    }
    if (key === 'then') {
      throw invalid('a far object may not have a `then` method (it would make it a thenable)', { name, argument: 'methods.then' });
    }
    Object.defineProperty(result, key, { value: desc.value, enumerable: true, writable: false, configurable: false });
  }
  Object.freeze(result);
  farNames.set(result, name);
  return result as T;
}

function makeFarFunction<T extends (...args: unknown[]) => unknown>(name: string, fn: T): T {
  if (farNames.has(fn)) {
    throw invalid(`\`methods\` is already the far function "${farNames.get(fn)}"`, { name });
  }
  // An arrow function: no `prototype`, cannot be called with `new`.
  const wrapper = (...args: unknown[]): unknown => Reflect.apply(fn, wrapper, args);
  Object.defineProperty(wrapper, 'name', { value: name });
  Object.freeze(wrapper);
  farNames.set(wrapper, name);
  return wrapper as unknown as T;
}

/** True for a far object or far function made by `far()`. */
export function isFar(x: unknown): boolean {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && farNames.has(x);
}

/** The name given to `far()`, or undefined when `x` is not far. */
export function farName(x: unknown): string | undefined {
  return (typeof x === 'object' || typeof x === 'function') && x !== null ? farNames.get(x) : undefined;
}

/**
 * Invokes a far object synchronously, in the caller's turn: `method` undefined
 * calls a far function, a string calls that own method with `this` bound to the
 * far object. This is the delivery step; `E()` calls it from a later turn.
 *
 * Throws `CapmeshError('NOT_A_REFERENCE')` when `target` is not far and
 * `CapmeshError('NO_SUCH_METHOD')` when the method is missing or the target is
 * the wrong kind (a method on a far function, a plain call on a far object).
 * Whatever the method throws propagates unchanged.
 */
export function callLocal(target: unknown, method: string | undefined, args: readonly unknown[]): unknown {
  const name = farName(target);
  if (name === undefined) {
    throw new CapmeshError('NOT_A_REFERENCE', 'callLocal: target is not a far object or far function');
  }
  const self = target as Record<string, unknown>;
  if (method === undefined) {
    if (typeof self !== 'function') {
      throw new CapmeshError('NO_SUCH_METHOD', `"${name}" is a far object, not a function: call one of its methods`, {
        detail: { object: name },
      });
    }
    return Reflect.apply(self, undefined, args);
  }
  if (typeof method !== 'string') {
    throw new CapmeshError('INVALID_ARGUMENT', `callLocal: method must be a string or undefined, got ${typeof method}`);
  }
  const fn = typeof self === 'function' || !Object.hasOwn(self, method) ? undefined : self[method];
  if (typeof fn !== 'function') {
    const what = typeof self === 'function' ? 'is a far function and has no methods' : 'has no such method';
    throw new CapmeshError('NO_SUCH_METHOD', `"${name}" ${what}: ${JSON.stringify(method)}`, {
      detail: { object: name, method },
    });
  }
  return Reflect.apply(fn, self, args);
}
