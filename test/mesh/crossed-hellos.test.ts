import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type EngineVat } from '../../src/index.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { createMemoryNetwork } from '../../src/testing.js';
import type { Connection, Netlayer } from '../../src/netlayer/types.js';
import { generateKeyPair, publicIdOf, type KeyPair } from '../../src/crypto/index.js';
import { Sym, type SyrupValue } from '../../src/syrup/types.js';
import { compareBytes, toHex, utf8Encode } from '../../src/util/bytes.js';
import { descriptorFromSyrup, dialectFor, exportDesc, type DeliverOp, type Op } from '../../src/wire/index.js';
import { formatPeerUri, formatSturdyRef } from '../../src/mesh/uri.js';
import { importArg, type RawSession, type SuiteSide } from '../conformance/harness/raw-session.js';
import { SuiteListener } from '../conformance/harness/suite-listener.js';

/**
 * Crossed hellos against a peer that orders its handshake as Endo's
 * `@endo/ocapn` does (client/handshake.js, read for this test; nothing is
 * copied):
 * - on a connection it dialled it sends its start-session at once, and when
 *   the other side's start-session arrives there it opens its session
 *   without any crossed-hellos comparison;
 * - on a connection it accepted it waits for the dialler's start-session;
 *   then, if it has a dial of its own still pending to that peer, it compares
 *   the two dialler IDs and aborts the lower connection ("Crossed hellos
 *   mitigated"); if the accepted connection survives, it answers with its own
 *   start-session and opens its session there;
 * - a start-session that arrives once a session with that peer is open is
 *   refused (Endo throws, and aborts the connection with "internal error").
 *
 * `EndoModel` plays that peer by hand over tcp-testing-only, one event at a
 * time, so a test chooses the order in which the peer handles what arrived.
 */
class EndoModel {
  session: RawSession | undefined;
  private pendingDial: { connection: RawSession; keyPair: KeyPair } | undefined;
  readonly aborted: string[] = [];

  constructor(readonly listener: SuiteListener) {}

  /** Dials `uri` and sends our hello at once with `keyPair`. */
  async dial(uri: string, keyPair: KeyPair): Promise<RawSession> {
    const connection = await this.listener.connect(uri);
    connection.sendHello({ keyPair });
    this.pendingDial = { connection, keyPair };
    return connection;
  }

  /** Handles the next message on a connection we dialled: the peer's hello opens our session there, an abort drops the dial. */
  async onDialledMessage(connection: RawSession): Promise<Op['op']> {
    const { op } = await connection.next();
    if (op.op === 'abort') {
      if (this.pendingDial?.connection === connection) this.pendingDial = undefined;
      return op.op;
    }
    if (op.op !== 'start-session') throw new Error(`expected a start-session first, got op:${op.op}`);
    connection.peerKey = op.sessionPubkey;
    this.open(connection);
    return op.op;
  }

  /** Handles the dialler's hello on a connection we accepted (already read by `takeHello`). */
  onAcceptedHello(connection: RawSession): 'kept' | 'aborted' {
    if (this.session) return this.abort(connection, 'internal error');
    const dial = this.pendingDial;
    if (dial) {
      // Compare our dial's ID with the peer's dial's ID (the key in the hello that just came): the lower one goes.
      const ourDialWins = compareBytes(publicIdOf(dial.keyPair.publicKey), publicIdOf(connection.peerKey!)) > 0;
      this.pendingDial = undefined;
      if (ourDialWins) return this.abort(connection, 'Crossed hellos mitigated');
      this.abort(dial.connection, 'Crossed hellos mitigated');
    }
    connection.sendHello();
    this.open(connection);
    return 'kept';
  }

  private open(connection: RawSession): void {
    this.pendingDial = undefined;
    this.session = connection;
  }

  private abort(connection: RawSession, reason: string): 'aborted' {
    this.aborted.push(reason);
    connection.send({ op: 'abort', reason });
    return 'aborted';
  }
}

const SIDE: SuiteSide = { dialect: dialectFor('spec'), framing: 'syrup' };
const OUR_OBJECT = utf8Encode('my-object');
const VAT_OBJECT = utf8Encode('the-vat-object');

