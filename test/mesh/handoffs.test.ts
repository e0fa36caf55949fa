import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Remote, type Vat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { decodeOp } from '../../src/wire/index.js';
import { Sym } from '../../src/syrup/types.js';

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
