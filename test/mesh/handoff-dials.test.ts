import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createVat, far, type VatLimits } from '../../src/index.js';
import type { Logger } from '../../src/util/logger.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { generateKeyPair, randomBytes } from '../../src/crypto/index.js';
import { Sym } from '../../src/syrup/types.js';
import { CapmeshError } from '../../src/util/errors.js';
import { messagePortNetlayer, PORT_TRANSPORT } from '../../src/netlayer/port/message-port.js';
import type { Connection, Netlayer } from '../../src/netlayer/types.js';
import { exportDesc, type PeerLocator } from '../../src/wire/index.js';
import { formatPeerUri } from '../../src/mesh/uri.js';
import { signGive } from '../conformance/harness/handoffs.js';
import { RawPeer, type Settled } from '../helpers/raw-peer.js';

/**
 * The receiver's side of a handoff under policy. A hostile gifter (a raw
 * OCapN peer) sends the receiver `desc:handoff-give`s naming exporter
 * locations of its choosing; the receiver must dial only through its own
 * netlayers, within its dial budgets, and tell the gifter one uniform thing
 * whatever happened (`HANDOFF_UNREACHABLE` with one fixed message).
 */

const UNIFORM = 'HANDOFF_UNREACHABLE: the receiver could not complete this handoff';
const INBOX_SWISS = new TextEncoder().encode('inbox-for-gives');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A TCP server that accepts and at once closes every connection (an open port that speaks no OCapN); counts accepts. */
async function openPort(): Promise<{ port: number; accepts: () => number }> {
  let accepts = 0;
  const server = createServer((socket) => {
    accepts++;
    socket.destroy();
  });
  await listen(server);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: portOf(server), accepts: () => accepts };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await listen(server);
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}
function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** `inner`, with every `connect` recorded; `hold(designator)` makes connects to it wait until `release`d. */
function spied(inner: Netlayer) {
  const dials: PeerLocator[] = [];
  const held: { designator: string; settle: (c: Promise<Connection>) => void }[] = [];
  const netlayer: Netlayer = {
    transport: inner.transport,
    attach: (binding) => inner.attach(binding),
    connect(locator) {
      dials.push(locator);
      if (!locator.designator.startsWith('held-')) return inner.connect(locator);
      return new Promise<Connection>((resolve) => held.push({ designator: locator.designator, settle: resolve }));
    },
    close: () => inner.close(),
  };
  /** Fails every held connect as a refused TCP connect would. */
  const releaseAll = (): void => {
    for (const h of held.splice(0)) h.settle(Promise.reject(new CapmeshError('DISCONNECTED', 'cannot connect: ECONNREFUSED')));
  };
  return { netlayer, dials, held, releaseAll };
}

/**
 * A receiver vat on tcp-testing-only (plus `extra` netlayers), with an inbox whose `take(x)` returns
 * what it was given. `causes(designator)`: the reasons its local log gave for failed handoffs to it.
 */
async function receiver(limits: VatLimits = {}, extra: Netlayer[] = []) {
  const tcp = spied(tcpTestingOnlyNetlayer());
  const failures: { exporter: unknown; code: unknown; reason: unknown }[] = [];
  const drop = (): void => {};
  const logger: Logger = {
    debug: (message, fields) => {
      if (message.startsWith('handoff: could not withdraw')) failures.push({ exporter: fields?.['exporter'], code: fields?.['code'], reason: fields?.['reason'] });
    },
    info: drop,
    warn: drop,
    error: drop,
  };
  const vat = await createVat({ netlayers: [tcp.netlayer, ...extra], limits, logger });
  cleanups.push(() => vat.close());
  const uri = await vat.register(far('inbox', { take: (x: unknown) => x }), { swiss: INBOX_SWISS });
  const causes = (designator: string): unknown[] => failures.filter((f) => f.exporter === designator).map((f) => f.reason);
  const codes = (designator: string): unknown[] => failures.filter((f) => f.exporter === designator).map((f) => f.code);
  return { vat, uri, tcp, causes, codes };
}

