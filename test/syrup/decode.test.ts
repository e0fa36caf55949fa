import { describe, expect, it } from 'vitest';
import { decode, decodePrefix, encode } from '../../src/syrup/index.js';
import { Float64, SyrupDict, SyrupRecord, Sym, Tagged } from '../../src/syrup/types.js';
import type { SyrupLimits, SyrupValue } from '../../src/syrup/types.js';
import { type CapmeshErrorCode, isCapmeshError } from '../../src/util/errors.js';
import { fromHex } from '../../src/util/bytes.js';
import { codeOf, latin1 } from '../helpers/codes.js';

/** [description, input, expected code] */
const REJECTED: [string, Uint8Array, CapmeshErrorCode][] = [
  // not canonical
  ['leading zero in an integer', latin1('00+'), 'SYRUP_NONCANONICAL'],
  ['leading zero in a positive integer', latin1('042+'), 'SYRUP_NONCANONICAL'],
  ['leading zero in a length', latin1('01:a'), 'SYRUP_NONCANONICAL'],
  ['leading zero in a string length', latin1('03"abc'), 'SYRUP_NONCANONICAL'],
  ['negative zero integer 0-', latin1('0-'), 'SYRUP_NONCANONICAL'],
  ['quiet NaN with payload', fromHex('447ff8000000000001'), 'SYRUP_NONCANONICAL'],
  ['signalling NaN', fromHex('447ff0000000000001'), 'SYRUP_NONCANONICAL'],
  ['negative NaN', fromHex('44fff8000000000000'), 'SYRUP_NONCANONICAL'],
  ['float32 F', fromHex('463fc00000'), 'SYRUP_NONCANONICAL'],
  ['space between list items', latin1('[1+ 2+]'), 'SYRUP_NONCANONICAL'],
  ['leading whitespace', latin1(' 1+'), 'SYRUP_NONCANONICAL'],
  ['newline inside a record', latin1("<1'a\n>"), 'SYRUP_NONCANONICAL'],
  ['unsorted struct keys', latin1('{2"aa2+1"b1+}'), 'SYRUP_NONCANONICAL'],
  ["Endo's JS-sorted struct", latin1('{2"aa2+1"b1+}'), 'SYRUP_NONCANONICAL'],
  ['9-byte key before 10-byte key', latin1('{9"abcdefghi1+10"abcdefghij2+}'), 'SYRUP_NONCANONICAL'],
  ['duplicate struct key', latin1('{1"a1+1"a2+}'), 'SYRUP_NONCANONICAL'],
  ['unsorted symbol keys', latin1("{1'b1+1'a2+}"), 'SYRUP_NONCANONICAL'],
  ['unsorted set', latin1('#2+1+$'), 'SYRUP_NONCANONICAL'],
  ['set 9 before 10', latin1('#9+10+$'), 'SYRUP_NONCANONICAL'],
  ['duplicate set item', latin1('#1+1+$'), 'SYRUP_NONCANONICAL'],
  // malformed
  ['trailing bytes', latin1('1+2+'), 'SYRUP_MALFORMED'],
  ['trailing garbage after a list', latin1('[]x'), 'SYRUP_MALFORMED'],
  ['unknown byte', latin1('x'), 'SYRUP_MALFORMED'],
  ['bencode list', latin1('li1ee'), 'SYRUP_MALFORMED'],
  ['digits without a terminator', latin1('12x'), 'SYRUP_MALFORMED'],
  ['stray closer', latin1(']'), 'SYRUP_MALFORMED'],
  ['mismatched closer', latin1('[1+}'), 'SYRUP_MALFORMED'],
  ['record closed by ]', latin1("<1'a]"), 'SYRUP_MALFORMED'],
  ['record without label', latin1('<>'), 'SYRUP_MALFORMED'],
  ['dictionary key without value', latin1('{1"a}'), 'SYRUP_MALFORMED'],
  ['set closed by }', latin1('#1+}'), 'SYRUP_MALFORMED'],
  ['invalid UTF-8 byte in string', latin1('1"\xff'), 'SYRUP_MALFORMED'],
  ['overlong UTF-8 in string', latin1('2"\xc0\xaf'), 'SYRUP_MALFORMED'],
  ['encoded surrogate in string', latin1('3"\xed\xa0\x80'), 'SYRUP_MALFORMED'],
  ['cut UTF-8 sequence in symbol', latin1("2'\xe7\x86"), 'SYRUP_MALFORMED'],
  ['invalid UTF-8 in a long string', latin1(`100"${'a'.repeat(99)}\xff`), 'SYRUP_MALFORMED'],
  ['minus sign in front', latin1('-5+'), 'SYRUP_MALFORMED'],
  // truncated
  ['empty input', latin1(''), 'SYRUP_TRUNCATED'],
  ['open list', latin1('[1+'), 'SYRUP_TRUNCATED'],
  ['short byte string', latin1('5:abc'), 'SYRUP_TRUNCATED'],
  ['short string', latin1('5"abc'), 'SYRUP_TRUNCATED'],
  ['short float', fromHex('443ff8'), 'SYRUP_TRUNCATED'],
  ['digits at the end', latin1('123'), 'SYRUP_TRUNCATED'],
  ['open record after label', latin1("<2'op"), 'SYRUP_TRUNCATED'],
  ['dictionary missing its close', latin1('{1"a1+'), 'SYRUP_TRUNCATED'],
];

