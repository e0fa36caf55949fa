import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { designatorOf, generateKeyPair, sign } from '../../../src/crypto/index.js';
import { testSigner } from '../../crypto/test-signer.js';
import { decode, encode, isRecord, record } from '../../../src/syrup/index.js';
import { E2eInitiator, E2eResponder, type E2eIdentity } from '../../../src/netlayer/relay/e2e.js';
import { equalBytes, utf8Encode } from '../../../src/util/bytes.js';

/** An end-to-end identity, plus raw signing for tests that forge handshake messages. */
function who(): E2eIdentity & { readonly sign: (m: Uint8Array) => Uint8Array } {
  const keys = generateKeyPair();
  return { designator: designatorOf(keys.publicKey), signer: testSigner(keys), sign: (m) => sign(keys.secretKey, m) };
}

const options = { maxChunkBytes: 1000, maxMessageBytes: 10_000 };
const handshakeError = expect.objectContaining({ code: 'E2E_HANDSHAKE' });

async function handshake(alice = who(), bob = who(), opts = options) {
  const initiator = new E2eInitiator(alice, bob.designator, opts);
  const responder = await E2eResponder.create(bob, initiator.init, opts);
  const { confirm, channel: aliceChannel } = await initiator.accept(responder.accept);
  const bobChannel = responder.confirm(confirm);
  return { alice, bob, initiator, responder, aliceChannel, bobChannel };
}

