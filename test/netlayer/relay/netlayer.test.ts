import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type EngineVat } from '../../../src/index.js';
import { relayNetlayer } from '../../../src/netlayer/relay/node.js';
import type { RelayConnection, RelayNetlayer, RelayNetlayerOptions } from '../../../src/netlayer/relay/index.js';
import type { RelayReplacedNotice } from '../../../src/netlayer/relay/client.js';
import { designatorOf, generateKeyPair, sign, type KeyPair } from '../../../src/crypto/index.js';
import { DATA_HEADER_BYTES } from '../../../src/netlayer/relay/protocol.js';
import { silentLogger, startRelay, type RelayOptions, type RelayServer } from '../../../relay/index.js';
import { dialOverCircuit } from '../../../src/netlayer/relay/circuit-handshake.js';
import { decodeOp, encodeOp, dialectFor } from '../../../src/wire/index.js';
import { makeHello } from '../../../src/mesh/handshake.js';
import { clientState, identity, relayClient, testRelay } from '../../relay/helpers.js';
import { testSigner } from '../../crypto/test-signer.js';

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

interface Node {
  readonly vat: EngineVat;
  readonly netlayer: RelayNetlayer;
}

async function node(url: string, options: Partial<RelayNetlayerOptions> = {}, identity?: KeyPair): Promise<Node> {
  const netlayer = relayNetlayer({ url, reconnect: { initialDelayMs: 5, maxDelayMs: 40 }, ...options });
  const vat = await createVat({ netlayers: [netlayer], ...(identity ? { identity } : {}) });
  vats.push(vat);
  return { vat, netlayer };
}

/** Waits until `predicate` holds, yielding to the event loop between checks (no timers). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

/** Resolves with the next connection of `netlayer` that ends. */
function nextEnded(netlayer: RelayNetlayer): Promise<RelayConnection> {
  return new Promise((resolve) => {
    const off = netlayer.onConnectionEnded((c) => {
      off();
      resolve(c);
    });
  });
}

/** Flip one bit or replay one frame of the next data frame the relay forwards from `from`, when armed. */
function hostileRelay(): { relay: Promise<RelayServer>; arm(mode: 'flip' | 'replay', from: string): void; fired: () => number } {
  let armed: { mode: 'flip' | 'replay'; from: string } | undefined;
  let fired = 0;
  const relay = testRelay({
    interceptData(frame, _circuit, from) {
      if (!armed || armed.from !== from) return [frame];
      const { mode } = armed;
      armed = undefined;
      fired++;
      if (mode === 'replay') return [frame, frame];
      const copy = frame.slice();
      copy[DATA_HEADER_BYTES + 8 + 2]! ^= 0x01; // a ciphertext bit, past the counter
      return [copy];
    },
  });
  return { relay, arm: (mode, from) => (armed = { mode, from }), fired: () => fired };
}

