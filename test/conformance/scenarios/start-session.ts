import { describe, expect, it } from 'vitest';
import { generateKeyPair, publicIdOf, verifyLocation, type KeyPair } from '../../../src/crypto/index.js';
import { parsePeerUri } from '../../../src/mesh/uri.js';
import { Sym } from '../../../src/syrup/types.js';
import { compareBytes, utf8Encode } from '../../../src/util/bytes.js';
import { exportDesc, locatorToSyrup, locatorsEqual, sturdyRefToSyrup } from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import { ConnectionClosed, type RawSession } from '../harness/raw-session.js';

/** Suite module `op_start_session` (5 tests), plus what the peer does after a crossed-hellos decision. */
export function startSessionScenarios(c: Conformance): void {
  describe('op:start-session', () => {
    it('the peer sends a valid op:start-session: version "1.0", its own location, signed with my-location', async () => {
      const s = await c.connect();
      s.sendHello();
      const hello = await s.takeHello();
      expect(hello.record.labelName).toBe('op:start-session');
      expect(hello.op.captpVersion).toBe('1.0');
      expect(locatorsEqual(hello.op.location, parsePeerUri(c.uri()))).toBe(true);
      expect(hello.op.location.hints).toEqual(parsePeerUri(c.uri()).hints);
      expect(verifyLocation(hello.op.sessionPubkey, locatorToSyrup(hello.op.location), hello.op.locationSig)).toBe(true);
    });

    it('aborts on a start-session with an invalid version', async () => {
      const s = await c.connect();
      s.sendHello({ version: 'invalid-version-number' });
      const abort = await s.expect('abort');
      expect(abort.record.labelName).toBe('op:abort');
      expect(abort.op.reason).toMatch(/version/);
      await expectOnlyAbortThenClose(s);
    });

    it('aborts on a start-session with an invalid location signature', async () => {
      const s = await c.connect();
      s.sendHello({ badSignature: true });
      const abort = await s.expect('abort');
      expect(abort.op.reason).toMatch(/signature/);
      await expectOnlyAbortThenClose(s);
    });

    it('crossed hellos: when the peer dialled with the lower ID, its outbound (our inbound) is aborted', async () => {
      const { inbound, outbound } = await crossHellos(c, 'peer-dial-loses');
      const abort = await inbound.expect('abort');
      expect(abort.op.reason).toBe('Crossed hellos mitigated');
      // The surviving connection is ours: the peer opens the session on it and asks for the object.
      await outbound.takeHello();
      const fetch = await outbound.expect('deliver');
      expect(fetch.op.to).toEqual(exportDesc(0));
      expect(fetch.op.args).toEqual([new Sym('fetch'), utf8Encode('my-object')]);
    });

    it('crossed hellos: when we dialled with the lower ID, our outbound is aborted', async () => {
      const { inbound, outbound } = await crossHellos(c, 'our-dial-loses');
      const abort = await outbound.expect('abort');
      expect(abort.op.reason).toBe('Crossed hellos mitigated');
      // The peer's own dial survives: finish its handshake and it sends its fetch there.
      inbound.sendHello();
      const fetch = await inbound.expect('deliver');
      expect(fetch.op.to).toEqual(exportDesc(0));
      expect(fetch.op.args).toEqual([new Sym('fetch'), utf8Encode('my-object')]);
    });
  });
}

/**
 * After an abort: nothing came before it — on a connection we dialled the peer sends its hello
 * only once it accepted ours (crossed hellos, see src/mesh/handshake.ts) — and then the
 * connection ends. (The suite itself only waits for the abort, skipping anything before it.)
 */
async function expectOnlyAbortThenClose(s: RawSession): Promise<void> {
  await s.closed;
  const error = await s.next().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionClosed);
  expect(s.log.map((r) => r.op.op)).toEqual(['abort']);
}

/**
 * The suite's crossed-hellos set-up: make the peer dial a second suite
 * location through the sturdyref enlivener, read its hello there, then dial the
 * peer from that same location with a key chosen so that `loser` holds.
 */
async function crossHellos(c: Conformance, loser: 'peer-dial-loses' | 'our-dial-loses'): Promise<{ inbound: RawSession; outbound: RawSession }> {
  const remote = await c.session();
  const enlivener = await remote.fetch('sturdyrefEnlivener');
  const other = await c.listener();
  const sturdyRef = sturdyRefToSyrup({ peer: other.location, swiss: utf8Encode('my-object') });
  remote.sendOnly(exportDesc(enlivener), [sturdyRef]);

  const inbound = await other.accept();
  const peerHello = await inbound.takeHello();
  const peerDialId = publicIdOf(peerHello.op.sessionPubkey);

  const outbound = await other.connect(c.uri());
  let keyPair: KeyPair;
  for (;;) {
    keyPair = generateKeyPair();
    const ourDialLower = compareBytes(publicIdOf(keyPair.publicKey), peerDialId) < 0;
    if (ourDialLower === (loser === 'our-dial-loses')) break;
  }
  outbound.sendHello({ keyPair });
  return { inbound, outbound };
}
