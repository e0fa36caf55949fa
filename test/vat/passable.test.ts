import { describe, expect, it } from 'vitest';
import { assertPassable, isPassable, passStyleOf } from '../../src/vat/passable.js';
import { far } from '../../src/vat/far.js';
import { makePresence, makeRemotePromise } from '../../src/vat/handled.js';
import type { EventualHandler, PassStyle } from '../../src/vat/types.js';
import { float64, record, sym, SyrupDict, SyrupSet, tagged } from '../../src/syrup/types.js';
import { CapmeshError } from '../../src/util/errors.js';

const handler: EventualHandler = {
  applyMethod: () => Promise.resolve(),
  sendOnly: () => undefined,
  get: () => Promise.resolve(),
  index: () => Promise.resolve(),
  untag: () => Promise.resolve(),
};

describe('passStyleOf accepts', () => {
  const cases: [string, unknown, PassStyle][] = [
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['true', true, 'boolean'],
    ['a bigint', -(2n ** 70n), 'integer'],
    ['an integral number', 42, 'integer'],
    ['-0 (taken as the integer 0)', -0, 'integer'],
    ['a huge integral number', 1e300, 'integer'],
    ['1.5', 1.5, 'float'],
    ['NaN', NaN, 'float'],
    ['Infinity', -Infinity, 'float'],
    ['a Float64', float64(2), 'float'],
    ['a string', 'björn 熊 🐻', 'string'],
    ['the empty string', '', 'string'],
    ['a Sym', sym('fetch'), 'symbol'],
    ['a Uint8Array', new Uint8Array([1, 2]), 'bytes'],
    ['an empty list', [], 'list'],
    ['a nested list', [1n, ['a', [null]]], 'list'],
    ['a struct', { name: 'Alice', age: 30n, tags: ['x'] }, 'struct'],
    ['a null-prototype struct', Object.assign(Object.create(null) as object, { a: 1n }), 'struct'],
    ['an empty struct', {}, 'struct'],
    ['a Tagged', tagged('point', [1n, 2n]), 'tagged'],
    ['an Error', new TypeError('bad'), 'error'],
    ['a CapmeshError', new CapmeshError('BROKEN', 'x'), 'error'],
    ['a far object', far('obj', { m: () => 1 }), 'remotable'],
    ['a far function', far('fn', () => 1), 'remotable'],
    ['a presence', makePresence('p', handler), 'remotable'],
    ['a native promise', Promise.resolve(1), 'promise'],
    ['a remote promise', makeRemotePromise(handler).promise, 'promise'],
  ];
  it.each(cases)('%s', (_label, value, style) => {
    expect(passStyleOf(value)).toBe(style);
    expect(isPassable(value)).toBe(true);
  });

  it('passes references and promises inside data without looking into them', () => {
    const obj = far('obj', { m: () => 1 });
    expect(passStyleOf({ who: obj, when: Promise.resolve({ fn: () => 1 }), list: [obj, obj] })).toBe('struct');
  });

  it('accepts shared (non-cyclic) substructure', () => {
    const shared = { a: 1n };
    expect(passStyleOf([shared, shared, { s: shared }])).toBe('list');
  });

  it('does not look inside errors (they cross as their message only)', () => {
    const e = Object.assign(new Error('msg'), { callback: () => 1, self: undefined as unknown });
    e.self = e;
    expect(passStyleOf(e)).toBe('error');
  });
});

