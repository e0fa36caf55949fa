import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { websocketNetlayer } from '../../src/netlayer/websocket/node.js';
import { websocketClientNetlayer } from '../../src/netlayer/websocket/client.js';
import { NodeWebSocket } from '../../src/netlayer/websocket/ws.js';
import type { Connection, Netlayer } from '../../src/netlayer/types.js';
import { decodeOp, dialectFor, encodeOp, type PeerLocator } from '../../src/wire/index.js';
import { parseSturdyRef } from '../../src/mesh/uri.js';
import { makeHello } from '../../src/mesh/handshake.js';
import { isCapmeshError } from '../../src/util/errors.js';
import { testSigner } from '../crypto/test-signer.js';

/**
 * "Identity is proven, never claimed" (security invariant 1): the designator
 * squatting attack over the transports that cannot prove a dialler
 * (websocket inbound, tcp-testing-only), the shell's check of a hello against
 * what a transport proved, and the inbound-session budgets.
 */

const vats: EngineVat[] = [];
const netlayers: Netlayer[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
  await Promise.all(netlayers.splice(0).map((n) => n.close()));
});

async function vat(netlayer: Netlayer, limits?: Parameters<typeof createVat>[0]['limits']): Promise<EngineVat> {
  const v = await createVat({ netlayers: [netlayer], ...(limits ? { limits } : {}) });
  vats.push(v);
  return v;
}

/** Wraps `c` so every message it receives is also copied into `seen`. */
function tap(c: Connection, seen: Uint8Array[]): Connection {
  return {
    get transport() {
      return c.transport;
    },
    get outbound() {
      return c.outbound;
    },
    get remoteLocator() {
      return c.remoteLocator;
    },
    get provenDesignator() {
      return c.provenDesignator;
    },
    setReceiver: (r) =>
      c.setReceiver({
        message: (b) => {
          seen.push(b.slice());
          r.message(b);
        },
        closed: (reason) => r.closed(reason),
      }),
    send: (b) => c.send(b),
    close: (reason) => c.close(reason),
  };
}

/**
 * Mallory's netlayer: `inner`, but the vat above it believes its own locator
 * is `claim` (so every hello it sends claims that vat), and every byte it
 * receives is recorded in `seen`.
 */
