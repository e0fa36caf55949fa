import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Remote, type Vat, type VatLimits } from '../../src/index.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { generateKeyPair, randomBytes } from '../../src/crypto/index.js';
import { Sym } from '../../src/syrup/types.js';
import { descriptorToSyrup, exportDesc, importObject } from '../../src/wire/index.js';
import { signGive, signReceive } from '../conformance/harness/handoffs.js';
import { formatPeerUri } from '../../src/mesh/uri.js';
import { RawPeer } from '../helpers/raw-peer.js';

/**
 * The exporter's gift budgets, against hostile peers speaking raw OCapN over
 * tcp-testing-only: a flood of `deposit-gift`s with fresh ids, or of
 * `withdraw-gift`s for gifts never deposited, aborts the flooding session
 * with `BUDGET_EXCEEDED` (the reason names the budget) and nothing else.
 */

const vats: Vat[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function vat(limits: VatLimits = {}): Promise<Vat> {
  const v = await createVat({ netlayers: [tcpTestingOnlyNetlayer()], limits, giftTimeoutMs: 5_000 });
  vats.push(v);
  return v;
}

/** A raw peer with a session to `v` that `v` has taken in (a round trip done). */
async function rawPeer(v: Vat): Promise<RawPeer> {
  const p = await RawPeer.open(formatPeerUri(v.locators()[0]!));
  peers.push(p);
  await p.roundTrip();
  return p;
}

/** Resolves once `v` has no open session with a peer claiming `designator` (awaits `onSessionsChanged`). */
function sessionGone(v: Vat, designator: string): Promise<void> {
  return new Promise((resolve) => {
    const off = v.onSessionsChanged(() => {
      if (v.sessions().some((x) => x.designator === designator)) return;
      off();
      resolve();
    });
  });
}

/** `deposit-gift` of a fresh gift id, the gift being a fresh export of the peer's. */
function deposit(p: RawPeer, giftId: Uint8Array = randomBytes(16)): void {
  p.sendOnly(exportDesc(0), [new Sym('deposit-gift'), giftId, descriptorToSyrup(importObject(p.session.nextImportObject()))]);
}

interface User {
  name(): string;
}

/** Alice's room, Bob's user in it, Carol fetching it: a handoff with Bob as the exporter. Resolves with what Carol's call returned. */
async function honestHandoff(alice: Vat, bob: Vat, carol: Vat): Promise<string> {
  const joined: unknown[] = [];
  const roomUri = await alice.register(far('room', { join: (u: unknown) => void joined.push(u), members: () => joined }));
  const bobsRoom = await bob.enliven<{ join(u: unknown): void }>(roomUri);
  await E(bobsRoom).join(far('bob user', { name: () => 'Bob' }));
  const [member] = await E(await carol.enliven<{ members(): Remote<User>[] }>(roomUri)).members();
  return E(member!).name();
}

describe('gift budgets: deposits waiting', () => {
  it('a deposit flood past maxGiftsPerSession aborts the flooding session with BUDGET_EXCEEDED, and another session’s handoff still works', async () => {
    const bob = await vat({ maxGiftsPerSession: 8 });
    const [alice, carol] = [await vat(), await vat()];
    const flooder = await rawPeer(bob);
    const before = bob.sessions().filter((x) => x.designator === flooder.session.location.designator).length;
    const gone = sessionGone(bob, flooder.session.location.designator);
    for (let i = 0; i < 8; i++) deposit(flooder);
    expect(await flooder.abortedOrAnswered()).toBe('answered');
    deposit(flooder);
    expect(await flooder.abortedOrAnswered()).toMatch(/^aborted: BUDGET_EXCEEDED: maxGiftsPerSession\b/);
    // The flooder's (unproven, inbound) session is gone from Bob's table; the abort's code is on the wire above.
    await gone;
    expect([before, bob.sessions().filter((x) => x.designator === flooder.session.location.designator).length]).toEqual([1, 0]);
    // Bob, the exporter the flood hit, still hands his user out through Alice's room.
    expect(await honestHandoff(alice, bob, carol)).toBe('Bob');
  });

  it('deposits past maxGifts (vat-wide) abort the session that sent the one over; the others carry on, and an aborted session’s gifts are released', async () => {
    const exporter = await vat({ maxGiftsPerSession: 8, maxGifts: 10 });
    const first = await rawPeer(exporter);
    const second = await rawPeer(exporter);
    for (let i = 0; i < 6; i++) deposit(first);
    expect(await first.abortedOrAnswered()).toBe('answered');
    for (let i = 0; i < 4; i++) deposit(second);
    expect(await second.abortedOrAnswered()).toBe('answered');
    deposit(second);
    expect(await second.abortedOrAnswered()).toMatch(/^aborted: BUDGET_EXCEEDED: maxGifts\b/);
    // The second session's four gifts went with it: the first may deposit two more (8 waiting in all).
    deposit(first);
    deposit(first);
    expect(await first.abortedOrAnswered()).toBe('answered');
  });

  it('depositing the same gift id again replaces it and takes no more budget', async () => {
    const exporter = await vat({ maxGiftsPerSession: 2 });
    const p = await rawPeer(exporter);
    const id = randomBytes(16);
    for (let i = 0; i < 5; i++) deposit(p, id);
    deposit(p);
    expect(await p.abortedOrAnswered()).toBe('answered');
  });
});

describe('gift budgets: withdrawals waiting', () => {
  it('withdraw-gifts of gifts never deposited past maxWithdrawalsWaitingPerSession abort that session; the gifter’s session carries on', async () => {
    const exporter = await vat({ maxWithdrawalsWaitingPerSession: 3 });
    const gifter = await rawPeer(exporter);
    const receiver = await rawPeer(exporter);
    const receiverKeyAtGifter = generateKeyPair();
    const location = exporter.locators()[0]!;
    const withdraw = (count: bigint) => {
      const give = signGive(gifter.session.keyPair!, {
        receiverKey: receiverKeyAtGifter.publicKey,
        exporterLocation: location,
        session: gifter.session.sessionId(),
        gifterSide: gifter.session.ourSideId(),
        giftId: randomBytes(16),
      });
      const receive = signReceive(receiverKeyAtGifter, {
        receivingSession: receiver.session.sessionId(),
        receivingSide: receiver.session.ourSideId(),
        handoffCount: count,
        signedGive: give,
      });
      return receiver.ask(exportDesc(0), [new Sym('withdraw-gift'), receive]);
    };
    for (const count of [0n, 1n, 2n]) void withdraw(count);
    expect(await receiver.abortedOrAnswered()).toBe('answered');
    void withdraw(3n);
    expect(await receiver.abortedOrAnswered()).toMatch(/^aborted: BUDGET_EXCEEDED: maxWithdrawalsWaitingPerSession\b/);
    expect(await gifter.abortedOrAnswered()).toBe('answered');
  });
});
