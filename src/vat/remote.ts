/**
 * Types for references and eventual sends. Nothing here exists at run time.
 *
 * `Remote<T>` is what the mesh hands out for an object that lives in another
 * vat and has interface `T`: opaque (its methods cannot be called directly,
 * only through `E`), and not interchangeable with an unrelated `Remote<U>`.
 * `E` also accepts a local `T` (a far object), or a promise for either, so code
 * can be written against `ERef<T>` without caring where the object lives.
 */

declare const remoteBrand: unique symbol;

/** An opaque reference to an object with interface `T` living in some vat. */
export interface Remote<T> {
  readonly [remoteBrand]: T;
}

/** Anything `E` can send `T`'s methods to. */
export type ERef<T> = Remote<T> | T | Promise<Remote<T>> | Promise<T>;

/** The interface behind a reference: unwraps promises, then `Remote<…>` (distributing over unions, so `ERef<T>` gives `T`). */
export type RefInterface<R> = Unremote<Awaited<R>>;

/** `Remote<T>` → `T`; anything else stays as it is. */
export type Unremote<X> = X extends Remote<infer T> ? T : X;

/** The usual "any function" bound (`any` so every parameter list matches). */
export type AnyFunction = (...args: any[]) => any;

/** The promise an eventual call returns: never nested, never a thenable of a thenable. */
export type EResult<R> = Promise<Awaited<R>>;

/** Method names of `T` that E can reach: string keys holding functions. */
export type MethodKeys<T> = {
  [K in keyof T]-?: K extends string ? (T[K] extends AnyFunction ? K : never) : never;
}[keyof T];

/** The callable half of an E proxy: present when `T` is itself a function. */
export type ECallable<T> = T extends (...args: infer A) => infer R ? (...args: A) => EResult<R> : unknown;

/**
 * True when `T` says nothing about methods: `unknown`, `any`, `never`, `object`,
 * `{}`. A presence is typed `object` until it is cast to `Remote<T>`, so these
 * get a loose proxy rather than one with no methods at all.
 */
export type IsLoose<T> = [T] extends [never] ? true : unknown extends T ? true : {} extends T ? true : false;

/** What `E(ref)` gives for a reference to `T`: every method, eventually. */
export type EProxy<T> = IsLoose<T> extends true
  ? ELoose
  : ECallable<T> & {
      readonly [K in MethodKeys<T>]: T[K] extends (...args: infer A) => infer R ? (...args: A) => EResult<R> : never;
    };

/** What `E.sendOnly(ref)` gives: the same methods, returning nothing. */
export type ESendOnlyProxy<T> = IsLoose<T> extends true
  ? ELooseSendOnly
  : (T extends (...args: infer A) => unknown ? (...args: A) => void : unknown) & {
      readonly [K in MethodKeys<T>]: T[K] extends (...args: infer A) => unknown ? (...args: A) => void : never;
    };

/** The proxy for a target of unknown type: any method, any arguments. */
export type ELoose = ((...args: unknown[]) => Promise<unknown>) & {
  readonly [method: string]: (...args: unknown[]) => Promise<unknown>;
};

export type ELooseSendOnly = ((...args: unknown[]) => void) & {
  readonly [method: string]: (...args: unknown[]) => void;
};

/** Field names `E.get` accepts for data `D`: any string when `D` is loose (see `IsLoose`). */
export type FieldKey<D> = IsLoose<D> extends true ? string : D extends object ? Extract<keyof D, string> : never;

/** What `E.get(ref, field)` resolves to. */
export type FieldValue<D, K> = IsLoose<D> extends true ? unknown : K extends keyof D ? Awaited<D[K]> : unknown;

/** What `E.index(ref, i)` resolves to. */
export type ElementValue<D> = D extends readonly (infer X)[] ? Awaited<X> : unknown;

/**
 * The eventual-send function made by `makeE`. Every form returns at once and
 * never throws: failures reject the returned promise (or are dropped, for
 * `sendOnly`).
 */
export interface EFunction {
  /** A proxy whose method calls (and plain call, for a far function) are eventual sends to `target`. */
  <R>(target: R): EProxy<RefInterface<R>>;
  /** Like `E(target)`, but no result is asked for and failures are dropped. */
  readonly sendOnly: <R>(target: R) => ESendOnlyProxy<RefInterface<R>>;
  /** Eventual field read of a struct (OCapN `op:get`); rejects with `BAD_FIELD`. */
  readonly get: <R, K extends FieldKey<RefInterface<R>>>(
    target: R,
    field: K,
  ) => Promise<FieldValue<RefInterface<R>, K>>;
  /** Eventual element read of a list (OCapN `op:index`); rejects with `BAD_INDEX`. */
  readonly index: <R>(target: R, index: number) => Promise<ElementValue<RefInterface<R>>>;
  /** Eventual unwrap of a Tagged value with tag `tag` (OCapN `op:untag`); rejects with `BAD_TAG`. */
  readonly untag: (target: unknown, tag: string) => Promise<unknown>;
  /** `onFulfilled`/`onRejected` once `x` settles, always in a later turn. */
  readonly when: EWhen;
}

export interface EWhen {
  <T>(x: T): Promise<Awaited<T>>;
  <T, R1 = Awaited<T>, R2 = never>(
    x: T,
    onFulfilled?: ((value: Awaited<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
}