describe('end-to-end handshake', () => {
  it('authenticates both designators and opens matching channels both ways', async () => {
    const { alice, responder, aliceChannel, bobChannel } = await handshake();
    expect(responder.peer).toBe(alice.designator);
    const [toBob] = aliceChannel.seal([utf8Encode('hello bob')]);
    expect(bobChannel.open(toBob!)).toEqual([utf8Encode('hello bob')]);
    const [toAlice] = bobChannel.seal([utf8Encode('hello alice')]);
    expect(aliceChannel.open(toAlice!)).toEqual([utf8Encode('hello alice')]);
    // A frame does not open in its own direction's opener (keys differ per direction).
    const [again] = aliceChannel.seal([utf8Encode('x')]);
    expect(() => aliceChannel.open(again!)).toThrow(expect.objectContaining({ code: 'E2E_TAMPERED' }));
  });

  it('the relay sees only the init, accept and confirm records, and no key material it could use', async () => {
    const { initiator, responder } = await handshake();
    const init = decode(initiator.init);
    expect(isRecord(init, 'capmesh-e2e:init', 4)).toBe(true);
    expect(isRecord(decode(responder.accept), 'capmesh-e2e:accept', 2)).toBe(true);
  });

  it('packs small messages into one frame and spreads a large one over several, in order', async () => {
    const { aliceChannel, bobChannel } = await handshake(who(), who(), { maxChunkBytes: 100, maxMessageBytes: 10_000 });
    expect(bobChannel.open(aliceChannel.seal([new Uint8Array(0)])[0]!)).toEqual([new Uint8Array(0)]);
    expect(aliceChannel.seal([])).toEqual([]);
    const exact = aliceChannel.seal([new Uint8Array(95)]); // 5-byte header + 95 bytes: exactly one chunk
    expect(exact).toHaveLength(1);
    expect(bobChannel.open(exact[0]!)).toEqual([new Uint8Array(95)]);
    const small = [utf8Encode('a'), new Uint8Array(0), utf8Encode('ccc')];
    const packed = aliceChannel.seal(small);
    expect(packed).toHaveLength(1);
    expect(bobChannel.open(packed[0]!)).toEqual(small);
    const big = new Uint8Array(950).map((_, i) => i % 251);
    const frames = aliceChannel.seal([utf8Encode('before'), big, utf8Encode('after')]);
    expect(frames.length).toBeGreaterThanOrEqual(10);
    const results = frames.flatMap((f) => bobChannel.open(f));
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual(utf8Encode('before'));
    expect(equalBytes(results[1]!, big)).toBe(true);
    expect(results[2]).toEqual(utf8Encode('after'));
    // Property: any batch of messages comes out as the same messages, whatever the chunk size.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.integer({ min: 6, max: 400 }), async (messages, chunk) => {
        const pair = await handshake(who(), who(), { maxChunkBytes: chunk, maxMessageBytes: 10_000 });
        const out = pair.aliceChannel.seal(messages).flatMap((f) => pair.bobChannel.open(f));
        expect(out).toEqual(messages);
      }),
      { seed: 11, numRuns: 25 },
    );
  });

  it('refuses a reassembled message over maxMessageBytes with LIMIT', async () => {
    const { aliceChannel, bobChannel } = await handshake(who(), who(), { maxChunkBytes: 100, maxMessageBytes: 250 });
    const frames = aliceChannel.seal([new Uint8Array(300)]);
    expect(() => frames.forEach((f) => bobChannel.open(f))).toThrow(expect.objectContaining({ code: 'LIMIT' }));
  });

  it('the responder refuses an init meant for another designator (misrouted by the relay)', async () => {
    const alice = who();
    const initiator = new E2eInitiator(alice, who().designator, options);
    await expect(E2eResponder.create(who(), initiator.init, options)).rejects.toThrow(handshakeError);
  });

  it('the initiator refuses an accept signed by anyone but the responder (relay man-in-the-middle)', async () => {
    const alice = who();
    const bob = who();
    const mallory = who();
    const initiator = new E2eInitiator(alice, bob.designator, options);
    // Mallory answers in Bob's place: she can only sign with her own key.
    const forgedInit = new E2eInitiator(alice, mallory.designator, options);
    const malloryResponder = await E2eResponder.create(mallory, forgedInit.init, options);
    await expect(initiator.accept(malloryResponder.accept)).rejects.toThrow(handshakeError);
  });

  it('the responder refuses a confirm not signed by the initiator it names (impersonated dialler)', async () => {
    const alice = who();
    const bob = who();
    const mallory = who();
    // Mallory claims to be Alice in the init, but can only sign the confirm with her own key.
    const claimsAlice = new E2eInitiator({ designator: alice.designator, signer: mallory.signer }, bob.designator, options);
    const responder = await E2eResponder.create(bob, claimsAlice.init, options);
    const { confirm } = await claimsAlice.accept(responder.accept);
    expect(() => responder.confirm(confirm)).toThrow(handshakeError);
  });

  it('an accept replayed from an earlier handshake does not verify in a new one', async () => {
    const alice = who();
    const bob = who();
    const old = await handshake(alice, bob);
    const fresh = new E2eInitiator(alice, bob.designator, options);
    await expect(fresh.accept(old.responder.accept)).rejects.toThrow(handshakeError);
  });

  it('refuses a low-order ephemeral key even when properly signed', async () => {
    const alice = who();
    const bob = who();
    const initiator = new E2eInitiator(alice, bob.designator, options);
    const ephI = (decode(initiator.init) as { fields: Uint8Array[] }).fields[3]!;
    const zero = new Uint8Array(32);
    const signed = encode(record('capmesh-e2e:transcript', 'responder', '1', alice.designator, bob.designator, ephI, zero));
    const accept = encode(record('capmesh-e2e:accept', zero, bob.sign(signed)));
    await expect(initiator.accept(accept)).rejects.toThrow(handshakeError);
  });

  it('refuses malformed handshake messages', async () => {
    const bob = who();
    await expect(E2eResponder.create(bob, utf8Encode('GET / HTTP/1.1'), options)).rejects.toThrow(handshakeError);
    await expect(E2eResponder.create(bob, encode(record('capmesh-e2e:init', '2', who().designator, bob.designator, new Uint8Array(32))), options)).rejects.toThrow(handshakeError);
    await expect(E2eResponder.create(bob, encode(record('capmesh-e2e:init', '1', 'not-a-designator', bob.designator, new Uint8Array(32))), options)).rejects.toThrow(handshakeError);
    const initiator = new E2eInitiator(who(), bob.designator, options);
    await expect(initiator.accept(encode(record('capmesh-e2e:accept', new Uint8Array(31), new Uint8Array(64))))).rejects.toThrow(handshakeError);
  });
});

describe('end-to-end control records (path switching)', () => {
  it('carry a control message in its place among data messages, and a plain open refuses one', async () => {
    const { aliceChannel, bobChannel } = await handshake();
    const big = new Uint8Array(2500).fill(7);
    const frames = aliceChannel.seal([utf8Encode('a'), { control: new Uint8Array([1, 2, 3]) }, big, { control: new Uint8Array([4]) }]);
    const records = frames.flatMap((f) => bobChannel.openRecords(f));
    expect(records).toEqual([
      { bytes: utf8Encode('a'), control: false },
      { bytes: new Uint8Array([1, 2, 3]), control: true },
      { bytes: big, control: false },
      { bytes: new Uint8Array([4]), control: true },
    ]);
    const [withControl] = aliceChannel.seal([{ control: new Uint8Array([9]) }]);
    expect(() => bobChannel.open(withControl!)).toThrow(expect.objectContaining({ code: 'E2E_TAMPERED' }));
    expect(() => aliceChannel.seal([{ control: new Uint8Array(257) }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
