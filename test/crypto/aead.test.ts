import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FRAME_OVERHEAD, FrameOpener, FrameSealer, deriveChannelKeys } from '../../src/crypto/aead.js';
import { equalBytes, toHex, utf8Encode } from '../../src/util/bytes.js';

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const text = (s: string): Uint8Array => utf8Encode(s);

describe('channel keys', () => {
  it('derives two different 32-byte keys, bound to the shared secret and to the transcript', () => {
    const k = deriveChannelKeys(key(1), text('transcript'));
    expect(k.initiatorToResponder).toHaveLength(32);
    expect(toHex(k.initiatorToResponder)).not.toBe(toHex(k.responderToInitiator));
    expect(toHex(deriveChannelKeys(key(1), text('transcript')).initiatorToResponder)).toBe(toHex(k.initiatorToResponder));
    expect(toHex(deriveChannelKeys(key(1), text('transcripT')).initiatorToResponder)).not.toBe(toHex(k.initiatorToResponder));
    expect(toHex(deriveChannelKeys(key(2), text('transcript')).initiatorToResponder)).not.toBe(toHex(k.initiatorToResponder));
  });
});

describe('sealed frames', () => {
  it('round-trips messages in order; each frame is counter ‖ ciphertext ‖ tag', () => {
    const sealer = new FrameSealer(key(3));
    const opener = new FrameOpener(key(3));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
        const frame = sealer.seal(plaintext);
        expect(frame.length).toBe(plaintext.length + FRAME_OVERHEAD);
        expect(equalBytes(opener.open(frame), plaintext)).toBe(true);
      }),
      { seed: 7, numRuns: 200 },
    );
    expect(sealer.sent).toBe(200);
    expect(opener.received).toBe(200);
  });

  it('does not reveal the plaintext, and equal plaintexts seal differently', () => {
    const sealer = new FrameSealer(key(4));
    const a = sealer.seal(text('attack at dawn, attack at dawn'));
    const b = sealer.seal(text('attack at dawn, attack at dawn'));
    expect(Buffer.from(a).toString('latin1')).not.toContain('attack');
    expect(toHex(a.subarray(8))).not.toBe(toHex(b.subarray(8)));
  });

  it('refuses a replayed frame with E2E_REPLAY and stays dead afterwards', () => {
    const sealer = new FrameSealer(key(5));
    const opener = new FrameOpener(key(5));
    const f0 = sealer.seal(text('zero'));
    const f1 = sealer.seal(text('one'));
    opener.open(f0);
    expect(() => opener.open(f0)).toThrow(expect.objectContaining({ code: 'E2E_REPLAY' }));
    expect(() => opener.open(f1)).toThrow(expect.objectContaining({ code: 'E2E_REPLAY' }));
  });

  it('refuses reordered and dropped frames with E2E_REPLAY', () => {
    const sealer = new FrameSealer(key(6));
    const frames = [0, 1, 2].map((n) => sealer.seal(text(`m${n}`)));
    expect(() => new FrameOpener(key(6)).open(frames[1]!)).toThrow(expect.objectContaining({ code: 'E2E_REPLAY' }));
    const opener = new FrameOpener(key(6));
    opener.open(frames[0]!);
    expect(() => opener.open(frames[2]!)).toThrow(expect.objectContaining({ code: 'E2E_REPLAY', detail: { counter: 2, expected: 1 } }));
  });

  it('refuses any single flipped bit with E2E_TAMPERED (or E2E_REPLAY when the counter bits change)', () => {
    const frame = new FrameSealer(key(7)).seal(text('hello there'));
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = frame.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const expected = bit < 64 ? 'E2E_REPLAY' : 'E2E_TAMPERED';
      expect(() => new FrameOpener(key(7)).open(bad)).toThrow(expect.objectContaining({ code: expected }));
    }
  });

  it('refuses a frame sealed under the other direction key, or truncated', () => {
    const keys = deriveChannelKeys(key(8), text('t'));
    const frame = new FrameSealer(keys.initiatorToResponder).seal(text('hi'));
    expect(() => new FrameOpener(keys.responderToInitiator).open(frame)).toThrow(expect.objectContaining({ code: 'E2E_TAMPERED' }));
    expect(() => new FrameOpener(keys.initiatorToResponder).open(frame.subarray(0, 20))).toThrow(expect.objectContaining({ code: 'E2E_TAMPERED' }));
  });
});
