import { describe, expect, it } from 'vitest';
import { callLocal, far, farName, isFar } from '../../src/vat/far.js';
import { CapmeshError, isCapmeshError } from '../../src/util/errors.js';
import { codeOf } from '../helpers/codes.js';

describe('far objects', () => {
  it('copies the methods into a new frozen, branded object that keeps its name', () => {
    const source = { hello: () => 'hi' };
    const obj = far('greeter', source);
    expect(obj).not.toBe(source);
    expect(Object.isFrozen(obj)).toBe(true);
    expect(isFar(obj)).toBe(true);
    expect(isFar(source)).toBe(false);
    expect(farName(obj)).toBe('greeter');
    expect(farName(source)).toBeUndefined();
    expect(Object.keys(obj)).toEqual(['hello']);
    // Later changes to the source do not reach the far object.
    source.hello = () => 'changed';
    expect(obj.hello()).toBe('hi');
  });

  it('accepts an object with a null prototype and an empty object', () => {
    const bare = Object.create(null) as { ping: () => string };
    bare.ping = () => 'pong';
    expect(callLocal(far('bare', bare), 'ping', [])).toBe('pong');
    expect(isFar(far('empty', {}))).toBe(true);
  });

  it('brands by identity: a structural copy is not far', () => {
    const obj = far('x', { m: () => 1 });
    expect(isFar({ ...obj })).toBe(false);
    expect(isFar(null)).toBe(false);
    expect(isFar(42)).toBe(false);
    expect(farName('x')).toBeUndefined();
  });

  it.each([
    ['a non-function property', { n: 1 }],
    ['a `then` method', { then: () => undefined }],
    ['an accessor', Object.defineProperty({}, 'm', { get: () => () => 1, enumerable: true })],
    ['a symbol key', { [Symbol('s')]: () => 1 }],
    ['a class instance', new (class Service { m(): number { return 1; } })()],
    ['an array', [() => 1]],
  ])('rejects %s with INVALID_ARGUMENT', (_label, methods) => {
    expect(codeOf(() => far('bad', methods))).toBe('INVALID_ARGUMENT');
  });

  it('rejects non-objects, a non-string name, and making an already-far object far again', () => {
    expect(codeOf(() => far('bad', 42 as unknown as object))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => far(7 as unknown as string, {}))).toBe('INVALID_ARGUMENT');
    const obj = far('once', { m: () => 1 });
    expect(codeOf(() => far('twice', obj))).toBe('INVALID_ARGUMENT');
    const fn = far('f', () => 1);
    expect(codeOf(() => far('f2', fn))).toBe('INVALID_ARGUMENT');
  });

  it('names the offending method in the message', () => {
    expect(() => far('svc', { ok: () => 1, count: 3 })).toThrow(/methods\.count/);
  });
});

describe('far functions', () => {
  it('wraps a function in a frozen, branded, non-constructible wrapper', () => {
    const add = far('add', (a: number, b: number) => a + b);
    expect(typeof add).toBe('function');
    expect(Object.isFrozen(add)).toBe(true);
    expect(isFar(add)).toBe(true);
    expect(farName(add)).toBe('add');
    expect(add.name).toBe('add');
    expect(add(2, 3)).toBe(5);
    expect(() => new (add as unknown as new () => unknown)()).toThrow(TypeError);
  });

  it('calls the function with `this` bound to the wrapper', () => {
    let seen: unknown;
    const fn = far('selfish', function (this: unknown) {
      seen = this;
      return 'ok';
    });
    expect(callLocal(fn, undefined, [])).toBe('ok');
    expect(seen).toBe(fn);
  });
});

describe('callLocal', () => {
  it('calls the method synchronously with `this` as the far object and the given args', () => {
    const log: unknown[] = [];
    const obj = far('obj', {
      m(this: unknown, ...args: unknown[]) {
        log.push(this, args);
        return 'result';
      },
    });
    expect(callLocal(obj, 'm', [1, 'two'])).toBe('result');
    expect(log).toEqual([obj, [1, 'two']]);
  });

  it('lets a method call a sibling through `this`', () => {
    const obj = far('obj', {
      a(this: { b(): string }) {
        return `a+${this.b()}`;
      },
      b: () => 'b',
    });
    expect(callLocal(obj, 'a', [])).toBe('a+b');
  });

  it('throws NO_SUCH_METHOD naming the method and the object', () => {
    const obj = far('Alice', { hello: () => 'hi' });
    let error: unknown;
    try {
      callLocal(obj, 'goodbye', []);
    } catch (e) {
      error = e;
    }
    expect(isCapmeshError(error, 'NO_SUCH_METHOD')).toBe(true);
    expect((error as Error).message).toContain('goodbye');
    expect((error as Error).message).toContain('Alice');
    expect((error as CapmeshError).detail).toEqual({ object: 'Alice', method: 'goodbye' });
  });

  it('does not reach inherited Object.prototype methods', () => {
    const obj = far('obj', { m: () => 1 });
    expect(codeOf(() => callLocal(obj, 'toString', []))).toBe('NO_SUCH_METHOD');
    expect(codeOf(() => callLocal(obj, 'hasOwnProperty', ['m']))).toBe('NO_SUCH_METHOD');
    expect(codeOf(() => callLocal(obj, '__proto__', []))).toBe('NO_SUCH_METHOD');
  });

  it('throws NO_SUCH_METHOD for the wrong kind of call', () => {
    const obj = far('obj', { m: () => 1 });
    const fn = far('fn', () => 1);
    expect(codeOf(() => callLocal(obj, undefined, []))).toBe('NO_SUCH_METHOD');
    expect(codeOf(() => callLocal(fn, 'm', []))).toBe('NO_SUCH_METHOD');
    expect(codeOf(() => callLocal(fn, 'name', []))).toBe('NO_SUCH_METHOD');
  });

  it('throws NOT_A_REFERENCE for a target that is not far', () => {
    expect(codeOf(() => callLocal({ m: () => 1 }, 'm', []))).toBe('NOT_A_REFERENCE');
    expect(codeOf(() => callLocal(() => 1, undefined, []))).toBe('NOT_A_REFERENCE');
    expect(codeOf(() => callLocal(null, 'm', []))).toBe('NOT_A_REFERENCE');
  });

  it('lets the method’s own exception through unchanged', () => {
    const boom = new RangeError('boom');
    const obj = far('obj', {
      fail: () => {
        throw boom;
      },
    });
    expect(() => callLocal(obj, 'fail', [])).toThrow(boom);
  });
});
