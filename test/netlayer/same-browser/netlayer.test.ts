import { afterEach, describe, expect, it, vi } from 'vitest';
import { publicKeyOfDesignator, verify } from '../../../src/crypto/index.js';
import { createVat, E, far, type EngineVat } from '../../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../../src/netlayer/memory/index.js';
import { sameBrowserBroker, type SameBrowserBroker } from '../../../src/netlayer/same-browser/broker.js';
import { authStatement } from '../../../src/netlayer/same-browser/channel.js';
import { sameBrowserNetlayer, type SameBrowserOptions } from '../../../src/netlayer/same-browser/netlayer.js';
import type { Presence } from '../../../src/netlayer/same-browser/presence.js';
import type { FromSameBrowserBroker } from '../../../src/netlayer/same-browser/protocol.js';
import type { Connection, Netlayer } from '../../../src/netlayer/types.js';
import { CapmeshError } from '../../../src/util/errors.js';
import { parseSturdyRef } from '../../../src/mesh/uri.js';
import { identity, nextMessage, testPresence, type TestIdentity } from './fixtures.js';

/** Told after each signature check the channel makes (to order a test's steps after one; below the module under test). */
const afterVerify = vi.hoisted(() => ({ hook: undefined as (() => void) | undefined }));
vi.mock('../../../src/crypto/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/crypto/index.js')>();
  return {
    ...real,
    verifyAsync: async (...args: Parameters<typeof real.verifyAsync>) => {
      const ok = await real.verifyAsync(...args);
      afterVerify.hook?.();
      return ok;
    },
  };
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Fallback = { designator: string; code: string; message: string };

interface Browser {
  readonly broker: SameBrowserBroker;
  readonly network: MemoryNetwork;
  readonly presence: ReturnType<typeof testPresence>;
  /** A tab: a vat whose network netlayer (`inner`, default the memory network's) is wrapped by the fast path. */
  tab(options?: { inner?: Netlayer; me?: TestIdentity; same?: Partial<SameBrowserOptions> }): Promise<{ vat: EngineVat; me: TestIdentity; fallbacks: Fallback[] }>;
  /** A raw port on the broker (an impostor's). */
  port(): MessagePort;
}

function browser(): Browser {
  const presence = testPresence();
  const broker = sameBrowserBroker({ presence: presence.presence });
  cleanups.push(() => broker.close());
  const network = createMemoryNetwork();
  const port = (): MessagePort => {
    const { port1, port2 } = new MessageChannel();
    broker.connect(port2);
    cleanups.push(() => port1.close());
    return port1;
  };
  return {
    broker,
    network,
    presence,
    port,
    async tab(options = {}) {
      const me = options.me ?? identity();
      const fallbacks: Fallback[] = [];
      const netlayer = sameBrowserNetlayer(options.inner ?? network.netlayer(), {
        broker: port(),
        presence: presence.presence,
        onFallback: (designator, r) => fallbacks.push({ designator, ...r }),
        ...options.same,
      });
      const vat = await createVat({ netlayers: [netlayer], identity: me.keyPair });
      cleanups.push(() => vat.close());
      return { vat, me, fallbacks };
    },
  };
}

/** A network netlayer that is down: it attaches (as the relay netlayer would have, earlier) but every dial fails. */
function downNetwork(): Netlayer {
  return {
    transport: 'relay',
    attach: async (binding) => ({ designator: binding.designator, hints: { relay: 'ws://127.0.0.1:1' } }),
    connect: async () => {
      throw new CapmeshError('RELAY_UNREACHABLE', 'the relay is down');
    },
    close: async () => undefined,
  };
}

async function greeter(vat: EngineVat, greeting: string): Promise<string> {
  return vat.register(far('greeter', { greet: (name: string) => `${greeting}, ${name}` }));
}

