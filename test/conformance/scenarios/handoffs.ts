import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { generateKeyPair, randomBytes, verifySyrup } from '../../../src/crypto/index.js';
import { parsePeerUri } from '../../../src/mesh/uri.js';
import { Sym } from '../../../src/syrup/types.js';
import { utf8Encode } from '../../../src/util/bytes.js';
import {
  descriptorFromSyrup,
  descriptorToSyrup,
  exportDesc,
  locatorsEqual,
  sturdyRefToSyrup,
  type DeliverOp,
} from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import { expectFireAndForgetForm } from '../harness/forms.js';
import { envelopeBytes, expectBrokenWith, openEnvelope, signGive, signReceive } from '../harness/handoffs.js';
import { importArg, type RawSession, type Received } from '../harness/raw-session.js';
import type { SuiteListener } from '../harness/suite-listener.js';

/**
 * Suite module `third_party_handoffs` (7 tests). The suite plays two roles
 * of G (gifter), R (receiver) and E (exporter) and the peer the third; a
 * second suite location (`c.listener()`) stands for whichever suite role the
 * peer must reach on its own. Gift ids are the suite's `b"my-gift"` bytes.
 * Where cheap, each scenario checks a little more than the suite: every field
 * of what the peer signs, the handoff counter, and that a handed-off reference
 * is live.
 */
