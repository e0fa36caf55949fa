import { describe, expect, it } from 'vitest';
import { SyrupStreamReader, encode } from '../../src/syrup/index.js';
import { record, sym } from '../../src/syrup/types.js';
import { SyrupValueSplitter } from '../../src/syrup/stream.js';
import { resolveLimits } from '../../src/syrup/limits.js';
import type { SyrupValue } from '../../src/syrup/types.js';
import { concatBytes, toHex, utf8Encode } from '../../src/util/bytes.js';
import { CapmeshError, isCapmeshError } from '../../src/util/errors.js';
import { codeOf, latin1 } from '../helpers/codes.js';

const MESSAGES: SyrupValue[] = [
  record('op:start-session', '1.0', [sym('public-key')], record('ocapn-peer', sym('tcp-testing-only'), 'x', { port: '1' })),
  record('op:deliver', record('desc:export', 0n), [sym('fetch'), latin1('swiss')], 1n, false),
  7n,
  't',
  [],
  1.5,
  new Uint8Array(0),
];

describe('SyrupStreamReader', () => {
  const all = concatBytes(...MESSAGES.map((m) => encode(m)));

  it('reads values written back to back in one chunk', () => {
    expect(new SyrupStreamReader().push(all)).toStrictEqual(MESSAGES);
  });

  it('reads the same values when split at every single byte boundary', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const r = new SyrupStreamReader();
      const got = [...r.push(all.subarray(0, cut)), ...r.push(all.subarray(cut))];
      expect(got).toStrictEqual(MESSAGES);
      expect(r.buffered).toBe(0);
    }
  });

  it('reads byte by byte', () => {
    const r = new SyrupStreamReader();
    const got: SyrupValue[] = [];
    for (const b of all) got.push(...r.push(new Uint8Array([b])));
    expect(got).toStrictEqual(MESSAGES);
  });

  it('keeps the partial tail and does not alias the caller’s chunk', () => {
    const r = new SyrupStreamReader();
    const chunk = latin1('1+3:ab');
    expect(r.push(chunk)).toStrictEqual([1n]);
    expect(r.buffered).toBe(4);
    chunk.fill(0x78);
    const [bytes] = r.push(latin1('c'));
    expect(bytes).toEqual(latin1('abc'));
  });

  it('is linear for a large value arriving one byte at a time', () => {
    const big = encode(['y'.repeat(300_000), new Uint8Array(100_000)]);
    const r = new SyrupStreamReader();
    let got: SyrupValue[] = [];
    for (let i = 0; i < big.length; i++) {
      const out = r.push(big.subarray(i, i + 1));
      if (out.length > 0) got = out;
    }
    expect(got).toHaveLength(1);
    expect((got[0] as string[])[0]).toHaveLength(300_000);
  });

  it('end() accepts a clean boundary and refuses a partial value', () => {
    const r = new SyrupStreamReader();
    r.push(latin1('1+'));
    expect(() => r.end()).not.toThrow();
    r.push(latin1('[1+'));
    expect(codeOf(() => r.end())).toBe('SYRUP_TRUNCATED');
    expect(r.failed).toBe(true);
  });

  it.each([
    ['bad byte', '1+x', 'SYRUP_MALFORMED'],
    ['whitespace', '1+ ', 'SYRUP_NONCANONICAL'],
    ['leading zero', '01+', 'SYRUP_NONCANONICAL'],
    ['unsorted keys (found by the decoder)', '{1"b1+1"a1+}', 'SYRUP_NONCANONICAL'],
    ['mismatched closer', '[1+}', 'SYRUP_MALFORMED'],
    ['stray closer', ']', 'SYRUP_MALFORMED'],
    ['bad UTF-8', '1"\xff', 'SYRUP_MALFORMED'],
  ] as const)('fails on %s and stays poisoned', (_name, input, code) => {
    const r = new SyrupStreamReader();
    let first: unknown;
    try {
      r.push(latin1(input));
    } catch (e) {
      first = e;
    }
    expect(isCapmeshError(first, code)).toBe(true);
    let second: unknown;
    try {
      r.push(latin1('1+'));
    } catch (e) {
      second = e;
    }
    expect(second).toBe(first);
  });

  describe('limits, per value', () => {
    it('maxBytes bounds what one incomplete value may buffer', () => {
      const r = new SyrupStreamReader({ maxBytes: 10 });
      expect(r.push(latin1('[1+2+3+4+]'))).toStrictEqual([[1n, 2n, 3n, 4n]]);
      expect(r.push(latin1('[1+2+3+4+]'))).toHaveLength(1); // the limit is per value, not per stream
      expect(codeOf(() => r.push(latin1('[1+2+3+4+5+')))).toBe('SYRUP_LIMIT');
    });

    it('refuses a declared length over maxBytes before its payload arrives', () => {
      const r = new SyrupStreamReader({ maxBytes: 100 });
      expect(codeOf(() => r.push(latin1('200:')))).toBe('SYRUP_LIMIT');
    });

    it('refuses a declared length over maxStringBytes', () => {
      expect(codeOf(() => new SyrupStreamReader({ maxStringBytes: 3 }).push(latin1('4"')))).toBe('SYRUP_LIMIT');
    });

    it('maxDepth is checked while the value is still arriving', () => {
      const r = new SyrupStreamReader({ maxDepth: 2 });
      expect(r.push(latin1('[[]]'))).toHaveLength(1);
      expect(codeOf(() => r.push(latin1('[[[')))).toBe('SYRUP_LIMIT');
    });

    it('maxIntegerDigits is checked on an integer still arriving', () => {
      const r = new SyrupStreamReader({ maxIntegerDigits: 3 });
      expect(r.push(latin1('999+'))).toStrictEqual([999n]);
      expect(codeOf(() => r.push(latin1('1000+')))).toBe('SYRUP_LIMIT');
      expect(codeOf(() => new SyrupStreamReader({ maxIntegerDigits: 3 }).push(latin1('9'.repeat(40))))).toBe(
        'SYRUP_LIMIT',
      );
    });

    it('maxItems is enforced by the decoder once the value is complete', () => {
      expect(codeOf(() => new SyrupStreamReader({ maxItems: 2 }).push(latin1('[1+2+3+]')))).toBe('SYRUP_LIMIT');
    });
  });
});

