import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RELAY_CLOSE } from '../../src/netlayer/relay/protocol.js';
import { equalBytes } from '../../src/util/bytes.js';
import { encode, record } from '../../src/syrup/index.js';
import { defaultPublicUrls } from '../../relay/index.js';
import { RawClient, httpGet, identity, onCleanup, registerMessage, testRelay } from './helpers.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('relay registration', () => {
  it('registers a designator whose key signed the challenge, and reports it on /healthz and /metrics', async () => {
    const relay = await testRelay();
    const alice = identity();
    const client = await RawClient.connect(relay.url);
    expect(client.challenge).toMatchObject({ version: 'capmesh-relay/2', maxFrameBytes: relay.limits.maxFrameBytes });
    expect(client.challenge!.nonce).toHaveLength(32);
    client.register(alice);
    expect(await client.control()).toEqual({ type: 'registered', designator: alice.designator });
    expect(relay.isRegistered(alice.designator)).toBe(true);

    const health = await httpGet(relay, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', connections: 1, registered: 1 });
    const metrics = await httpGet(relay, '/metrics');
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('# TYPE capmesh_relay_connections gauge\ncapmesh_relay_connections 1\n');
    expect(metrics.body).toContain('capmesh_relay_registered_designators 1\n');
    expect(metrics.body).toContain('capmesh_relay_registrations_total{result="ok"} 1\n');
    expect(metrics.body).toMatch(/capmesh_relay_drops_total\{reason="oversize"\} 0\n/);
    expect((await httpGet(relay, '/nope')).status).toBe(404);
  });

  it('refuses a designator signed with another key (impersonation) and closes with 4003', async () => {
    const relay = await testRelay();
    const victim = identity();
    const mallory = identity();
    const client = await RawClient.connect(relay.url);
    client.send(registerMessage(mallory, client.challenge!.nonce, relay.url, victim.designator));
    expect(await client.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('does not verify') });
    expect((await client.closed).code).toBe(RELAY_CLOSE.refused);
    expect(relay.isRegistered(victim.designator)).toBe(false);
    expect(relay.stats().drops.bad_registration).toBe(1);
  });

  it('refuses a registration signature replayed from another connection (fresh nonce per connection)', async () => {
    const relay = await testRelay();
    const alice = identity();
    const first = await RawClient.connect(relay.url);
    const stolen = registerMessage(alice, first.challenge!.nonce, relay.url);
    const eavesdropper = await RawClient.connect(relay.url);
    expect(equalBytes(eavesdropper.challenge!.nonce, first.challenge!.nonce)).toBe(false);
    eavesdropper.send(stolen);
    expect(await eavesdropper.control()).toMatchObject({ type: 'refused' });
    expect(relay.isRegistered(alice.designator)).toBe(false);
  });

  it('refuses a designator that is not base32 of a key', async () => {
    const relay = await testRelay();
    const alice = identity();
    const client = await RawClient.connect(relay.url);
    client.send(registerMessage(alice, client.challenge!.nonce, relay.url, 'NOT-BASE32'));
    expect(await client.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('not base32') });
  });

  it('lets the newer authenticated registration win: the old connection is told and closed, traffic goes to the new one', async () => {
    const relay = await testRelay();
    const alice = identity();
    const old = await RawClient.registered(relay.url, alice);
    const fresh = await RawClient.registered(relay.url, alice);
    expect(await old.control()).toEqual({ type: 'replaced' });
    expect((await old.closed).code).toBe(RELAY_CLOSE.replaced);
    const bob = await RawClient.registered(relay.url, identity());
    const circuit = await bob.open(alice.designator);
    expect(await fresh.control()).toMatchObject({ type: 'incoming', circuit });
    expect(relay.stats()).toMatchObject({ registered: 2 });
    expect(relay.metricsText()).toContain('capmesh_relay_registrations_total{result="replaced"} 1\n');
  });

  it('survives a malformed message whose label would make an over-long close reason', async () => {
    const relay = await testRelay();
    const client = await RawClient.connect(relay.url);
    client.socket.send(encode(record(`relay:${'é'.repeat(200)}`)));
    expect((await client.closed).code).toBe(RELAY_CLOSE.protocol);
    const other = await RawClient.registered(relay.url, identity());
    other.send({ type: 'ping', n: 2 });
    expect(await other.control()).toEqual({ type: 'pong', n: 2 });
  });

  it('closes a connection that does anything but register first (4002), or does not register in time (4003)', async () => {
    const patient = await testRelay();
    const eager = await RawClient.connect(patient.url);
    eager.send({ type: 'open', request: 1, to: identity().designator });
    expect((await eager.closed).code).toBe(RELAY_CLOSE.protocol);
    expect(patient.stats().drops).toMatchObject({ unregistered: 1 });
    const relay = await testRelay({ limits: { registerTimeoutMs: 500 } });
    const idle = await RawClient.connect(relay.url);
    expect((await idle.closed).code).toBe(RELAY_CLOSE.refused);
    expect(relay.stats().drops).toMatchObject({ register_timeout: 1 });
  });
});

