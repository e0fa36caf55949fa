/**
 * Nominal ("branded") types over a primitive. `Brand<number, 'ExportPos'>` is a
 * number at run time, but the compiler refuses to mix it with a
 * `Brand<number, 'ImportPos'>` or a bare number: a position from the wrong table
 * does not compile.
 */
declare const brandTag: unique symbol;

export type Brand<T, Name extends string> = T & { readonly [brandTag]: Name };
