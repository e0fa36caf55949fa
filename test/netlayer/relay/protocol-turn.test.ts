import { describe, expect, it } from 'vitest';
import { encode, record } from '../../../src/syrup/index.js';
import { decodeRelayMessage, decodeRelayServerMessage, encodeRelayMessage, type RelayServerMessage } from '../../../src/netlayer/relay/protocol.js';

const turn: RelayServerMessage = {
  type: 'turn',
  urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example:5349'],
  username: '1700003600:Adesignator',
  credential: 'mdvwhXA77GO8ubLB6kqy0/Hyu2g=',
  ttlSeconds: 3600,
};

describe('relay:turn', () => {
  it('round-trips through encode and both decoders', () => {
    const bytes = encodeRelayMessage(turn);
    expect(decodeRelayMessage('server', bytes, 4096)).toEqual(turn);
    expect(decodeRelayServerMessage(bytes, 4096)).toEqual(turn);
  });

  it('is a server message only: a client sending it breaks the protocol', () => {
    expect(() => decodeRelayMessage('client', encodeRelayMessage(turn), 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
  });

  it('refuses bad fields with RELAY_PROTOCOL: no URLs, more than 8, a non-TURN URL, a URL not a string, a missing field', () => {
    const bad = [
      record('relay:turn', [], 'u', 'c', 60n),
      record('relay:turn', Array(9).fill('turn:h:1'), 'u', 'c', 60n),
      record('relay:turn', ['stun:h:1'], 'u', 'c', 60n),
      record('relay:turn', ['https://h/'], 'u', 'c', 60n),
      record('relay:turn', [7n], 'u', 'c', 60n),
      record('relay:turn', 'turn:h:1', 'u', 'c', 60n),
      record('relay:turn', ['turn:h:1'], 'u', 'c'),
      record('relay:turn', ['turn:h:1'], 'u', 'c', -1n),
      record('relay:turn', ['turn:h:1'], 'x'.repeat(513), 'c', 60n),
    ];
    for (const value of bad) expect(() => decodeRelayServerMessage(encode(value), 1 << 16)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
  });
});

describe('decodeRelayServerMessage (what clients use)', () => {
  it('gives undefined for a relay:* kind it does not know (a newer relay), where the strict decoder refuses it', () => {
    const future = encode(record('relay:from-the-future', 'anything', 1n));
    expect(decodeRelayServerMessage(future, 4096)).toBeUndefined();
    expect(() => decodeRelayMessage('server', future, 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
  });

  it('still refuses what is not a relay:* record, and known kinds with bad fields', () => {
    expect(() => decodeRelayServerMessage(encode(record('other:thing')), 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
    expect(() => decodeRelayServerMessage(encode(['relay:pong']), 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
    expect(() => decodeRelayServerMessage(encode(record('relay:pong')), 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
    expect(() => decodeRelayServerMessage(new Uint8Array([0x3c, 0xff]), 4096)).toThrow(expect.objectContaining({ code: 'RELAY_PROTOCOL' }));
  });
});