function squatter(inner: Netlayer, claim: PeerLocator, seen: Uint8Array[]): Netlayer {
  return {
    transport: inner.transport,
    async attach(binding) {
      await inner.attach({ ...binding, onConnection: (c) => binding.onConnection(tap(c, seen)) });
      return { designator: claim.designator, hints: { ...claim.hints } };
    },
    connect: async (locator) => tap(await inner.connect(locator), seen),
    close: () => inner.close(),
  };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

interface Transport {
  readonly name: string;
  /** A listening netlayer for an honest vat. */
  listener(): Netlayer;
  /** Mallory's underlying netlayer (she only dials). */
  dialler(): Netlayer;
  /** Whether our dial on this transport is proven (else reached by address). */
  readonly outboundProven: boolean;
}

const transports: Transport[] = [
  {
    name: 'websocket',
    listener: () => websocketNetlayer(),
    dialler: () => websocketClientNetlayer({ WebSocket: NodeWebSocket }),
    outboundProven: true,
  },
  {
    name: 'tcp-testing-only',
    listener: () => tcpTestingOnlyNetlayer(),
    dialler: () => tcpTestingOnlyNetlayer(),
    outboundProven: false,
  },
];

interface Session {
  designator: string;
  outbound: boolean;
  proven: boolean;
}
const brief = (s: Session) => `${s.designator.slice(0, 8)} ${s.outbound ? 'out' : 'in'} ${s.proven ? 'proven' : 'unproven'}`;

describe.each(transports)('designator squatting over $name', (t) => {
  /** V (victim), X (the real vat), and Mallory, whose hellos claim X's locator. */
  async function setup() {
    const v = await vat(t.listener());
    const x = await vat(t.listener());
    const xUri = await x.register(far('x-object', { who: () => 'the real X' }));
    const vUri = await v.register(far('v-service', { hello: (from: string) => `hi ${from}` }));
    const seen: Uint8Array[] = [];
    const mallory = await vat(squatter(t.dialler(), x.locators()[0]!, seen));
    expect(mallory.locators()[0]!.designator).toBe(x.designator);
    const swiss = parseSturdyRef(xUri).swiss;
    const sawSwiss = () => seen.some((b) => contains(b, swiss));
    return { v, x, mallory, xUri, vUri, sawSwiss };
  }

  it('squatter first: V reaches the real X, X is not refused, and Mallory is still served', async () => {
    const { v, x, mallory, xUri, vUri, sawSwiss } = await setup();
    // Mallory dials V claiming to be X; V serves her own request.
    const forMallory = await mallory.enliven<{ hello(from: string): string }>(vUri);
    expect(await E(forMallory).hello('mallory')).toBe('hi mallory');
    // (a) V's enliven of X's sturdyref reaches X, never Mallory.
    const xObject = await v.enliven<{ who(): string }>(xUri);
    expect(await E(xObject).who()).toBe('the real X');
    expect(sawSwiss()).toBe(false);
    // (b) The real X dials V too, and is not refused.
    const forX = await x.enliven<{ hello(from: string): string }>(vUri);
    expect(await E(forX).hello('x')).toBe('hi x');
    // (c) Mallory's session still serves her.
    expect(await E(forMallory).hello('mallory again')).toBe('hi mallory again');
    expect(v.sessions().filter((s) => s.designator === x.designator).map(brief).sort()).toEqual(
      [
        brief({ designator: x.designator, outbound: true, proven: t.outboundProven }),
        brief({ designator: x.designator, outbound: false, proven: false }),
        brief({ designator: x.designator, outbound: false, proven: false }),
      ].sort(),
    );
    // The session V ends up waiting on for X is the one it dialled, not Mallory's.
    const ends = v.whenSessionEnds(x.locators()[0]!);
    await mallory.close();
    expect(await E(xObject).who()).toBe('the real X');
    await x.close();
    expect((await ends).code).toMatch(/ABORTED|DISCONNECTED/);
  });

  it('real peer first: Mallory is not refused, V still reaches the real X, and X keeps being served', async () => {
    const { v, x, mallory, xUri, vUri, sawSwiss } = await setup();
    const forX = await x.enliven<{ hello(from: string): string }>(vUri);
    expect(await E(forX).hello('x')).toBe('hi x');
    // (c) Mallory claims X after the real X dialled: she is served, not refused as "already open".
    const forMallory = await mallory.enliven<{ hello(from: string): string }>(vUri);
    expect(await E(forMallory).hello('mallory')).toBe('hi mallory');
    // (a) V's own enliven of X's sturdyref goes over its own dial to X.
    const xObject = await v.enliven<{ who(): string }>(xUri);
    expect(await E(xObject).who()).toBe('the real X');
    expect(sawSwiss()).toBe(false);
    // (b) X's session still works.
    expect(await E(forX).hello('x again')).toBe('hi x again');
    expect(await E(forMallory).hello('mallory again')).toBe('hi mallory again');
  });

  it('a reference V imported over an unproven session is proxied to third parties, never handed off as living at the claimed vat', async () => {
    const { v, mallory } = await setup();
    const r = await vat(t.listener());
    // V's shelf keeps whatever it is given and passes it on to whoever asks.
    let kept: unknown;
    const shelfUri = await v.register(far('shelf', { put: (ref: unknown) => void (kept = ref), get: () => kept }));
    const fromMallory = await mallory.enliven<{ put(ref: unknown): void }>(shelfUri);
    await E(fromMallory).put(far('mallory-thing', { owner: () => 'mallory' }));
    // R fetches it from V: it must reach Mallory's object through V, not be handed off "to X".
    const forR = await r.enliven<{ get(): unknown }>(shelfUri);
    const thing = (await E(forR).get()) as { owner(): string };
    expect(await E(thing).owner()).toBe('mallory');
    expect(r.sessions().map((s) => s.designator)).toEqual([v.designator]);
  });
});

describe('trustClaimsOn (the OCapN test suite convention, testing only)', () => {
  it('believes an inbound tcp-testing-only claim: the session is reused for our own calls, no second dial', async () => {
    const v = await createVat({ netlayers: [tcpTestingOnlyNetlayer()], trustClaimsOn: ['tcp-testing-only'] });
    vats.push(v);
    const x = await vat(tcpTestingOnlyNetlayer());
    const xUri = await x.register(far('x-object', { who: () => 'X' }));
    expect(await E(await x.enliven<{ ping(): string }>(await v.register(far('svc', { ping: () => 'pong' })))).ping()).toBe('pong');
    expect(await E(await v.enliven<{ who(): string }>(xUri)).who()).toBe('X');
    expect(v.sessions().map((s) => [s.designator, s.outbound, s.proven])).toEqual([[x.designator, false, false]]);
  });
});

describe('crossed hellos with no located survivor', () => {
  it('a dial the peer aborts as a crossed-hellos loser, while no proven connection of its own is coming, rejects instead of hanging', async () => {
    // A peer (as Goblins may) answers each of our dials with op:abort "Crossed hellos mitigated",
    // betting on its own dial to us, which over tcp-testing-only proves nothing and so never
    // becomes our session to it.
    const peer = tcpTestingOnlyNetlayer({ designator: 'crossing-peer' });
    netlayers.push(peer);
    let dials = 0;
    const attachment = await peer.attach({
      designator: 'crossing-peer',
      signer: testSigner(),
      onConnection: (c) => {
        dials++;
        let answered = false;
        c.setReceiver({
          message: () => {
            if (answered) return;
            answered = true;
            c.send(encodeOp({ op: 'abort', reason: 'Crossed hellos mitigated' }, dialectFor('spec'))[0]!);
            c.close('crossed');
          },
          closed: () => {},
        });
      },
    });
    const v = await vat(tcpTestingOnlyNetlayer());
    const locator: PeerLocator = { transport: 'tcp-testing-only', designator: attachment.designator, hints: attachment.hints };
    const error = await v.enliven({ peer: locator, swiss: new Uint8Array(32) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCapmeshError(error, 'ABORTED') && error.message).toMatch(/Crossed hellos mitigated$/);
    // enliven asked again over fresh dials before giving up.
    expect(dials).toBe(3);
    expect(v.sessions()).toHaveLength(0);
  });
});

describe('a proven connection whose hello claims another identity', () => {
  async function memoryVats(network: MemoryNetwork) {
    const alice = await vat(network.netlayer());
    const carol = await vat(network.netlayer());
    const uri = await alice.register(far('greeter', { greet: (n: string) => `Hello, ${n}` }));
    const carolGreeter = await carol.enliven<{ greet(n: string): string }>(uri);
    expect(await E(carolGreeter).greet('Carol')).toBe('Hello, Carol');
    return { alice, carol, carolGreeter };
  }

  /** Dials Alice as `mallory` on the memory network (which proves that), sends `hello`, returns the abort reason. */
  async function claim(network: MemoryNetwork, alice: EngineVat, location: PeerLocator): Promise<string> {
    const netlayer = network.netlayer();
    netlayers.push(netlayer);
    await netlayer.attach({ designator: 'mallory', signer: testSigner(), onConnection: () => {} });
    const conn = await netlayer.connect(alice.locators()[0]!);
    expect(conn.provenDesignator).toBe(alice.designator);
    const received: Uint8Array[] = [];
    const closed = new Promise<void>((resolve) => conn.setReceiver({ message: (b) => void received.push(b), closed: () => resolve() }));
    // A well-signed hello (Mallory's own session key) naming someone else.
    conn.send(encodeOp(makeHello(location, dialectFor('spec')).op, dialectFor('spec'))[0]!);
    await closed;
    const last = decodeOp(received.at(-1)!);
    if (last.op !== 'abort') throw new Error(`expected op:abort, got op:${last.op}`);
    return last.reason;
  }

  it('is aborted with IDENTITY_MISMATCH when it claims another designator; other sessions carry on', async () => {
    const network = createMemoryNetwork();
    const { alice, carol, carolGreeter } = await memoryVats(network);
    expect(await claim(network, alice, carol.locators()[0]!)).toMatch(/^IDENTITY_MISMATCH: /);
    expect(alice.refusals().identityMismatch).toBe(1);
    expect(alice.sessions().map((s) => s.designator)).toEqual([carol.designator]);
    expect(alice.sessions()[0]!.proven).toBe(true);
    expect(await E(carolGreeter).greet('again')).toBe('Hello, again');
  });

  it('is aborted with IDENTITY_MISMATCH when it claims its own designator on another transport', async () => {
    const network = createMemoryNetwork();
    const { alice } = await memoryVats(network);
    const reason = await claim(network, alice, { transport: 'tcp-testing-only', designator: 'mallory', hints: { host: '127.0.0.1', port: '1' } });
    expect(reason).toMatch(/^IDENTITY_MISMATCH: /);
    expect(alice.sessions()).toHaveLength(1);
  });
});

describe('inbound-session budgets', () => {
  it('maxInboundSessions: one more inbound session is aborted with BUDGET_EXCEEDED; the open one and our own dials carry on', async () => {
    const network = createMemoryNetwork();
    const v = await vat(network.netlayer(), { maxInboundSessions: 1 });
    const a = await vat(network.netlayer());
    const b = await vat(network.netlayer());
    const vUri = await v.register(far('svc', { ping: () => 'pong' }));
    const fromA = await a.enliven<{ ping(): string }>(vUri);
    expect(await E(fromA).ping()).toBe('pong');
    const refused = await b.enliven(vUri).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCapmeshError(refused) && refused.message).toMatch(/BUDGET_EXCEEDED: maxInboundSessions \(1\)/);
    expect(v.refusals().maxInboundSessions).toBe(1);
    expect(await E(fromA).ping()).toBe('pong');
    // Our own dials are not inbound sessions.
    const bObject = await v.enliven<{ id(): string }>(await b.register(far('b', { id: () => 'b' })));
    expect(await E(bObject).id()).toBe('b');
    expect(v.sessions().map((s) => s.outbound).sort()).toEqual([false, true]);
  });

  it.each(transports)(
    'maxUnprovenSessionsPerDesignator over $name: one squatter too many is aborted with BUDGET_EXCEEDED; the others and V\u2019s own dial to the claimed vat carry on',
    async (t) => {
      const v = await vat(t.listener(), { maxUnprovenSessionsPerDesignator: 1 });
      const x = await vat(t.listener());
      const xUri = await x.register(far('x-object', { who: () => 'the real X' }));
      const vUri = await v.register(far('svc', { ping: () => 'pong' }));
      const first = await vat(squatter(t.dialler(), x.locators()[0]!, []));
      const second = await vat(squatter(t.dialler(), x.locators()[0]!, []));
      const fromFirst = await first.enliven<{ ping(): string }>(vUri);
      expect(await E(fromFirst).ping()).toBe('pong');
      const refused = await second.enliven(vUri).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCapmeshError(refused) && refused.message).toMatch(/BUDGET_EXCEEDED: maxUnprovenSessionsPerDesignator \(1\)/);
      expect(v.refusals()).toEqual({ maxInboundSessions: 0, maxUnprovenSessionsPerDesignator: 1, maxInboundSessionsPerSource: 0, identityMismatch: 0 });
      expect(await E(fromFirst).ping()).toBe('pong');
      const xObject = await v.enliven<{ who(): string }>(xUri);
      expect(await E(xObject).who()).toBe('the real X');
    },
  );
  it.each(transports)(
    'maxInboundSessionsPerSource over $name: a third dialler from the same address is aborted with BUDGET_EXCEEDED; the first two carry on',
    async (t) => {
      const v = await vat(t.listener(), { maxInboundSessionsPerSource: 2 });
      const vUri = await v.register(far('svc', { ping: () => 'pong' }));
      const [a, b, c] = [await vat(t.dialler()), await vat(t.dialler()), await vat(t.dialler())];
      const fromA = await a.enliven<{ ping(): string }>(vUri);
      const fromB = await b.enliven<{ ping(): string }>(vUri);
      expect([await E(fromA).ping(), await E(fromB).ping()]).toEqual(['pong', 'pong']);
      const refused = await c.enliven(vUri).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCapmeshError(refused) && refused.message).toMatch(/BUDGET_EXCEEDED: maxInboundSessionsPerSource \(2\)/);
      expect(v.refusals().maxInboundSessionsPerSource).toBe(1);
      expect([await E(fromA).ping(), await E(fromB).ping()]).toEqual(['pong', 'pong']);
    },
  );
});