describe('relay registration is bound to the relay\'s own URLs', () => {
  it('refuses a proof that names another relay (one a hostile relay got by passing our challenge on), and keeps the victim registered', async () => {
    const relay = await testRelay();
    const victim = identity();
    const home = await RawClient.registered(relay.url, victim);
    const attacker = await RawClient.connect(relay.url);
    // The victim signed this challenge believing it talks to ws://evil.example (the URL it dialled).
    attacker.send(registerMessage(victim, attacker.challenge!.nonce, 'ws://evil.example:8787'));
    expect(await attacker.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('for another relay (ws://evil.example:8787/)') });
    expect((await attacker.closed).code).toBe(RELAY_CLOSE.refused);
    expect(relay.isRegistered(victim.designator)).toBe(true);
    expect(home.pending).toBe(0);
    expect(relay.stats().drops.bad_registration).toBe(1);
  });

  it('by default answers to its listen address and the loopback forms of it, normalised', async () => {
    const relay = await testRelay();
    expect(relay.publicUrls).toEqual([`ws://127.0.0.1:${relay.port}/`, `ws://localhost:${relay.port}/`, `ws://[::1]:${relay.port}/`]);
    expect(defaultPublicUrls('10.0.0.7', 9000)).toEqual(['ws://10.0.0.7:9000/']);
    expect(defaultPublicUrls('0.0.0.0', 9000)).toEqual(expect.arrayContaining(['ws://127.0.0.1:9000/', 'ws://localhost:9000/']));
    const alice = identity();
    const client = await RawClient.connect(relay.url);
    client.send(registerMessage(alice, client.challenge!.nonce, `WS://LOCALHOST:${relay.port}`));
    expect(await client.control()).toEqual({ type: 'registered', designator: alice.designator });
  });

  it('with publicUrls, accepts only those — never what the Host header says', async () => {
    const relay = await testRelay({ publicUrls: ['wss://relay.example/capmesh'] });
    expect(relay.publicUrls).toEqual(['wss://relay.example/capmesh']);
    const alice = identity();
    const direct = await RawClient.connect(relay.url);
    direct.send(registerMessage(alice, direct.challenge!.nonce, relay.url));
    expect(await direct.control()).toMatchObject({ type: 'refused' });
    const spoofed = await RawClient.connect(relay.url, { headers: { host: 'evil.example:1' } });
    spoofed.send(registerMessage(alice, spoofed.challenge!.nonce, 'ws://evil.example:1'));
    expect(await spoofed.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('another relay') });
    const proper = await RawClient.connect(relay.url);
    proper.send(registerMessage(alice, proper.challenge!.nonce, 'wss://relay.example/capmesh'));
    expect(await proper.control()).toEqual({ type: 'registered', designator: alice.designator });
  });

  it('a signature over one URL does not verify for another the relay answers to', async () => {
    const relay = await testRelay();
    const alice = identity();
    const client = await RawClient.connect(relay.url);
    const signedForLocalhost = registerMessage(alice, client.challenge!.nonce, `ws://localhost:${relay.port}`);
    client.send({ ...signedForLocalhost, relayUrl: `ws://127.0.0.1:${relay.port}/` } as typeof signedForLocalhost);
    expect(await client.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('does not verify') });
  });
});