describe('decode rejects', () => {
  it.each(REJECTED)('%s', (_name, bytes, code) => {
    expect(codeOf(() => decode(bytes))).toBe(code);
  });

  it('reports the offset of the problem', () => {
    try {
      decode(latin1('[1+2+ ]'));
      expect.unreachable();
    } catch (e) {
      expect(isCapmeshError(e, 'SYRUP_NONCANONICAL')).toBe(true);
      expect((e as { detail: { offset: number } }).detail.offset).toBe(5);
    }
  });

  it('refuses a non-Uint8Array or a bad offset with INVALID_ARGUMENT', () => {
    expect(codeOf(() => decode('1+' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decodePrefix(latin1('1+'), 3))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decodePrefix(latin1('1+'), -1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decodePrefix(latin1('1+'), 2))).toBe('SYRUP_TRUNCATED');
  });
});

describe('decode representation', () => {
  it('decodes integers as bigint, beyond 2^53 too', () => {
    expect(decode(latin1('7+'))).toBe(7n);
    expect(decode(latin1('123456789012345678901234567890-'))).toBe(-123456789012345678901234567890n);
    expect(decode(latin1('1024+'))).toBe(1024n);
  });

  it('decodes integral floats as Float64 and others as number', () => {
    expect(decode(fromHex('444000000000000000'))).toStrictEqual(new Float64(2));
    expect(decode(fromHex('443ff8000000000000'))).toBe(1.5);
    expect(decode(fromHex('447ff0000000000000'))).toBe(Number.POSITIVE_INFINITY);
    expect(decode(fromHex('44fff0000000000000'))).toBe(Number.NEGATIVE_INFINITY);
    expect(decode(fromHex('447ff8000000000000'))).toBeNaN();
  });

  it('makes a "__proto__" key a real own key of a plain object', () => {
    const obj = decode(latin1('{1"a1+9"__proto__[]}')) as Record<string, SyrupValue>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value).toEqual([]);
    expect(encode(obj)).toEqual(latin1('{1"a1+9"__proto__[]}'));
  });

  it('keeps a dictionary with any non-string key as SyrupDict, in canonical order', () => {
    const d = decode(latin1("{1'b2+1+1\"a}"));
    expect(d).toBeInstanceOf(SyrupDict);
    expect((d as SyrupDict).entries).toStrictEqual([
      [new Sym('b'), 2n],
      [1n, 'a'],
    ]);
  });

  it('maps only the exact special record shapes', () => {
    expect(decode(latin1("<4'void>"))).toBeUndefined();
    expect(decode(latin1("<4'null>"))).toBeNull();
    expect(decode(latin1("<11'desc:tagged3'foo1+>"))).toStrictEqual(new Tagged('foo', 1n));
    // with fields, a string label, or a non-symbol tag they stay records
    expect(decode(latin1("<4'void1+>"))).toStrictEqual(new SyrupRecord(new Sym('void'), [1n]));
    expect(decode(latin1('<4"null>'))).toStrictEqual(new SyrupRecord('null', []));
    expect(decode(latin1("<11'desc:tagged3\"foo1+>"))).toStrictEqual(
      new SyrupRecord(new Sym('desc:tagged'), ['foo', 1n]),
    );
    expect(decode(latin1("<11'desc:tagged3'foo>"))).toStrictEqual(new SyrupRecord(new Sym('desc:tagged'), [new Sym('foo')]));
  });

  it('returns byte strings as copies, not views of the input', () => {
    const input = latin1('3:abc');
    const out = decode(input) as Uint8Array;
    input[2] = 0x7a;
    expect(out).toEqual(latin1('abc'));
    expect(out.buffer).not.toBe(input.buffer);
  });

  it('returns plain copies from a Node Buffer too (whose own slice would make views)', () => {
    const input = Buffer.from('[3:abc]', 'latin1');
    const [out] = decode(input) as Uint8Array[];
    input.fill(0);
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    expect(out).toEqual(latin1('abc'));
  });

  it('keeps a leading BOM in a string (it must re-encode identically)', () => {
    const bytes = latin1('4"\xef\xbb\xbfa');
    expect(decode(bytes)).toBe('\uFEFFa');
    expect(encode(decode(bytes))).toEqual(bytes);
  });

  it('decodePrefix returns the value and where it ends, ignoring what follows', () => {
    const bytes = latin1('xx[1+]2+garbage');
    expect(decodePrefix(bytes, 2)).toEqual({ value: [1n], end: 6 });
    expect(decodePrefix(bytes, 6)).toEqual({ value: 2n, end: 8 });
  });
});