/** A hostile gifter with a session to `r`: `give(location)` sends `inbox.take(<signed give naming location>)`. */
async function gifter(r: { uri: string }) {
  const peer = await RawPeer.open(r.uri);
  cleanups.push(() => peer.close());
  const inbox = await peer.fetch(INBOX_SWISS);
  const key = generateKeyPair();
  const give = (exporterLocation: PeerLocator): Promise<Settled> =>
    peer.ask(exportDesc(inbox), [
      new Sym('take'),
      signGive(key, { receiverKey: peer.peerKey, exporterLocation, session: randomBytes(32), gifterSide: randomBytes(32), giftId: randomBytes(16) }),
    ]);
  return { peer, give, inbox };
}

const tcpAt = (port: number, designator: string): PeerLocator => ({ transport: 'tcp-testing-only', designator, hints: { host: '127.0.0.1', port: String(port) } });

function expectUniform(results: readonly Settled[]): void {
  for (const r of results) expect({ verb: r.verb, error: r.errorText }).toEqual({ verb: 'break', error: UNIFORM });
}

/** True while `vat` still has its session with `peer` (a fetch round trip answers). */
async function stillServes(peer: RawPeer): Promise<boolean> {
  return (await peer.fetch(INBOX_SWISS)) >= 0;
}

describe('handoff dials: what the gifter learns', () => {
  it('a give naming a listening port and one naming a closed port break with the same code and message', async () => {
    const r = await receiver();
    const g = await gifter(r);
    const open = await openPort();
    const closed = await closedPort();
    const [toOpen, toClosed] = [await g.give(tcpAt(open.port, 'listening')), await g.give(tcpAt(closed, 'nobody'))];
    // Both were really dialled: the open port saw a connection, the closed one refused it.
    expect(open.accepts()).toBe(1);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['listening', 'nobody']);
    expect(toOpen).toEqual(toClosed);
    expectUniform([toOpen, toClosed]);
    // The vat's own log keeps the difference.
    expect(String(r.causes('nobody'))).toMatch(/ECONNREFUSED/);
    expect(String(r.causes('listening'))).not.toMatch(/ECONNREFUSED/);
    expect(await stillServes(g.peer)).toBe(true);
  });
});

describe('handoff dials: what the gifter learns when the exporter refuses', () => {
  it('a give the exporter refuses (bad gifter signature, unknown gifter session) breaks alike for the gifter; the exporter’s code stays in the receiver’s log', async () => {
    const r = await receiver();
    const g = await gifter(r);
    const exporter = await createVat({ netlayers: [tcpTestingOnlyNetlayer()] });
    cleanups.push(() => exporter.close());
    const location = exporter.locators()[0]!;
    // The gifter has a real session with the exporter, but signs the give with another key.
    const atExporter = await RawPeer.open(formatPeerUri(location));
    cleanups.push(() => atExporter.close());
    await atExporter.roundTrip();
    const forged = signGive(generateKeyPair(), {
      receiverKey: g.peer.peerKey,
      exporterLocation: location,
      session: atExporter.session.sessionId(),
      gifterSide: atExporter.session.ourSideId(),
      giftId: randomBytes(16),
    });
    const badSignature = await g.peer.ask(exportDesc(g.inbox), [new Sym('take'), forged]);
    const unknownSession = await g.give(location);
    expectUniform([badSignature, unknownSession]);
    expect(r.codes(location.designator)).toEqual(['HANDOFF_BAD_GIVE', 'HANDOFF_UNKNOWN_SESSION']);
  });
});

describe('handoff dials: only through the vat’s own netlayers', () => {
  it('a give naming a transport the vat does not have is refused without a dial', async () => {
    const r = await receiver();
    const g = await gifter(r);
    const result = await g.give({ transport: 'websocket', designator: 'elsewhere', hints: { url: 'ws://127.0.0.1:1/' } });
    expectUniform([result]);
    expect(r.tcp.dials).toEqual([]);
  });

  it('a give naming the private page–worker `port` transport is refused without a dial, even when the vat has it', async () => {
    const { port1, port2 } = new MessageChannel();
    cleanups.push(() => (port1.close(), port2.close()));
    const port = spied(messagePortNetlayer(port1, 'a'));
    const r = await receiver({}, [port.netlayer]);
    const g = await gifter(r);
    const result = await g.give({ transport: PORT_TRANSPORT, designator: 'worker', hints: {} });
    expectUniform([result]);
    expect(port.dials).toEqual([]);
    expect(r.tcp.dials).toEqual([]);
  });
});

