import { equalBytes } from '../util/bytes.js';
import { encode } from './encode.js';
import type { SyrupValue } from './types.js';

/**
 * True when `a` and `b` mean the same Syrup value, i.e. have the same
 * canonical encoding (−0 kept, so `-0` ≠ `0`). So `2` equals `2n`, a NaN equals
 * any NaN, `Float64(1.5)` equals `1.5`, a `SyrupRecord` `<void>` equals
 * `undefined`, and dictionary/set order does not matter; `2` does not equal
 * `Float64(2)`, and a string never equals a symbol.
 *
 * Identical references are equal without being encoded; otherwise a value
 * that cannot be encoded throws `SYRUP_UNENCODABLE`.
 */
export function syrupEquals(a: SyrupValue, b: SyrupValue): boolean {
  if (Object.is(a, b)) return true;
  const ta = typeof a;
  if (ta === typeof b && (ta === 'string' || ta === 'boolean' || ta === 'bigint')) return false;
  return equalBytes(encode(a), encode(b));
}
