/**
 * A vat where the platform's crypto is asynchronous only (a browser,
 * simulated): its hellos and identity go through the asynchronous backend, so
 * a vat with one peer never loads the synchronous curves; a vat about to hold
 * a second session loads them before that session opens, so a handoff can
 * sign its gift while it marshals (crypto/active-backend.ts, mesh/vat.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Remote, type Vat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { cryptoBackendReady, simulateNoNativeBackend } from '../../src/crypto/active-backend.js';
import { decodeOp } from '../../src/wire/index.js';
import { Sym } from '../../src/syrup/types.js';

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
  simulateNoNativeBackend(false);
});

async function vat(network: MemoryNetwork): Promise<Vat> {
  const v = await createVat({ netlayers: [network.netlayer()], giftTimeoutMs: 2_000 });
  vats.push(v);
  return v;
}

/** The method names of the deliveries `from` sent `to` since `start`. */
function methodsSent(network: MemoryNetwork, from: Vat, to: Vat, start: number): string[] {
  return network.log
    .slice(start)
    .filter((e) => e.at === 'sent' && e.from === from.designator && e.to === to.designator)
    .map((e) => decodeOp(e.bytes))
    .flatMap((op) => (op.op === 'deliver' ? [op.args[0] instanceof Sym ? op.args[0].name : '?'] : []));
}

describe('the synchronous curves, loaded only for a second session', () => {
  it('two vats with one session each never load them; a third party’s session does, before it opens, and the handoff goes direct', async () => {
    simulateNoNativeBackend(true);
    const network = createMemoryNetwork();
    const alice = await vat(network);
    const bob = await vat(network);
    const members: Remote<{ name(): string }>[] = [];
    const roomUri = await alice.register(far('room', { join: (u: Remote<{ name(): string }>) => void members.push(u), members: () => members }));
    const room = await bob.enliven<{ join(u: unknown): void }>(roomUri);
    await E(room).join(far('bob user', { name: () => 'Bob' }));
    expect(members).toHaveLength(1);
    // One session each: hellos, identities and the call went through the asynchronous backend only.
    expect(cryptoBackendReady()).toBe(false);

    const carol = await vat(network);
    const carolsRoom = await carol.enliven<{ members(): Remote<{ name(): string }>[] }>(roomUri);
    // Alice's second session (Carol's) opened only once the curves were loaded.
    expect(cryptoBackendReady()).toBe(true);
    const [member] = await E(carolsRoom).members();
    const before = network.log.length;
    expect(await E(member!).name()).toBe('Bob');
    // Handed off (signed gift), not proxied through Alice.
    expect(methodsSent(network, carol, bob, before)).toEqual(['withdraw-gift', 'name']);
    expect(methodsSent(network, carol, alice, before)).toEqual([]);
  });
});