describe('relay dial-only clients', () => {
  it('may open circuits under the declared designator and send on them, but nobody can reach them and they send no signals', async () => {
    const relay = await testRelay();
    const bobId = identity();
    const bob = await RawClient.registered(relay.url, bobId);
    const visitor = identity();
    const dialer = await RawClient.connect(relay.url);
    dialer.send({ type: 'dial-only', designator: visitor.designator });
    expect(await dialer.control()).toEqual({ type: 'dial-only-ok', designator: visitor.designator });
    expect(relay.isRegistered(visitor.designator)).toBe(false);
    const circuit = await dialer.open(bobId.designator);
    expect(await bob.control()).toEqual({ type: 'incoming', circuit, from: visitor.designator });
    dialer.sendData(circuit, bytes(3));
    expect(await bob.data()).toEqual({ circuit, payload: bytes(3) });
    bob.sendData(circuit, bytes(4));
    expect(await dialer.data()).toEqual({ circuit, payload: bytes(4) });
    bob.send({ type: 'open', request: 7, to: visitor.designator });
    expect(await bob.control()).toMatchObject({ type: 'open-failed', request: 7 });
    bob.send({ type: 'signal', peer: visitor.designator, kind: 'x', payload: bytes() });
    expect(await bob.control()).toMatchObject({ type: 'undeliverable', peer: visitor.designator });
    dialer.send({ type: 'signal', peer: bobId.designator, kind: 'x', payload: bytes() });
    expect((await dialer.closed).code).toBe(RELAY_CLOSE.protocol);
    expect(relay.metricsText()).toContain('capmesh_relay_registrations_total{result="dial_only"} 1\n');
  });

  it('a dial-only connection cannot register afterwards, and a relay with allowDialOnly: false refuses them', async () => {
    const relay = await testRelay();
    const me = identity();
    const dialer = await RawClient.connect(relay.url);
    dialer.send({ type: 'dial-only', designator: me.designator });
    expect(await dialer.control()).toMatchObject({ type: 'dial-only-ok' });
    dialer.register(me);
    expect((await dialer.closed).code).toBe(RELAY_CLOSE.protocol);
    expect(relay.isRegistered(me.designator)).toBe(false);

    const strict = await testRelay({ allowDialOnly: false });
    const refused = await RawClient.connect(strict.url);
    refused.send({ type: 'dial-only', designator: me.designator });
    expect(await refused.control()).toMatchObject({ type: 'refused', reason: expect.stringContaining('dial-only') });
    expect((await refused.closed).code).toBe(RELAY_CLOSE.refused);
  });
});

describe('relay circuits', () => {
  it('opens a circuit, forwards frames unchanged both ways, and tells the other end when one closes', async () => {
    const relay = await testRelay();
    const aliceId = identity();
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, aliceId);
    const bob = await RawClient.registered(relay.url, bobId);
    const circuit = await alice.open(bobId.designator, 7);
    expect(await bob.control()).toEqual({ type: 'incoming', circuit, from: aliceId.designator });
    alice.sendData(circuit, bytes(1, 2, 3));
    bob.sendData(circuit, bytes(9));
    expect(await bob.data()).toEqual({ circuit, payload: bytes(1, 2, 3) });
    expect(await alice.data()).toEqual({ circuit, payload: bytes(9) });
    bob.send({ type: 'close', circuit, reason: 'done' });
    expect(await alice.control()).toEqual({ type: 'closed', circuit, reason: 'done' });
    expect(relay.stats()).toMatchObject({ circuits: 0, framesForwarded: 2 });
  });

  it('fails an open to an unregistered designator or to oneself', async () => {
    const relay = await testRelay();
    const aliceId = identity();
    const alice = await RawClient.registered(relay.url, aliceId);
    alice.send({ type: 'open', request: 3, to: identity().designator });
    expect(await alice.control()).toMatchObject({ type: 'open-failed', request: 3, reason: expect.stringContaining('not registered') });
    alice.send({ type: 'open', request: 4, to: aliceId.designator });
    expect(await alice.control()).toMatchObject({ type: 'open-failed', request: 4 });
  });

  it('closes both ends of the circuits of a connection that goes away', async () => {
    const relay = await testRelay();
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, identity());
    const bob = await RawClient.registered(relay.url, bobId);
    const circuit = await alice.open(bobId.designator);
    await bob.control();
    bob.socket.close();
    expect(await alice.control()).toMatchObject({ type: 'closed', circuit, reason: expect.stringContaining('disconnected') });
  });

  it('refuses a frame injected by a third client into someone else\'s circuit; the victim receives nothing', async () => {
    const relay = await testRelay();
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, identity());
    const bob = await RawClient.registered(relay.url, bobId);
    const mallory = await RawClient.registered(relay.url, identity());
    const circuit = await alice.open(bobId.designator);
    await bob.control();
    mallory.sendData(circuit, bytes(6, 6, 6));
    expect(await mallory.control()).toEqual({ type: 'error', reason: `circuit ${circuit} is not yours` });
    mallory.send({ type: 'close', circuit, reason: 'hijack' });
    expect(await mallory.control()).toMatchObject({ type: 'error' });
    // An unregistered connection cannot inject either: its data frame cuts it.
    const anonymous = await RawClient.connect(relay.url);
    anonymous.sendData(circuit, bytes(7));
    expect((await anonymous.closed).code).toBe(RELAY_CLOSE.protocol);
    expect(relay.stats().drops.unregistered).toBe(1);
    // The circuit still works, and what Bob gets next is Alice's frame, not Mallory's.
    alice.sendData(circuit, bytes(1));
    expect(await bob.data()).toEqual({ circuit, payload: bytes(1) });
    expect(bob.pending).toBe(0);
    expect(relay.stats().drops.not_member).toBe(2);
  });
});

