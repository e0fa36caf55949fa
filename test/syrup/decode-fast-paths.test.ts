import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/syrup/index.js';
import { resolveLimits } from '../../src/syrup/limits.js';
import { DEFAULT_SYRUP_LIMITS, SyrupRecord, Sym } from '../../src/syrup/types.js';
import { latin1 } from '../helpers/codes.js';

/**
 * The decoder's allocation-saving paths (the symbol-name cache, limits taken
 * as they are when complete) must never change what is decoded.
 */
describe('decode: symbol-name cache', () => {
  it('gives every symbol its own name when many distinct names share cache slots', () => {
    // 2,000 distinct short names over 256 slots: every slot is hit by several names, in turn.
    const names = Array.from({ length: 2000 }, (_, i) => `m${i.toString(36)}`);
    for (let round = 0; round < 2; round++) {
      for (const name of names) {
        const value = decode(encode(new Sym(name)));
        expect(value).toBeInstanceOf(Sym);
        expect((value as Sym).name).toBe(name);
      }
    }
  });

  it('tells apart names of the same length and of the same bytes in another order', () => {
    for (const [a, b] of [
      ['ab', 'ba'],
      ['fulfill', 'fulfilm'],
      ['op:deliver', 'op:delivex'],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        expect((decode(encode(new Sym(a))) as Sym).name).toBe(a);
        expect((decode(encode(new Sym(b))) as Sym).name).toBe(b);
      }
    }
  });

  it('decodes labels, non-ASCII and long names and the empty name exactly', () => {
    const long = 'x'.repeat(40);
    const value = new SyrupRecord(new Sym('op:deliver'), [new Sym('désc'), new Sym(long), new Sym(''), 'op:deliver']);
    for (let i = 0; i < 2; i++) {
      const back = decode(encode(value)) as SyrupRecord;
      expect(back.labelName).toBe('op:deliver');
      expect(back.fields.map((f) => (f instanceof Sym ? f.name : f))).toEqual(['désc', long, '', 'op:deliver']);
    }
  });

  it('still refuses invalid UTF-8 in a symbol', () => {
    expect(() => decode(latin1("2'\xc3\x28"))).toThrow(/invalid UTF-8/);
  });
});

describe('resolveLimits', () => {
  it('takes complete limits as they are (no copy per message) and fills in partial ones', () => {
    const complete = { ...DEFAULT_SYRUP_LIMITS, maxDepth: 7 };
    expect(resolveLimits(complete)).toBe(complete);
    const partial = { maxDepth: 7 };
    const filled = resolveLimits(partial);
    expect(filled).not.toBe(partial);
    expect(filled).toEqual({ ...DEFAULT_SYRUP_LIMITS, maxDepth: 7 });
    expect(() => decode(latin1('[[]]'), { ...DEFAULT_SYRUP_LIMITS, maxDepth: 1 })).toThrow(/maxDepth/);
  });
});

describe('decode: parse-stack frames reused between decodes', () => {
  it('values of an earlier decode stay as they were after later decodes at the same depths', () => {
    const first = decode(latin1('[[1+]<3:lab2+>]'));
    const second = decode(latin1('[[2+3+]<3:lab4+5+>]'));
    expect(first).toEqual([[1n], new SyrupRecord(new Uint8Array([0x6c, 0x61, 0x62]) as never, [2n])]);
    expect(second).toEqual([[2n, 3n], new SyrupRecord(new Uint8Array([0x6c, 0x61, 0x62]) as never, [4n, 5n])]);
  });

  it('a decode that failed deep inside (truncated, refused) leaves nothing for the next one', () => {
    expect(() => decode(latin1('[[[<5\'label1+2+'))).toThrow();
    expect(() => decode(latin1('{1"b1+1"a2+}'))).toThrow(/out of order/);
    // Each decodes to exactly what it encodes back to.
    expect(encode(decode(latin1('{1"a1+1"b2+}')))).toEqual(latin1('{1"a1+1"b2+}'));
    expect(decode(latin1('[[<5\'label>]]'))).toEqual([[new SyrupRecord(new Sym('label'), [])]]);
    expect(encode(decode(latin1('#1+2+$')))).toEqual(latin1('#1+2+$'));
  });
});