describe('relay netlayer: two vats through a relay', () => {
  it('calls across the relay both ways; the locator names the relay', async () => {
    const relay = await testRelay();
    const alice = await node(relay.url);
    const bob = await node(relay.url);
    const aliceRef = await alice.vat.register(far('greeter', { greet: (n: string) => `hello ${n}` }));
    expect(aliceRef).toMatch(new RegExp(`^ocapn://${alice.vat.designator}\\.relay/s/[A-Za-z0-9_-]+\\?url=${encodeURIComponent(relay.url)}$`));
    const bobRef = await bob.vat.register(far('counter', { add: (a: bigint, b: bigint) => a + b }));
    const greeter = await bob.vat.enliven<{ greet(n: string): string }>(aliceRef);
    expect(await E(greeter).greet('bob')).toBe('hello bob');
    const counter = await alice.vat.enliven<{ add(a: bigint, b: bigint): bigint }>(bobRef);
    expect(await E(counter).add(2n, 3n)).toBe(5n);
    // One session per peer pair, carried by one circuit.
    expect(alice.vat.sessions()).toHaveLength(1);
    expect(relay.stats().circuits).toBe(1);
    const [connection] = bob.netlayer.connections();
    expect(connection).toMatchObject({ transport: 'relay', peer: alice.vat.designator, outbound: true, provenDesignator: alice.vat.designator });
    // Proven both ways: the listener's end names the dialler the handshake proved.
    expect(alice.netlayer.connections().map((c) => [c.outbound, c.provenDesignator])).toEqual([[false, bob.vat.designator]]);
    expect(alice.vat.sessions()[0]!.proven).toBe(true);
    expect(connection!.counters.sent).toBeGreaterThan(0);
  });

  it('reaches a vat at a relay a sturdyref names (the lure) dial-only: the caller never registers there', async () => {
    const home = await testRelay();
    const lure = await testRelay();
    const alice = await node(lure.url);
    const bob = await node(home.url);
    const ref = await alice.vat.register(far('far-away', { where: () => 'away' }));
    expect(await E(await bob.vat.enliven<{ where(): string }>(ref)).where()).toBe('away');
    // The lure relay got one registration (Alice's), none from Bob — not even a refused one: Bob only declared himself dial-only.
    expect(lure.isRegistered(bob.vat.designator)).toBe(false);
    expect(lure.metricsText()).toContain('capmesh_relay_registrations_total{result="ok"} 1\n');
    expect(lure.metricsText()).toContain('capmesh_relay_registrations_total{result="refused"} 0\n');
    expect(lure.metricsText()).toContain('capmesh_relay_registrations_total{result="dial_only"} 1\n');
    expect(home.isRegistered(bob.vat.designator)).toBe(true);
    expect(home.stats().circuits).toBe(0);
    expect(lure.stats().circuits).toBe(1);
    expect(bob.netlayer.foreignClients().map((c) => [c.url, c.mode, c.state])).toEqual([[lure.url, 'dial-only', 'dial-only']]);
    // The session is proven both ways all the same: Alice sees Bob's designator.
    expect(alice.netlayer.connections()[0]).toMatchObject({ peer: bob.vat.designator, outbound: false });
  });

  it('carries a message larger than the relay frame limit in several sealed chunks', async () => {
    const relay = await testRelay({ limits: { maxFrameBytes: 2048 } });
    const alice = await node(relay.url);
    const bob = await node(relay.url);
    const echo = await bob.vat.enliven<{ len(s: string): bigint }>(await alice.vat.register(far('echo', { len: (s: string) => BigInt(s.length) })));
    const big = 'x'.repeat(20_000);
    expect(await E(echo).len(big)).toBe(20_000n);
    expect(bob.netlayer.connections()[0]!.counters.sent).toBeGreaterThan(10);
  });

  it('the relay sees no plaintext: a marker string in a call never appears in a forwarded frame', async () => {
    const seen: Uint8Array[] = [];
    const relay = await testRelay({ interceptData: (frame) => (seen.push(frame.slice()), [frame]) });
    const alice = await node(relay.url);
    const bob = await node(relay.url);
    const sink = await bob.vat.enliven<{ take(s: string): boolean }>(await alice.vat.register(far('sink', { take: () => true })));
    const marker = 'MARKER-7f3a9c-plaintext';
    expect(await E(sink).take(marker)).toBe(true);
    const text = seen.map((f) => Buffer.from(f).toString('latin1')).join('\n');
    expect(seen.length).toBeGreaterThan(3);
    expect(text).not.toContain(marker);
    expect(text).not.toContain('op:deliver');
    expect(text).not.toContain('start-session');
  });

  it('a deployed relay takes no traffic hooks: interceptors smuggled into startRelay options are never called', async () => {
    let calls = 0;
    const hooks = { interceptData: (frame: Uint8Array) => (calls++, [frame]), interceptSignal: (payload: Uint8Array) => (calls++, [payload]) };
    const relay = await startRelay({ port: 0, log: silentLogger, ...hooks } as RelayOptions);
    try {
      const alice = await node(relay.url);
      const bob = await node(relay.url);
      const sink = await bob.vat.enliven<{ take(s: string): boolean }>(await alice.vat.register(far('sink', { take: () => true })));
      expect(await E(sink).take('through an honest relay')).toBe(true);
      expect(relay.stats().circuits).toBeGreaterThan(0);
      expect(calls).toBe(0);
    } finally {
      await relay.close();
    }
  });
});

