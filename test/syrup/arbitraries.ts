import fc from 'fast-check';
import { encode } from '../../src/syrup/encode.js';
import { compareBytes } from '../../src/util/bytes.js';
import { Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged } from '../../src/syrup/types.js';
import type { SyrupStruct, SyrupValue } from '../../src/syrup/types.js';

/**
 * fast-check arbitraries for Syrup values in their *canonical representation*:
 * the exact shapes `decode` returns (bigint integers, `Float64` for integral
 * floats, plain objects for all-string-key dictionaries, sorted dictionary
 * entries and set items, `undefined`/`null`/`Tagged` rather than their
 * records), so `decode(encode(v))` must deep-equal `v`.
 */

/** The seed every property in test/syrup uses, so failures reproduce. */
export const SEED = 0x5eed_c0de;

/** Property runs scaled by `CAPMESH_FUZZ_RUNS` (the `npm run fuzz` total) relative to the normal run. */
export function runs(normal: number, normalTotal = 100_000): number {
  const env = Number(process.env.CAPMESH_FUZZ_RUNS);
  if (!Number.isFinite(env) || env <= 0) return normal;
  return Math.max(1, Math.round((normal * env) / normalTotal));
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '__proto__', 'constructor', 'b', 'aa', '10', '9', 'björn', '熊', '\u{1F600}', '\uFEFFbom'),
);

const nonIntegralDouble = fc.oneof(
  fc.double({ noDefaultInfinity: false }).filter((d) => !Number.isInteger(d)),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, -0.1, Number.MIN_VALUE),
);

const integralFloat = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => Number.isInteger(d)),
  fc.integer(),
  fc.constantFrom(0, -0, 2, 2 ** 53, 1e300, -1e21),
).map((d) => new Float64(d));

const atom: fc.Arbitrary<SyrupValue> = fc.oneof(
  fc.boolean(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  nonIntegralDouble,
  integralFloat,
  fc.uint8Array({ maxLength: 16 }),
  text,
  text.map((t) => new Sym(t)),
  fc.constant(undefined),
  fc.constant(null),
);

function byEncoding<T>(items: T[], keyOf: (item: T) => SyrupValue): T[] {
  const keyed = items.map((item) => ({ item, bytes: encode(keyOf(item)) }));
  keyed.sort((a, b) => compareBytes(a.bytes, b.bytes));
  const out: T[] = [];
  let prev: Uint8Array | undefined;
  for (const k of keyed) {
    if (prev !== undefined && compareBytes(prev, k.bytes) === 0) continue;
    prev = k.bytes;
    out.push(k.item);
  }
  return out;
}

/** A struct built the way the decoder builds one (a `"__proto__"` key is an own property). */
export function makeStruct(entries: readonly (readonly [string, SyrupValue])[]): SyrupStruct {
  const obj: SyrupStruct = {};
  for (const [k, v] of entries) {
    Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return obj;
}

function isSpecialRecord(label: SyrupValue, fields: readonly SyrupValue[]): boolean {
  if (!(label instanceof Sym)) return false;
  if (fields.length === 0) return label.name === 'void' || label.name === 'null';
  return fields.length === 2 && label.name === 'desc:tagged' && fields[0] instanceof Sym;
}

/** Any Syrup value in canonical representation, nested at most `maxDepth` containers deep. */
export function syrupValue(maxDepth = 4): fc.Arbitrary<SyrupValue> {
  const { value } = fc.letrec<{ value: SyrupValue; node: SyrupValue }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth, withCrossShrink: true }, atom, tie('node')),
    node: fc.oneof(
      fc.array(tie('value'), { maxLength: 5 }),
      fc
        .array(fc.tuple(text, tie('value')), { maxLength: 5 })
        .map((entries) => makeStruct(byEncoding(entries, (e) => e[0]))),
      fc
        .array(fc.tuple(tie('value'), tie('value')), { minLength: 1, maxLength: 4 })
        .filter((entries) => entries.some((e) => typeof e[0] !== 'string'))
        .map((entries) => byEncoding(entries, (e) => e[0]))
        .filter((entries) => entries.some((e) => typeof e[0] !== 'string'))
        .map((entries) => new SyrupDict(entries)),
      fc.array(tie('value'), { maxLength: 4 }).map((items) => new SyrupSet(byEncoding(items, (i) => i))),
      fc
        .tuple(fc.oneof(text.map((t) => new Sym(t)), tie('value')), fc.array(tie('value'), { maxLength: 4 }))
        .filter(([label, fields]) => !isSpecialRecord(label, fields))
        .map(([label, fields]) => new SyrupRecord(label, fields)),
      fc.tuple(text, tie('value')).map(([tag, v]) => new Tagged(tag, v)),
    ),
  }));
  return value;
}

/**
 * Strict structural equality of two values *as represented* (not by meaning):
 * same JS types and classes, `Object.is` for numbers, same prototype and own
 * keys for structs, same order for dictionary entries and set items. Unlike
 * vitest's `toStrictEqual` it is not confused by an own `"constructor"` key.
 */
export function sameRepresentation(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b);
  const o = b as object;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(o)) return false;
  if (a instanceof Uint8Array) {
    const y = o as Uint8Array;
    return a.length === y.length && a.every((x, i) => x === y[i]);
  }
  if (Array.isArray(a)) {
    const y = o as unknown[];
    return a.length === y.length && a.every((x, i) => sameRepresentation(x, y[i]));
  }
  if (a instanceof Sym) return a.name === (o as Sym).name;
  if (a instanceof Float64) return Object.is(a.value, (o as Float64).value);
  if (a instanceof SyrupRecord) {
    const y = o as SyrupRecord;
    return sameRepresentation(a.label, y.label) && sameRepresentation(a.fields, y.fields);
  }
  if (a instanceof SyrupSet) return sameRepresentation(a.items, (o as SyrupSet).items);
  if (a instanceof SyrupDict) return sameRepresentation(a.entries, (o as SyrupDict).entries);
  if (a instanceof Tagged) return a.tag === (o as Tagged).tag && sameRepresentation(a.value, (o as Tagged).value);
  const ka = Object.keys(a).sort();
  const kb = Object.keys(o).sort();
  if (!sameRepresentation(ka, kb)) return false;
  return ka.every((k) =>
    sameRepresentation(Object.getOwnPropertyDescriptor(a, k)?.value, Object.getOwnPropertyDescriptor(o, k)?.value),
  );
}
