import { describe, expect, it } from 'vitest';
import { DESIGNATOR_STATEMENT_LABELS, designatorSigner, generateKeyPair, keyPairDesignatorKey, verify, type DesignatorKey } from '../../src/crypto/index.js';
import { SyrupRecord, encode, record, sym } from '../../src/syrup/index.js';
import { utf8Encode } from '../../src/util/bytes.js';
import { registrationProof } from '../../src/netlayer/relay/protocol.js';

const refused = expect.objectContaining({ code: 'SIGNING_REFUSED' });

/** A key that records what it was asked to sign. */
function recordingKey(): DesignatorKey & { readonly signed: Uint8Array[] } {
  const keys = generateKeyPair();
  const inner = keyPairDesignatorKey(keys);
  const signed: Uint8Array[] = [];
  return {
    publicKey: inner.publicKey,
    signed,
    sign: (message) => {
      signed.push(message);
      return inner.sign(message);
    },
  };
}

describe('designator signer (domain-separated signatures)', () => {
  it('signs each registered statement label over its canonical encoding', async () => {
    const key = recordingKey();
    const signer = designatorSigner(key);
    const statements = [
      record('relay:register-proof', 'capmesh-relay/1', new Uint8Array(32), 'a'.repeat(52)),
      record('capmesh-rtc-sdp-2', sym('offer'), 'a', 'b', new Uint8Array(16), 'v=0'),
      record('capmesh-e2e:transcript', 'responder', '1', 'a', 'b', new Uint8Array(32), new Uint8Array(32)),
      record('init:peer-auth', new Uint8Array(32).fill(9)),
      record('capmesh-same-browser:auth', 'dialler', 'a', 'b', new Uint8Array(32), new Uint8Array(32)),
    ];
    expect(statements.map((s) => s.labelName)).toEqual([...DESIGNATOR_STATEMENT_LABELS]);
    for (const statement of statements) {
      const signature = await signer.sign(statement);
      expect(verify(key.publicKey, encode(statement), signature)).toBe(true);
    }
    const proof = registrationProof(new Uint8Array(32).fill(3), 'b'.repeat(52), 'ws://127.0.0.1:8787/');
    expect(verify(key.publicKey, proof, await signer.signEncoded(proof))).toBe(true);
  });

  it('refuses an unlabelled statement or an unregistered label, without using the key', async () => {
    const key = recordingKey();
    const signer = designatorSigner(key);
    await expect(signer.sign(new Uint8Array(64) as never)).rejects.toThrow(refused);
    await expect(signer.sign(['init:peer-auth'] as never)).rejects.toThrow(refused);
    await expect(signer.sign(record('desc:handoff-give', 'x'))).rejects.toThrow(refused);
    await expect(signer.sign(record('my-location', 'x'))).rejects.toThrow(refused);
    await expect(signer.sign(record('init:peer-auth-x', new Uint8Array(32)))).rejects.toThrow(refused);
    // A string label that reads like a registered one is not a symbol label.
    await expect(signer.sign(new SyrupRecord('init:peer-auth', [new Uint8Array(32)]))).rejects.toThrow(refused);
    await expect(signer.signEncoded(new Uint8Array(64))).rejects.toThrow(refused);
    await expect(signer.signEncoded(utf8Encode('3:abc'))).rejects.toThrow(refused);
    await expect(signer.signEncoded(encode(record('op:deliver', 1n)))).rejects.toThrow(refused);
    expect(key.signed).toHaveLength(0);
  });

  it('signs a peer-supplied init:peer-auth only in canonical bytes and the exact shape', async () => {
    const key = recordingKey();
    const signer = designatorSigner(key);
    const canonical = encode(record('init:peer-auth', new Uint8Array(32).fill(65)));
    expect(verify(key.publicKey, canonical, await signer.signEncoded(canonical))).toBe(true);
    const padded = utf8Encode(`<14'init:peer-auth032:${'A'.repeat(32)}>`);
    await expect(signer.signEncoded(padded)).rejects.toThrow(refused);
    await expect(signer.signEncoded(encode(record('init:peer-auth', new Uint8Array(64))))).rejects.toThrow(refused);
    await expect(signer.sign(record('init:peer-auth', new Uint8Array(32), 'extra'))).rejects.toThrow(refused);
    await expect(signer.signEncoded(new Uint8Array([...canonical, 0]))).rejects.toThrow(refused);
    expect(key.signed).toHaveLength(1);
  });

  it('refuses statements over maxStatementBytes (default 64 KiB)', async () => {
    const signer = designatorSigner(recordingKey(), { maxStatementBytes: 100 });
    await expect(signer.sign(record('capmesh-rtc-sdp-2', sym('offer'), 'a', 'b', new Uint8Array(16), 'x'.repeat(100)))).rejects.toThrow(refused);
    const big = designatorSigner(recordingKey());
    await expect(big.sign(record('capmesh-rtc-sdp-2', sym('offer'), 'a', 'b', new Uint8Array(16), 'x'.repeat(64 * 1024)))).rejects.toThrow(refused);
    await expect(big.sign(record('capmesh-rtc-sdp-2', sym('offer'), 'a', 'b', new Uint8Array(16), 'x'.repeat(8 * 1024)))).resolves.toHaveLength(64);
  });

  it('has a legacy 64-byte peer-auth method only when legacyPeerAuth is on, and it signs exactly 64 bytes', async () => {
    const key = recordingKey();
    expect(designatorSigner(key).signLegacyPeerAuthChallenge).toBeUndefined();
    expect('signLegacyPeerAuthChallenge' in designatorSigner(key)).toBe(false);
    const legacy = designatorSigner(key, { legacyPeerAuth: true }).signLegacyPeerAuthChallenge!;
    const challenge = new Uint8Array(64).fill(5);
    expect(verify(key.publicKey, challenge, await legacy(challenge))).toBe(true);
    await expect(legacy(new Uint8Array(63))).rejects.toThrow(refused);
    await expect(legacy(new Uint8Array(65))).rejects.toThrow(refused);
    expect(key.signed).toHaveLength(1);
  });
});
