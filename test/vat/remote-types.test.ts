/**
 * Type-level tests for `Remote<T>`, `ERef<T>` and the typed `E`. `tsc` checks
 * this file (`npx tsc -p tsconfig.json --noEmit`): every `@ts-expect-error`
 * line must fail to compile, everything else must compile. The runtime part
 * only makes sure the typed calls also work.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { E, far } from '../../src/vat/index.js';
import type { ERef, EProxy, Remote } from '../../src/vat/index.js';

interface Greeter {
  greet(name: string): string;
  later(n: number): Promise<number>;
  friend(): Remote<Greeter>;
  readonly label: string;
}

const greeter = far('greeter', {
  greet: (name: string) => `Hello, ${name}!`,
  later: async (n: number) => n + 1,
  friend: () => greeterRemote,
}) as unknown as Greeter;
const greeterRemote = greeter as unknown as Remote<Greeter>;

/** Compiled, never called: pure type assertions. */
function typeOnly(): void {
  const r = greeterRemote;
  expectTypeOf(E(r).greet('Alice')).toEqualTypeOf<Promise<string>>();
  // @ts-expect-error greet takes a string
  void E(r).greet(42);
  // @ts-expect-error no such method
  void E(r).shout('x');
  // @ts-expect-error a property that is not a method is not sendable
  void E(r).label();
  // A returned promise is flattened.
  expectTypeOf(E(r).later(1)).toEqualTypeOf<Promise<number>>();
  // A returned reference stays a reference and can be sent to again.
  expectTypeOf(E(r).friend()).toEqualTypeOf<Promise<Remote<Greeter>>>();
  expectTypeOf(E(E(r).friend()).greet('Bob')).toEqualTypeOf<Promise<string>>();
  // A Remote cannot be called directly, only through E.
  // @ts-expect-error Remote<T> is opaque
  void r.greet('Alice');
  // Remotes of different interfaces do not mix.
  // @ts-expect-error Remote<Greeter> is not Remote<{ other(): void }>
  const wrong: Remote<{ other(): void }> = r;
  void wrong;

  // A local far object, a promise for a remote, and ERef<T> all work with E.
  expectTypeOf(E(greeter).greet('x')).toEqualTypeOf<Promise<string>>();
  const pr: Promise<Remote<Greeter>> = Promise.resolve(r);
  expectTypeOf(E(pr).greet('x')).toEqualTypeOf<Promise<string>>();
  const eref: ERef<Greeter> = greeter;
  const eref2: ERef<Greeter> = r;
  void eref2;
  expectTypeOf(E(eref).greet).parameters.toEqualTypeOf<[name: string]>();
  // Code written against ERef<T> (not narrowed by an assignment) works too.
  const useERef = (g: ERef<Greeter>) => E(g).greet('x');
  expectTypeOf(useERef).returns.toEqualTypeOf<Promise<string>>();
  // @ts-expect-error and still checks arguments
  const badERef = (g: ERef<Greeter>) => E(g).greet(1);
  void badERef;

  // Far functions: the proxy is callable.
  const add = far('add', (a: number, b: number) => a + b) as unknown as Remote<(a: number, b: number) => number>;
  expectTypeOf(E(add)(1, 2)).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error wrong argument type
  void E(add)('1', 2);
  // @ts-expect-error a non-function remote is not callable
  void E(r)();

  // sendOnly returns nothing.
  expectTypeOf(E.sendOnly(r).greet('x')).toEqualTypeOf<void>();
  // @ts-expect-error sendOnly keeps the parameter types
  E.sendOnly(r).greet(1);

  // get / index on data.
  const data = Promise.resolve({ n: 1, s: 'x', list: [true] });
  expectTypeOf(E.get(data, 'n')).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error no such field
  void E.get(data, 'missing');
  expectTypeOf(E.index(Promise.resolve([1n, 2n]), 0)).toEqualTypeOf<Promise<bigint>>();

  // An unknown target gets a loose proxy.
  const u: unknown = undefined;
  expectTypeOf(E(u).anything(1, 'a')).toEqualTypeOf<Promise<unknown>>();

  // So do `object` (how makePresence types a presence) and `never`.
  const presence: object = {};
  expectTypeOf(E(presence).anything(1)).toEqualTypeOf<Promise<unknown>>();
  expectTypeOf(E.get(presence, 'f')).toEqualTypeOf<Promise<unknown>>();
  expectTypeOf(E(Promise.reject(new Error('x'))).anything()).toEqualTypeOf<Promise<unknown>>();
  // A primitive has no methods to send.
  // @ts-expect-error numbers are not references
  void E(42).toFixed();

  // when
  expectTypeOf(E.when(Promise.resolve(1))).toEqualTypeOf<Promise<number>>();
  expectTypeOf(E.when(Promise.resolve(1), (n) => `${n}`)).toEqualTypeOf<Promise<string>>();

  // EProxy directly
  expectTypeOf<EProxy<Greeter>['greet']>().toEqualTypeOf<(name: string) => Promise<string>>();
}

describe('typed E at run time', () => {
  it('typed calls reach the far object', async () => {
    expect(typeof typeOnly).toBe('function');
    await expect(E(greeterRemote).greet('Alice')).resolves.toBe('Hello, Alice!');
    await expect(E(greeterRemote).later(1)).resolves.toBe(2);
    await expect(E(E(greeterRemote).friend()).greet('Bob')).resolves.toBe('Hello, Bob!');
  });
});
