import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createVat, E, far, type EngineVat } from '../../../src/index.js';
import { relayNetlayer } from '../../../src/netlayer/relay/node.js';
import type { RelayNetlayer } from '../../../src/netlayer/relay/index.js';
import { silentLogger, startRelay, type RelayOptions, type RelayServer } from '../../../relay/index.js';
import { identity, onCleanup, relayClient } from '../helpers.js';
import { eventually, freePort, spawnRelayNode, startRedis, type TestRedis } from './helpers.js';

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function redis(): Promise<TestRedis> {
  const r = await startRedis();
  onCleanup(() => r.close());
  return r;
}

/** An in-process relay node of the cluster on `r`. */
async function node(r: TestRedis, nodeId: string, options: Partial<RelayOptions> = {}): Promise<RelayServer> {
  const relay = await startRelay({ port: 0, log: silentLogger, cluster: { redis: r.url, nodeId, heartbeatMs: 200 }, ...options });
  onCleanup(() => relay.close());
  return relay;
}

/** A vat whose home is the cluster, dialling `urls[0]` first. */
async function vat(urls: readonly string[]): Promise<{ vat: EngineVat; netlayer: RelayNetlayer }> {
  const netlayer = relayNetlayer({ url: urls, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  const v = await createVat({ netlayers: [netlayer] });
  vats.push(v);
  return { vat: v, netlayer };
}

/**
 * Two nodes `a` and `b` on a fresh Redis `r`; Alice registered at `a`, Bob at
 * `b`, and `a` already knows where Bob is.
 */
async function twoNodes() {
  const r = await redis();
  const a = await node(r, 'a');
  const b = await node(r, 'b');
  const alice = relayClient(a.url);
  const bobId = identity();
  const bob = relayClient(b.url, bobId);
  await Promise.all([alice.whenRegistered(), bob.whenRegistered()]);
  await eventually(() => a.cluster()!.peersKnown === 2, 'a knows bob');
  return { r, a, b, alice, bob, bobId };
}

function metric(relay: RelayServer, line: string): number {
  const found = relay.metricsText().split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? Number.NaN : Number(found.slice(line.length + 1));
}

async function healthz(url: string): Promise<{ registered: number; cluster?: { node: string; redis: string; nodes: number; peersKnown: number } }> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/healthz`);
  return (await res.json()) as never;
}

describe('relay cluster on Redis', () => {
  it('three nodes: vats on different nodes call each other through their own node; health and metrics report the cluster', async () => {
    const r = await redis();
    const a = await node(r, 'a');
    const b = await node(r, 'b');
    const c = await node(r, 'c');
    const alice = await vat([a.url, b.url, c.url]);
    const bob = await vat([b.url, c.url, a.url]);
    const carol = await vat([c.url, a.url, b.url]);
    expect([a, b, c].map((n) => n.stats().registered)).toEqual([1, 1, 1]);
    const bobRef = await bob.vat.register(far('adder', { add: (x: bigint, y: bigint) => x + y }));
    const carolRef = await carol.vat.register(far('greeter', { greet: (n: string) => `hello ${n}` }));
    // Every node learns every registration.
    await eventually(async () => (await Promise.all([a, b, c].map((n) => healthz(n.url)))).every((h) => h.cluster?.peersKnown === 3), 'three peers known everywhere');
    expect(await E(await alice.vat.enliven<{ add(x: bigint, y: bigint): bigint }>(bobRef)).add(2n, 3n)).toBe(5n);
    expect(await E(await alice.vat.enliven<{ greet(n: string): string }>(carolRef)).greet('alice')).toBe('hello alice');
    expect(await E(await carol.vat.enliven<{ add(x: bigint, y: bigint): bigint }>(bobRef)).add(40n, 2n)).toBe(42n);
    // Alice reached Bob and Carol through her own node: no dial-only client to theirs, circuits at her node.
    expect(alice.netlayer.foreignClients()).toEqual([]);
    expect(a.stats().circuits).toBe(2);
    expect(metric(a, 'capmesh_relay_cluster_messages_sent_total{kind="open"}')).toBe(2);
    expect(metric(b, 'capmesh_relay_cluster_messages_received_total{kind="data"}')).toBeGreaterThan(0);
    expect(metric(b, 'capmesh_relay_cluster_route_seconds_count')).toBeGreaterThan(0);
    const health = await healthz(a.url);
    expect(health.cluster).toEqual({ node: 'a', redis: 'connected', nodes: 3, peersKnown: 3 });
    expect(a.cluster()).toEqual(health.cluster);
  });

  it('signals cross nodes, and an unknown designator comes back undeliverable', async () => {
    const { alice, bob, bobId } = await twoNodes();
    const got = new Promise<{ from: string; kind: string; payload: Uint8Array }>((resolve) => bob.on('signal', resolve));
    alice.signal(bobId.designator, 'offer', new Uint8Array([1, 2, 3]));
    expect(await got).toEqual({ from: alice.designator, kind: 'offer', payload: new Uint8Array([1, 2, 3]) });
    const nobody = identity().designator;
    const undeliverable = new Promise<string>((resolve) => alice.on('undeliverable', (notice) => resolve(notice.to)));
    alice.signal(nobody, 'offer', new Uint8Array([9]));
    expect(await undeliverable).toBe(nobody);
  });

  it('a circuit across nodes keeps 500 frames in order both ways', async () => {
    const { a, b, alice, bob, bobId } = await twoNodes();
    const incoming = new Promise<import('../../../src/netlayer/relay/circuit.js').RelayCircuit>((resolve) => bob.on('circuit', resolve));
    const out = await alice.openCircuit(bobId.designator);
    const inn = await incoming;
    const atBob: number[] = [];
    const atAlice: number[] = [];
    let bobClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (bobClosed = resolve));
    const bobDone = new Promise<void>((resolve) =>
      inn.setHandler({
        message: (p) => (atBob.push(p[0]! | (p[1]! << 8)), atBob.length === 500 && resolve()),
        closed: () => bobClosed(),
      }),
    );
    const aliceDone = new Promise<void>((resolve) =>
      out.setHandler({ message: (p) => (atAlice.push(p[0]! | (p[1]! << 8)), atAlice.length === 500 && resolve()), closed: () => {} }),
    );
    for (let i = 0; i < 500; i++) {
      out.send(new Uint8Array([i & 0xff, i >> 8]));
      inn.send(new Uint8Array([i & 0xff, i >> 8]));
    }
    await Promise.all([bobDone, aliceDone]);
    const expected = Array.from({ length: 500 }, (_, i) => i);
    expect(atBob).toEqual(expected);
    expect(atAlice).toEqual(expected);
    // Closing one end closes the other across the nodes.
    out.close('done');
    await closed;
    await eventually(() => a.stats().circuits === 0 && b.stats().circuits === 0, 'circuits gone on both nodes');
  });

  it('the same designator registered on two nodes: the newest wins, the older connection is told replaced', async () => {
    const r = await redis();
    const a = await node(r, 'a');
    const b = await node(r, 'b');
    const who = identity();
    const first = relayClient(a.url, who, { replaceRecovery: false });
    await first.whenRegistered();
    const replaced = new Promise<void>((resolve) => first.on('replaced', () => resolve()));
    const second = relayClient(b.url, who, { replaceRecovery: false });
    await second.whenRegistered();
    await replaced;
    expect(first.state).toBe('replaced');
    expect(second.state).toBe('registered');
    expect(a.isRegistered(who.designator)).toBe(false);
    expect(metric(a, 'capmesh_relay_cluster_replaced_total')).toBe(1);
    // Signals to the designator now reach the newer registration, from either node.
    const caller = relayClient(a.url);
    await caller.whenRegistered();
    const got = new Promise<string>((resolve) => second.on('signal', (signal) => resolve(signal.from)));
    await eventually(async () => {
      const dir = new Redis(r.url);
      const entry = await dir.hget('capmesh:dir', who.designator);
      dir.disconnect();
      return entry?.startsWith('b ');
    }, 'the directory names node b');
    caller.signal(who.designator, 'hello', new Uint8Array([1]));
    expect(await got).toBe(caller.designator);
  });

  it('a proof naming another node of the cluster is accepted; one for a relay outside it is refused', async () => {
    const r = await redis();
    const a = await node(r, 'a');
    const b = await node(r, 'b');
    const outside = await startRelay({ port: 0, log: silentLogger });
    onCleanup(() => outside.close());
    await eventually(() => a.cluster()!.nodes === 2, 'a sees b');
    // A hand-made registration at node a that names node b's URL: the proof binds the cluster, not one node.
    const { RawClient, registerMessage } = await import('../helpers.js');
    const raw = await RawClient.connect(a.url);
    const who = identity();
    raw.send(registerMessage(who, raw.challenge!.nonce, b.url));
    expect(await raw.control()).toMatchObject({ type: 'registered' });
    const other = await RawClient.connect(a.url);
    other.send(registerMessage(identity(), other.challenge!.nonce, outside.url));
    expect(await other.control()).toMatchObject({ type: 'refused' });
  });
});

describe('relay cluster: Redis away', () => {
  it('startRelay rejects with TIMEOUT when Redis cannot be reached, and frees its port', async () => {
    const r = await redis();
    await r.kill();
    const port = await freePort();
    await expect(startRelay({ port, log: silentLogger, cluster: { redis: r.url, connectTimeoutMs: 300 } })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const single = await startRelay({ port, log: silentLogger });
    await single.close();
    await expect(startRelay({ port: 0, log: silentLogger, cluster: { redis: 'http://x' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a node closes while Redis is down; circuits across nodes end when Redis goes', async () => {
    const { r, a, alice, bob, bobId } = await twoNodes();
    bob.on('circuit', (c) => c.setHandler({ message: () => {}, closed: () => {} }));
    const circuit = await alice.openCircuit(bobId.designator);
    const ended = new Promise<string>((resolve) => circuit.setHandler({ message: () => {}, closed: (reason) => resolve(reason) }));
    await r.kill();
    expect(await ended).toContain('lost Redis');
    expect(metric(a, 'capmesh_relay_cluster_redis_disconnects_total')).toBe(1);
    await a.close();
  });
});

describe('relay cluster: Redis hangs', () => {
  it('a node closes within a heartbeat while Redis answers nothing (the lease is left to expire)', async () => {
    const r = await redis();
    const a = await node(r, 'a', { cluster: { redis: r.url, nodeId: 'a', heartbeatMs: 200 } });
    r.pause();
    onCleanup(() => r.resume());
    await a.close();
    expect(a.cluster()!.redis).toBe('disconnected');
  });
});

describe('relay cluster: leases', () => {
  it('a node whose lease lapsed is dropped by the others; when it renews, its registrations are learnt again', async () => {
    const r = await redis();
    const a = await node(r, 'a', { cluster: { redis: r.url, nodeId: 'a', heartbeatMs: 50 } });
    // Node b renews rarely, so the lapse below lasts until its next renewal.
    const b = await node(r, 'b', { cluster: { redis: r.url, nodeId: 'b', heartbeatMs: 2_000 } });
    const bob = relayClient(b.url);
    await bob.whenRegistered();
    await eventually(() => a.cluster()!.peersKnown === 1, 'a knows bob');
    const admin = new Redis(r.url);
    onCleanup(() => admin.disconnect());
    await admin.del('capmesh:node:b'); // as if b had stalled past its lease
    await eventually(() => a.cluster()!.nodes === 1 && a.cluster()!.peersKnown === 0, 'a dropped b and its registration');
    await eventually(() => a.cluster()!.nodes === 2 && a.cluster()!.peersKnown === 1, 'b renewed; a learnt bob again', 10_000);
    // Routing to bob works again from a.
    const alice = relayClient(a.url);
    await alice.whenRegistered();
    const got = new Promise<string>((resolve) => bob.on('signal', (signal) => resolve(signal.from)));
    alice.signal(bob.designator, 'hello', new Uint8Array([1]));
    expect(await got).toBe(alice.designator);
  });
});

describe('relay cluster failures (real processes)', () => {
  it('a node killed with SIGKILL: its vats re-register through another node and are reached again', async () => {
    const r = await redis();
    const a = await spawnRelayNode(r.url, 'a');
    onCleanup(() => a.kill());
    const b = await spawnRelayNode(r.url, 'b');
    onCleanup(() => b.kill());
    const alice = await vat([a.url, b.url]);
    const bob = await vat([b.url, a.url]);
    const ref = await bob.vat.register(far('echo', { echo: (s: string) => s }));
    await eventually(async () => (await healthz(a.url)).cluster?.peersKnown === 2, 'a knows bob');
    expect(await E(await alice.vat.enliven<{ echo(s: string): string }>(ref)).echo('before')).toBe('before');
    const bobClient = bob.netlayer.client!;
    const before = bobClient.registrations;
    await b.kill();
    // Bob's client fails over to node a and registers there.
    await eventually(() => bobClient.registrations > before && bobClient.state === 'registered', 'bob registered again');
    expect(bobClient.url).toBe(a.url);
    await eventually(async () => (await healthz(a.url)).registered === 2, 'both vats at node a');
    const again = await eventually(
      async () => E(await alice.vat.enliven<{ echo(s: string): string }>(ref)).echo('after').catch(() => undefined),
      'alice reaches bob again',
    );
    expect(again).toBe('after');
    // The dead node's lease ran out: a knows one node.
    await eventually(async () => (await healthz(a.url)).cluster?.nodes === 1, 'b is gone from the cluster');
  });

  it('Redis restarted empty: the nodes re-announce their registrations; a node joining afterwards reaches them', async () => {
    const r = await redis();
    const a = await node(r, 'a');
    const b = await node(r, 'b');
    const bob = await vat([b.url]);
    const ref = await bob.vat.register(far('echo', { echo: (s: string) => s }));
    await eventually(() => a.cluster()!.peersKnown === 1, 'a knows bob');
    await r.kill();
    await eventually(() => a.cluster()!.redis === 'disconnected' && b.cluster()!.redis === 'disconnected', 'nodes see redis gone');
    await r.restart();
    await eventually(() => metric(b, 'capmesh_relay_cluster_reannounces_total') >= 1 && b.cluster()!.redis === 'connected', 'b re-announced');
    const check = new Redis(r.url);
    onCleanup(() => check.disconnect());
    await eventually(async () => (await check.hget('capmesh:dir', bob.vat.designator))?.startsWith('b '), 'bob back in the directory');
    const c = await node(r, 'c');
    const carol = await vat([c.url]);
    expect(await E(await carol.vat.enliven<{ echo(s: string): string }>(ref)).echo('after restart')).toBe('after restart');
    expect(c.cluster()!.nodes).toBe(3);
  });
});
