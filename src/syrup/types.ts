/**
 * The Syrup value model as capmesh represents it in JavaScript.
 *
 * | Syrup            | JavaScript                                                        |
 * |------------------|-------------------------------------------------------------------|
 * | boolean          | `boolean`                                                         |
 * | integer          | `bigint` (decode always yields bigint; encode also takes a `number` that is an integer) |
 * | float64 (`D`)    | `number` that is not an integer (1.5, NaN, ±Infinity), or `Float64` for an integral float (2.0, −0) |
 * | byte string      | `Uint8Array`                                                      |
 * | string           | `string` (must be well-formed UTF-16: no lone surrogates)        |
 * | symbol           | `Sym`                                                             |
 * | list             | `SyrupValue[]`                                                    |
 * | dictionary       | `SyrupStruct` (plain object) when every key is a string; otherwise `SyrupDict` |
 * | record           | `SyrupRecord` (label + fields); `<void>` ⇄ `undefined`, `<null>` ⇄ `null`, `<desc:tagged 'tag value>` ⇄ `Tagged` |
 * | set              | `SyrupSet`                                                        |
 *
 * The one rule behind the choices: **`encode(decode(bytes))` returns `bytes`**
 * for every canonical input, which is what signature checks rely on. So a float
 * whose value is integral decodes as a `Float64` (a plain `number` 2 would
 * re-encode as the integer `2+`), and a record is only turned into
 * `undefined`/`null`/`Tagged` when it has exactly the shape that re-encodes the same.
 */

/** A Syrup symbol: distinct from a string with the same text. Compare with `.name` or `symEquals`. */
export class Sym {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  toString(): string {
    return `'${this.name}`;
  }
}

/** Makes a symbol. */
export function sym(name: string): Sym {
  return new Sym(name);
}

export function isSym(value: unknown, name?: string): value is Sym {
  return value instanceof Sym && (name === undefined || value.name === name);
}

/** A float64 whose value would otherwise be taken for an integer (2.0, −0.0). Any number may be wrapped. */
export class Float64 {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export function float64(value: number): Float64 {
  return new Float64(value);
}

/** A Syrup record: `<label field…>`. OCapN labels are symbols. */
export class SyrupRecord {
  readonly label: SyrupValue;
  readonly fields: readonly SyrupValue[];
  constructor(label: SyrupValue, fields: readonly SyrupValue[]) {
    this.label = label;
    this.fields = fields;
  }
  /** The label's name when it is a symbol, else undefined. */
  get labelName(): string | undefined {
    return this.label instanceof Sym ? this.label.name : undefined;
  }
}

/** Makes a record; a string label is taken as a symbol name. */
export function record(label: string | SyrupValue, ...fields: SyrupValue[]): SyrupRecord {
  return new SyrupRecord(typeof label === 'string' ? new Sym(label) : label, fields);
}

export function isRecord(value: unknown, labelName?: string, arity?: number): value is SyrupRecord {
  return (
    value instanceof SyrupRecord &&
    (labelName === undefined || value.labelName === labelName) &&
    (arity === undefined || value.fields.length === arity)
  );
}

/** A Syrup set. Items are kept in the order given; the encoder sorts them canonically. */
export class SyrupSet {
  readonly items: readonly SyrupValue[];
  constructor(items: readonly SyrupValue[]) {
    this.items = items;
  }
}

/** A dictionary whose keys are not all strings (symbol keys, integer keys…). */
export class SyrupDict {
  readonly entries: readonly (readonly [SyrupValue, SyrupValue])[];
  constructor(entries: readonly (readonly [SyrupValue, SyrupValue])[]) {
    this.entries = entries;
  }
}

/** OCapN's Tagged passable, written `<desc:tagged 'tag value>` (the tag as a symbol, as Endo does). */
export class Tagged {
  readonly tag: string;
  readonly value: SyrupValue;
  constructor(tag: string, value: SyrupValue) {
    this.tag = tag;
    this.value = value;
  }
}

export function tagged(tag: string, value: SyrupValue): Tagged {
  return new Tagged(tag, value);
}

/** A dictionary with string keys (OCapN's Struct). Keys are own enumerable properties. */
export interface SyrupStruct {
  [key: string]: SyrupValue;
}

export type SyrupValue =
  | boolean
  | bigint
  | number
  | Float64
  | Uint8Array
  | string
  | Sym
  | readonly SyrupValue[]
  | SyrupRecord
  | SyrupSet
  | SyrupDict
  | Tagged
  | SyrupStruct
  | undefined
  | null;

/**
 * `T` itself when every part of it is data Syrup can hold; otherwise a type
 * `T` is not assignable to, so `<T>(data: T & Persistable<T>)` refuses
 * it at compile time. It exists because TypeScript will not assign a type
 * declared as an `interface` to `SyrupStruct`'s index signature (`TS2345 …
 * Index signature for type 'string' is missing`), though Syrup encodes such
 * an object exactly like a type literal. Functions, symbol keys, `Date`,
 * `Map` and class instances other than Syrup's own are refused. Type level
 * only: the encoder still checks at run time and rejects anything else with
 * `SYRUP_UNENCODABLE` (e.g. a property that is `any`).
 */
export type Persistable<T> = T extends (...args: never) => unknown
  ? never
  : T extends SyrupValue
    ? T
    : T extends readonly unknown[]
      ? { readonly [K in keyof T]: Persistable<T[K]> }
      : T extends object
        ? { [K in keyof T]: K extends string ? Persistable<T[K]> : never }
        : never;

/**
 * Limits applied by the decoder before it does the work they bound. Every field
 * is optional; missing fields take the defaults below.
 */
export interface SyrupLimits {
  /** Total bytes of one encoded value. */
  maxBytes?: number;
  /** Nesting depth of lists, dictionaries, records and sets. */
  maxDepth?: number;
  /** Items in one list/set, entries in one dictionary, fields in one record. */
  maxItems?: number;
  /** Decimal digits of one integer. */
  maxIntegerDigits?: number;
  /** Bytes of one string, symbol or byte string. */
  maxStringBytes?: number;
  /**
   * Values of every kind (scalars and containers, at any depth) in one
   * encoded value. Counted as the decoder goes and checked before each value
   * is allocated, so a message of millions of tiny values (16 MiB of `[]`) is
   * refused with `SYRUP_LIMIT` after this many, for a bounded cost.
   */
  maxNodes?: number;
}

export const DEFAULT_SYRUP_LIMITS: Readonly<Required<SyrupLimits>> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxItems: 100_000,
  maxIntegerDigits: 1_000,
  maxStringBytes: 8 * 1024 * 1024,
  maxNodes: 250_000,
});