describe('relay netlayer: a hostile peer', () => {
  it('the vat aborts a peer whose start-session claims another vat than the designator its circuit proved (IDENTITY_MISMATCH)', async () => {
    const relay = await testRelay();
    const alice = await node(relay.url);
    const bob = await node(relay.url);
    const mallory = identity();
    const client = relayClient(relay.url, mallory);
    await client.whenRegistered();
    const circuit = await client.openCircuit(bob.vat.designator);
    const connection = await dialOverCircuit(circuit, { transport: 'relay', designator: bob.vat.designator, hints: { url: relay.url } }, {
      transport: 'relay',
      identity: mallory,
      timeoutMs: 5_000,
      maxChunkBytes: 60_000,
      maxMessageBytes: 1 << 20,
      onEnded: () => {},
    });
    const received: Uint8Array[] = [];
    const closed = new Promise<string>((resolve) => connection.setReceiver({ message: (b) => void received.push(b), closed: (r) => resolve(r.kind) }));
    // A well-signed hello (Mallory's own session key) that claims Alice's relay locator.
    const hello = makeHello(alice.vat.locators()[0]!, dialectFor('spec'));
    connection.send(encodeOp(hello.op, dialectFor('spec'))[0]!);
    expect(await closed).toBe('remote');
    const last = decodeOp(received.at(-1)!);
    expect(last.op === 'abort' && last.reason).toMatch(/^IDENTITY_MISMATCH: /);
    expect(bob.vat.sessions()).toHaveLength(0);
    expect(bob.vat.refusals().identityMismatch).toBe(1);
  });
});

describe('relay netlayer: a hostile relay', () => {
  for (const mode of ['flip', 'replay'] as const) {
    const code = mode === 'flip' ? 'E2E_TAMPERED' : 'E2E_REPLAY';
    it(`${mode === 'flip' ? 'a flipped ciphertext bit' : 'a replayed frame'} aborts the connection with ${code}; nothing is delivered`, async () => {
      const hostile = hostileRelay();
      const relay = await hostile.relay;
      const alice = await node(relay.url);
      const bob = await node(relay.url);
      let calls = 0;
      const uri = await alice.vat.register(far('target', { hit: () => BigInt(++calls) }));
      const target = await bob.vat.enliven<{ hit(): bigint }>(uri);
      expect(await E(target).hit()).toBe(1n);
      const aliceEnded = nextEnded(alice.netlayer);
      const bobEnded = nextEnded(bob.netlayer);
      const aliceSessionEnded = alice.vat.whenSessionEnds(bob.vat.locators()[0]!);
      // The relay meddles with Bob's next frame: the deliver of the second call.
      hostile.arm(mode, bob.vat.designator);
      const second = E(target).hit();
      if (mode === 'flip') await expect(second).rejects.toMatchObject({ code: 'DISCONNECTED' });
      else await second.catch(() => undefined); // Alice may answer the original before the replay arrives.
      expect(hostile.fired()).toBe(1);
      const detected = await aliceEnded;
      expect(detected.closeError?.code).toBe(code);
      // The session (and everything that depended on it) broke with that code too; the message is the text alone.
      const ended = await aliceSessionEnded;
      expect(ended.code).toBe(code);
      expect(ended.message).not.toContain(`${code}:`);
      expect((await bobEnded).isOpen).toBe(false);
      await until(() => alice.vat.sessions().length === 0 && bob.vat.sessions().length === 0, 'both sessions closed');
      // The tampered deliver never reached Alice's object; the original was delivered once, its replay never.
      expect(calls).toBe(mode === 'flip' ? 1 : 2);
      // A new session works again over the same relay.
      const again = await bob.vat.enliven<{ hit(): bigint }>(uri);
      const next = BigInt(calls + 1);
      expect(await E(again).hit()).toBe(next);
    });
  }
});