describe('relay signals', () => {
  it('routes a signal with the sender stamped by the relay, and reports undeliverable ones', async () => {
    const relay = await testRelay({ limits: { maxSignalBytes: 16 } });
    const aliceId = identity();
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, aliceId);
    const bob = await RawClient.registered(relay.url, bobId);
    alice.send({ type: 'signal', peer: bobId.designator, kind: 'webrtc-offer', payload: bytes(1, 2) });
    expect(await bob.control()).toEqual({ type: 'signal', peer: aliceId.designator, kind: 'webrtc-offer', payload: bytes(1, 2) });
    const nobody = identity().designator;
    alice.send({ type: 'signal', peer: nobody, kind: 'x', payload: bytes() });
    expect(await alice.control()).toMatchObject({ type: 'undeliverable', peer: nobody, kind: 'x' });
    alice.send({ type: 'signal', peer: bobId.designator, kind: 'big', payload: new Uint8Array(17) });
    expect(await alice.control()).toMatchObject({ type: 'undeliverable', kind: 'big', reason: expect.stringContaining('16 bytes') });
  });
});

describe('relay limits', () => {
  it('refuses an oversize frame by closing its sender with 1009, and keeps serving others', async () => {
    const relay = await testRelay({ limits: { maxFrameBytes: 4096 } });
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, identity());
    const bob = await RawClient.registered(relay.url, bobId);
    const circuit = await alice.open(bobId.designator);
    await bob.control();
    alice.sendData(circuit, new Uint8Array(4096));
    expect((await alice.closed).code).toBe(1009);
    expect(relay.stats().drops.oversize).toBe(1);
    expect(await bob.control()).toMatchObject({ type: 'closed', circuit });
    expect(bob.pending).toBe(0);
    const carol = await RawClient.registered(relay.url, identity());
    carol.send({ type: 'ping', n: 5 });
    expect(await carol.control()).toEqual({ type: 'pong', n: 5 });
  });

  it('cuts a connection that sends faster than its message rate (4008)', async () => {
    let clock = 0;
    const relay = await testRelay({ limits: { maxMessagesPerSecond: 10, messageBurst: 4 }, now: () => clock });
    const alice = await RawClient.registered(relay.url, identity()); // 1 message: register
    for (let n = 0; n < 3; n++) alice.send({ type: 'ping', n });
    for (let n = 0; n < 3; n++) expect(await alice.control()).toEqual({ type: 'pong', n });
    clock += 100; // one more token
    alice.send({ type: 'ping', n: 3 });
    expect(await alice.control()).toEqual({ type: 'pong', n: 3 });
    alice.send({ type: 'ping', n: 4 });
    expect((await alice.closed).code).toBe(RELAY_CLOSE.rateLimited);
    expect(relay.stats().drops.rate).toBe(1);
  });

  it('throttles the sender of a flood to a slow reader instead of cutting the reader, and loses nothing', async () => {
    const relay = await testRelay({
      limits: { maxBufferedBytes: 1024 * 1024, maxForwardBufferedBytes: 512 * 1024, maxPairBufferedBytes: 256 * 1024, maxMessagesPerSecond: 1_000_000, messageBurst: 1_000_000 },
    });
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, identity());
    const bob = await RawClient.registered(relay.url, bobId);
    const circuit = await alice.open(bobId.designator);
    await bob.control();
    bob.socket.pause(); // Bob stops reading; the kernel buffers fill, then the relay's.
    let sent = 0;
    // Send in bursts, yielding to the event loop, until the relay holds Alice back (bounded: 256 MiB).
    while (relay.stats().throttles === 0 && sent < 4096) {
      for (let i = 0; i < 16; i++) {
        const frame = new Uint8Array(64 * 1024);
        new DataView(frame.buffer).setUint32(0, sent++);
        alice.sendData(circuit, frame);
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(relay.stats().throttles).toBeGreaterThan(0);
    expect(relay.stats().drops.slow_consumer).toBe(0);
    expect(relay.isRegistered(bobId.designator)).toBe(true);
    bob.socket.resume();
    for (let n = 0; n < sent; n++) {
      const got = await bob.data();
      expect(new DataView(got.payload.buffer, got.payload.byteOffset).getUint32(0)).toBe(n);
    }
    const stats = relay.stats();
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.drops.slow_consumer).toBe(0);
    alice.send({ type: 'ping', n: 9 });
    expect(await alice.control()).toEqual({ type: 'pong', n: 9 });
  });

  it('closes a circuit for both ends past maxCircuitBytes or maxCircuitDurationMs', async () => {
    const relay = await testRelay({ limits: { maxCircuitBytes: 100, maxCircuitDurationMs: 50 } });
    const bobId = identity();
    const alice = await RawClient.registered(relay.url, identity());
    const bob = await RawClient.registered(relay.url, bobId);
    const big = await alice.open(bobId.designator, 1);
    await bob.control();
    alice.sendData(big, new Uint8Array(60));
    alice.sendData(big, new Uint8Array(60));
    expect(await bob.data()).toMatchObject({ circuit: big });
    expect(await bob.data()).toMatchObject({ circuit: big });
    expect(await bob.control()).toEqual({ type: 'closed', circuit: big, reason: 'circuits carry at most 100 bytes' });
    expect(await alice.control()).toEqual({ type: 'closed', circuit: big, reason: 'circuits carry at most 100 bytes' });
    const brief = await alice.open(bobId.designator, 2);
    expect(await bob.control()).toMatchObject({ type: 'incoming', circuit: brief });
    expect(await bob.control()).toEqual({ type: 'closed', circuit: brief, reason: 'circuits last at most 50 ms' });
    expect(await alice.control()).toEqual({ type: 'closed', circuit: brief, reason: 'circuits last at most 50 ms' });
    expect(relay.stats()).toMatchObject({ circuits: 0, drops: expect.objectContaining({ circuit_limit: 2 }) });
  });

  it('refuses connections over maxConnections at the upgrade with 503', async () => {
    const relay = await testRelay({ limits: { maxConnections: 2 } });
    await RawClient.connect(relay.url);
    await RawClient.connect(relay.url);
    const third = new WebSocket(relay.url);
    onCleanup(() => third.terminate());
    const status = await new Promise<number>((resolve) => {
      third.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => resolve(res.statusCode));
      third.on('error', () => {});
    });
    expect(status).toBe(503);
    expect(relay.stats().drops.max_connections).toBe(1);
  });

  it('drops a connection that stops answering pings (dead-peer detection)', async () => {
    const relay = await testRelay({ limits: { heartbeatMs: 25 } });
    const alive = await RawClient.registered(relay.url, identity());
    const dead = new WebSocket(relay.url, undefined, { autoPong: false });
    onCleanup(() => dead.terminate());
    dead.on('error', () => {});
    const closed = new Promise<void>((resolve) => dead.on('close', () => resolve()));
    await closed;
    expect(relay.stats().drops.heartbeat).toBeGreaterThanOrEqual(1);
    alive.send({ type: 'ping', n: 1 });
    expect(await alive.control()).toEqual({ type: 'pong', n: 1 });
  });
});
