import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RelayCircuit } from '../../src/netlayer/relay-circuit.js';
import { RELAY_PROTOCOL_VERSION, encodeRelayMessage } from '../../src/netlayer/relay-protocol.js';
import { clientState, identity, onCleanup, relayClient, testRelay } from '../relay/helpers.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function nextEvent<T>(subscribe: (listener: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      off();
      resolve(value);
    });
  });
}

describe('RelayClient', () => {
  it('registers, then routes signals with the sender stamped; reports undeliverable ones', async () => {
    const relay = await testRelay();
    const aliceId = identity();
    const bobId = identity();
    const alice = relayClient(relay.url, aliceId);
    const bob = relayClient(relay.url, bobId);
    expect(() => alice.signal(bobId.designator, 'offer', bytes(1))).toThrow(expect.objectContaining({ code: 'DISCONNECTED' }));
    await Promise.all([alice.whenRegistered(), bob.whenRegistered()]);
    expect(alice.state).toBe('registered');
    expect(alice.maxFrameBytes).toBe(relay.limits.maxFrameBytes);
    const received = nextEvent((l) => bob.on('signal', l));
    alice.signal(bobId.designator, 'webrtc-offer', bytes(4, 2));
    expect(await received).toEqual({ from: aliceId.designator, kind: 'webrtc-offer', payload: bytes(4, 2) });
    const nobody = identity().designator;
    const bounced = nextEvent((l) => alice.on('undeliverable', l));
    alice.signal(nobody, 'ice', bytes());
    expect(await bounced).toMatchObject({ to: nobody, kind: 'ice' });
  });

  it('opens circuits both ways, delivers in order, and tells the other end about a close', async () => {
    const relay = await testRelay();
    const bobId = identity();
    const alice = relayClient(relay.url);
    const bob = relayClient(relay.url, bobId);
    await Promise.all([alice.whenRegistered(), bob.whenRegistered()]);
    const incoming = nextEvent<RelayCircuit>((l) => bob.on('circuit', l));
    const circuit = await alice.openCircuit(bobId.designator);
    const theirs = await incoming;
    expect(theirs).toMatchObject({ id: circuit.id, peer: alice.designator, outbound: false });
    const got: number[] = [];
    const closed = new Promise<string>((resolve) =>
      theirs.setHandler({ message: (p) => got.push(p[0]!), closed: (reason, kind) => resolve(`${kind}: ${reason}`) }),
    );
    for (let i = 0; i < 50; i++) circuit.send(bytes(i));
    circuit.close('bye');
    expect(await closed).toBe('remote: the peer closed the circuit: bye');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(circuit.send(bytes(1))).toBe(false);
    await expect(alice.openCircuit(identity().designator)).rejects.toMatchObject({ code: 'RELAY_REFUSED' });
  });

  it('stops for good when a newer registration of its designator replaces it', async () => {
    const relay = await testRelay();
    const me = identity();
    const old = relayClient(relay.url, me, { reconnect: { initialDelayMs: 1, maxDelayMs: 1 } });
    await old.whenRegistered();
    const replaced = clientState(old, 'replaced');
    const fresh = relayClient(relay.url, me);
    await fresh.whenRegistered();
    await replaced;
    await expect(old.whenRegistered()).rejects.toMatchObject({ code: 'RELAY_REPLACED' });
    await expect(old.openCircuit(identity().designator)).rejects.toMatchObject({ code: 'RELAY_REPLACED' });
    expect(old.registrations).toBe(1);
    expect(relay.stats().registered).toBe(1);
  });

  it('is refused when it cannot sign for its designator', async () => {
    const relay = await testRelay();
    const me = identity();
    const client = relayClient(relay.url, { ...me, signer: identity().signer });
    await expect(client.whenRegistered()).rejects.toMatchObject({ code: 'RELAY_REFUSED' });
    expect(client.state).toBe('refused');
  });

  it('drops a relay that goes silent (client heartbeat) and tries again', async () => {
    // A fake relay: challenge, "registered", then silence; it never answers pings.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    const accepted: WebSocket[] = [];
    onCleanup(() => new Promise<void>((resolve) => (accepted.forEach((s) => s.terminate()), server.close(() => resolve()))));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const me = identity();
    server.on('connection', (ws: WebSocket) => {
      accepted.push(ws);
      ws.send(encodeRelayMessage({ type: 'challenge', version: RELAY_PROTOCOL_VERSION, nonce: new Uint8Array(32), maxFrameBytes: 4096 }));
      ws.once('message', () => ws.send(encodeRelayMessage({ type: 'registered', designator: me.designator })));
    });
    const { port } = server.address() as { port: number };
    const client = relayClient(`ws://127.0.0.1:${port}`, me, { heartbeatMs: 15, reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
    await client.whenRegistered();
    await clientState(client, 'disconnected');
    await clientState(client, 'registered');
    expect(client.registrations).toBe(2);
    expect(accepted.length).toBe(2);
  });
});