describe('SyrupValueSplitter (the splitter under SyrupStreamReader and the tcp unframed mode)', () => {
  const limits = resolveLimits({ maxBytes: 1 << 20 });

  it('hands out each value as a view of exactly its bytes, across chunk boundaries', () => {
    const splitter = new SyrupValueSplitter(limits);
    const first = encode(['a', 1n]);
    const second = encode(new Uint8Array([1, 2, 3]));
    const stream = concatBytes(first, second);
    const seen: string[] = [];
    const each = (data: Uint8Array, start: number, end: number): void => void seen.push(toHex(data.subarray(start, end)));
    splitter.split(stream.subarray(0, first.length + 2), each);
    expect(seen).toEqual([toHex(first)]);
    expect(splitter.buffered).toBe(2);
    splitter.split(stream.subarray(first.length + 2), each);
    expect(seen).toEqual([toHex(first), toHex(second)]);
    expect(splitter.buffered).toBe(0);
    expect(() => splitter.end()).not.toThrow();
  });

  it('holds only what arrived for a declared length, not the declared length', () => {
    const splitter = new SyrupValueSplitter(limits);
    splitter.split(utf8Encode('900000:abc'), () => expect.unreachable());
    expect(splitter.buffered).toBe(10);
    expect(() => splitter.end()).toThrow(expect.objectContaining({ code: 'SYRUP_TRUNCATED' }));
  });

  it('an error thrown by the callback poisons the splitter', () => {
    const splitter = new SyrupValueSplitter(limits);
    const boom = new CapmeshError('PROTOCOL', 'caller refused the value');
    expect(() =>
      splitter.split(encode(1n), () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(splitter.failed).toBe(true);
    expect(() => splitter.split(encode(2n), () => {})).toThrow(boom);
  });
});
