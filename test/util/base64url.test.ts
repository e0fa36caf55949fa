import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64urlDecode, base64urlEncode } from '../../src/util/base64url.js';
import { isCapmeshError } from '../../src/util/errors.js';
import { asciiBytes } from '../../src/util/bytes.js';

/** RFC 4648 §10 vectors: [plain, unpadded, padded]. */
const RFC_VECTORS: [string, string, string][] = [
  ['', '', ''],
  ['f', 'Zg', 'Zg=='],
  ['fo', 'Zm8', 'Zm8='],
  ['foo', 'Zm9v', 'Zm9v'],
  ['foob', 'Zm9vYg', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy', 'Zm9vYmFy'],
];

function expectMalformed(text: string): void {
  let caught: unknown;
  try {
    base64urlDecode(text);
  } catch (e) {
    caught = e;
  }
  expect(isCapmeshError(caught, 'INVALID_ARGUMENT'), `expected INVALID_ARGUMENT for ${JSON.stringify(text)}`).toBe(true);
  expect((caught as { detail: { encoding: string } }).detail.encoding).toBe('base64url');
}

describe('base64url', () => {
  it.each(RFC_VECTORS)('RFC 4648 vector %j: encodes unpadded, decodes both forms', (plain, unpadded, padded) => {
    expect(base64urlEncode(asciiBytes(plain))).toBe(unpadded);
    expect(base64urlDecode(unpadded)).toEqual(asciiBytes(plain));
    expect(base64urlDecode(padded)).toEqual(asciiBytes(plain));
  });

  it('uses - and _ where standard base64 has + and /', () => {
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64urlDecode('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64urlEncode(new Uint8Array([0xff, 0xff, 0xff]))).toBe('____');
  });

  it('agrees with Node’s base64url and round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = base64urlEncode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(text).not.toContain('=');
        expect(base64urlDecode(text)).toEqual(bytes);
        const padded = text + '='.repeat((4 - (text.length % 4)) % 4);
        expect(base64urlDecode(padded)).toEqual(bytes);
      }),
      { seed: 0x64, numRuns: 500 },
    );
  });

  it('round-trips a 32-byte swiss number in 43 characters', () => {
    const swiss = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const text = base64urlEncode(swiss);
    expect(text).toHaveLength(43);
    expect(base64urlDecode(text)).toEqual(swiss);
  });

  it('rejects the standard alphabet’s + and /, whitespace and non-ASCII', () => {
    expectMalformed('+_8');
    expectMalformed('-/8');
    expectMalformed('Zm9v Yg');
    expectMalformed('Zm9vé');
  });

  it('rejects bad padding', () => {
    expectMalformed('Zg='); // padded but not a multiple of 4
    expectMalformed('Zm9v===='); // padding standing for a whole group
    expectMalformed('Zm9vY==='); // three pad characters
    expectMalformed('====');
    expectMalformed('Zm=v'); // padding in the middle
    expectMalformed('Zg==Zg==');
  });

  it('rejects an impossible length and non-zero trailing bits', () => {
    expectMalformed('Z');
    expectMalformed('Zm9vY');
    expectMalformed('Zh'); // 'Zg' is 'f'; 'Zh' sets an unused bit
    expectMalformed('Zm9');
    expect(base64urlDecode('Zm8')).toEqual(asciiBytes('fo'));
  });

  it('rejects a non-string', () => {
    expectMalformed(null as unknown as string);
  });
});
