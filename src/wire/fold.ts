import { Float64, SyrupDict, SyrupRecord, SyrupSet, Tagged, type SyrupValue } from '../syrup/types.js';
import { isStruct } from './fields.js';

/**
 * Replaces every −0 in `value` (a `Float64(-0)` or a plain `-0`, which the
 * encoder writes as float −0) with float +0 (`Float64(0)`: a plain `0` would be
 * written as an integer), for peers that reject −0 on read (Endo).
 * Copy-on-write: returns `value` itself (same object) when it holds no −0, so
 * the common case allocates nothing. `encodeOp` also asks the encoder to fold,
 * so values reaching the bytes by either path agree.
 */
export function foldNegativeZero(value: SyrupValue): SyrupValue {
  if (typeof value === 'number') return Object.is(value, -0) ? new Float64(0) : value;
  if (value instanceof Float64) return Object.is(value.value, -0) ? new Float64(0) : value;
  if (Array.isArray(value)) return foldList(value as readonly SyrupValue[]);
  if (value instanceof SyrupRecord) {
    const label = foldNegativeZero(value.label);
    const fields = foldList(value.fields);
    return label === value.label && fields === value.fields ? value : new SyrupRecord(label, fields);
  }
  if (value instanceof Tagged) {
    const inner = foldNegativeZero(value.value);
    return inner === value.value ? value : new Tagged(value.tag, inner);
  }
  if (value instanceof SyrupSet) {
    const items = foldList(value.items);
    return items === value.items ? value : new SyrupSet(items);
  }
  if (value instanceof SyrupDict) {
    let changed = false;
    const entries = value.entries.map(([k, v]) => {
      const fk = foldNegativeZero(k);
      const fv = foldNegativeZero(v);
      if (fk !== k || fv !== v) changed = true;
      return [fk, fv] as const;
    });
    return changed ? new SyrupDict(entries) : value;
  }
  if (value !== null && isStruct(value)) {
    let changed = false;
    const entries = Object.keys(value).map((k) => {
      const v = value[k];
      const fv = foldNegativeZero(v);
      if (fv !== v) changed = true;
      return [k, fv] as const;
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

/** `foldNegativeZero` over a list; returns `list` itself when nothing changed. */
export function foldList(list: readonly SyrupValue[]): readonly SyrupValue[] {
  let out: SyrupValue[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    const f = foldNegativeZero(v);
    if (f !== v && out === undefined) out = list.slice(0, i);
    if (out !== undefined) out.push(f);
  }
  return out ?? list;
}
