import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RelayCircuit } from '../../../src/netlayer/relay/circuit.js';
import type { RelayReplacedNotice } from '../../../src/netlayer/relay/client.js';
import { RELAY_PROTOCOL_VERSION, decodeRelayMessage, encodeRelayMessage } from '../../../src/netlayer/relay/protocol.js';
import { messageBytes } from '../../../src/netlayer/websocket/websocket-like.js';
import { RawClient, clientState, identity, onCleanup, relayClient, testRelay } from '../../relay/helpers.js';

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
    expect(() => alice.signal(bobId.designator, 'offer', bytes(1))).toThrow(expect.objectContaining({ code: 'RELAY_UNREACHABLE' }));
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
    await expect(alice.openCircuit(identity().designator)).rejects.toMatchObject({ code: 'PEER_OFFLINE' });
  });

  it('with replaceRecovery: false, stops for good when a newer registration of its designator replaces it', async () => {
    const relay = await testRelay();
    const me = identity();
    const old = relayClient(relay.url, me, { reconnect: { initialDelayMs: 1, maxDelayMs: 1 }, replaceRecovery: false });
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

  it('is told when replaced, reports it (event + state), registers again after a backoff and is reachable again; newest wins', async () => {
    const relay = await testRelay();
    const me = identity();
    const victim = relayClient(relay.url, me, { replaceRecovery: { initialDelayMs: 5, maxDelayMs: 40 } });
    await victim.whenRegistered();
    const notices: RelayReplacedNotice[] = [];
    victim.on('replaced', (n) => notices.push(n));
    const states: string[] = [];
    victim.on('state', (s) => states.push(s));
    // Someone with the key (another copy of the vat) registers; it does not recover, so the fight ends.
    const copy = relayClient(relay.url, me, { replaceRecovery: false });
    const copyReplaced = nextEvent<RelayReplacedNotice>((l) => copy.on('replaced', l));
    await copy.whenRegistered();
    await clientState(victim, 'registered');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ url: relay.url, count: 1 });
    expect(notices[0]!.retryInMs).toBeGreaterThanOrEqual(2);
    expect(notices[0]!.retryInMs).toBeLessThanOrEqual(5);
    expect(states.slice(0, 3)).toEqual(['replaced', 'connecting', 'registered']);
    expect(victim.registrations).toBe(2);
    // The newer registration (the victim's second) won; the loser was told.
    expect(await copyReplaced).toMatchObject({ count: 1, retryInMs: undefined });
    expect(copy.state).toBe('replaced');
    // Reachable again: a circuit to the designator arrives at the victim.
    const bob = relayClient(relay.url);
    await bob.whenRegistered();
    const incoming = nextEvent<RelayCircuit>((l) => victim.on('circuit', l));
    const circuit = await bob.openCircuit(me.designator);
    expect((await incoming).id).toBe(circuit.id);
    expect(relay.stats().registered).toBe(2);
  });

  it('backs off ever longer while two copies trade the designator, until the app closes one', async () => {
    const relay = await testRelay();
    const me = identity();
    const recovery = { initialDelayMs: 2, maxDelayMs: 1_000 };
    const a = relayClient(relay.url, me, { replaceRecovery: recovery });
    await a.whenRegistered();
    const b = relayClient(relay.url, me, { replaceRecovery: recovery });
    const delays: number[] = [];
    const fourth = new Promise<void>((resolve) => {
      const record = (n: RelayReplacedNotice): void => {
        delays.push(n.retryInMs!);
        if (delays.length === 4) resolve();
      };
      a.on('replaced', record);
      b.on('replaced', record);
    });
    await fourth;
    a.close();
    b.close();
    // Delays double per consecutive replacement of each copy (jittered to 50–100 %).
    const [a1, b1, a2, b2] = delays as [number, number, number, number];
    expect(a1).toBeLessThanOrEqual(2);
    expect(b1).toBeLessThanOrEqual(2);
    expect(a2).toBeGreaterThanOrEqual(2);
    expect(a2).toBeLessThanOrEqual(4);
    expect(b2).toBeGreaterThanOrEqual(2);
    expect([a.state, b.state]).toEqual(['closed', 'closed']);
  });

  it('a proof captured by a hostile relay (it passed on the home relay\'s challenge) is refused at home; the victim stays registered there', async () => {
    const home = await testRelay();
    const me = identity();
    const victimHome = relayClient(home.url, me);
    await victimHome.whenRegistered();
    // The hostile relay: for each client, it dials home, passes home's nonce on
    // in its own challenge, and forwards the client's register back to home.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const accepted: WebSocket[] = [];
    onCleanup(() => new Promise<void>((resolve) => (accepted.forEach((s) => s.terminate()), server.close(() => resolve()))));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const verdict = new Promise<string>((resolve) => {
      server.on('connection', (ws: WebSocket) => {
        accepted.push(ws);
        void (async () => {
          const upstream = await RawClient.connect(home.url);
          ws.send(encodeRelayMessage({ type: 'challenge', version: RELAY_PROTOCOL_VERSION, nonce: upstream.challenge!.nonce, maxFrameBytes: 4096 }));
          ws.once('message', (data: unknown) => {
            const register = decodeRelayMessage('client', messageBytes(data)!, 4096);
            upstream.send(register);
            void upstream.control().then((reply) => resolve(reply.type === 'refused' ? `refused: ${reply.reason}` : reply.type));
          });
        })();
      });
    });
    const { port } = server.address() as { port: number };
    // The victim is made to register there (a vat never does by default: see relayPolicy).
    const lured = relayClient(`ws://127.0.0.1:${port}`, me);
    lured.on('state', () => {});
    expect(await verdict).toMatch(/^refused: the registration is for another relay/);
    expect(victimHome.state).toBe('registered');
    expect(victimHome.registrations).toBe(1);
    expect(home.isRegistered(me.designator)).toBe(true);
    expect(home.stats().drops.bad_registration).toBe(1);
  });

  it('in dial-only mode declares its designator without signing, opens circuits, and accepts none; sends no signals', async () => {
    const relay = await testRelay();
    const me = identity();
    let signed = 0;
    const dialer = relayClient(relay.url, { ...me, sign: (m) => (signed++, me.sign(m)) }, { mode: 'dial-only' });
    const bobId = identity();
    const bob = relayClient(relay.url, bobId);
    await Promise.all([dialer.whenRegistered(), bob.whenRegistered()]);
    expect(dialer.state).toBe('dial-only');
    expect(signed).toBe(0);
    expect(relay.isRegistered(me.designator)).toBe(false);
    const incoming = nextEvent<RelayCircuit>((l) => bob.on('circuit', l));
    const circuit = await dialer.openCircuit(bobId.designator);
    const theirs = await incoming;
    expect(theirs.peer).toBe(me.designator);
    const got = new Promise<Uint8Array>((resolve) => theirs.setHandler({ message: resolve, closed: () => {} }));
    circuit.send(bytes(9));
    expect(await got).toEqual(bytes(9));
    // A dial-only client is not registered: nobody can open a circuit to it.
    await expect(bob.openCircuit(me.designator)).rejects.toMatchObject({ code: 'PEER_OFFLINE' });
    expect(() => dialer.signal(bobId.designator, 'offer', bytes(1))).toThrow(expect.objectContaining({ code: 'RELAY_POLICY' }));
  });
});
