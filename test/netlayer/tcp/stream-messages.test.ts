import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMessageReader, frameMessage } from '../../../src/netlayer/tcp/stream-messages.js';
import { encode } from '../../../src/syrup/encode.js';
import { record, sym } from '../../../src/syrup/types.js';
import { concatBytes, toHex, utf8Encode } from '../../../src/util/bytes.js';
import { isCapmeshError } from '../../../src/util/errors.js';
import { SEED, syrupValue } from '../../syrup/arbitraries.js';

const limits = { maxMessageBytes: 1 << 20 };

/** Feeds `stream` cut at `cuts` (sorted offsets) and returns every message, as hex. */
function feed(framing: 'none' | 'syrup', stream: Uint8Array, cuts: number[]): string[] {
  const reader = createMessageReader(framing, limits);
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    for (const m of reader.push(stream.subarray(from, cut))) out.push(toHex(m));
    from = cut;
  }
  expect(reader.buffered).toBe(0);
  return out;
}

describe('stream message readers', () => {
  it('none: finds the boundaries of back-to-back values however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(syrupValue(3), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (values, rawCuts) => {
          const messages = values.map((v) => encode(v));
          const stream = concatBytes(...messages);
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          expect(feed('none', stream, cuts)).toEqual(messages.map(toHex));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('syrup: reads length-prefixed frames however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (payloads, rawCuts) => {
          const stream = concatBytes(...payloads.map((p) => frameMessage('syrup', p)));
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          expect(feed('syrup', stream, cuts)).toEqual(payloads.map(toHex));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('none: a message arriving one byte at a time comes out once, whole', () => {
    const msg = encode(record('op:deliver', record('desc:export', 3n), [sym('x'), new Uint8Array(5000)], false, false));
    const cuts = Array.from({ length: msg.length - 1 }, (_, i) => i + 1);
    expect(feed('none', msg, cuts)).toEqual([toHex(msg)]);
  });

  it('frameMessage writes <len>: then the payload for syrup, the bytes alone for none', () => {
    expect(toHex(frameMessage('syrup', utf8Encode('abc')))).toBe(toHex(utf8Encode('3:abc')));
    const raw = utf8Encode('t');
    expect(frameMessage('none', raw)).toBe(raw);
  });

  it.each([
    ['none', 'garbage', 'SYRUP_MALFORMED'],
    ['none', ' <3\'abc>', 'SYRUP_NONCANONICAL'],
    ['none', ']', 'SYRUP_MALFORMED'],
    ['syrup', 'x3:abc', 'SYRUP_MALFORMED'],
    ['syrup', '03:abc', 'SYRUP_MALFORMED'],
  ] as const)('%s: %j is refused with %s, and the reader stays failed', (framing, input, code) => {
    const reader = createMessageReader(framing, limits);
    expect(() => reader.push(utf8Encode(input))).toThrowError(expect.objectContaining({ code }));
    let again: unknown;
    try {
      reader.push(utf8Encode('t'));
    } catch (e) {
      again = e;
    }
    expect(isCapmeshError(again, code)).toBe(true);
  });

  it.each(['none', 'syrup'] as const)('%s: a message over maxMessageBytes is refused before it is buffered', (framing) => {
    const reader = createMessageReader(framing, { maxMessageBytes: 100 });
    const header = framing === 'syrup' ? '1000000:' : '<1000000:';
    expect(() => reader.push(utf8Encode(header))).toThrowError(expect.objectContaining({ code: 'SYRUP_LIMIT' }));
    expect(reader.buffered).toBeLessThan(100);
  });

  it('none: deep nesting over the limit is refused', () => {
    const reader = createMessageReader('none', { maxMessageBytes: 1 << 20, limits: { maxDepth: 8 } });
    expect(() => reader.push(utf8Encode('['.repeat(9)))).toThrowError(expect.objectContaining({ code: 'SYRUP_LIMIT' }));
  });

  it('refuses an unknown framing', () => {
    expect(() => createMessageReader('lines' as 'none', limits)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