describe('relay netlayer: relay restart', () => {
  it('starts while the relay is down (attach does not hang), registers once it is up', async () => {
    const probe = await startRelay({ port: 0, log: silentLogger });
    const { port, url } = probe;
    await probe.close();
    const alice = await node(url);
    expect(alice.netlayer.client!.state).not.toBe('registered');
    const registered = clientState(alice.netlayer.client!, 'registered');
    const relay = await startRelay({ port, log: silentLogger });
    try {
      await registered;
      expect(relay.isRegistered(alice.vat.designator)).toBe(true);
    } finally {
      await Promise.all(vats.splice(0).map((v) => v.close()));
      await relay.close();
    }
  });


  it('reconnects and re-registers after the relay restarts; the vat re-enlivens its sturdyref', async () => {
    const first = await startRelay({ port: 0, log: silentLogger });
    const port = first.port;
    const alice = await node(first.url);
    const bob = await node(first.url);
    const uri = await alice.vat.register(far('clock', { now: () => 'tick' }));
    const before = await bob.vat.enliven<{ now(): string }>(uri);
    expect(await E(before).now()).toBe('tick');

    const aliceDown = clientState(alice.netlayer.client!, 'disconnected');
    const bobDown = clientState(bob.netlayer.client!, 'disconnected');
    await first.close();
    await Promise.all([aliceDown, bobDown]);
    await expect(E(before).now()).rejects.toMatchObject({ code: 'DISCONNECTED' });

    const second = await startRelay({ port, log: silentLogger });
    try {
      await Promise.all([clientState(alice.netlayer.client!, 'registered'), clientState(bob.netlayer.client!, 'registered')]);
      expect(alice.netlayer.client!.registrations).toBe(2);
      expect(second.isRegistered(alice.vat.designator)).toBe(true);
      const after = await bob.vat.enliven<{ now(): string }>(uri);
      expect(await E(after).now()).toBe('tick');
    } finally {
      await Promise.all(vats.splice(0).map((v) => v.close()));
      await second.close();
    }
  });
});