describe('sameBrowserNetlayer: tabs of one browser reach each other through the broker', () => {
  it('two tabs call each other over a proven same-browser channel, both ways, and never touch the network', async () => {
    const b = browser();
    const alice = await b.tab();
    const bob = await b.tab();
    const bobUri = await greeter(bob.vat, 'Hello from Bob');
    const aliceUri = await greeter(alice.vat, 'Hello from Alice');
    // Locators (and so sturdyrefs) are the network netlayer's, unchanged.
    expect(bobUri).toContain(`ocapn://${bob.me.designator}.memory`);
    expect(await E(await alice.vat.enliven<{ greet(n: string): string }>(bobUri)).greet('Alice')).toBe('Hello from Bob, Alice');
    expect(await E(await bob.vat.enliven<{ greet(n: string): string }>(aliceUri)).greet('Bob')).toBe('Hello from Alice, Bob');
    expect(alice.vat.sessions().map((s) => [s.designator, s.path, s.proven])).toEqual([[bob.me.designator, 'same-browser', true]]);
    expect(bob.vat.sessions().map((s) => [s.designator, s.path, s.proven])).toEqual([[alice.me.designator, 'same-browser', true]]);
    expect(b.network.links()).toEqual([]);
    expect(alice.fallbacks).toEqual([]);
  });

  it('keeps working while the network netlayer (the relay) is down', async () => {
    const b = browser();
    const alice = await b.tab({ inner: downNetwork() });
    const bob = await b.tab({ inner: downNetwork() });
    const uri = await greeter(bob.vat, 'Hi');
    expect(uri).toContain('.relay');
    expect(await E(await alice.vat.enliven<{ greet(n: string): string }>(uri)).greet('Alice')).toBe('Hi, Alice');
    expect(alice.vat.sessions()[0]?.path).toBe('same-browser');
  });

  it('a designator nobody here registered takes the network path at once', async () => {
    const b = browser();
    const alice = await b.tab();
    const elsewhere = await createVat({ netlayers: [b.network.netlayer()] });
    cleanups.push(() => elsewhere.close());
    const uri = await greeter(elsewhere, 'From afar');
    expect(await E(await alice.vat.enliven<{ greet(n: string): string }>(uri)).greet('Alice')).toBe('From afar, Alice');
    expect(alice.vat.sessions()[0]?.path).toBe('memory');
    expect(alice.fallbacks).toEqual([expect.objectContaining({ designator: elsewhere.designator, code: 'PEER_OFFLINE' })]);
  });

  it('an impostor that registers another tab’s designator cannot prove its key: the dial falls back to the network', async () => {
    const b = browser();
    const alice = await b.tab();
    const bob = await b.tab();
    const mallory = identity();
    // Mallory's same-origin code registers Bob's designator after Bob (the newest registration gets the dials).
    const fake = b.port();
    const registered = nextMessage<FromSameBrowserBroker>(fake);
    fake.postMessage({ type: 'register', designator: bob.me.designator });
    expect(await registered).toMatchObject({ type: 'registered' });
    expect(b.broker.registrations(bob.me.designator)).toBe(2);
    let impostorSawAlice = false;
    fake.onmessage = (e: MessageEvent) => {
      const m = e.data as FromSameBrowserBroker;
      if (m.type !== 'incoming') return;
      impostorSawAlice = m.from === alice.me.designator;
      const channel = m.port;
      channel.onmessage = (ev: MessageEvent) => {
        const hello = ev.data as { type: string; nonce: Uint8Array };
        if (hello.type !== 'hello') return;
        // Says it is Bob, signs the right statement with its own key.
        const ours = new Uint8Array(32).fill(1);
        channel.postMessage({ type: 'hello', designator: bob.me.designator, nonce: ours });
        void mallory.signer.signEncoded(authStatement('listener', alice.me.designator, bob.me.designator, hello.nonce, ours)).then((signature) => channel.postMessage({ type: 'proof', signature }));
      };
    };
    const uri = await greeter(bob.vat, 'The real Bob');
    expect(await E(await alice.vat.enliven<{ greet(n: string): string }>(uri)).greet('Alice')).toBe('The real Bob, Alice');
    expect(impostorSawAlice).toBe(true);
    expect(alice.fallbacks).toEqual([expect.objectContaining({ designator: bob.me.designator, code: 'CRYPTO_BAD_SIGNATURE' })]);
    expect(alice.vat.sessions().map((s) => [s.designator, s.path])).toEqual([[bob.me.designator, 'memory']]);
  });

  it('a stuck broker costs a dial brokerWaitMs, then the network path is used', async () => {
    const network = createMemoryNetwork();
    const { port1, port2 } = new MessageChannel(); // nobody serves port2
    cleanups.push(() => (port1.close(), port2.close()));
    const fallbacks: string[] = [];
    const alice = await createVat({ netlayers: [sameBrowserNetlayer(network.netlayer(), { broker: port1, presence: null, brokerWaitMs: 5, onFallback: (_, r) => fallbacks.push(r.code) })] });
    const bob = await createVat({ netlayers: [network.netlayer()] });
    cleanups.push(() => alice.close(), () => bob.close());
    expect(await E(await alice.enliven<{ greet(n: string): string }>(await greeter(bob, 'Hey'))).greet('A')).toBe('Hey, A');
    expect(fallbacks).toEqual(['TIMEOUT']);
  });

  it('when a tab closes, the broker forgets it and the sessions over its channels end with DISCONNECTED', async () => {
    const b = browser();
    const alice = await b.tab();
    const bob = await b.tab();
    const uri = await greeter(bob.vat, 'Bye');
    await E(await alice.vat.enliven<{ greet(n: string): string }>(uri)).greet('A');
    const ended = alice.vat.whenSessionEnds(parseSturdyRef(uri).peer);
    // Bob's tab is destroyed: its worker says nothing, its lock is released.
    const bobLock = b.presence.held[1]!;
    b.presence.kill(bobLock);
    const reason = await ended;
    expect(reason.code).toBe('DISCONNECTED');
    expect(reason.message).toContain('peer tab closed');
    expect(b.broker.registrations(bob.me.designator)).toBe(0);
  });

  it('a tab that closes its vat ends the sessions over its channels and unregisters', async () => {
    const b = browser();
    const alice = await b.tab();
    const bob = await b.tab();
    const uri = await greeter(bob.vat, 'Bye');
    await E(await alice.vat.enliven<{ greet(n: string): string }>(uri)).greet('A');
    const ended = alice.vat.whenSessionEnds(parseSturdyRef(uri).peer);
    await bob.vat.close();
    expect((await ended).code).toMatch(/ABORTED|DISCONNECTED/);
    // The unregister reached the broker before this round trip's answer.
    const probe = b.port();
    const answer = nextMessage<FromSameBrowserBroker>(probe);
    probe.postMessage({ type: 'register', designator: 'probe' });
    await answer;
    expect(b.broker.registrations(bob.me.designator)).toBe(0);
  });
});

