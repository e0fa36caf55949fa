import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Remote, type Vat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { decodeOp, descriptorFromSyrup, type PeerLocator } from '../../src/wire/index.js';
import { Sym } from '../../src/syrup/types.js';
import { generateKeyPair, publicIdOf, sessionIdOf } from '../../src/crypto/index.js';
import { messagePortNetlayer, PORT_TRANSPORT } from '../../src/netlayer/port/message-port.js';
import { Handoffs } from '../../src/mesh/handoffs.js';
import type { ConnectionShell } from '../../src/mesh/connection-shell.js';
import { silentLogger } from '../../src/util/logger.js';
import type { SendTxn } from '../../src/captp/index.js';

interface User {
  name(): string;
}
interface Room {
  join(user: Remote<User>): void;
  members(): Remote<User>[];
}

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function trio(network: MemoryNetwork) {
  const make = async () => {
    const v = await createVat({ netlayers: [network.netlayer()], giftTimeoutMs: 2_000 });
    vats.push(v);
    return v;
  };
  const alice = await make();
  const bob = await make();
  const carol = await make();
  const joined: Remote<User>[] = [];
  const room = far('room', {
    join: (user: Remote<User>) => void joined.push(user),
    members: () => joined,
  });
  const roomUri = await alice.register(room);
  return { alice, bob, carol, roomUri, joined };
}

/** Deliver ops sent from `from` to `to` since `start` in the memory network log. */
function deliversBetween(network: MemoryNetwork, from: Vat, to: Vat, start: number) {
  return network.log
    .slice(start)
    .filter((e) => e.at === 'sent' && e.from === from.designator && e.to === to.designator)
    .map((e) => decodeOp(e.bytes))
    .filter((op) => op.op === 'deliver');
}

describe('third-party handoffs', () => {
  it('Carol receives Bob’s user from Alice’s room and calls Bob directly, not through Alice', async () => {
    const network = createMemoryNetwork();
    const { alice, bob, carol, roomUri } = await trio(network);
    // Bob joins Alice's room with his user object.
    const bobsRoom = await bob.enliven<Room>(roomUri);
    const bobUser = far('bob user', { name: () => 'Bob' });
    await E(bobsRoom).join(bobUser as unknown as Remote<User>);
    // Carol asks the room for its members: Alice gives Carol Bob's object.
    const carolsRoom = await carol.enliven<Room>(roomUri);
    const [member] = await E(carolsRoom).members();
    const before = network.log.length;
    expect(await E(member!).name()).toBe('Bob');
    // The call went on a Carol–Bob session…
    expect(carol.sessions().map((s) => s.designator).sort()).toEqual([alice.designator, bob.designator].sort());
    const methods = (ops: ReturnType<typeof deliversBetween>) => ops.map((op) => (op.op === 'deliver' && op.args[0] instanceof Sym ? op.args[0].name : '?'));
    expect(methods(deliversBetween(network, carol, bob, before))).toEqual(['withdraw-gift', 'name']);
    // …and nothing of it passed through Alice.
    expect(deliversBetween(network, carol, alice, before)).toHaveLength(0);
    expect(deliversBetween(network, alice, bob, before)).toHaveLength(0);
  });

  it('a reference going back to its own exporter arrives as the exporter’s local object', async () => {
    const network = createMemoryNetwork();
    const { bob, roomUri } = await trio(network);
    const bobsRoom = await bob.enliven<Room>(roomUri);
    const bobUser = far('bob user', { name: () => 'Bob' });
    await E(bobsRoom).join(bobUser as unknown as Remote<User>);
    const [back] = await E(bobsRoom).members();
    expect(back).toBe(bobUser);
  });

  it('two parties of the same session pass references as plain imports (no gift deposited)', async () => {
    const network = createMemoryNetwork();
    const { alice, bob, roomUri } = await trio(network);
    const bobsRoom = await bob.enliven<Room>(roomUri);
    const before = network.log.length;
    await E(bobsRoom).join(far('bob user', { name: () => 'Bob' }) as unknown as Remote<User>);
    const ops = deliversBetween(network, bob, alice, before);
    expect(ops.every((op) => op.op === 'deliver' && !JSON.stringify(op.args, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)).includes('deposit-gift'))).toBe(true);
    expect(alice.sessions()).toHaveLength(1);
  });

  it('Carol hands Bob’s object on to Dave: handoffs chain', async () => {
    const network = createMemoryNetwork();
    const { bob, carol, roomUri } = await trio(network);
    const dave = await createVat({ netlayers: [network.netlayer()] });
    vats.push(dave);
    const bobsRoom = await bob.enliven<Room>(roomUri);
    await E(bobsRoom).join(far('bob user', { name: () => 'Bob' }) as unknown as Remote<User>);
    const [member] = await E(await carol.enliven<Room>(roomUri)).members();
    const relay = far('dave inbox', { ask: (u: Remote<User>) => E(u).name() });
    const inbox = await carol.enliven<typeof relay>(await dave.register(relay));
    expect(await E(inbox).ask(member!)).toBe('Bob');
    expect(dave.sessions().map((s) => s.designator)).toContain(bob.designator);
  });
});

/** True when any message on the memory network carried `text` (a label such as `deposit-gift`). */
function logMentions(network: MemoryNetwork, text: string): boolean {
  return network.log.some((e) => Buffer.from(e.bytes).includes(text));
}

