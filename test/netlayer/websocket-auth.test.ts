import { describe, expect, it } from 'vitest';
import { generateKeyPair, sign } from '../../src/crypto/index.js';
import { encode, record } from '../../src/syrup/index.js';
import { answerChallenge, checkAnswer, makeChallenge } from '../../src/netlayer/websocket-auth.js';
import { registrationProof } from '../../src/netlayer/relay-protocol.js';

const server = generateKeyPair();
const signer = (m: Uint8Array): Uint8Array => sign(server.secretKey, m);
const refused = expect.objectContaining({ code: 'WEBSOCKET_AUTH' });

describe('websocket peer-auth', () => {
  it('a typed and a legacy challenge are answered and check out against the designator key', () => {
    for (const form of ['typed', 'legacy'] as const) {
      const challenge = makeChallenge(form);
      expect(challenge.length).toBe(form === 'legacy' ? 64 : encode(record('init:peer-auth', new Uint8Array(32))).length);
      const answer = answerChallenge(challenge, signer)!;
      expect(() => checkAnswer(form, challenge, answer, server.publicKey)).not.toThrow();
      expect(() => checkAnswer(form, challenge, answer, generateKeyPair().publicKey)).toThrow(refused);
    }
  });

  it('refuses an answer for another challenge, or of the other form', () => {
    const challenge = makeChallenge('typed');
    const other = answerChallenge(makeChallenge('typed'), signer)!;
    expect(() => checkAnswer('typed', challenge, other, server.publicKey)).toThrow(refused);
    const legacyAnswer = answerChallenge(makeChallenge('legacy'), signer)!;
    expect(() => checkAnswer('typed', challenge, legacyAnswer, server.publicKey)).toThrow(refused);
    expect(() => checkAnswer('legacy', makeChallenge('legacy'), answerChallenge(challenge, signer)!, server.publicKey)).toThrow(refused);
    expect(() => checkAnswer('typed', challenge, new Uint8Array([1, 2, 3]), server.publicKey)).toThrow(refused);
  });

  it('signs nothing but a challenge (no signing oracle for the relay proof or anything else)', () => {
    const proof = registrationProof(new Uint8Array(32), 'a'.repeat(52), 'ws://127.0.0.1:8787');
    expect(answerChallenge(proof, signer)).toBeUndefined();
    expect(answerChallenge(new Uint8Array(65), signer)).toBeUndefined();
    expect(answerChallenge(encode(record('init:peer-auth', new Uint8Array(31))), signer)).toBeUndefined();
    expect(proof.length).toBeGreaterThan(64);
  });
});