/** One end of a channel under test, as the dialler, and the raw other end. */
function dialHalf(
  options: { authTimeoutMs?: number; maxEarlyMessages?: number; presence?: Presence; slowSigner?: Promise<void> } = {},
): { connect(): Promise<Connection>; peer: Promise<MessagePort>; me: TestIdentity; bob: TestIdentity } {
  const fast = identity();
  const gate = options.slowSigner;
  // A signer that finishes only once the test opens `slowSigner` (a busy or freshly started worker).
  const me: TestIdentity = gate ? { ...fast, signer: { ...fast.signer, signEncoded: async (bytes) => (await gate, fast.signer.signEncoded(bytes)) } } : fast;
  const bob = identity();
  const { port1, port2 } = new MessageChannel();
  cleanups.push(() => (port1.close(), port2.close()));
  let peer!: (p: MessagePort) => void;
  const peerPort = new Promise<MessagePort>((r) => (peer = r));
  port2.onmessage = (e: MessageEvent) => {
    const m = e.data as { type: string; id: number; designator: string };
    if (m.type === 'register') port2.postMessage({ type: 'registered', designator: m.designator });
    if (m.type === 'dial') {
      const ch = new MessageChannel();
      cleanups.push(() => (ch.port1.close(), ch.port2.close()));
      port2.postMessage({ type: 'channel', id: m.id, port: ch.port1 }, [ch.port1]);
      peer(ch.port2);
    }
  };
  const refuse: Netlayer = { transport: 'relay', attach: async () => ({ designator: me.designator, hints: {} }), connect: async () => Promise.reject(new CapmeshError('PEER_OFFLINE', 'network says no')), close: async () => undefined };
  let last: { code: string; message: string } | undefined;
  const { slowSigner: _, ...netlayerOptions } = options;
  const netlayer = sameBrowserNetlayer(refuse, { broker: port1, presence: options.presence ?? null, onFallback: (_, r) => (last = r), ...netlayerOptions });
  cleanups.push(() => netlayer.close());
  return {
    me,
    bob,
    peer: peerPort,
    async connect() {
      await netlayer.attach({ designator: me.designator, signer: me.signer, onConnection: () => undefined });
      try {
        return await netlayer.connect({ transport: 'relay', designator: bob.designator, hints: {} });
      } catch (e) {
        throw Object.assign(e as Error, { fastPath: last });
      }
    },
  };
}

