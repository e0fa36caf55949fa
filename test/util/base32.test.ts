import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base32Decode, base32Encode } from '../../src/util/base32.js';
import { isCapmeshError } from '../../src/util/errors.js';
import { asciiBytes } from '../../src/util/bytes.js';

/** RFC 4648 §10 vectors, lowercased and without padding. */
const RFC_VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'my'],
  ['fo', 'mzxq'],
  ['foo', 'mzxw6'],
  ['foob', 'mzxw6yq'],
  ['fooba', 'mzxw6ytb'],
  ['foobar', 'mzxw6ytboi'],
];

function expectMalformed(text: string, position?: number): void {
  let caught: unknown;
  try {
    base32Decode(text);
  } catch (e) {
    caught = e;
  }
  expect(isCapmeshError(caught, 'INVALID_ARGUMENT'), `expected INVALID_ARGUMENT for ${JSON.stringify(text)}`).toBe(true);
  if (position !== undefined) expect((caught as { detail: { position: number } }).detail.position).toBe(position);
}

describe('base32', () => {
  it.each(RFC_VECTORS)('encodes the RFC 4648 vector %j as %j', (plain, encoded) => {
    expect(base32Encode(asciiBytes(plain))).toBe(encoded);
    expect(base32Decode(encoded)).toEqual(asciiBytes(plain));
  });

  it('uses the whole alphabet in order', () => {
    // 20 bytes whose 5-bit groups are 0, 1, …, 31.
    let bits = '';
    for (let i = 0; i < 32; i++) bits += i.toString(2).padStart(5, '0');
    const bytes = new Uint8Array(20);
    for (let i = 0; i < 20; i++) bytes[i] = Number.parseInt(bits.slice(8 * i, 8 * i + 8), 2);
    expect(base32Encode(bytes)).toBe('abcdefghijklmnopqrstuvwxyz234567');
    expect(base32Decode('abcdefghijklmnopqrstuvwxyz234567')).toEqual(bytes);
  });

  it('round-trips arbitrary bytes, and the text is lowercase, unpadded, of the right length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = base32Encode(bytes);
        expect(text).toMatch(/^[a-z2-7]*$/);
        expect(text.length).toBe(Math.ceil((bytes.length * 8) / 5));
        expect(base32Decode(text)).toEqual(bytes);
      }),
      { seed: 0x32, numRuns: 500 },
    );
  });

  it('rejects uppercase (one key, one designator)', () => {
    expectMalformed('MZXW6', 0);
    expectMalformed('mzXw6', 2);
  });

  it('rejects padding, whitespace, digits outside 2–7 and non-ASCII', () => {
    expectMalformed('my======', 2);
    expectMalformed('mzxw6===');
    expectMalformed('mz xq', 2);
    expectMalformed('mzx1', 3);
    expectMalformed('mzx8', 3);
    expectMalformed('mzxé', 3);
  });

  it('rejects lengths no byte count encodes to', () => {
    expectMalformed('m'); // 1 mod 8
    expectMalformed('mzx'); // 3 mod 8
    expectMalformed('mzxw6y'); // 6 mod 8
    expectMalformed('mzxw6ytbo'); // 9 ≡ 1 mod 8
  });

  it('rejects non-zero trailing bits', () => {
    // 'my' is 'f'; 'mz' sets one of the two unused bits.
    expect(base32Decode('my')).toEqual(asciiBytes('f'));
    expectMalformed('mz', 1);
    expectMalformed('mzxr', 3);
  });

  it('rejects a non-string', () => {
    expectMalformed(42 as unknown as string);
  });

  it('rejects every single-character corruption of a valid text that changes its validity class', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, at, code) => {
        const text = base32Encode(bytes);
        const i = at % text.length;
        const ch = String.fromCharCode(code);
        const mutated = text.slice(0, i) + ch + text.slice(i + 1);
        if (/^[a-z2-7]$/.test(ch)) {
          // Still in the alphabet: decodes, or fails only for trailing bits in the last character.
          try {
            expect(base32Encode(base32Decode(mutated))).toBe(mutated);
          } catch (e) {
            expect(isCapmeshError(e, 'INVALID_ARGUMENT')).toBe(true);
            expect(i).toBe(text.length - 1);
          }
        } else {
          expect(() => base32Decode(mutated)).toThrow(/malformed base32/);
        }
      }),
      { seed: 0x3232, numRuns: 500 },
    );
  });
});