export function handoffScenarios(c: Conformance): void {
  describe('third-party handoffs: the peer as receiver', () => {
    it('without a prior E–R session: it dials E and withdraws with a receive signed by its G–R key', async () => {
      const { g2r, greeter, give } = await receiverSetUp(c);
      const e = await c.listener();
      const signedGive = give(e, 'my-gift');
      g2r.sendOnly(exportDesc(greeter), [signedGive]);

      const e2r = await e.accept();
      await e2r.setupSession();
      const withdraw = await expectWithdrawal(e2r, g2r, signedGive, 0n);
      // The greeter's "Hello" reaches the gift over E–R once E answers, never through G.
      const gift = e2r.nextImportObject();
      e2r.sendOnly(exportDesc(withdraw.op.resolveMe!.position), [new Sym('fulfill'), importArg(gift)]);
      const hello = await e2r.expect('deliver', (op) => sameTarget(op, gift, withdraw.op.answerPos));
      expect(hello.op.args).toEqual(['Hello']);
    });

    it('with a prior E–R session: it withdraws on that session, counting its handoffs 0, 1…', async () => {
      const e = await c.listener();
      const e2r = await openedFrom(c, e);
      const { g2r, greeter, give } = await receiverSetUp(c);
      const first = give(e, 'my-gift');
      g2r.sendOnly(exportDesc(greeter), [first]);
      await expectWithdrawal(e2r, g2r, first, 0n);
      const second = give(e, 'my-gift-2');
      g2r.sendOnly(exportDesc(greeter), [second]);
      await expectWithdrawal(e2r, g2r, second, 1n);
      expect(e.inboundCount).toBe(0);
    });
  });

  describe('third-party handoffs: the peer as exporter', () => {
    it('deposit first, then withdraw: the gift is fulfilled as a live import', async () => {
      const x = await exporterSetUp(c);
      const signedGive = x.give('my-gift');
      x.deposit('my-gift');
      const resolved = await x.withdraw(signedGive, 0n);
      expect(resolved.op.args[0]).toEqual(new Sym('fulfill'));
      const gift = descriptorFromSyrup(resolved.op.args[1]!);
      expect(gift?.type).toBe('import-object');
      // It is the greeter G deposited: it greets an object of R's, on E–R.
      const toGreet = x.r2e.nextImportObject();
      x.r2e.sendOnly(exportDesc((gift as { position: number }).position), [importArg(toGreet)]);
      expect((await x.r2e.expectDeliverTo(toGreet)).op.args).toEqual(['Hello']);
    });

    it('withdraw first, then deposit: the withdrawal waits and is fulfilled (directly, or through a promise)', async () => {
      const x = await exporterSetUp(c);
      const signedGive = x.give('my-gift');
      const { resolver } = x.r2e.ask(exportDesc(0), [new Sym('withdraw-gift'), x.receive(signedGive, 0n)]);
      // A round trip on E–R after it: the withdrawal has reached E's bootstrap before the deposit is sent.
      await x.r2e.fetch('echoGc');
      x.deposit('my-gift');
      const resolved = await x.r2e.expectResolution(resolver);
      expect(resolved.op.args[0]).toEqual(new Sym('fulfill'));
      expect(descriptorFromSyrup(resolved.op.args[1]!)?.type).toBe('import-object');
    });

    it('a handoff count already used on this E–R session breaks the withdrawal', async () => {
      const x = await exporterSetUp(c);
      const signedGive = x.give('my-gift');
      x.deposit('my-gift');
      const first = await x.withdraw(signedGive, 0n);
      expect(first.op.args[0]).toEqual(new Sym('fulfill'));
      // The suite's replay: deposit again, send the very same receive.
      x.deposit('my-gift');
      expectBrokenWith(await x.withdraw(signedGive, 0n), 'HANDOFF_COUNT_REUSED');
      // A fresh gift under the used count breaks too, and the next count gets it.
      const other = x.give('my-gift-2');
      x.deposit('my-gift-2');
      expectBrokenWith(await x.withdraw(other, 0n), 'HANDOFF_COUNT_REUSED');
      expect((await x.withdraw(other, 1n)).op.args[0]).toEqual(new Sym('fulfill'));
    });

    it('a receive with a bad signature breaks the withdrawal, and only that', async () => {
      const x = await exporterSetUp(c);
      const signedGive = x.give('my-gift');
      x.deposit('my-gift');
      expectBrokenWith(await x.withdraw(signedGive, 0n, { badSignature: true }), 'HANDOFF_BAD_RECEIVE');
      const retry = await x.withdraw(signedGive, 1n);
      expect(retry.op.args[0]).toEqual(new Sym('fulfill'));
      expect(descriptorFromSyrup(retry.op.args[1]!)?.type).toBe('import-object');
    });
  });

  describe('third-party handoffs: the peer as gifter', () => {
    it('an object enlivened from E goes to R as a signed give with the right fields, deposited at E', async () => {
      const r2g = await c.session();
      const e = await c.listener();
      const e2g = await openedFrom(c, e);
      const enlivener = await r2g.fetch('sturdyrefEnlivener');
      const swiss = utf8Encode(Buffer.from(randomBytes(24)).toString('base64url'));
      const { resolver } = r2g.ask(exportDesc(enlivener), [sturdyRefToSyrup({ peer: e.location, swiss })]);

      // The peer reuses E's session to fetch the object; E answers with an export of its own.
      const fetch = await e2g.expectDeliverTo(0);
      expect(fetch.op.args).toEqual([new Sym('fetch'), swiss]);
      const object = e2g.nextImportObject();
      e2g.sendOnly(exportDesc(fetch.op.resolveMe!.position), [new Sym('fulfill'), importArg(object)]);

      const [deposit, reply] = await Promise.all([e2g.expectDeliverTo(0), r2g.expectResolution(resolver)]);
      expectFireAndForgetForm(deposit, c.config.dialect);
      expect(deposit.op.args).toHaveLength(3);
      expect(deposit.op.args[0]).toEqual(new Sym('deposit-gift'));
      const giftId = deposit.op.args[1];
      expect(giftId).toBeInstanceOf(Uint8Array);
      expect((giftId as Uint8Array).length).toBe(32);
      expect(descriptorFromSyrup(deposit.op.args[2]!)).toEqual(exportDesc(object));

      expect(reply.op.args[0]).toEqual(new Sym('fulfill'));
      const { envelope, desc: give } = openEnvelope(reply.op.args[1], 'handoff-give');
      expect(give.receiverKey).toEqual(r2g.keyPair!.publicKey);
      expect(locatorsEqual(give.exporterLocation, e.location)).toBe(true);
      expect(give.exporterLocation.hints).toEqual(e.location.hints);
      expect(give.session).toEqual(e2g.sessionId());
      expect(give.gifterSide).toEqual(e2g.theirSideId());
      expect(give.giftId).toEqual(giftId);
      expect(verifySyrup(e2g.peerKey!, envelope.signed, envelope.signature)).toBe(true);
      expect(e.inboundCount).toBe(0);
    });
  });
}

/**
 * A session the suite opens from `from` to the peer, known to be open at the
 * peer too: its hello exchange is followed by a round trip (a fetch), so a
 * later message on another session cannot overtake the peer's bookkeeping
 * and make it dial `from` instead of reusing this session.
 */
