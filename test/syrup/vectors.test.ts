import { describe, expect, it } from 'vitest';
import { decode, encode, syrupEquals } from '../../src/syrup/index.js';
import { Float64, SyrupRecord, SyrupSet, Sym, float64, record, sym } from '../../src/syrup/types.js';
import type { SyrupValue } from '../../src/syrup/types.js';
import { fromHex } from '../../src/util/bytes.js';
import { latin1 } from '../helpers/codes.js';

/**
 * Every byte vector of ocapn-notes §1, byte for byte, in both directions:
 * `encode(value)` gives the bytes and `decode(bytes)` gives the value back in
 * its canonical representation.
 */

/** [description, value as written, bytes, value as decoded (when it differs)] */
type Vector = [string, SyrupValue, Uint8Array, SyrupValue?];

const SWISS = 'IO58l1laTyhcrgDKbEzFOO32MDd6zE5w';

const VECTORS: Vector[] = [
  ['integer 0', 0n, latin1('0+')],
  ['integer 42', 42n, latin1('42+')],
  ['integer -5', -5n, latin1('5-')],
  ['integer 2^64', 2n ** 64n, latin1('18446744073709551616+')],
  ['integer 42 given as a number', 42, latin1('42+'), 42n],
  ['integer -5 given as a number', -5, latin1('5-'), -5n],
  ['true', true, latin1('t')],
  ['false', false, latin1('f')],
  ['float 1.5', 1.5, fromHex('443ff8000000000000')],
  ['float NaN (canonical)', Number.NaN, fromHex('447ff8000000000000')],
  ['float +Inf', Number.POSITIVE_INFINITY, fromHex('447ff0000000000000')],
  ['float -0.0 (kept)', new Float64(-0), fromHex('448000000000000000')],
  ['float -0 given as a number', -0, fromHex('448000000000000000'), new Float64(-0)],
  ['float 2.0', float64(2), fromHex('444000000000000000')],
  ['bytes cat', latin1('cat'), latin1('3:cat')],
  ['empty bytes', new Uint8Array(0), latin1('0:')],
  ['empty string', '', latin1('0"')],
  ['string björn (6 bytes)', 'björn', latin1('6"bj\xc3\xb6rn')],
  ['string 熊 (3 bytes)', '熊', latin1('3"\xe7\x86\x8a')],
  ['symbol fetch', sym('fetch'), latin1("5'fetch")],
  ['list [1,2,3]', [1n, 2n, 3n], latin1('[1+2+3+]')],
  ['empty list', [], latin1('[]')],
  ['struct {"b":1,"aa":2} (shorter key first)', { b: 1n, aa: 2n }, latin1('{1"b1+2"aa2+}')],
  [
    'struct {"name","age","isAlive"}',
    { name: 'Alice', age: 30n, isAlive: true },
    latin1('{3"age30+4"name5"Alice7"isAlivet}'),
  ],
  ['set {3,2,1}', new SyrupSet([3n, 2n, 1n]), latin1('#1+2+3+$'), new SyrupSet([1n, 2n, 3n])],
  ['set {10,9} (10 before 9)', new SyrupSet([9n, 10n]), latin1('#10+9+$'), new SyrupSet([10n, 9n])],
  ['<desc:export 0>', record('desc:export', 0n), latin1("<11'desc:export0+>")],
  ['Undefined', undefined, latin1("<4'void>")],
  ['Null', null, latin1("<4'null>")],
  [
    'fetch request op:deliver',
    record('op:deliver', record('desc:export', 0n), [sym('fetch'), latin1(SWISS)], false, record('desc:import-object', 1n)),
    latin1(`<10'op:deliver<11'desc:export0+>[5'fetch32:${SWISS}]f<18'desc:import-object1+>>`),
  ],
  [
    'tcp-testing peer',
    record('ocapn-peer', sym('tcp-testing-only'), 'test', { host: '127.0.0.1', port: '22046' }),
    latin1(`<10'ocapn-peer16'tcp-testing-only4"test{4"host9"127.0.0.14"port5"22046}>`),
  ],
];

describe('ocapn-notes §1 vectors', () => {
  it.each(VECTORS)('encodes %s', (_name, value, bytes) => {
    expect(encode(value)).toEqual(bytes);
  });

  it.each(VECTORS)('decodes %s', (_name, value, bytes, decoded) => {
    const expected = decoded ?? value;
    const got = decode(bytes);
    expect(got).toStrictEqual(expected);
    expect(syrupEquals(got, value)).toBe(true);
    expect(encode(got)).toEqual(bytes);
  });

  it('writes −0 as +0 when folding for Endo', () => {
    expect(encode(new Float64(-0), { foldNegativeZero: true })).toEqual(fromHex('440000000000000000'));
    expect(encode(-0, { foldNegativeZero: true })).toEqual(fromHex('440000000000000000'));
    expect(encode([{ x: -0 }], { foldNegativeZero: true })).toEqual(
      new Uint8Array([...latin1('[{1"x'), ...fromHex('440000000000000000'), ...latin1('}]')]),
    );
  });

  it('decodes −0 and +0 as distinct Float64 values', () => {
    const neg = decode(fromHex('448000000000000000')) as Float64;
    const pos = decode(fromHex('440000000000000000')) as Float64;
    expect(Object.is(neg.value, -0)).toBe(true);
    expect(Object.is(pos.value, 0)).toBe(true);
  });

  it('sorts a 10-byte key before a 9-byte key', () => {
    const value = { abcdefghi: 1n, abcdefghij: 2n };
    expect(encode(value)).toEqual(latin1('{10"abcdefghij2+9"abcdefghi1+}'));
    expect(decode(latin1('{10"abcdefghij2+9"abcdefghi1+}'))).toStrictEqual(value);
  });

  it('decodes the tcp-testing peer into the record the wire layer reads', () => {
    const peer = decode(latin1(`<10'ocapn-peer16'tcp-testing-only4"test{4"host9"127.0.0.14"port5"22046}>`));
    expect(peer).toBeInstanceOf(SyrupRecord);
    const r = peer as SyrupRecord;
    expect(r.labelName).toBe('ocapn-peer');
    expect(r.fields[0]).toBeInstanceOf(Sym);
    expect(r.fields[2]).toStrictEqual({ host: '127.0.0.1', port: '22046' });
  });
});
