import { describe, expect, it } from 'vitest';
import { decodeNodeMessage, encodeNodeMessage, type NodeMessage } from '../../../relay/cluster/wire.js';

const message: NodeMessage = {
  kind: 'signal',
  node: 'n1',
  from: 'alice',
  to: 'bob',
  signalKind: 'offer',
  circuit: 0xfffffffe,
  mine: true,
  sentAt: 1_700_000_000_123.5,
  payload: new Uint8Array([0, 1, 2, 255]),
};

describe('messages between cluster nodes', () => {
  it('round-trip every field, the payload byte for byte', () => {
    const decoded = decodeNodeMessage(encodeNodeMessage(message));
    expect({ ...decoded, payload: [...decoded.payload] }).toEqual({ ...message, payload: [0, 1, 2, 255] });
    const close = decodeNodeMessage(encodeNodeMessage({ kind: 'close', node: 'n2', from: 'x', reason: 'bye', circuit: 7, mine: false, sentAt: 0, payload: new Uint8Array(0) }));
    expect(close).toMatchObject({ kind: 'close', reason: 'bye', circuit: 7, mine: false });
    expect(close.to).toBeUndefined();
  });

  it('refuse malformed input with PROTOCOL: short, unknown kind, header past the end, header not JSON, missing fields', () => {
    const good = encodeNodeMessage(message);
    const unknownKind = Buffer.from(good);
    unknownKind[0] = 9;
    const longHeader = Buffer.from(good);
    longHeader.writeUInt16BE(4000, 14);
    const notJson = Buffer.concat([good.subarray(0, 14), Buffer.from([0, 2]), Buffer.from('{x')]);
    const noNode = Buffer.concat([good.subarray(0, 14), Buffer.from([0, 10]), Buffer.from('{"f":"a"} ')]);
    const arrayHeader = Buffer.concat([good.subarray(0, 14), Buffer.from([0, 2]), Buffer.from('[]')]);
    for (const bytes of [good.subarray(0, 10), unknownKind, longHeader, notJson, noNode, arrayHeader]) {
      expect(() => decodeNodeMessage(bytes)).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
    }
  });
});