describe('decode limits', () => {
  const limited = (bytes: Uint8Array, limits: SyrupLimits): string => codeOf(() => decode(bytes, limits));

  it('maxDepth counts lists, dictionaries, records and sets', () => {
    expect(limited(latin1('[[[]]]'), { maxDepth: 3 })).toBe('no error');
    expect(limited(latin1('[[[[]]]]'), { maxDepth: 3 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1("[{1\"a<1'a#$>}]"), { maxDepth: 3 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1("[<4'void>]"), { maxDepth: 1 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1('['.repeat(65) + ']'.repeat(65)), {})).toBe('SYRUP_LIMIT');
    expect(limited(latin1('['.repeat(64) + ']'.repeat(64)), {})).toBe('no error');
  });

  it('never overflows the stack, whatever maxDepth allows', () => {
    const n = 200_000;
    const deep = latin1('['.repeat(n) + ']'.repeat(n));
    expect(limited(deep, { maxDepth: Number.POSITIVE_INFINITY })).toBe('no error');
    expect(limited(latin1('['.repeat(n)), { maxDepth: Number.POSITIVE_INFINITY })).toBe('SYRUP_TRUNCATED');
  });

  it('maxItems bounds list and set items, dictionary entries and record fields', () => {
    expect(limited(latin1('[1+2+3+]'), { maxItems: 3 })).toBe('no error');
    expect(limited(latin1('[1+2+3+4+]'), { maxItems: 3 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1('#1+2+3+4+$'), { maxItems: 3 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1('{1"a1+1"b1+1"c1+}'), { maxItems: 3 })).toBe('no error');
    expect(limited(latin1('{1"a1+1"b1+1"c1+1"d1+}'), { maxItems: 3 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1("<1'l1+2+3+>"), { maxItems: 3 })).toBe('no error');
    expect(limited(latin1("<1'l1+2+3+4+>"), { maxItems: 3 })).toBe('SYRUP_LIMIT');
  });

  it('maxNodes counts every value at any depth (closers are not values)', () => {
    expect(limited(latin1('[1+[2+]]'), { maxNodes: 4 })).toBe('no error');
    expect(limited(latin1('[1+[2+3+]]'), { maxNodes: 4 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1("<1'l{1\"a1+}>"), { maxNodes: 5 })).toBe('no error');
    expect(limited(latin1("<1'l{1\"a1+}>"), { maxNodes: 4 })).toBe('SYRUP_LIMIT');
    expect(codeOf(() => decode(latin1('[1+2+]'), { maxNodes: 2 }))).toBe('SYRUP_LIMIT');
  });

  it('16 MiB of empty lists is refused by the default maxNodes after a bounded amount of work', () => {
    const n = 8 * 1024 * 1024 - 1;
    const bytes = new Uint8Array(2 * n + 2);
    bytes[0] = 0x5b;
    for (let i = 0; i < n; i++) {
      bytes[1 + 2 * i] = 0x5b;
      bytes[2 + 2 * i] = 0x5d;
    }
    bytes[2 * n + 1] = 0x5d;
    let error: unknown;
    try {
      decode(bytes, { maxItems: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'SYRUP_LIMIT', message: expect.stringContaining('maxNodes (250000)') });
    // refused at the 250,001st value: about 500 KB in, not at the end of the 16 MiB
    expect((error as { detail: { offset: number } }).detail.offset).toBe(2 * 250_000 - 1);
  });

  it('maxIntegerDigits bounds integers before BigInt is called', () => {
    expect(limited(latin1('12345+'), { maxIntegerDigits: 5 })).toBe('no error');
    expect(limited(latin1('123456+'), { maxIntegerDigits: 5 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1('1'.repeat(1001) + '-'), {})).toBe('SYRUP_LIMIT');
    // an endless run of digits is refused once it is too long to be anything, not scanned to the end
    expect(limited(latin1('9'.repeat(5000)), { maxIntegerDigits: 20 })).toBe('SYRUP_LIMIT');
  });

  it('maxStringBytes refuses a declared length before slicing or waiting for it', () => {
    expect(limited(latin1('4"abcd'), { maxStringBytes: 4 })).toBe('no error');
    expect(limited(latin1('5"abcde'), { maxStringBytes: 4 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1("5'abcde"), { maxStringBytes: 4 })).toBe('SYRUP_LIMIT');
    expect(limited(latin1('5:abcde'), { maxStringBytes: 4 })).toBe('SYRUP_LIMIT');
    // the payload is not even there: LIMIT, not TRUNCATED
    expect(limited(latin1('9999999999:'), {})).toBe('SYRUP_LIMIT');
  });

  it('maxBytes bounds the whole input, and a value in decodePrefix', () => {
    expect(limited(latin1('[1+2+]'), { maxBytes: 6 })).toBe('no error');
    expect(limited(latin1('[1+2+]'), { maxBytes: 5 })).toBe('SYRUP_LIMIT');
    const bytes = latin1('[1+2+]9+');
    expect(codeOf(() => decodePrefix(bytes, 0, { maxBytes: 5 }))).toBe('SYRUP_LIMIT');
    expect(codeOf(() => decodePrefix(latin1('20:abc'), 0, { maxBytes: 10 }))).toBe('SYRUP_LIMIT');
    expect(codeOf(() => decodePrefix(latin1('5:abc'), 0, { maxBytes: 10 }))).toBe('SYRUP_TRUNCATED');
  });
});
