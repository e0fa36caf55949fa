import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkSigEnvelope,
  keyPairFromSecret,
  makeSigEnvelope,
  openSigEnvelope,
  publicIdOf,
  publicKeyFromSyrup,
  publicKeyToSyrup,
  sessionIdOf,
  signatureToSyrup,
  signLocation,
  signSyrup,
  verifyLocation,
  verifySyrup,
} from '../../src/crypto/index.js';
import { decode, encode } from '../../src/syrup/index.js';
import { isRecord, record, sym, type SyrupRecord, type SyrupValue } from '../../src/syrup/types.js';
import { equalBytes, fromHex } from '../../src/util/bytes.js';
import { codeOf } from '../helpers/codes.js';

/** Deterministic key pairs from a byte fill. */
const keyOf = (fill: number) => keyPairFromSecret(new Uint8Array(32).fill(fill));
const peer = (designator: string, port: string): SyrupRecord =>
  record('ocapn-peer', sym('tcp-testing-only'), designator, { host: '127.0.0.1', port });

describe('signatures over Syrup values', () => {
  const alice = keyOf(1);
  const bob = keyOf(2);

  it('signSyrup signs exactly the canonical encoding', () => {
    const value = record('thing', 1n, 'two', new Uint8Array([3]), [sym('four')]);
    const sig = signSyrup(alice.secretKey, value);
    expect(verifySyrup(alice.publicKey, value, sig)).toBe(true);
    // A value that encodes identically (a number for the integer) verifies too.
    expect(verifySyrup(alice.publicKey, record('thing', 1, 'two', new Uint8Array([3]), [sym('four')]), sig)).toBe(true);
    expect(verifySyrup(alice.publicKey, record('thing', 2n, 'two', new Uint8Array([3]), [sym('four')]), sig)).toBe(false);
    expect(verifySyrup(alice.publicKey, record('thing', 1n, 'two', new Uint8Array([3]), ['four']), sig)).toBe(false);
    expect(verifySyrup(bob.publicKey, value, sig)).toBe(false);
  });

  it('round-trips arbitrary string lists and rejects any other list', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.string(), (items, extra) => {
        const sig = signSyrup(alice.secretKey, items);
        expect(verifySyrup(alice.publicKey, items, sig)).toBe(true);
        expect(verifySyrup(alice.publicKey, [...items, extra], sig)).toBe(false);
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('location signatures: the right location verifies, any other does not', () => {
    const here = peer('alice', '22046');
    const sig = signLocation(alice.secretKey, here);
    expect(verifyLocation(alice.publicKey, here, sig)).toBe(true);
    expect(verifyLocation(alice.publicKey, peer('alice', '22047'), sig)).toBe(false);
    expect(verifyLocation(alice.publicKey, peer('mallory', '22046'), sig)).toBe(false);
    expect(verifyLocation(bob.publicKey, here, sig)).toBe(false);
    const tampered = Uint8Array.from(sig);
    tampered[10]! ^= 0x40;
    expect(verifyLocation(alice.publicKey, here, tampered)).toBe(false);
  });

  it('the my-location wrapper separates contexts: a bare signature over the peer record is not a location signature', () => {
    const here = peer('alice', '22046');
    const bare = signSyrup(alice.secretKey, here);
    expect(verifyLocation(alice.publicKey, here, bare)).toBe(false);
    expect(verifySyrup(alice.publicKey, record('my-location', here), signLocation(alice.secretKey, here))).toBe(true);
  });
});

describe('desc:sig-envelope', () => {
  const alice = keyOf(1);
  const bob = keyOf(2);
  const statement = record('init:peer-auth', new Uint8Array(32).fill(0xab));

  it('makes <desc:sig-envelope signed [sig-val …]> and opens it again', () => {
    const envelope = makeSigEnvelope(alice.secretKey, statement);
    expect(isRecord(envelope, 'desc:sig-envelope', 2)).toBe(true);
    expect(envelope.fields[0]).toBe(statement);
    const sig = signSyrup(alice.secretKey, statement);
    expect(encode(envelope.fields[1]!)).toEqual(encode(signatureToSyrup(sig)));
    const opened = openSigEnvelope(envelope);
    expect(opened.signed).toBe(statement);
    expect(opened.signature).toEqual(sig);
    expect(verifySyrup(alice.publicKey, opened.signed, opened.signature)).toBe(true);
  });

  it('survives the wire: encode, decode, then open and check', () => {
    const envelope = makeSigEnvelope(alice.secretKey, record('desc:handoff-give', { a: 'b' }, 5n, new Uint8Array(3)));
    const received = decode(encode(envelope));
    const signed = checkSigEnvelope(alice.publicKey, received);
    expect(signed).toBeDefined();
    expect(encode(signed!)).toEqual(encode(envelope.fields[0]!));
    expect(checkSigEnvelope(bob.publicKey, received)).toBeUndefined();
  });

  it('checkSigEnvelope returns the signed value only for the signer’s key', () => {
    const envelope = makeSigEnvelope(alice.secretKey, statement);
    expect(checkSigEnvelope(alice.publicKey, envelope)).toBe(statement);
    expect(checkSigEnvelope(bob.publicKey, envelope)).toBeUndefined();
    const swapped = record('desc:sig-envelope', record('init:peer-auth', new Uint8Array(32)), envelope.fields[1]!);
    expect(checkSigEnvelope(alice.publicKey, swapped)).toBeUndefined();
  });

  it('rejects values that are not envelopes (WIRE_MALFORMED) and bad sig-val forms (CRYPTO_BAD_SIGNATURE)', () => {
    const sigForm = makeSigEnvelope(alice.secretKey, statement).fields[1]!;
    const notEnvelopes: SyrupValue[] = [
      statement,
      [sym('desc:sig-envelope'), statement, sigForm],
      record('desc:sig-envelop', statement, sigForm),
      record('desc:sig-envelope', statement),
      record('desc:sig-envelope', statement, sigForm, sigForm),
      record('desc:sig-envelope', statement, sigForm).fields[1]!,
      null,
      'desc:sig-envelope',
    ];
    for (const value of notEnvelopes) {
      expect(codeOf(() => openSigEnvelope(value))).toBe('WIRE_MALFORMED');
      expect(codeOf(() => checkSigEnvelope(alice.publicKey, value))).toBe('WIRE_MALFORMED');
    }
    expect(codeOf(() => openSigEnvelope(record('desc:sig-envelope', statement, new Uint8Array(64))))).toBe(
      'CRYPTO_BAD_SIGNATURE',
    );
    expect(codeOf(() => openSigEnvelope(record('desc:sig-envelope', statement, publicKeyToSyrup(alice.publicKey))))).toBe(
      'CRYPTO_BAD_SIGNATURE',
    );
  });
});

describe('a third-party handoff, signed as notes §5 describes', () => {
  // Session keys: G–E (gifter's and exporter's), R's in G–R, E–R (exporter's and receiver's).
  const gInGE = keyOf(11);
  const eInGE = keyOf(12);
  const rInGR = keyOf(22);
  const rInER = keyOf(31);
  const eInER = keyOf(32);
  const sessionGE = sessionIdOf(publicIdOf(gInGE.publicKey), publicIdOf(eInGE.publicKey));
  const sessionER = sessionIdOf(publicIdOf(eInER.publicKey), publicIdOf(rInER.publicKey));
  const giftId = fromHex('00'.repeat(31) + '2a');

  const give = record(
    'desc:handoff-give',
    publicKeyToSyrup(rInGR.publicKey),
    peer('exporter', '1234'),
    sessionGE,
    publicIdOf(gInGE.publicKey),
    giftId,
  );
  const signedGive = makeSigEnvelope(gInGE.secretKey, give);
  const receive = (count: bigint, sessionId = sessionER) =>
    record('desc:handoff-receive', sessionId, publicIdOf(rInER.publicKey), count, signedGive);

  /** E's checks b–d (the parts that are cryptography). */
  function exporterAccepts(envelope: SyrupValue): boolean {
    const { signed: rec, signature } = openSigEnvelope(envelope);
    if (!isRecord(rec, 'desc:handoff-receive', 4)) return false;
    const giveEnvelope = checkSigEnvelope(gInGE.publicKey, rec.fields[3]!);
    if (!isRecord(giveEnvelope, 'desc:handoff-give', 5)) return false;
    const receiverKey = publicKeyFromSyrup(giveEnvelope.fields[0]!);
    if (!verifySyrup(receiverKey, rec, signature)) return false;
    const sessionField = rec.fields[0];
    return sessionField instanceof Uint8Array && equalBytes(sessionField, sessionER);
  }

  it('E accepts a receive signed with R’s G–R key over a give signed with G’s G–E key', () => {
    expect(exporterAccepts(makeSigEnvelope(rInGR.secretKey, receive(0n)))).toBe(true);
  });

  it('E refuses a receive signed with R’s E–R key (the wrong key), a changed count, or another session', () => {
    expect(exporterAccepts(makeSigEnvelope(rInER.secretKey, receive(0n)))).toBe(false);
    const good = makeSigEnvelope(rInGR.secretKey, receive(0n));
    const recounted = record('desc:sig-envelope', receive(1n), good.fields[1]!);
    expect(exporterAccepts(recounted)).toBe(false);
    expect(exporterAccepts(makeSigEnvelope(rInGR.secretKey, receive(0n, sessionGE)))).toBe(false);
  });

  it('E refuses a give that G did not sign', () => {
    const forgedGive = makeSigEnvelope(rInGR.secretKey, give);
    const rec = record('desc:handoff-receive', sessionER, publicIdOf(rInER.publicKey), 0n, forgedGive);
    expect(exporterAccepts(makeSigEnvelope(rInGR.secretKey, rec))).toBe(false);
  });
});
