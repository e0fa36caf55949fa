import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  keyPairFromSecret,
  publicIdOf,
  publicKeyFromSyrup,
  publicKeyToSyrup,
  sessionIdOf,
  signatureFromSyrup,
  signatureToSyrup,
  signLocation,
  verifyLocation,
  myLocationRecord,
} from '../../src/crypto/index.js';
import { encode } from '../../src/syrup/index.js';
import { record, sym } from '../../src/syrup/types.js';
import { asciiBytes, concatBytes, fromHex, toHex } from '../../src/util/bytes.js';

/**
 * The deterministic vectors of reference/ocapn-notes.md §3 (RFC 8032 test keys;
 * values cross-checked there against Python `cryptography` and Endo).
 */
const A = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  publicId: '1759110845e57d2058d531c139077e9cac59b03f118a42f7e83dd2259ec3038c',
};
const B = {
  secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  publicId: '12ce5287a57bb3ab1aded4cff62fc2cbb0a329181d0e21c720b318a63674c07e',
};
const KEY_A_SYRUP =
  '5b3130277075626c69632d6b65795b33276563635b352763757276653727456432353531395d5b3527666c616773352765646473615d5b31277133323a' +
  A.public +
  '5d5d5d';
const SESSION_AB = '57a5b2c5ee611789dc4abbeefbf52443055a397d98aa7cc43bb2e5c7f4c492c7';
const LOCATION_SIG_R = 'acc48558f63ed77178b62eff7f20afb01f46fbcd1c4c2d9a10dbe4dd504cdd98';
const LOCATION_SIG_S = 'd5f508f1568b3654966c80c73a4939c630e64c8bd883ff04a746d2bd5098ce0c';
const MY_LOCATION_TEXT = `<11'my-location<10'ocapn-peer16'tcp-testing-only4"test{4"host9"127.0.0.14"port5"22046}>>`;

const location = record('ocapn-peer', sym('tcp-testing-only'), 'test', { host: '127.0.0.1', port: '22046' });

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

describe('OCapN §3 deterministic vectors', () => {
  const keyA = keyPairFromSecret(fromHex(A.secret));
  const keyB = keyPairFromSecret(fromHex(B.secret));

  it('key A: public key, and its 96-byte Syrup key list', () => {
    expect(toHex(keyA.publicKey)).toBe(A.public);
    const bytes = encode(publicKeyToSyrup(keyA.publicKey));
    expect(bytes).toHaveLength(96);
    expect(toHex(bytes)).toBe(KEY_A_SYRUP);
    expect(publicKeyFromSyrup(publicKeyToSyrup(keyA.publicKey))).toEqual(keyA.publicKey);
  });

  it('Public IDs of keys A and B', () => {
    expect(toHex(publicIdOf(keyA.publicKey))).toBe(A.publicId);
    expect(toHex(publicIdOf(keyB.publicKey))).toBe(B.publicId);
    // Independently: SHA-256 twice (node:crypto) over the literal key bytes.
    expect(toHex(sha256(sha256(fromHex(KEY_A_SYRUP))))).toBe(A.publicId);
  });

  it('Session ID of (A, B), in either order', () => {
    const idA = fromHex(A.publicId);
    const idB = fromHex(B.publicId);
    expect(toHex(sessionIdOf(idA, idB))).toBe(SESSION_AB);
    expect(toHex(sessionIdOf(idB, idA))).toBe(SESSION_AB);
    // B's ID is the smaller, so it comes first after "prot0".
    expect(toHex(sha256(sha256(concatBytes(asciiBytes('prot0'), idB, idA))))).toBe(SESSION_AB);
  });

  it('the my-location record encodes to the literal bytes', () => {
    expect(encode(record('my-location', location))).toEqual(asciiBytes(MY_LOCATION_TEXT));
    expect(encode(myLocationRecord(location))).toEqual(asciiBytes(MY_LOCATION_TEXT));
  });

  it("key A's location signature: r and s byte for byte, and it verifies", () => {
    const sig = signLocation(keyA.secretKey, location);
    expect(toHex(sig.subarray(0, 32))).toBe(LOCATION_SIG_R);
    expect(toHex(sig.subarray(32))).toBe(LOCATION_SIG_S);
    expect(verifyLocation(keyA.publicKey, location, sig)).toBe(true);
    expect(verifyLocation(keyB.publicKey, location, sig)).toBe(false);
  });

  it('the location signature as a sig-val list encodes as on the wire and reads back', () => {
    const sig = fromHex(LOCATION_SIG_R + LOCATION_SIG_S);
    const bytes = encode(signatureToSyrup(sig));
    const expected = concatBytes(
      asciiBytes(`[7'sig-val[5'eddsa[1'r32:`),
      fromHex(LOCATION_SIG_R),
      asciiBytes(`][1's32:`),
      fromHex(LOCATION_SIG_S),
      asciiBytes(']]]'),
    );
    expect(bytes).toEqual(expected);
    expect(signatureFromSyrup(signatureToSyrup(sig))).toEqual(sig);
  });
});