describe('handoffs only over the transport the receiver reached us by, never over `port`', () => {
  it('a hub on memory and a private port link proxies references between its worker and the outside, both ways', async () => {
    const network = createMemoryNetwork();
    const { port1, port2 } = new MessageChannel();
    const hub = await createVat({ netlayers: [network.netlayer(), messagePortNetlayer(port1, 'a')], giftTimeoutMs: 2_000 });
    const worker = await createVat({ netlayers: [messagePortNetlayer(port2, 'b')] });
    const outside = await createVat({ netlayers: [network.netlayer()] });
    vats.push(hub, worker, outside);
    try {
      // The worker's inbox, reached by the hub over the port; it calls whatever it is handed.
      const inboxUri = await worker.register(
        far('worker inbox', {
          ping: () => 'pong from worker',
          call: (x: Remote<{ ping(): string }>) => E(x).ping(),
        }),
      );
      const inbox = await hub.enliven<{ ping(): string; call(x: unknown): string }>(inboxUri);
      // The hub's broker, on memory: it hands the worker's inbox out, and passes references in.
      const broker = far('broker', {
        inbox: () => inbox,
        toWorker: (x: unknown) => E(inbox).call(x),
      });
      const fromOutside = await outside.enliven<{ inbox(): Remote<{ ping(): string }>; toWorker(x: unknown): string }>(
        await hub.register(broker),
      );
      // port → memory: the outside vat calls the worker's object, through the hub.
      const workersObject = await E(fromOutside).inbox();
      expect(await E(workersObject).ping()).toBe('pong from worker');
      // memory → port: the worker calls the outside vat's object, through the hub.
      const outsideObject = far('outside object', { ping: () => 'pong from outside' });
      expect(await E(fromOutside).toWorker(outsideObject)).toBe('pong from outside');
      // Proxied, not handed off: no gift, no give, and nobody met anybody new.
      expect(logMentions(network, 'deposit-gift')).toBe(false);
      expect(logMentions(network, 'desc:handoff-give')).toBe(false);
      expect(logMentions(network, 'withdraw-gift')).toBe(false);
      expect(outside.sessions().map((s) => s.designator)).toEqual([hub.designator]);
      expect(worker.sessions().map((s) => [s.designator, s.transport])).toEqual([[hub.designator, PORT_TRANSPORT]]);
      expect(hub.sessions()).toHaveLength(2);
    } finally {
      port1.close();
      port2.close();
    }
  });

  /** A fake open shell for `give`: our key, the peer's, its location, and what its session imported. */
  function fakeShell(peerLocation: PeerLocator, imported: readonly object[] = []): ConnectionShell {
    const me = generateKeyPair();
    const them = generateKeyPair();
    const bootstrap = far('bootstrap', { 'deposit-gift': () => undefined });
    return {
      state: 'open',
      sessionId: sessionIdOf(publicIdOf(me.publicKey), publicIdOf(them.publicKey)),
      hello: { keyPair: me, publicId: publicIdOf(me.publicKey) },
      peer: { peerKey: them.publicKey, peerId: publicIdOf(them.publicKey), location: peerLocation },
      session: { ownsReference: (v: object) => imported.includes(v), bootstrap: () => bootstrap },
    } as unknown as ConnectionShell;
  }

  /** `give` from an exporter at `exporter` to a receiver at `receiver`: the give (or undefined) and the deposits scheduled. */
  function giveBetween(exporter: PeerLocator, receiver: PeerLocator, exporterLocated = true) {
    const value = far('gift', {});
    const source = fakeShell(exporter, [value]);
    const to = fakeShell(receiver);
    const handoffs = new Handoffs({
      openShells: () => [source, to],
      sessionTo: () => Promise.reject(new Error('not used')),
      hasSession: () => false,
      hasNetlayer: () => true,
      isSelf: () => false,
      isLocated: (shell) => shell !== source || exporterLocated,
      logger: silentLogger,
      giftTimeoutMs: 1_000,
    });
    const effects: (() => void)[] = [];
    const txn = { afterCommit: (effect: () => void) => effects.push(effect) } as unknown as SendTxn;
    return { give: handoffs.give(to, value, txn), deposits: effects.length };
  }

  const at = (transport: string, designator: string): PeerLocator => ({ transport, designator, hints: {} });

  it('give(): between two peers on the same transport it deposits and signs a give', () => {
    const { give, deposits } = giveBetween(at('memory', 'E'), at('memory', 'R'));
    expect(deposits).toBe(1);
    expect(descriptorFromSyrup(give!)?.type).toBe('sig-envelope');
  });

  it('give(): a reference from a session whose peer only claims its location (unproven inbound) is proxied, never handed off', () => {
    const { give, deposits } = giveBetween(at('websocket', 'X'), at('websocket', 'R'), false);
    expect(give).toBeUndefined();
    expect(deposits).toBe(0);
  });

  it('give(): two different port peers, or memory and port either way, are proxied (no give, no deposit)', () => {
    for (const [e, r] of [
      [at(PORT_TRANSPORT, 'E'), at(PORT_TRANSPORT, 'R')],
      [at('memory', 'E'), at(PORT_TRANSPORT, 'R')],
      [at(PORT_TRANSPORT, 'E'), at('memory', 'R')],
    ] as const) {
      expect(giveBetween(e, r)).toEqual({ give: undefined, deposits: 0 });
    }
  });
});
