import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Remote, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { decodeOp, encodeOp, dialectFor } from '../../src/wire/index.js';
import { testSigner } from '../crypto/test-signer.js';
import { makeHello } from '../../src/mesh/handshake.js';

interface Greeter {
  greet(name: string): string;
}

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function vatOn(network: MemoryNetwork, options: Partial<Parameters<typeof createVat>[0]> = {}): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...options });
  vats.push(vat);
  return vat;
}

/** Waits until `predicate` holds, yielding to the event loop between checks (no timers). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

describe('createVat over the memory network', () => {
  it('registers an object, and another vat enlivens and calls it', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uri = await alice.register(far('greeter', { greet: (name: string) => `Hello, ${name}!` }));
    expect(uri).toMatch(new RegExp(`^ocapn://${alice.designator}\\.memory/s/[A-Za-z0-9_-]{43}$`));
    const greeter = await bob.enliven<Greeter>(uri);
    expect(await E(greeter).greet('Bob')).toBe('Hello, Bob!');
    const [session] = bob.sessions();
    expect(session).toMatchObject({ designator: alice.designator, transport: 'memory', dialect: 'spec', outbound: true });
    expect(session!.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect(alice.sessions()[0]).toMatchObject({ designator: bob.designator, outbound: false, sessionId: session!.sessionId });
  });

  it('reuses one session per peer for several enlivens, even concurrent ones', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uris = await Promise.all([1, 2, 3].map((n) => alice.register(far(`n${n}`, { n: () => n }))));
    const refs = await Promise.all(uris.map((u) => bob.enliven<{ n(): number }>(u)));
    expect(await Promise.all(refs.map((r) => E(r).n()))).toEqual([1n, 2n, 3n]);
    expect(bob.sessions()).toHaveLength(1);
    expect(network.links()).toHaveLength(1);
  });

  it('an unknown swiss number breaks with NOT_FOUND and reveals nothing', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const uri = await alice.register(far('x', {}));
    const forged = uri.replace(/\/s\/[^?]+/, '/s/' + 'A'.repeat(43));
    await expect(bob.enliven(forged)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no object is registered under that swiss number' });
    expect(bob.sessions()).toHaveLength(1);
  });

  it('pipelines a dependent chain: both calls leave before the first answer', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const factory = far('factory', { make: (color: string) => far('car', { drive: () => `${color} car goes` }) });
    const remote = await bob.enliven<typeof factory>(await alice.register(factory));
    const link = network.linkBetween(bob.designator, alice.designator)!;
    await until(() => link.pending() === 0, 'quiet link');
    link.hold();
    const before = network.log.length;
    const driven = E(E(remote).make('red')).drive();
    const delivers = () =>
      network.log.slice(before).filter((e) => e.at === 'sent' && e.from === bob.designator).map((e) => decodeOp(e.bytes)).filter((op) => op.op === 'deliver');
    await until(() => delivers().length === 2, 'two delivers queued');
    expect(delivers().map((op) => op.op === 'deliver' && op.to.type)).toEqual(['export', 'answer']);
    link.release();
    expect(await driven).toBe('red car goes');
  });

  it('enlivening our own sturdyref returns the local object', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const obj = far('self', { me: () => 'me' });
    expect(await alice.enliven(await alice.register(obj))).toBe(obj);
  });

  it('references crossing back home are the same local object', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const mine = far('mine', {});
    const mirror = far('mirror', { reflect: (x: unknown) => x });
    const remoteMirror = await alice.enliven<typeof mirror>(await bob.register(mirror));
    expect(await E(remoteMirror).reflect(mine)).toBe(mine);
  });

  it('imports and exports drain to zero after real garbage collection', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const made: object[] = [];
    const maker = far('maker', { make: () => (made.push(far('thing', { id: () => made.length })), made.at(-1)!) });
    await (async () => {
      const remote = await bob.enliven<typeof maker>(await alice.register(maker));
      for (let i = 0; i < 20; i++) await E(E(remote).make()).id();
    })();
    made.length = 0;
    await until(() => {
      gc!();
      const a = alice.sessions()[0]?.stats;
      return a !== undefined && a.exports === 0 && a.answers === 0;
    }, 'alice exports drain');
    // Bob keeps the maker presence until collected too; its import goes as well once nothing holds it.
    await until(() => {
      gc!();
      const b = bob.sessions()[0]?.stats;
      return b !== undefined && b.imports === 0 && b.questions === 0;
    }, 'bob imports drain');
    alice.check();
    bob.check();
  });
});

describe('hostile peers', () => {
  async function setup() {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const bob = await vatOn(network);
    const carol = await vatOn(network);
    const uri = await alice.register(far('greeter', { greet: (n: string) => `Hello, ${n}` }));
    // Carol's session with Alice must survive whatever happens to Bob's.
    const carolGreeter = await carol.enliven<Greeter>(uri);
    expect(await E(carolGreeter).greet('Carol')).toBe('Hello, Carol');
    return { network, alice, bob, carol, uri, carolGreeter };
  }

  /** Dials Alice by hand on the memory network and returns the raw connection. */
  async function rawDial(network: MemoryNetwork, alice: EngineVat) {
    const netlayer = network.netlayer();
    const attachment = await netlayer.attach({ designator: 'mallory', signer: testSigner(), onConnection: () => {} });
    const conn = await netlayer.connect(alice.locators()[0]!);
    const received: Uint8Array[] = [];
    let closed = false;
    conn.setReceiver({ message: (b) => void received.push(b), closed: () => void (closed = true) });
    // Alice answers a dial only after the dialler's hello: this is the one Mallory would send.
    const hello = encodeOp(makeHello({ transport: netlayer.transport, designator: attachment.designator, hints: { ...attachment.hints } }, dialectFor('spec')).op, dialectFor('spec'))[0]!;
    return { conn, received, hello, isClosed: () => closed };
  }

  async function expectAbort(network: MemoryNetwork, alice: EngineVat, send: (conn: { send(b: Uint8Array): void }, hello: Uint8Array) => void, reason: RegExp) {
    const { conn, received, hello, isClosed } = await rawDial(network, alice);
    send(conn, hello);
    await until(isClosed, 'connection closed');
    // The abort is all Alice sent: she never says hello on a connection she refuses.
    expect(received.map((b) => decodeOp(b).op)).toEqual(['abort']);
    const last = decodeOp(received.at(-1)!);
    expect(last.op === 'abort' && last.reason).toMatch(reason);
  }

  it('a bad CapTP version is aborted with BAD_VERSION', async () => {
    const { network, alice, carolGreeter } = await setup();
    await expectAbort(
      network,
      alice,
      (conn, hello) => {
        const op = decodeOp(hello);
        if (op.op !== 'start-session') throw new Error('expected a hello');
        conn.send(encodeOp({ ...op, captpVersion: '0.9' }, dialectFor('spec'))[0]!);
      },
      /^BAD_VERSION: /,
    );
    expect(await E(carolGreeter).greet('again')).toBe('Hello, again');
  });

  it('a bad location signature is aborted with BAD_LOCATION_SIGNATURE', async () => {
    const { network, alice, carolGreeter } = await setup();
    await expectAbort(
      network,
      alice,
      (conn, hello) => {
        const op = decodeOp(hello);
        if (op.op !== 'start-session') throw new Error('expected a hello');
        // A hello signed for Mallory's location, sent with another location: the signature does not cover it.
        conn.send(encodeOp({ ...op, location: { ...op.location, designator: 'not-mallory' } }, dialectFor('spec'))[0]!);
      },
      /^BAD_LOCATION_SIGNATURE: /,
    );
    expect(await E(carolGreeter).greet('again')).toBe('Hello, again');
  });

  it('garbage bytes before or after the handshake abort only that session', async () => {
    const { network, alice, bob, uri, carolGreeter } = await setup();
    await expectAbort(network, alice, (conn) => conn.send(new TextEncoder().encode('{{{{garbage')), /^SYRUP_/);
    // After the handshake: Bob's session, then Bob's connection sends junk.
    const bobGreeter = await bob.enliven<Greeter>(uri);
    expect(await E(bobGreeter).greet('Bob')).toBe('Hello, Bob');
    const pending = E(bobGreeter).greet('never answered');
    void pending.catch(() => {});
    injectFrom(network, bob, alice, new TextEncoder().encode('<3:bad'));
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/ABORTED|DISCONNECTED/) });
    await until(() => alice.sessions().every((s) => s.designator !== bob.designator), 'alice dropped bob');
    expect(await E(carolGreeter).greet('still here')).toBe('Hello, still here');
  });

  it('an oversize frame is refused with LIMIT', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network, { limits: { maxFrameBytes: 1024 } });
    await expectAbort(network, alice, (conn) => conn.send(new Uint8Array(2048)), /^LIMIT: /);
  });

  it('a valid-looking op for a position never exported aborts with PROTOCOL', async () => {
    const network = createMemoryNetwork();
    const alice = await vatOn(network);
    const mallory = await vatOn(network);
    const uri = await alice.register(far('x', { x: () => 1 }));
    const x = await mallory.enliven<{ x(): number }>(uri);
    expect(await E(x).x()).toBe(1n);
    // Mallory's engine is honest, so forge at the connection: reach into the memory link and
    // deliver a crafted frame from Mallory to Alice.
    const frame = encodeOp(
      { op: 'deliver', to: { type: 'export', position: 999 }, args: [], answerPos: null, resolveMe: null },
      dialectFor('spec'),
    )[0]!;
    const pending = E(x).x();
    void pending.catch(() => {});
    const sessionBefore = alice.sessions()[0]!;
    expect(sessionBefore.designator).toBe(mallory.designator);
    injectFrom(network, mallory, alice, frame);
    await until(() => alice.sessions().length === 0, 'alice dropped the session');
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/ABORTED|DISCONNECTED/) });
    await expect(E(x).x()).rejects.toMatchObject({ code: expect.stringMatching(/ABORTED|DISCONNECTED/) });
  });
});

/** Sends `frame` on the existing `from`→`to` connection, as if `from`'s engine had. */
function injectFrom(network: MemoryNetwork, from: EngineVat, to: EngineVat, frame: Uint8Array): void {
  network.linkBetween(from.designator, to.designator)!.inject(from.designator, frame);
}

export type { Remote };