async function openedFrom(c: Conformance, from: SuiteListener): Promise<RawSession> {
  const session = await from.connect(c.uri());
  await session.setupSession();
  await session.fetch('echoGc');
  return session;
}

/** The suite's fake G–E session: fixed IDs (not how real ones are made) and a key of its own. */
async function receiverSetUp(c: Conformance) {
  const g2r = await c.session();
  const greeter = await g2r.fetch('greeter');
  const gifterKey = generateKeyPair();
  const session = sha256(utf8Encode('Gifter <-> exporter session ID'));
  const gifterSide = sha256(utf8Encode('Gifter side ID'));
  const give = (e: SuiteListener, giftId: string) =>
    signGive(gifterKey, { receiverKey: g2r.peerKey!, exporterLocation: e.location, session, gifterSide, giftId: utf8Encode(giftId) });
  return { g2r, greeter, give };
}

/**
 * Reads the peer's `withdraw-gift` on E–R and checks the signed receive: it
 * carries our give unchanged, names this E–R session and the peer's side in
 * it, counts `count`, and is signed with the peer's G–R key.
 */
async function expectWithdrawal(e2r: RawSession, g2r: RawSession, signedGive: ReturnType<typeof signGive>, count: bigint) {
  const withdraw = await e2r.expectDeliverTo(0);
  expect(withdraw.op.args[0]).toEqual(new Sym('withdraw-gift'));
  expect(withdraw.op.resolveMe?.type).toBe('import-object');
  const { envelope, desc: receive } = openEnvelope(withdraw.op.args[1], 'handoff-receive');
  expect(envelopeBytes(receive.signedGive)).toEqual(envelopeBytes(signedGive));
  const give = openEnvelope(descriptorToSyrup(receive.signedGive), 'handoff-give').desc;
  expect(verifySyrup(give.receiverKey, envelope.signed, envelope.signature)).toBe(true);
  expect(give.receiverKey).toEqual(g2r.peerKey);
  expect(receive.receivingSession).toEqual(e2r.sessionId());
  expect(receive.receivingSide).toEqual(e2r.theirSideId());
  expect(receive.handoffCount).toBe(count);
  return withdraw;
}

/** A deliver to our export `position`, or pipelined on the answer `answerPos` that stands for it. */
function sameTarget(op: DeliverOp, position: number, answerPos: number | null): boolean {
  if (op.to.type === 'export') return op.to.position === position;
  return op.to.type === 'answer' && op.to.position === answerPos;
}

/** The suite's exporter set-up: G–E and R–E sessions from two suite locations, and R's key in a fake G–R session. */
async function exporterSetUp(c: Conformance) {
  const g2e = await c.session();
  const r = await c.listener();
  const r2e = await r.connect(c.uri());
  await r2e.setupSession();
  const r2gKey = generateKeyPair();
  const greeter = await g2e.fetch('greeter');
  const exporterLocation = parsePeerUri(c.uri());
  type SignedGive = ReturnType<typeof signGive>;
  const receive = (signedGive: SignedGive, handoffCount: bigint, options: { badSignature?: boolean } = {}) =>
    signReceive(r2gKey, { receivingSession: r2e.sessionId(), receivingSide: r2e.ourSideId(), handoffCount, signedGive }, options);
  return {
    r2e,
    receive,
    give: (giftId: string) =>
      signGive(g2e.keyPair!, {
        receiverKey: r2gKey.publicKey,
        exporterLocation,
        session: g2e.sessionId(),
        gifterSide: g2e.ourSideId(),
        giftId: utf8Encode(giftId),
      }),
    deposit: (giftId: string) =>
      g2e.sendOnly(exportDesc(0), [new Sym('deposit-gift'), utf8Encode(giftId), descriptorToSyrup(exportDesc(greeter))]),
    /** Sends `withdraw-gift` on R–E with a fresh resolver and reads its resolution. */
    async withdraw(signedGive: SignedGive, handoffCount: bigint, options: { badSignature?: boolean } = {}) {
      const { resolver } = r2e.ask(exportDesc(0), [new Sym('withdraw-gift'), receive(signedGive, handoffCount, options)]);
      return (await r2e.expectResolution(resolver)) as Received & { op: DeliverOp };
    },
  };
}