describe('handoff dials: budgets', () => {
  it('300 gives naming a local port (fresh designators) make at most maxHandoffDialsPerSessionWindow (16) connects, all breaking alike', async () => {
    const r = await receiver();
    const g = await gifter(r);
    const open = await openPort();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => g.give(tcpAt(open.port, `probe-${i}`))));
    expectUniform(results);
    expect(r.tcp.dials.length).toBeLessThanOrEqual(16);
    expect(open.accepts()).toBe(r.tcp.dials.length);
    expect(open.accepts()).toBeGreaterThan(0);
    expect(await stillServes(g.peer)).toBe(true);
  });

  it('gives one after another dial exactly maxHandoffDialsPerSessionWindow times per window', async () => {
    const r = await receiver({ maxHandoffDialsPerSessionWindow: 5 });
    const g = await gifter(r);
    const closed = await closedPort();
    const results: Settled[] = [];
    for (let i = 0; i < 12; i++) results.push(await g.give(tcpAt(closed, `seq-${i}`)));
    expectUniform(results);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['seq-0', 'seq-1', 'seq-2', 'seq-3', 'seq-4']);
  });

  it('dials in flight are capped per session (maxHandoffDialsPerSession) and vat-wide (maxHandoffDials); a slot frees when its dial ends', async () => {
    const r = await receiver({ maxHandoffDialsPerSession: 2, maxHandoffDials: 3 });
    const g1 = await gifter(r);
    const g2 = await gifter(r);
    // g1: two dials hang; its next four gives are refused at once, without dialling.
    const hanging = [g1.give(tcpAt(1, 'held-a')), g1.give(tcpAt(1, 'held-b'))];
    expectUniform(await Promise.all([1, 2, 3, 4].map((i) => g1.give(tcpAt(1, `held-over-${i}`)))));
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['held-a', 'held-b']);
    // g2: one more fits vat-wide, the next does not.
    hanging.push(g2.give(tcpAt(1, 'held-c')));
    expectUniform([await g2.give(tcpAt(1, 'held-d'))]);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['held-a', 'held-b', 'held-c']);
    // A give naming an exporter already being dialled joins that dial and takes no slot.
    hanging.push(g1.give(tcpAt(1, 'held-a')));
    // The held dials fail: every waiting handoff breaks alike, and the slots are free again.
    expect(await stillServes(g1.peer)).toBe(true); // a round trip: R has read that give
    r.tcp.releaseAll();
    expectUniform(await Promise.all(hanging));
    expect(r.tcp.dials).toHaveLength(3);
    // The local log tells the causes apart: budgets refused without dialling; the joined give shared held-a's fate.
    expect(r.causes('held-over-1')).toEqual(['handoff dial budget maxHandoffDialsPerSession is spent']);
    expect(r.causes('held-d')).toEqual(['handoff dial budget maxHandoffDials is spent']);
    expect(r.causes('held-a')).toEqual(['cannot connect: ECONNREFUSED', 'cannot connect: ECONNREFUSED']);
    const closed = await closedPort();
    expectUniform([await g1.give(tcpAt(closed, 'after'))]);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['held-a', 'held-b', 'held-c', 'after']);
  });

  it('a dial that outlasts handoffDialTimeoutMs fails the handoff alike but keeps its slot until the dial itself ends', async () => {
    const r = await receiver({ maxHandoffDialsPerSession: 1, handoffDialTimeoutMs: 50 });
    const g = await gifter(r);
    expectUniform([await g.give(tcpAt(1, 'held-slow'))]);
    expect(r.tcp.held).toHaveLength(1);
    expect(r.causes('held-slow')).toEqual(['no session to the exporter opened within 50 ms']);
    // The connect is still under way: another give finds the session's only slot taken.
    expectUniform([await g.give(tcpAt(1, 'held-next'))]);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['held-slow']);
    // The connect fails: its slot is released within the same run of microtasks, before the next give
    // can arrive over TCP.
    r.tcp.releaseAll();
    const closed = await closedPort();
    expectUniform([await g.give(tcpAt(closed, 'after'))]);
    expect(r.tcp.dials.map((d) => d.designator)).toEqual(['held-slow', 'after']);
  });
});