/** The message of the NOT_PASSABLE error `f` throws (fails the test otherwise). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CapmeshError);
    expect((e as CapmeshError).code).toBe('NOT_PASSABLE');
    return (e as CapmeshError).message;
  }
  throw new Error('expected NOT_PASSABLE, nothing was thrown');
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('passStyleOf refuses, naming the path', () => {
  const cyclic: Record<string, unknown> = { a: 1n };
  cyclic.self = cyclic;
  const cyclicList: unknown[] = [1n];
  cyclicList.push([cyclicList]);
  const sparse: unknown[] = [];
  sparse[2] = 1n;
  const extraProp = Object.assign([1n], { extra: 1 });
  const getter = Object.defineProperty({ ok: 1n }, 'lazy', { get: () => 1n, enumerable: true });
  const listGetter = Object.defineProperty([0n], 0, { get: () => 1n, enumerable: true });
  const hidden = Object.defineProperty({}, 'secret', { value: 1n, enumerable: false });

  const cases: [string, unknown, string, RegExp][] = [
    ['a plain function', [1n, { user: { callback: () => 1 } }], 'args[1].user.callback', /far\(\)/],
    ['a JavaScript symbol', { s: Symbol('x') }, 'args.s', /Sym/],
    ['a Map', [new Map()], 'args[0]', /Map/],
    ['a Set', { set: new Set() }, 'args.set', /Set/],
    ['a Date', { when: new Date(0) }, 'args.when', /Date/],
    ['a class instance', { p: new Point(1, 2) }, 'args.p', /Point/],
    ['a lone surrogate', ['ok', '\uD800'], 'args[1]', /surrogate/],
    // The path escapes the surrogate, so the message itself stays well-formed.
    ['a lone surrogate in a key', { '\uDC00': 1n }, 'args["\\udc00"]', /surrogate/],
    ['a cycle through a struct', cyclic, 'args.self', /cycle/],
    ['a cycle through a list', cyclicList, 'args[1][0]', /cycle/],
    ['a hole', sparse, 'args[0]', /hole/],
    ['an extra list property', extraProp, 'args.extra', /extra/],
    ['a struct getter', getter, 'args.lazy', /accessor/],
    ['a list getter', listGetter, 'args[0]', /accessor/],
    ['a non-enumerable property', hidden, 'args.secret', /non-enumerable/],
    ['a symbol key', { [Symbol('k')]: 1n }, 'args', /symbol-keyed/],
    ['an odd key', { 'odd key': { f: () => 1 } }, 'args["odd key"].f', /function/],
    ['a thenable struct', { then: far('t', () => 1) }, 'args.then', /then/],
    ['a promise subclass', new (class P extends Promise<void> {})(() => undefined), 'args', /P/],
    ['a thenable class', { x: { then: () => 1 } }, 'args.x.then', /function/],
    ['a Syrup record', record('point', 1n), 'args', /record/],
    ['a Syrup set', new SyrupSet([]), 'args', /set/],
    ['a Syrup dict', new SyrupDict([]), 'args', /dictionary/],
    ['a bad value inside a Tagged', tagged('t', [new Map()] as never), 'args.value[0]', /Map/],
    ['a boxed string', [Object('s') as object], 'args[0]', /String/],
  ];
  it.each(cases)('%s', (_label, value, path, why) => {
    const message = refusal(() => assertPassable(value, { root: 'args' }));
    expect(message).toContain(`\`${path}\``);
    expect(message).toMatch(why);
    expect(isPassable(value)).toBe(false);
  });

  it('uses `value` as the root name by default and records the path in detail', () => {
    try {
      passStyleOf({ a: [() => 1] });
    } catch (e) {
      expect((e as CapmeshError).message).toMatch(/^`value\.a\[0\]` is not passable/);
      expect((e as CapmeshError).detail).toEqual({ path: 'value.a[0]' });
      return;
    }
    throw new Error('expected a throw');
  });

  it('bounds nesting depth: 64 containers pass, 65 do not (and the bound is configurable)', () => {
    const nest = (n: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < n; i += 1) v = i % 2 === 0 ? [v] : { k: v };
      return v;
    };
    expect(isPassable(nest(64))).toBe(true);
    expect(refusal(() => passStyleOf(nest(65)))).toMatch(/more than 64/);
    expect(isPassable(nest(3), { maxDepth: 3 })).toBe(true);
    expect(isPassable(nest(4), { maxDepth: 3 })).toBe(false);
    // Tagged values count as a container.
    expect(isPassable(tagged('t', tagged('u', 1n)), { maxDepth: 2 })).toBe(true);
    expect(isPassable(tagged('t', tagged('u', [1n])), { maxDepth: 2 })).toBe(false);
  });

  it('lets other errors through isPassable', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new RangeError('hostile');
        },
      },
    );
    expect(() => isPassable(hostile)).toThrow(RangeError);
  });
});
