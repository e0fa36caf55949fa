import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME_BYTES, FrameReader, frame } from '../../src/syrup/index.js';
import { concatBytes } from '../../src/util/bytes.js';
import { isCapmeshError } from '../../src/util/errors.js';
import { codeOf, latin1 } from '../helpers/codes.js';

describe('frame', () => {
  it('writes <len>: then the payload, with no trailing comma', () => {
    expect(frame(latin1('1+'))).toEqual(latin1('2:1+'));
    expect(frame(new Uint8Array(0))).toEqual(latin1('0:'));
    const big = new Uint8Array(1234).fill(1);
    expect(frame(big).subarray(0, 5)).toEqual(latin1('1234:'));
    expect(frame(big).length).toBe(1239);
  });
});

describe('FrameReader', () => {
  const payloads = [latin1("<8'op:abort3\"bye>"), new Uint8Array(0), new Uint8Array(300).fill(9), latin1('t')];
  const stream = concatBytes(...payloads.map(frame));

  it('splits frames from one chunk', () => {
    expect(new FrameReader().push(stream)).toEqual(payloads);
  });

  it('gives the same frames for a split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new FrameReader();
      expect([...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))]).toEqual(payloads);
      expect(r.buffered).toBe(0);
    }
  });

  it('gives payloads the caller owns, never views of the chunk', () => {
    const chunk = frame(latin1('abc'));
    const [out] = new FrameReader().push(chunk);
    chunk.fill(0);
    expect(out).toEqual(latin1('abc'));
  });

  it('copies out of a Node Buffer chunk as well', () => {
    const chunk = Buffer.from('3:abc', 'latin1');
    const [out] = new FrameReader().push(chunk);
    chunk.fill(0);
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    expect(out).toEqual(latin1('abc'));
  });

  it('refuses an oversize frame by its declared length, before buffering it', () => {
    const r = new FrameReader({ maxFrameBytes: 100 });
    expect(r.push(frame(new Uint8Array(100)))).toHaveLength(1);
    expect(codeOf(() => r.push(latin1('101')))).toBe('SYRUP_LIMIT');
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(16 * 1024 * 1024);
    expect(codeOf(() => new FrameReader().push(latin1('16777217:')))).toBe('SYRUP_LIMIT');
    expect(new FrameReader().push(latin1('16777216'))).toEqual([]);
  });

  it.each([
    ['a leading zero', '01:a'],
    ['a double zero', '00:'],
    ['no digits', ':'],
    ['a letter in the header', '1a:'],
    ['a trailing comma after a frame', '1:a,'],
    ['whitespace', ' 1:a'],
    ['a Syrup string header', '1"a'],
  ])('refuses %s as SYRUP_MALFORMED and stays poisoned', (_name, input) => {
    const r = new FrameReader();
    let first: unknown;
    try {
      r.push(latin1(input));
    } catch (e) {
      first = e;
    }
    expect(isCapmeshError(first, 'SYRUP_MALFORMED')).toBe(true);
    expect(() => r.push(latin1('1:a'))).toThrow(first as Error);
  });

  it('does not allocate a declared length before its bytes arrive: 20 readers declaring 16 MiB hold kilobytes', () => {
    const before = process.memoryUsage().arrayBuffers;
    const readers = Array.from({ length: 20 }, () => new FrameReader());
    for (const r of readers) expect(r.push(latin1('16777216:abc'))).toEqual([]);
    const grown = process.memoryUsage().arrayBuffers - before;
    // Allocating the declared length would hold 20 × 16 MiB = 320 MiB here.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(readers.map((r) => r.buffered)).toEqual(Array(20).fill(3));
  });

  it('collects a frame sent a few bytes at a time into exactly its payload', () => {
    const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
    const r = new FrameReader();
    const framed = frame(payload);
    const got: Uint8Array[] = [];
    for (let i = 0; i < framed.length; i += 7) got.push(...r.push(framed.subarray(i, i + 7)));
    expect(got).toHaveLength(1);
    expect(got[0]!.length).toBe(5000);
    expect(got[0]).toEqual(payload);
    expect(r.buffered).toBe(0);
  });

  it('end() refuses a partial frame', () => {
    const r = new FrameReader();
    r.push(latin1('3:ab'));
    expect(codeOf(() => r.end())).toBe('SYRUP_TRUNCATED');
    const clean = new FrameReader();
    clean.push(latin1('1:a'));
    expect(codeOf(() => clean.end())).toBe('no error');
  });
});