describe('relay netlayer: peer-named relays under relayPolicy', () => {
  it('a third-party handoff from an honest gifter to an exporter at another relay is followed dial-only: the receiver never registers there', async () => {
    const home = await testRelay();
    const lure = await testRelay();
    const mallory = await node(lure.url);
    const alice = await node(home.url);
    const bob = await node(home.url);
    const bait = await mallory.vat.register(far('bait', { hello: () => 'from mallory' }));
    const fromMallory = await alice.vat.enliven<{ hello(): string }>(bait);
    // Alice (honest) hands Mallory's object on to Bob: the give names Mallory's self-claimed relay.
    const room = await alice.vat.register(far('room', { member: () => fromMallory }));
    const member = await E(await bob.vat.enliven<{ member(): { hello(): string } }>(room)).member();
    expect(await E(member).hello()).toBe('from mallory');
    // Bob talks to Mallory directly (the handoff was followed), through the lure relay, dial-only.
    expect(bob.netlayer.connections().map((c) => c.peer)).toContain(mallory.vat.designator);
    expect(bob.netlayer.foreignClients().map((c) => c.state)).toEqual(['dial-only']);
    expect(lure.isRegistered(bob.vat.designator)).toBe(false);
    expect(lure.isRegistered(alice.vat.designator)).toBe(false);
    expect(lure.metricsText()).toContain('capmesh_relay_registrations_total{result="ok"} 1\n');
    expect(lure.metricsText()).toContain('capmesh_relay_registrations_total{result="dial_only"} 2\n');
  });

  it('relayPolicy \'never\' refuses to dial a relay a peer named (RELAY_POLICY), and connects nowhere', async () => {
    const home = await testRelay();
    const lure = await testRelay();
    const alice = await node(lure.url);
    const bob = await node(home.url, { relayPolicy: 'never' });
    const ref = await alice.vat.register(far('far-away', { where: () => 'away' }));
    const error = await bob.vat.enliven<{ where(): string }>(ref).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe('RELAY_POLICY');
    expect(error?.message).not.toMatch(/^RELAY_POLICY/);
    expect(bob.netlayer.foreignClients()).toEqual([]);
    expect(lure.stats().connections).toBe(1);
  });

  it('a relayPolicy function decides per normalised URL', async () => {
    const home = await testRelay();
    const allowed = await testRelay();
    const denied = await testRelay();
    const asked: string[] = [];
    const policy = (url: string): 'dial-only' | 'never' => (asked.push(url), url === `ws://127.0.0.1:${allowed.port}/` ? 'dial-only' : 'never');
    const bob = await node(home.url, { relayPolicy: policy });
    const a = await node(allowed.url);
    const d = await node(denied.url);
    const okRef = await a.vat.register(far('ok', { ok: () => true }));
    const noRef = await d.vat.register(far('no', { ok: () => true }));
    expect(await E(await bob.vat.enliven<{ ok(): boolean }>(okRef)).ok()).toBe(true);
    await expect(bob.vat.enliven(noRef)).rejects.toMatchObject({ code: 'RELAY_POLICY' });
    expect(asked).toEqual(expect.arrayContaining([`ws://127.0.0.1:${allowed.port}/`, `ws://127.0.0.1:${denied.port}/`]));
    expect(denied.stats().connections).toBe(1);
  });

  it('caps foreign relays (maxForeignRelays) and closes one when it has been idle foreignRelayIdleMs', async () => {
    const home = await testRelay();
    const first = await testRelay();
    const second = await testRelay();
    const bob = await node(home.url, { maxForeignRelays: 1, foreignRelayIdleMs: 30 });
    const a = await node(first.url);
    const c = await node(second.url);
    const aRef = await a.vat.register(far('a', { who: () => 'a' }));
    const cRef = await c.vat.register(far('c', { who: () => 'c' }));
    expect(await E(await bob.vat.enliven<{ who(): string }>(aRef)).who()).toBe('a');
    const [foreign] = bob.netlayer.foreignClients();
    // The first foreign client is busy (its session is open): no room for a second.
    await expect(bob.vat.enliven(cRef)).rejects.toMatchObject({ message: expect.stringContaining('maxForeignRelays') });
    expect(second.stats().connections).toBe(1);
    // The session ends; the client has nothing open and is closed after the idle time.
    const closed = clientState(foreign!, 'closed');
    for (const connection of bob.netlayer.connections()) connection.close('done');
    await closed;
    expect(bob.netlayer.foreignClients()).toEqual([]);
    // Now there is room again.
    expect(await E(await bob.vat.enliven<{ who(): string }>(cRef)).who()).toBe('c');
    expect(bob.netlayer.foreignClients().map((x) => x.url)).toEqual([second.url]);
  });
});

describe('relay netlayer: replaced at home', () => {
  it('reports replaced (onReplaced), registers again and is reachable again', async () => {
    const relay = await testRelay();
    const keys = generateKeyPair();
    const alice = await node(relay.url, { replaceRecovery: { initialDelayMs: 5, maxDelayMs: 50 } }, keys);
    const bob = await node(relay.url);
    const uri = await alice.vat.register(far('home', { ping: () => 'pong' }));
    await alice.netlayer.client!.whenRegistered();
    const replaced = new Promise<RelayReplacedNotice>((resolve) => alice.netlayer.onReplaced(resolve));
    // Whoever holds Alice's key registers elsewhere (and does not fight back).
    const squatter = relayClient(relay.url, { keys, designator: designatorOf(keys.publicKey), sign: (m) => sign(keys.secretKey, m), signer: testSigner(keys) }, { replaceRecovery: false });
    const squatterLost = clientState(squatter, 'replaced');
    await squatter.whenRegistered();
    expect(await replaced).toMatchObject({ url: relay.url, count: 1 });
    await squatterLost;
    await clientState(alice.netlayer.client!, 'registered');
    expect(alice.netlayer.client!.registrations).toBe(2);
    expect(await E(await bob.vat.enliven<{ ping(): string }>(uri)).ping()).toBe('pong');
  });
});
