import { describe, expect, it } from 'vitest';
import { Encoder, decode, encode, syrupEquals } from '../../src/syrup/index.js';
import { Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged, record, sym } from '../../src/syrup/types.js';
import type { SyrupValue } from '../../src/syrup/types.js';
import { CapmeshError, isCapmeshError } from '../../src/util/errors.js';
import { fromHex, utf8Encode } from '../../src/util/bytes.js';
import { latin1 } from '../helpers/codes.js';

function text(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function unencodable(value: unknown): CapmeshError {
  try {
    encode(value as SyrupValue);
  } catch (e) {
    if (isCapmeshError(e, 'SYRUP_UNENCODABLE')) return e;
    throw e;
  }
  throw new Error('expected SYRUP_UNENCODABLE');
}

describe('encode numbers', () => {
  it('writes integral numbers as integers and the rest as floats', () => {
    expect(text(encode(7))).toBe('7+');
    expect(text(encode(-123456789))).toBe('123456789-');
    expect(text(encode(Number.MAX_SAFE_INTEGER))).toBe('9007199254740991+');
    expect(text(encode(1e21))).toBe('1000000000000000000000+');
    expect(text(encode(-(2 ** 60)))).toBe('1152921504606846976-');
    expect(encode(0.1)).toEqual(fromHex('443fb999999999999a'));
    expect(encode(-0)).toEqual(fromHex('448000000000000000'));
  });

  it('writes every NaN as the canonical bytes', () => {
    const other = new Float64Array(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0xff]).buffer)[0]!;
    expect(Number.isNaN(other)).toBe(true);
    expect(encode(other)).toEqual(fromHex('447ff8000000000000'));
    expect(encode(new Float64(Number.NaN))).toEqual(fromHex('447ff8000000000000'));
  });

  it('always writes Float64 as a float', () => {
    expect(encode(new Float64(1))).toEqual(fromHex('443ff0000000000000'));
    expect(encode(new Float64(1.5))).toEqual(fromHex('443ff8000000000000'));
  });

  it('writes bigints of every size', () => {
    for (const n of [0n, 1n, 9n, 10n, 99n, 100n, 2n ** 53n, -(2n ** 53n) - 1n, 10n ** 40n, -(10n ** 40n)]) {
      const expected = `${n < 0n ? -n : n}${n < 0n ? '-' : '+'}`;
      expect(text(encode(n))).toBe(expected);
    }
  });
});

describe('encode text', () => {
  it('counts UTF-8 bytes for strings and symbols, short and long', () => {
    for (const s of ['', 'a', 'é', '熊', '\u{1F600}', 'aé熊\u{1F600}', 'x'.repeat(3000) + 'é', 'é'.repeat(2000)]) {
      const bytes = utf8Encode(s);
      expect(encode(s)).toEqual(new Uint8Array([...latin1(`${bytes.length}"`), ...bytes]));
      expect(encode(new Sym(s))).toEqual(new Uint8Array([...latin1(`${bytes.length}'`), ...bytes]));
      expect(decode(encode(s))).toBe(s);
    }
  });

  it('refuses lone surrogates, short and long, in strings, symbols and keys', () => {
    for (const bad of ['\ud800', 'a\udc00', '\ud83d', 'é\ud800x', 'é'.repeat(2000) + '\udfff']) {
      expect(unencodable(bad).message).toMatch(/lone surrogate/);
      unencodable(new Sym(bad));
      unencodable({ [bad]: 1 });
      unencodable(new Tagged(bad, 1));
    }
  });
});

describe('encode canonical order', () => {
  it('sorts struct keys by encoded bytes whatever the insertion order', () => {
    expect(text(encode({ '10': 1, '9': 2, b: 3, aa: 4 }))).toBe('{1"92+1"b3+2"101+2"aa4+}');
  });

  it('sorts SyrupDict entries by encoded key and refuses keys that encode the same', () => {
    const d = new SyrupDict([
      [sym('b'), 1n],
      ['a', 2n],
      [1n, 3n],
    ]);
    expect(text(encode(d))).toBe('{1"a2+1\'b1+1+3+}');
    expect(unencodable(new SyrupDict([[2n, 1n], [2, 2n]])).message).toMatch(/duplicate dictionary key/);
  });

  it('sorts set items and refuses duplicates', () => {
    expect(text(encode(new SyrupSet(['b', 'a', 10n, 9n])))).toBe('#1"a1"b10+9+$');
    expect(unencodable(new SyrupSet([1n, 1])).message).toMatch(/duplicate set item/);
  });

  it('reorders nested unsorted dictionaries inside sorted ones', () => {
    const v = { a: [{ z: 1n, y: { d: 1n, c: 2n } }], b: new SyrupSet([3n, 2n]) };
    expect(text(encode(v))).toBe('{1"a[{1"y{1"c2+1"d1+}1"z1+}]1"b#2+3+$}');
  });
});

