import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { publicKeyFromSyrup, publicKeyToSyrup, signatureFromSyrup, signatureToSyrup } from '../../src/crypto/forms.js';
import { record, sym, type SyrupValue } from '../../src/syrup/types.js';
import { codeOf } from '../helpers/codes.js';

const q = new Uint8Array(32).fill(7);
const r = new Uint8Array(32).fill(1);
const s = new Uint8Array(32).fill(2);

const keyForm = (ecc: SyrupValue[]): SyrupValue => [sym('public-key'), [sym('ecc'), ...ecc]];
const goodEcc = (): SyrupValue[] => [[sym('curve'), sym('Ed25519')], [sym('flags'), sym('eddsa')], [sym('q'), q]];
const sigForm = (parts: SyrupValue[]): SyrupValue => [sym('sig-val'), [sym('eddsa'), ...parts]];

describe('key and signature list forms', () => {
  it('round-trips keys and signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (key, sig) => {
        expect(publicKeyFromSyrup(publicKeyToSyrup(key))).toEqual(key);
        expect(signatureFromSyrup(signatureToSyrup(sig))).toEqual(sig);
      }),
      { seed: 96, numRuns: 100 },
    );
  });

  it('reads the hand-built well-formed shapes', () => {
    expect(publicKeyFromSyrup(keyForm(goodEcc()))).toEqual(q);
    const sig = signatureFromSyrup(sigForm([[sym('r'), r], [sym('s'), s]]));
    expect(sig.subarray(0, 32)).toEqual(r);
    expect(sig.subarray(32)).toEqual(s);
  });

  it('refuses wrong lengths when writing', () => {
    expect(codeOf(() => publicKeyToSyrup(new Uint8Array(33)))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => signatureToSyrup(new Uint8Array(63)))).toBe('CRYPTO_BAD_SIGNATURE');
  });

  const badKeys: [string, SyrupValue][] = [
    ['a record instead of a list', record('public-key', [sym('ecc'), ...goodEcc()])],
    ['a string head', ['public-key', [sym('ecc'), ...goodEcc()]]],
    ['a wrong head', [sym('private-key'), [sym('ecc'), ...goodEcc()]]],
    ['an extra (s …) element', keyForm([...goodEcc(), [sym('s'), q]])],
    ['a missing flags element', keyForm([goodEcc()[0]!, goodEcc()[2]!])],
    ['another curve', keyForm([[sym('curve'), sym('Ed448')], goodEcc()[1]!, goodEcc()[2]!])],
    ['a string curve name', keyForm([[sym('curve'), 'Ed25519'], goodEcc()[1]!, goodEcc()[2]!])],
    ['other flags', keyForm([goodEcc()[0]!, [sym('flags'), sym('rfc6979')], goodEcc()[2]!])],
    ['a 31-byte q', keyForm([goodEcc()[0]!, goodEcc()[1]!, [sym('q'), new Uint8Array(31)]])],
    ['a string q', keyForm([goodEcc()[0]!, goodEcc()[1]!, [sym('q'), 'x'.repeat(32)]])],
    ['reordered elements', keyForm([goodEcc()[1]!, goodEcc()[0]!, goodEcc()[2]!])],
    ['bare bytes', q],
    ['null', null],
  ];
  it.each(badKeys)('rejects a key form with %s as CRYPTO_BAD_KEY', (_name, form) => {
    expect(codeOf(() => publicKeyFromSyrup(form))).toBe('CRYPTO_BAD_KEY');
  });

  const badSigs: [string, SyrupValue][] = [
    ['a record', record('sig-val', [sym('eddsa'), [sym('r'), r], [sym('s'), s]])],
    ['a wrong head', [sym('sig'), [sym('eddsa'), [sym('r'), r], [sym('s'), s]]]],
    ['another scheme', [sym('sig-val'), [sym('ecdsa'), [sym('r'), r], [sym('s'), s]]]],
    ['s before r', sigForm([[sym('s'), s], [sym('r'), r]])],
    ['a short r', sigForm([[sym('r'), r.subarray(1)], [sym('s'), s]])],
    ['a long s', sigForm([[sym('r'), r], [sym('s'), new Uint8Array(33)]])],
    ['a missing s', sigForm([[sym('r'), r]])],
    ['an extra element', sigForm([[sym('r'), r], [sym('s'), s], [sym('s'), s]])],
    ['bare bytes', new Uint8Array(64)],
  ];
  it.each(badSigs)('rejects a signature form with %s as CRYPTO_BAD_SIGNATURE', (_name, form) => {
    expect(codeOf(() => signatureFromSyrup(form))).toBe('CRYPTO_BAD_SIGNATURE');
  });
});
