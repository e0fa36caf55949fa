/**
 * Pass styles: which JavaScript values may cross to another vat, and as what.
 *
 * | JavaScript                                                          | pass style    |
 * |---------------------------------------------------------------------|---------------|
 * | `undefined` / `null` / `boolean`                                    | same name     |
 * | `bigint`, or a `number` that is an integer                          | `integer`     |
 * | any other `number` (1.5, NaN, ±Infinity), or a `Float64`            | `float`       |
 * | a well-formed `string` (no lone surrogates)                         | `string`      |
 * | `Sym`                                                               | `symbol`      |
 * | `Uint8Array`                                                        | `bytes`       |
 * | dense array, no extra properties                                    | `list`        |
 * | plain object: string keys, enumerable data properties only          | `struct`      |
 * | `Tagged`                                                            | `tagged`      |
 * | any `Error`                                                         | `error`       |
 * | far object, far function, presence                                  | `remotable`   |
 * | native `Promise`                                                    | `promise`     |
 *
 * Errors cross as their message only: name, stack, cause and any other
 * property stay behind (OCapN's `desc:error` carries one string), so their
 * contents are not checked here.
 *
 * Everything else is refused with `CapmeshError('NOT_PASSABLE')` whose message
 * names the path of the bad part, e.g. `args[1].user.callback`: plain
 * functions, class instances (Map, Set, Date…), JavaScript symbols, accessor
 * properties, symbol keys, holes, cycles, and nesting deeper than `maxDepth`.
 */
import { Float64, Sym, SyrupDict, SyrupRecord, SyrupSet, Tagged } from '../syrup/types.js';
import { CapmeshError } from '../util/errors.js';
import { isFar } from './far.js';
import { isPresence } from './handled.js';
import type { PassStyle } from './types.js';

export interface PassableOptions {
  /** How the top-level value is named in error paths. Default `'value'`. */
  readonly root?: string;
  /** Most containers (list, struct, tagged) that may nest inside each other, the outermost included. Default 64. */
  readonly maxDepth?: number;
}

export const DEFAULT_PASSABLE_MAX_DEPTH = 64;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function fieldPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function refuse(path: string, why: string): never {
  throw new CapmeshError('NOT_PASSABLE', `\`${path}\` is not passable: ${why}`, { detail: { path } });
}

function describeInstance(x: object): string {
  const ctor = (Object.getPrototypeOf(x) as { constructor?: { name?: unknown } } | null)?.constructor;
  const name = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'an unnamed class';
  return `an instance of ${name} (only plain data, far objects and promises cross)`;
}

class Checker {
  /** Containers on the current path: seeing one again means a cycle. */
  private readonly ancestors = new Set<object>();

  constructor(private readonly maxDepth: number) {}

  style(x: unknown, path: string, depth: number): PassStyle {
    switch (typeof x) {
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return 'boolean';
      case 'bigint':
        return 'integer';
      case 'number':
        return Number.isInteger(x) ? 'integer' : 'float';
      case 'string':
        if (!x.isWellFormed()) refuse(path, 'a string with a lone surrogate (not well-formed Unicode)');
        return 'string';
      case 'symbol':
        return refuse(path, 'a JavaScript symbol (use Sym for an OCapN symbol)');
      case 'function':
        if (isFar(x)) return 'remotable';
        return refuse(path, 'a plain function (wrap it with far())');
      case 'object':
        return x === null ? 'null' : this.objectStyle(x, path, depth);
    }
  }

