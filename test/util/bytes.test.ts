import { describe, expect, it } from 'vitest';
import { compareBytes, concatBytes, equalBytes, fromHex, toHex, utf8Decode, utf8Encode } from '../../src/util/bytes.js';

describe('bytes helpers', () => {
  it('utf8Decode keeps a leading U+FEFF (it is content)', () => {
    expect(utf8Decode(utf8Encode('\uFEFFhi'))).toBe('\uFEFFhi');
  });
  it('utf8Decode refuses malformed UTF-8', () => {
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(TypeError);
  });
  it('compares bytes unsigned, prefix first', () => {
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0);
    expect(compareBytes(new Uint8Array([0xff]), new Uint8Array([0x01]))).toBeGreaterThan(0);
    expect(equalBytes(concatBytes(new Uint8Array([1]), new Uint8Array([2])), new Uint8Array([1, 2]))).toBe(true);
  });
  it('hex round trips and refuses bad digits', () => {
    expect(toHex(fromHex('00ff7a'))).toBe('00ff7a');
    expect(() => fromHex('0g')).toThrow(TypeError);
    expect(() => fromHex('abc')).toThrow(TypeError);
  });
});
