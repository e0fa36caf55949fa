import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateKeyPair, makeSigEnvelope, publicIdOf, randomBytes, sessionIdOf, type KeyPair } from '../../src/crypto/index.js';
import { descriptorFromSyrup, descriptorToSyrup, type PeerLocator, type SigEnvelopeDesc } from '../../src/wire/index.js';
import { HandoffReceipt, Handoffs } from '../../src/mesh/handoffs.js';
import type { ConnectionShell } from '../../src/mesh/connection-shell.js';
import { silentLogger } from '../../src/util/logger.js';
import type { HandoffLimits } from '../../src/mesh/handoff-limits.js';
import { far } from '../../src/vat/index.js';
import { asyncCryptoBackend, useAsyncCryptoBackend } from '../../src/crypto/async-backend.js';

/**
 * The exporter's checks, one by one, on sessions made of real keys: E has a
 * session with the gifter G and one with the receiver R; R signs with its G–R
 * key, which G named in the give.
 */
const loc = (designator: string): PeerLocator => ({ transport: 'memory', designator, hints: {} });

interface Side {
  key: KeyPair;
  id: Uint8Array;
}
const side = (): Side => {
  const key = generateKeyPair();
  return { key, id: publicIdOf(key.publicKey) };
};

/** A shell as the exporter sees it: our side `me`, the peer `them`. */
function shell(me: Side, them: Side, peerLocation: PeerLocator): ConnectionShell {
  return {
    state: 'open',
    sessionId: sessionIdOf(me.id, them.id),
    hello: { keyPair: me.key, publicId: me.id },
    peer: { peerKey: them.key.publicKey, peerId: them.id, location: peerLocation },
  } as unknown as ConnectionShell;
}

function setup(timeoutMs = 1_000, limits: HandoffLimits = {}) {
  const gAtE = side(); // G's key in G–E
  const eAtG = side(); // E's key in G–E
  const rAtE = side(); // R's key in E–R
  const eAtR = side(); // E's key in E–R
  const rAtG = side(); // R's key in G–R (named by the give; signs the receive)
  const ge = shell(eAtG, gAtE, loc('G'));
  const er = shell(eAtR, rAtE, loc('R'));
  const open = [ge, er];
  const handoffs = new Handoffs({
    openShells: () => open,
    sessionTo: () => Promise.reject(new Error('not used')),
    hasSession: () => false,
    hasNetlayer: () => true,
    isSelf: (p) => p.designator === 'E',
    isLocated: () => true,
    logger: silentLogger,
    giftTimeoutMs: timeoutMs,
    limits,
  });
  const giftId = randomBytes(32);
  const give = (over: Partial<Record<string, unknown>> = {}, signer = gAtE.key) =>
    descriptorFromSyrup(
      makeSigEnvelope(
        signer.secretKey,
        descriptorToSyrup({
          type: 'handoff-give',
          receiverKey: rAtG.key.publicKey,
          exporterLocation: loc('E'),
          session: ge.sessionId!,
          gifterSide: gAtE.id,
          giftId,
          ...over,
        } as never),
      ),
    ) as SigEnvelopeDesc;
  const receipt = (count: bigint, signedGive = give(), over: Partial<Record<string, unknown>> = {}, signer = rAtG.key) =>
    new HandoffReceipt(
      descriptorFromSyrup(
        makeSigEnvelope(
          signer.secretKey,
          descriptorToSyrup({
            type: 'handoff-receive',
            receivingSession: er.sessionId!,
            receivingSide: rAtE.id,
            handoffCount: count,
            signedGive,
            ...over,
          } as never),
        ),
      ) as SigEnvelopeDesc,
    );
  const gift = far('gift', {});
  return { handoffs, ge, er, open, giftId, give, receipt, gift, rAtE };
}

