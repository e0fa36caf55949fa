import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { designatorOf, publicKeyOfDesignator } from '../../src/crypto/designator.js';
import { generateKeyPair, keyPairFromSecret } from '../../src/crypto/keys.js';
import { fromHex } from '../../src/util/bytes.js';
import { isCapmeshError } from '../../src/util/errors.js';

const KEY_A_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
/** Python: base64.b32encode(bytes.fromhex(KEY_A_PUBLIC)).decode().lower().rstrip('='). */
const KEY_A_DESIGNATOR = '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkena';

function expectBadKey(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isCapmeshError(caught, 'CRYPTO_BAD_KEY')).toBe(true);
}

describe('designators', () => {
  it('is the lowercase unpadded base32 of the public key', () => {
    expect(designatorOf(fromHex(KEY_A_PUBLIC))).toBe(KEY_A_DESIGNATOR);
    expect(publicKeyOfDesignator(KEY_A_DESIGNATOR)).toEqual(fromHex(KEY_A_PUBLIC));
  });

  it('round-trips any 32-byte key in 52 characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const d = designatorOf(key);
        expect(d).toMatch(/^[a-z2-7]{52}$/);
        expect(publicKeyOfDesignator(d)).toEqual(key);
      }),
      { seed: 52, numRuns: 200 },
    );
    const pair = generateKeyPair();
    expect(publicKeyOfDesignator(designatorOf(pair.publicKey))).toEqual(pair.publicKey);
  });

  it('refuses keys that are not 32 bytes', () => {
    expectBadKey(() => designatorOf(new Uint8Array(31)));
    expectBadKey(() => designatorOf(keyPairFromSecret(new Uint8Array(32)).publicKey.subarray(1)));
  });

  it('refuses designators that are not strict base32 of 32 bytes', () => {
    expectBadKey(() => publicKeyOfDesignator(KEY_A_DESIGNATOR.toUpperCase()));
    expectBadKey(() => publicKeyOfDesignator(`${KEY_A_DESIGNATOR}====`));
    expectBadKey(() => publicKeyOfDesignator(KEY_A_DESIGNATOR.slice(0, 50))); // 31 bytes
    expectBadKey(() => publicKeyOfDesignator(`${KEY_A_DESIGNATOR}aa`)); // 33 bytes
    expectBadKey(() => publicKeyOfDesignator(`${KEY_A_DESIGNATOR.slice(0, 51)}b`)); // trailing bits
    expectBadKey(() => publicKeyOfDesignator('0000'));
    expectBadKey(() => publicKeyOfDesignator(''));
  });
});