const vats: EngineVat[] = [];
const listeners: SuiteListener[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** A key whose Public ID is below (or above) `than`'s. */
function keyRelativeTo(than: Uint8Array, lower: boolean): KeyPair {
  for (;;) {
    const keyPair = generateKeyPair();
    if (compareBytes(publicIdOf(keyPair.publicKey), than) < 0 === lower) return keyPair;
  }
}

/** Serves the vat's fetch of `OUR_OBJECT` on `session`: fulfilled with an object of ours; returns its export position. */
async function answerFetch(session: RawSession): Promise<number> {
  const fetch = await session.expect('deliver', (op) => op.to.type === 'export' && op.to.position === 0 && (op.args[0] as Sym).name === 'fetch');
  const position = session.nextImportObject();
  session.send({ op: 'deliver', to: exportDesc(fetch.op.resolveMe!.position), args: [new Sym('fulfill'), importArg(position)], answerPos: null, resolveMe: null });
  return position;
}

/** Answers the next call the vat makes on our export `position` with `value`. */
async function answer(session: RawSession, position: number, value: SyrupValue): Promise<string> {
  const call = await session.expectDeliverTo(position);
  session.send({ op: 'deliver', to: exportDesc(call.op.resolveMe!.position), args: [new Sym('fulfill'), value], answerPos: null, resolveMe: null });
  return (call.op.args[0] as Sym).name;
}

/** Our own first call on `session`: fetch the vat's object, call `ping` on it. */
async function ourCall(session: RawSession): Promise<SyrupValue> {
  const fetch = session.ask(exportDesc(0), [new Sym('fetch'), VAT_OBJECT]);
  const fetched = await session.expectResolution(fetch.resolver);
  const desc = descriptorFromSyrup((fetched.op as DeliverOp).args[1] as SyrupValue);
  if (desc?.type !== 'import-object') throw new Error('the fetch gave no object');
  const ping = session.ask(exportDesc(desc.position), [new Sym('ping')]);
  const [verb, value] = ((await session.expectResolution(ping.resolver)).op as DeliverOp).args;
  expect(verb).toEqual(new Sym('fulfill'));
  return value as SyrupValue;
}

describe('crossed hellos with a peer that orders its handshake as Endo does', () => {
  it.each([
    ['the vat dialled with the higher ID: its dial carries the session', 'vat-dial-wins'],
    ['the peer dialled with the higher ID: its dial carries the session', 'peer-dial-wins'],
  ] as const)('%s, whatever the peer handles first, and the first calls both ways succeed', async (_name, winner) => {
    const vat = await createVat({ netlayers: [tcpTestingOnlyNetlayer()], trustClaimsOn: ['tcp-testing-only'] });
    vats.push(vat);
    await vat.register(far('vat object', { ping: () => 'pong from the vat' }), { swiss: VAT_OBJECT });
    const listener = await SuiteListener.open(SIDE);
    listeners.push(listener);
    const endo = new EndoModel(listener);

    // Both dial at once. The vat's dial reaches the peer, whose hello handling has not run yet.
    const enlivened = vat.enliven<{ ping(): string }>(formatSturdyRef({ peer: listener.location, swiss: OUR_OBJECT }));
    void enlivened.catch(() => {}); // awaited below; a failed assertion before that must not leave it unhandled
    const accepted = await listener.accept();
    const vatHello = await accepted.takeHello();
    const vatDialId = publicIdOf(vatHello.op.sessionPubkey);
    const dialled = await endo.dial(formatPeerUri(vat.locators()[0]!), keyRelativeTo(vatDialId, winner === 'vat-dial-wins'));

    // The order that broke before: whatever the vat sends on the peer's dial is handled first,
    // then the vat's hello on the connection the peer accepted.
    const firstOnDial = await endo.onDialledMessage(dialled);
    const acceptedFate = endo.onAcceptedHello(accepted);

    const expected = winner === 'vat-dial-wins' ? accepted : dialled;
    expect(endo.session).toBe(expected);
    // The vat never said hello on the connection it was going to lose.
    expect(firstOnDial).toBe(winner === 'vat-dial-wins' ? 'abort' : 'start-session');
    expect(acceptedFate).toBe(winner === 'vat-dial-wins' ? 'kept' : 'aborted');

    const session = endo.session!;
    const position = await answerFetch(session);
    const remote = await enlivened;
    const pong = E(remote).ping();
    expect(await answer(session, position, 'pong from the peer')).toBe('ping');
    expect(await pong).toBe('pong from the peer');
    expect(await ourCall(session)).toBe('pong from the vat');

    // One session on the vat's side, the very one the peer kept.
    const sessions = vat.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.designator).toBe(listener.location.designator);
    expect(sessions[0]!.outbound).toBe(winner === 'vat-dial-wins');
    expect(sessions[0]!.sessionId).toBe(toHex(session.sessionId()));
  });
});

describe('a dial that completes after the peer opened a session to us', () => {
  it('is closed without a word, and the open session carries both vats\' calls', async () => {
    const network = createMemoryNetwork();
    // Alice's dials complete only when the test says so; what she sends on them is recorded.
    const inner = network.netlayer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sentOnLateDial: Uint8Array[] = [];
    let lateDial: Connection | undefined;
    const gated: Netlayer = {
      transport: inner.transport,
      attach: (binding) => inner.attach(binding),
      close: () => inner.close(),
      async connect(locator) {
        const connection = await inner.connect(locator);
        await gate;
        lateDial = connection;
        return new Proxy(connection, {
          get: (target, key) => {
            if (key === 'send') return (bytes: Uint8Array) => void sentOnLateDial.push(bytes);
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    };
    const alice = await createVat({ netlayers: [gated] });
    const bob = await createVat({ netlayers: [network.netlayer()] });
    vats.push(alice, bob);
    const aliceUri = await alice.register(far('alice', { who: () => 'alice' }));
    const bobUri = await bob.register(far('bob', { who: () => 'bob' }));

    const aliceToBob = alice.enliven<{ who(): string }>(bobUri); // her dial hangs at the gate
    const bobToAlice = await bob.enliven<{ who(): string }>(aliceUri); // his dial opens the session
    expect(await E(bobToAlice).who()).toBe('alice');
    expect(await E(await aliceToBob).who()).toBe('bob'); // Alice's waiter took Bob's session

    release();
    await until(() => lateDial !== undefined);
    expect(sentOnLateDial).toEqual([]); // no hello: nothing for a crossed-hellos comparison to act on
    expect(alice.sessions().map((s) => s.outbound)).toEqual([false]);
    expect(bob.sessions().map((s) => s.outbound)).toEqual([true]);
    expect(await E(bobToAlice).who()).toBe('alice');
    expect(await E(await aliceToBob).who()).toBe('bob');
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('never happened');
}