describe('handoffs: the exporter', () => {
  it('hands out a gift deposited first', async () => {
    const t = setup();
    t.handoffs.deposit(t.ge, t.giftId, t.gift);
    await expect(t.handoffs.withdraw(t.er, t.receipt(0n))).resolves.toBe(t.gift);
  });

  it('holds a withdrawal that arrives first until the deposit', async () => {
    const t = setup();
    const withdrawn = t.handoffs.withdraw(t.er, t.receipt(0n));
    t.handoffs.deposit(t.ge, t.giftId, t.gift);
    await expect(withdrawn).resolves.toBe(t.gift);
  });

  describe('with fake timers', () => {
    beforeEach(() => void vi.useFakeTimers());
    afterEach(() => void vi.useRealTimers());
    it('breaks a withdrawal whose deposit never comes, after the timeout', async () => {
      const t = setup(30_000);
      const withdrawn = t.handoffs.withdraw(t.er, t.receipt(0n));
      const seen = expect(withdrawn).rejects.toMatchObject({ code: 'HANDOFF_TIMEOUT' });
      // The receive's signature is checked asynchronously: the async advance lets that settle before the clock moves.
      await vi.advanceTimersByTimeAsync(29_999);
      t.handoffs.deposit(t.ge, randomBytes(32), t.gift); // another gift does not count
      await vi.advanceTimersByTimeAsync(1);
      await seen;
    });
  });

  it('refuses a replayed receive (the same handoff count on the same session)', async () => {
    const t = setup();
    t.handoffs.deposit(t.ge, t.giftId, t.gift);
    await t.handoffs.withdraw(t.er, t.receipt(0n));
    await expect(t.handoffs.withdraw(t.er, t.receipt(0n))).rejects.toMatchObject({ code: 'HANDOFF_COUNT_REUSED' });
  });

  it('checks withdrawals on one session in arrival order, even when a later signature verifies first', async () => {
    // A backend whose first verification is the slowest: without the per-session order, the second
    // withdrawal would be checked first and take the gift.
    const base = asyncCryptoBackend();
    let calls = 0;
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const previous = useAsyncCryptoBackend({
      ...base,
      ed25519Verify: async (publicKey, message, signature) => {
        const slow = calls++ === 0;
        if (slow) for (let i = 0; i < 5; i++) await turn();
        return base.ed25519Verify(publicKey, message, signature);
      },
    });
    try {
      const t = setup();
      t.handoffs.deposit(t.ge, t.giftId, t.gift);
      const first = t.handoffs.withdraw(t.er, t.receipt(0n));
      const second = t.handoffs.withdraw(t.er, t.receipt(1n));
      await expect(first).resolves.toBe(t.gift);
      await expect(second).rejects.toMatchObject({ code: 'HANDOFF_GIFT_WITHDRAWN' });
    } finally {
      useAsyncCryptoBackend(previous);
    }
  });

  it('hands a gift out once: a second withdrawal with a fresh count finds it withdrawn', async () => {
    const t = setup();
    t.handoffs.deposit(t.ge, t.giftId, t.gift);
    await t.handoffs.withdraw(t.er, t.receipt(0n));
    await expect(t.handoffs.withdraw(t.er, t.receipt(1n))).rejects.toMatchObject({ code: 'HANDOFF_GIFT_WITHDRAWN' });
  });

  it('accepts counts in any order, each once (the set rule)', async () => {
    const t = setup();
    const ids = [randomBytes(32), randomBytes(32)];
    for (const id of ids) t.handoffs.deposit(t.ge, id, far('g', {}));
    await t.handoffs.withdraw(t.er, t.receipt(5n, t.give({ giftId: ids[0] })));
    await expect(t.handoffs.withdraw(t.er, t.receipt(2n, t.give({ giftId: ids[1] })))).resolves.toBeDefined();
  });

  const refusals: [string, (t: ReturnType<typeof setup>) => HandoffReceipt | 'close-ge', string][] = [
    ['the gifter session is unknown', (t) => t.receipt(0n, t.give({ session: randomBytes(32) })), 'HANDOFF_UNKNOWN_SESSION'],
    ['the gifter session has closed', () => 'close-ge', 'HANDOFF_UNKNOWN_SESSION'],
    ['the give is signed by someone else', (t) => t.receipt(0n, t.give({}, generateKeyPair())), 'HANDOFF_BAD_GIVE'],
    ['the give claims another gifter side', (t) => t.receipt(0n, t.give({ gifterSide: randomBytes(32) })), 'HANDOFF_BAD_GIVE'],
    ['the exporter named is not us', (t) => t.receipt(0n, t.give({ exporterLocation: loc('X') })), 'HANDOFF_NOT_EXPORTER'],
    ['the receive is signed by a key the give did not name', (t) => t.receipt(0n, t.give(), {}, generateKeyPair()), 'HANDOFF_BAD_RECEIVE'],
    ['the receive names another session', (t) => t.receipt(0n, t.give(), { receivingSession: randomBytes(32) }), 'HANDOFF_SESSION_MISMATCH'],
    ['the receive names another receiving side', (t) => t.receipt(0n, t.give(), { receivingSide: randomBytes(32) }), 'HANDOFF_SESSION_MISMATCH'],
  ];
  for (const [what, make, code] of refusals) {
    it(`breaks the withdrawal when ${what} (${code}), and nothing else`, async () => {
      const t = setup();
      t.handoffs.deposit(t.ge, t.giftId, t.gift);
      let receipt = make(t);
      if (receipt === 'close-ge') {
        t.open.splice(t.open.indexOf(t.ge), 1);
        t.handoffs.sessionClosed(t.ge);
        receipt = t.receipt(0n);
      }
      await expect(t.handoffs.withdraw(t.er, receipt)).rejects.toMatchObject({ code });
      if (code !== 'HANDOFF_UNKNOWN_SESSION') {
        // The gift is still there for an honest withdrawal.
        await expect(t.handoffs.withdraw(t.er, t.receipt(9n))).resolves.toBe(t.gift);
      }
    });
  }

  it('remembers at most handoffMemoryPerSession counts: past it, counts at or below the forgotten ones are refused', async () => {
    const t = setup(1_000, { handoffMemoryPerSession: 4 });
    const withdrawWith = (count: bigint) => {
      const giftId = randomBytes(32);
      t.handoffs.deposit(t.ge, giftId, far('g', {}));
      return t.handoffs.withdraw(t.er, t.receipt(count, t.give({ giftId })));
    };
    for (const count of [10n, 11n, 12n, 13n, 14n]) await expect(withdrawWith(count)).resolves.toBeDefined();
    // Five counts over a memory of four: 10 and 11 were forgotten, so 11 and below are refused.
    for (const count of [11n, 5n, 12n, 14n]) await expect(withdrawWith(count)).rejects.toMatchObject({ code: 'HANDOFF_COUNT_REUSED' });
    await expect(withdrawWith(15n)).resolves.toBeDefined();
  });

  it('refuses withdraw-gift without a signed receive', async () => {
    const t = setup();
    await expect(t.handoffs.withdraw(t.er, 'not a receipt')).rejects.toMatchObject({ code: 'HANDOFF_MALFORMED' });
  });
});

describe('handoffs: the receiver', () => {
  it('refuses a give that names another receiver key', async () => {
    const t = setup();
    // The give arrives on a G–R session where our key is not the one named.
    const gr = shell(side(), side(), loc('G'));
    const result = t.handoffs.received(gr, t.give()) as Promise<unknown>;
    await expect(result).rejects.toMatchObject({ code: 'HANDOFF_WRONG_RECEIVER' });
  });

  it('refuses an unsigned give', async () => {
    const t = setup();
    const bare = descriptorFromSyrup(t.give().signed)!;
    await expect(t.handoffs.received(t.ge, bare) as Promise<unknown>).rejects.toMatchObject({ code: 'HANDOFF_MALFORMED' });
  });
});
