import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/crypto/index.js';
import { encode, record } from '../../../src/syrup/index.js';
import { utf8Encode } from '../../../src/util/bytes.js';
import { answerChallenge, checkAnswer, makeChallenge } from '../../../src/netlayer/websocket/auth.js';
import { registrationProof } from '../../../src/netlayer/relay/protocol.js';
import { testSigner } from '../../crypto/test-signer.js';

const server = generateKeyPair();
const typedOnly = testSigner(server);
const withLegacy = testSigner(server, { legacyPeerAuth: true });
const refused = expect.objectContaining({ code: 'WEBSOCKET_AUTH' });

/** `<init:peer-auth <32 bytes>>` with its length prefix padded by zeros to exactly 64 bytes: not canonical Syrup. */
function nonCanonical64(): Uint8Array {
  const bytes = utf8Encode(`<14'init:peer-auth${'0'.repeat(10)}32:${'A'.repeat(32)}>`);
  expect(bytes.length).toBe(64);
  return bytes;
}

describe('websocket peer-auth', () => {
  it('a typed and a legacy challenge are answered and check out against the designator key', async () => {
    for (const form of ['typed', 'legacy'] as const) {
      const challenge = makeChallenge(form);
      expect(challenge.length).toBe(form === 'legacy' ? 64 : encode(record('init:peer-auth', new Uint8Array(32))).length);
      const answer = (await answerChallenge(challenge, withLegacy))!;
      expect(() => checkAnswer(form, challenge, answer, server.publicKey)).not.toThrow();
      expect(() => checkAnswer(form, challenge, answer, generateKeyPair().publicKey)).toThrow(refused);
    }
  });

  it('refuses an answer for another challenge, or of the other form', async () => {
    const challenge = makeChallenge('typed');
    const other = (await answerChallenge(makeChallenge('typed'), withLegacy))!;
    expect(() => checkAnswer('typed', challenge, other, server.publicKey)).toThrow(refused);
    const legacyAnswer = (await answerChallenge(makeChallenge('legacy'), withLegacy))!;
    expect(() => checkAnswer('typed', challenge, legacyAnswer, server.publicKey)).toThrow(refused);
    const typedAnswer = (await answerChallenge(challenge, withLegacy))!;
    expect(() => checkAnswer('legacy', makeChallenge('legacy'), typedAnswer, server.publicKey)).toThrow(refused);
    expect(() => checkAnswer('typed', challenge, new Uint8Array([1, 2, 3]), server.publicKey)).toThrow(refused);
  });

  it('signs nothing but a challenge (no signing oracle for the relay proof or anything else)', async () => {
    const proof = registrationProof(new Uint8Array(32), 'a'.repeat(52), 'ws://127.0.0.1:8787');
    expect(await answerChallenge(proof, withLegacy)).toBeUndefined();
    expect(await answerChallenge(new Uint8Array(65), withLegacy)).toBeUndefined();
    expect(await answerChallenge(encode(record('init:peer-auth', new Uint8Array(31))), withLegacy)).toBeUndefined();
    expect(proof.length).toBeGreaterThan(64);
  });

  it('by default refuses to sign a legacy 64-byte challenge (no unlabelled signatures)', async () => {
    expect(typedOnly.signLegacyPeerAuthChallenge).toBeUndefined();
    expect(await answerChallenge(makeChallenge('legacy'), typedOnly)).toBeUndefined();
    // …while a typed challenge is still answered.
    const typed = makeChallenge('typed');
    const answer = (await answerChallenge(typed, typedOnly))!;
    expect(() => checkAnswer('typed', typed, answer, server.publicKey)).not.toThrow();
  });

  it('refuses a typed challenge in non-canonical bytes, even one exactly 64 bytes long', async () => {
    const bytes = nonCanonical64();
    expect(await answerChallenge(bytes, typedOnly)).toBeUndefined();
    await expect(typedOnly.signEncoded(bytes)).rejects.toMatchObject({ code: 'SIGNING_REFUSED' });
  });
});