  private objectStyle(x: object, path: string, depth: number): PassStyle {
    if (isFar(x) || isPresence(x)) return 'remotable';
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto === Promise.prototype) return 'promise';
    if (x instanceof Uint8Array) return 'bytes';
    if (x instanceof Sym) {
      if (typeof x.name !== 'string' || !x.name.isWellFormed()) refuse(path, 'a Sym whose name is not a well-formed string');
      return 'symbol';
    }
    if (x instanceof Float64) {
      if (typeof x.value !== 'number') refuse(path, 'a Float64 whose value is not a number');
      return 'float';
    }
    if (x instanceof Error) return 'error';
    if (x instanceof SyrupRecord || x instanceof SyrupSet || x instanceof SyrupDict) {
      refuse(path, 'a Syrup record/set/dictionary (not an OCapN passable)');
    }
    if (Array.isArray(x)) {
      if (proto !== Array.prototype) refuse(path, describeInstance(x));
      this.container(x, path, depth, () => this.checkList(x, path, depth));
      return 'list';
    }
    if (x instanceof Tagged) {
      if (typeof x.tag !== 'string' || !x.tag.isWellFormed()) refuse(path, 'a Tagged whose tag is not a well-formed string');
      this.container(x, path, depth, () => this.style(x.value, `${path}.value`, depth + 1));
      return 'tagged';
    }
    if (proto === Object.prototype || proto === null) {
      this.container(x, path, depth, () => this.checkStruct(x, path, depth));
      return 'struct';
    }
    return refuse(path, describeInstance(x));
  }

  /** Bounds depth and detects cycles around the check of one container's contents. */
  private container(x: object, path: string, depth: number, check: () => void): void {
    if (depth >= this.maxDepth) refuse(path, `nested more than ${this.maxDepth} containers deep`);
    if (this.ancestors.has(x)) refuse(path, 'part of a cycle');
    this.ancestors.add(x);
    try {
      check();
    } finally {
      this.ancestors.delete(x);
    }
  }

  private checkList(x: readonly unknown[], path: string, depth: number): void {
    const keys = Reflect.ownKeys(x);
    // A dense array has exactly its indices plus `length`.
    if (keys.length !== x.length + 1) {
      for (const key of keys) {
        if (typeof key === 'symbol') refuse(path, `a list with a symbol-keyed property ${String(key)}`);
        if (key !== 'length' && !(String(Number(key)) === key && Number(key) < x.length)) {
          refuse(fieldPath(path, key), 'an extra property on a list');
        }
      }
    }
    for (let i = 0; i < x.length; i += 1) {
      const itemPath = `${path}[${i}]`;
      const desc = Object.getOwnPropertyDescriptor(x, i);
      if (desc === undefined) refuse(itemPath, 'a hole in a sparse list');
      if (!('value' in desc)) refuse(itemPath, 'an accessor (getter/setter)');
      this.style(desc.value, itemPath, depth + 1);
    }
  }

  private checkStruct(x: object, path: string, depth: number): void {
    for (const key of Reflect.ownKeys(x)) {
      if (typeof key === 'symbol') refuse(path, `a struct with a symbol-keyed property ${String(key)}`);
      const keyPath = fieldPath(path, key);
      if (!key.isWellFormed()) refuse(keyPath, 'a key with a lone surrogate (not well-formed Unicode)');
      const desc = Object.getOwnPropertyDescriptor(x, key) as PropertyDescriptor;
      if (!('value' in desc)) refuse(keyPath, 'an accessor (getter/setter)');
      if (desc.enumerable !== true) refuse(keyPath, 'a non-enumerable property');
      if (key === 'then' && typeof desc.value === 'function') {
        refuse(keyPath, 'a `then` function (it would make the struct a thenable)');
      }
      this.style(desc.value, keyPath, depth + 1);
    }
  }
}

/**
 * The pass style of `x`, after checking all of it (copy data is checked to the
 * bottom; remotables and promises are leaves). Throws
 * `CapmeshError('NOT_PASSABLE')` naming the path of the first bad part.
 */
export function passStyleOf(x: unknown, options: PassableOptions = {}): PassStyle {
  const maxDepth = options.maxDepth ?? DEFAULT_PASSABLE_MAX_DEPTH;
  return new Checker(maxDepth).style(x, options.root ?? 'value', 0);
}

/** Throws `CapmeshError('NOT_PASSABLE')`, naming the bad path, unless `x` may cross to another vat. */
export function assertPassable(x: unknown, options: PassableOptions = {}): void {
  passStyleOf(x, options);
}

/** True when `x` may cross to another vat. */
export function isPassable(x: unknown, options: PassableOptions = {}): boolean {
  try {
    passStyleOf(x, options);
    return true;
  } catch (e) {
    if (e instanceof CapmeshError && e.code === 'NOT_PASSABLE') return false;
    throw e;
  }
}