describe('encode special values and records', () => {
  it('writes undefined, null and Tagged as their records', () => {
    expect(text(encode([undefined, null]))).toBe("[<4'void><4'null>]");
    expect(text(encode(new Tagged('foo', [1n])))).toBe("<11'desc:tagged3'foo[1+]>");
  });

  it('writes records with any label', () => {
    expect(text(encode(new SyrupRecord('s', [])))).toBe('<1"s>');
    expect(text(encode(record('op:abort', 'bye')))).toBe("<8'op:abort3\"bye>");
  });

  it('encodes a plain object, a null-prototype object and an own "__proto__" key', () => {
    const nullProto = Object.create(null) as Record<string, SyrupValue>;
    nullProto.x = 1n;
    expect(text(encode(nullProto))).toBe('{1"x1+}');
    const withProto = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, SyrupValue>;
    expect(text(encode(withProto))).toBe('{1"a2+9"__proto__1+}');
    expect(text(encode({}))).toBe('{}');
  });
});

describe('encode refuses what Syrup cannot carry, naming the path', () => {
  it.each([
    ['a function', () => 1],
    ['a JS symbol', Symbol('s')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a class instance', new (class Point {})()],
    ['an Int8Array', new Int8Array(2)],
  ])('%s', (_name, value) => {
    expect(unencodable(value).message).toMatch(/is not a Syrup value/);
  });

  it('refuses model objects holding the wrong JS types', () => {
    expect(unencodable(new Sym(5 as unknown as string)).message).toMatch(/Sym name/);
    expect(unencodable(new Float64('1' as unknown as number)).message).toMatch(/Float64 value/);
    expect(unencodable(new Tagged(1 as unknown as string, 1n)).message).toMatch(/Tagged tag/);
  });

  it('names the path to the bad part', () => {
    const e = unencodable({ a: [1, { b: new SyrupRecord(sym('r'), [0, () => 0]) }] });
    expect(e.detail).toEqual({ path: '$.a[1].b<1>' });
  });

  it('ends a cycle at the depth limit instead of hanging', () => {
    const cycle: SyrupValue[] = [];
    cycle.push(cycle);
    const e = unencodable(cycle);
    expect(e.message).toMatch(/^cannot encode \$(\[0\]){8}…(\[0\]){4}: nesting deeper than 64/);
    expect(e.detail?.path).toBe('$' + '[0]'.repeat(64));
    const obj: Record<string, SyrupValue> = {};
    obj.self = obj;
    unencodable(obj);
  });

  it('honours maxDepth, counting undefined/null records as containers like the decoder', () => {
    expect(() => encode([[undefined]], { maxDepth: 3 })).not.toThrow();
    expect(() => encode([[undefined]], { maxDepth: 2 })).toThrow(CapmeshError);
  });
});

describe('Encoder', () => {
  it('writes values back to back and resets on finish', () => {
    const enc = new Encoder();
    enc.write(1n).write('a').writeRaw(latin1('t'));
    expect(enc.length).toBe(6);
    expect(text(enc.finish())).toBe('1+1"at');
    expect(enc.length).toBe(0);
  });

  it('leaves earlier output untouched when a write fails', () => {
    const enc = new Encoder();
    enc.write([1n]);
    expect(() => enc.write([2n, () => 0] as unknown as SyrupValue)).toThrow(CapmeshError);
    expect(text(enc.finish())).toBe('[1+]');
  });

  it('grows for large values', () => {
    const big = new Uint8Array(100_000).fill(7);
    const out = new Encoder().write([big, 'x'.repeat(5000)]).finish();
    expect(out.length).toBe(1 + 7 + 100_000 + 5 + 5000 + 1);
    expect(decode(out)).toStrictEqual([big, 'x'.repeat(5000)]);
  });

  it('encode is re-entrant (a getter that encodes while encoding)', () => {
    const tricky = {
      get a(): SyrupValue {
        return encode(['inner']);
      },
    };
    expect(decode(encode(tricky as unknown as SyrupValue))).toStrictEqual({ a: latin1('[5"inner]') });
  });
});

describe('syrupEquals', () => {
  it('compares by canonical meaning', () => {
    expect(syrupEquals(2, 2n)).toBe(true);
    expect(syrupEquals(Number.NaN, new Float64(Number.NaN))).toBe(true);
    expect(syrupEquals({ a: 1n, b: [2n] }, { b: [2], a: 1 })).toBe(true);
    expect(syrupEquals(new SyrupSet([1n, 2n]), new SyrupSet([2n, 1n]))).toBe(true);
    expect(syrupEquals(new SyrupRecord(sym('void'), []), undefined)).toBe(true);
    expect(syrupEquals(new Tagged('t', 1n), record('desc:tagged', sym('t'), 1n))).toBe(true);
    expect(syrupEquals(latin1('ab'), latin1('ab'))).toBe(true);
  });

  it('tells apart what encodes differently', () => {
    expect(syrupEquals(2, new Float64(2))).toBe(false);
    expect(syrupEquals(-0, 0)).toBe(false);
    expect(syrupEquals('a', sym('a'))).toBe(false);
    expect(syrupEquals('a', 'b')).toBe(false);
    expect(syrupEquals([1n], [1n, 2n])).toBe(false);
    expect(syrupEquals(latin1('ab'), 'ab')).toBe(false);
    expect(syrupEquals(null, undefined)).toBe(false);
  });
});
