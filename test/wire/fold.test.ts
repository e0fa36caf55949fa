import { describe, expect, it } from 'vitest';
import { Float64, SyrupDict, SyrupRecord, SyrupSet, Tagged, float64, record, sym, type SyrupValue } from '../../src/syrup/types.js';
import { foldList, foldNegativeZero } from '../../src/wire/fold.js';

const isPosZeroFloat = (v: SyrupValue) => v instanceof Float64 && Object.is(v.value, 0);

describe('foldNegativeZero', () => {
  it('turns Float64(−0) and plain −0 into Float64(+0)', () => {
    expect(isPosZeroFloat(foldNegativeZero(float64(-0)))).toBe(true);
    expect(isPosZeroFloat(foldNegativeZero(-0))).toBe(true);
  });

  it('leaves other numbers, +0 and NaN alone (same object)', () => {
    const f = float64(0);
    expect(foldNegativeZero(f)).toBe(f);
    expect(Object.is(foldNegativeZero(0), 0)).toBe(true);
    expect(foldNegativeZero(1.5)).toBe(1.5);
    expect(Number.isNaN(foldNegativeZero(NaN))).toBe(true);
    expect(foldNegativeZero(-1n)).toBe(-1n);
  });

  it('reaches into every container', () => {
    const v: SyrupValue = [
      record('r', float64(-0)),
      new SyrupRecord(float64(-0), []),
      new Tagged('t', [float64(-0)]),
      new SyrupSet([float64(-0)]),
      new SyrupDict([[float64(-0), float64(-0)]]),
      { k: float64(-0) },
    ];
    const out = foldNegativeZero(v) as SyrupValue[];
    expect(isPosZeroFloat((out[0] as SyrupRecord).fields[0])).toBe(true);
    expect(isPosZeroFloat((out[1] as SyrupRecord).label)).toBe(true);
    expect(isPosZeroFloat(((out[2] as Tagged).value as SyrupValue[])[0])).toBe(true);
    expect(isPosZeroFloat((out[3] as SyrupSet).items[0])).toBe(true);
    const [k, val] = (out[4] as SyrupDict).entries[0]!;
    expect(isPosZeroFloat(k) && isPosZeroFloat(val)).toBe(true);
    expect(isPosZeroFloat((out[5] as { k: SyrupValue }).k)).toBe(true);
    // The input is not mutated.
    expect(Object.is(((v[0] as SyrupRecord).fields[0] as Float64).value, -0)).toBe(true);
  });

  it('is copy-on-write: no −0, same objects back', () => {
    const v: SyrupValue = [record('r', 1.5, [sym('a')]), new Tagged('t', 'x'), new SyrupSet([1n]), new SyrupDict([[1n, 2n]]), { a: 'b' }];
    expect(foldNegativeZero(v)).toBe(v);
    const list = [1n, 'x'];
    expect(foldList(list)).toBe(list);
  });

  it('copies only from the first change on, keeping the prefix', () => {
    const head = record('h');
    const out = foldList([head, -0, 2n]);
    expect(out[0]).toBe(head);
    expect(isPosZeroFloat(out[1])).toBe(true);
    expect(out[2]).toBe(2n);
  });
});