describe('SameBrowserConnection: the key proof on a channel', () => {
  const fastPathCode = (p: Promise<unknown>): Promise<unknown> => p.catch((e: { fastPath?: { code: string } }) => e.fastPath?.code);

  it('times out (TIMEOUT) when the other end never proves anything', async () => {
    const half = dialHalf({ authTimeoutMs: 5 });
    expect(await fastPathCode(half.connect())).toBe('TIMEOUT');
  });

  it('refuses a peer that names another designator than the one dialled (IDENTITY_MISMATCH)', async () => {
    const half = dialHalf();
    const result = fastPathCode(half.connect());
    const peer = await half.peer;
    peer.postMessage({ type: 'hello', designator: identity().designator, nonce: new Uint8Array(32) });
    expect(await result).toBe('IDENTITY_MISMATCH');
  });

  it('refuses more than maxEarlyMessages messages before the proof (LIMIT)', async () => {
    const half = dialHalf({ maxEarlyMessages: 2 });
    const result = fastPathCode(half.connect());
    const peer = await half.peer;
    for (let i = 0; i < 3; i++) peer.postMessage(new Uint8Array([i]).buffer);
    expect(await result).toBe('LIMIT');
  });

  it('proves both ways: a correct proof opens the connection with provenDesignator and path set; early messages follow it in order', async () => {
    const half = dialHalf();
    const opened = half.connect();
    const peer = await half.peer;
    const hello = await nextMessage<{ type: string; designator: string; nonce: Uint8Array }>(peer);
    expect(hello).toMatchObject({ type: 'hello', designator: half.me.designator });
    const nonce = new Uint8Array(32).fill(4);
    const proofFromDialler = nextMessage<{ type: string; signature: Uint8Array }>(peer);
    peer.postMessage({ type: 'hello', designator: half.bob.designator, nonce });
    const signature = await half.bob.signer.signEncoded(authStatement('listener', half.me.designator, half.bob.designator, hello.nonce, nonce));
    peer.postMessage({ type: 'proof', signature });
    peer.postMessage(new Uint8Array([1, 2]).buffer);
    const connection = await opened;
    expect((await proofFromDialler).type).toBe('proof');
    expect(connection.provenDesignator).toBe(half.bob.designator);
    expect(connection.path).toBe('same-browser');
    const got: number[][] = [];
    const closed = new Promise<string>((resolve) => connection.setReceiver({ message: (m) => got.push([...m]), closed: (r) => resolve(r.kind) }));
    peer.postMessage(new Uint8Array([3]).buffer);
    peer.postMessage({ type: 'close', reason: 'bye' });
    expect(await closed).toBe('remote');
    expect(got).toEqual([[1, 2], [3]]);
  });

  it('the peer proves before our own signature is done: ours is still sent, then the connection opens (the proof never went out before)', async () => {
    let signed!: () => void;
    const half = dialHalf({ slowSigner: new Promise<void>((r) => (signed = r)) });
    let opened = false;
    const opening = half.connect().then((c) => ((opened = true), c));
    const peer = await half.peer;
    const hello = await nextMessage<{ type: string; nonce: Uint8Array }>(peer);
    const nonce = new Uint8Array(32).fill(9);
    const fromDialler = nextMessage<{ type: string; signature: Uint8Array }>(peer);
    const verified = new Promise<void>((r) => (afterVerify.hook = r));
    peer.postMessage({ type: 'hello', designator: half.bob.designator, nonce });
    peer.postMessage({ type: 'proof', signature: await half.bob.signer.signEncoded(authStatement('listener', half.me.designator, half.bob.designator, hello.nonce, nonce)) });
    await verified;
    afterVerify.hook = undefined;
    await Promise.resolve();
    // Our side verified the peer, yet has not proven itself: not open.
    expect(opened).toBe(false);
    signed();
    const proof = await fromDialler;
    expect(proof.type).toBe('proof');
    const statement = authStatement('dialler', half.me.designator, half.bob.designator, hello.nonce, nonce);
    expect(await verify(publicKeyOfDesignator(half.me.designator), statement, proof.signature)).toBe(true);
    expect((await opening).provenDesignator).toBe(half.bob.designator);
  });
});
