import { describe, expect, it } from 'vitest';
import { randomBytes, randomSwiss } from '../../src/crypto/random.js';
import { isCapmeshError } from '../../src/util/errors.js';
import { toHex } from '../../src/util/bytes.js';

describe('randomness', () => {
  it('randomSwiss gives 32 bytes, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const swiss = randomSwiss();
      expect(swiss).toBeInstanceOf(Uint8Array);
      expect(swiss).toHaveLength(32);
      seen.add(toHex(swiss));
    }
    expect(seen.size).toBe(16);
  });

  it('randomBytes serves any length, including beyond one getRandomValues call', () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(7)).toHaveLength(7);
    const big = randomBytes(65_536 * 2 + 5);
    expect(big).toHaveLength(65_536 * 2 + 5);
    // Each 64 KiB chunk was filled: none of them is all zeros.
    for (const start of [0, 65_536, 131_072]) {
      expect(big.subarray(start, start + 64).some((b) => b !== 0)).toBe(true);
    }
  });

  it('rejects a negative or fractional length with INVALID_ARGUMENT', () => {
    for (const n of [-1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        randomBytes(n);
      } catch (e) {
        caught = e;
      }
      expect(isCapmeshError(caught, 'INVALID_ARGUMENT'), `n = ${n}`).toBe(true);
    }
  });
});
