import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDesc, exportDesc, importObject } from '../../src/wire/index.js';
import { Polite, figure, startVictim, type Victim } from './vat-harness.js';

/**
 * Peers that do not read what the vat sends them. The vat must not buffer
 * without bound: above `pauseInputAtUnsentBytes` it stops handling the peer's
 * input, and it aborts the peer past `maxUnsentBytes` (our output) or
 * `maxHeldInputBytes` (its input held meanwhile). The attacker is not
 * reading, so the abort is observed in the victim's own log (`--verbose`):
 * the `session closed` line with the code and the reason.
 */
const LIMITS = {
  maxUnsentBytes: 4 * 1024 * 1024,
  pauseInputAtUnsentBytes: 256 * 1024,
  maxHeldInputBytes: 1024 * 1024,
};

describe('abuse: output backpressure against a real test-peer (256 MiB heap)', () => {
  let victim: Victim;
  let polite: Polite;

  beforeAll(async () => {
    victim = await startVictim(LIMITS);
    polite = await Polite.open(victim);
  }, 60_000);

  afterAll(async () => {
    figure('vat-backpressure', { peakRssMiB: victim.peakRssMiB() });
    await victim.stop();
  });

  /**
   * Resolves with the first `session closed` log line, written after stderr
   * offset `from`, whose reason names one of `budgets`.
   */
  function closedFor(from: number, ...budgets: string[]): Promise<{ code: string; reason: string }> {
    const find = (): { code: string; reason: string } | undefined => {
      for (const line of victim.peer.stderr().slice(from).split('\n')) {
        if (!line.includes('"session closed"')) continue;
        const entry = JSON.parse(line) as { code: string; reason: string };
        // The code is its own field; the reason is the text alone ("<budget>: …"), never "BUDGET_EXCEEDED: …".
        if (entry.code === 'BUDGET_EXCEEDED' && budgets.some((b) => entry.reason.startsWith(`${b}: `))) return entry;
      }
      return undefined;
    };
    return new Promise((resolve) => {
      const check = (): void => {
        const found = find();
        if (found === undefined) return;
        victim.peer.child.stderr!.off('data', check);
        resolve(found);
      };
      victim.peer.child.stderr!.on('data', check);
      check();
    });
  }

  it('a peer that reads nothing while its one 15 MiB echo comes back trips maxUnsentBytes', async () => {
    const from = victim.peer.stderr().length;
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    attacker.pauseReading();
    const chunk = 'z'.repeat(5 * 1024 * 1024);
    attacker.ask(exportDesc(echo), [chunk, chunk, chunk]);
    const closed = await closedFor(from, 'maxUnsentBytes');
    expect(closed.code).toBe('BUDGET_EXCEEDED');
    expect(closed.reason).toMatch(/more than 4194304 bytes of our messages unread/);
    const recoverMs = await polite.echo('after the unread echo');
    figure('maxUnsentBytes', { recoverMs: Math.round(recoverMs), peakRssMiB: victim.peakRssMiB() });
    expect(victim.alive()).toBe(true);
  });

  it('a peer that reads nothing but keeps sending has its input held, then trips maxHeldInputBytes', async () => {
    const from = victim.peer.stderr().length;
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    attacker.pauseReading();
    const payload = 'w'.repeat(512 * 1024);
    // Each echo would come back as 512 KiB; 40 of them is 20 MiB the vat must not buffer.
    for (let i = 0; i < 40; i++) attacker.ask(exportDesc(echo), [payload]);
    // Meanwhile the well-behaved session is served.
    await polite.echo('while another peer floods');
    const closed = await closedFor(from, 'maxHeldInputBytes');
    expect(closed.code).toBe('BUDGET_EXCEEDED');
    const recoverMs = await polite.echo('after the flood');
    figure('maxHeldInputBytes', { recoverMs: Math.round(recoverMs), peakRssMiB: victim.peakRssMiB() });
    expect(victim.alive()).toBe(true);
  });

  it('a slow reader is paused, not cut: once it reads again, its held messages are answered in order', async () => {
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    attacker.pauseReading();
    // 3 MiB back: above the pause mark, under maxUnsentBytes; the small asks after it wait.
    const big = attacker.ask(exportDesc(echo), ['s'.repeat(3 * 1024 * 1024)]);
    const small = Array.from({ length: 5 }, (_, i) => attacker.ask(exportDesc(echo), [`small ${i}`]));
    await polite.echo('while a peer is slow');
    attacker.resumeReading();
    await attacker.expectResolution(big.resolver);
    for (const [i, { resolver }] of small.entries()) {
      const r = await attacker.expectResolution(resolver);
      expect(r.op.args[1]).toEqual([`small ${i}`]);
    }
    expect(attacker.isEnded).toBe(false);
  });

  it('listens that would re-send a settled 2 MiB answer to a peer that does not read trip maxUnsentBytes, not the heap', async () => {
    const from = victim.peer.stderr().length;
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    const { resolver, answer } = attacker.ask(exportDesc(echo), ['v'.repeat(2 * 1024 * 1024)], true);
    await attacker.expectResolution(resolver);
    attacker.pauseReading();
    // The amplification: 90 listens of ~35 bytes each (under maxListenersPerAnswer) ask for 180 MiB.
    for (let i = 0; i < 90; i++) {
      attacker.send({ op: 'listen', to: answerDesc(answer!), listenDesc: importObject(attacker.nextImportObject()) });
    }
    const closed = await closedFor(from, 'maxUnsentBytes');
    expect(closed.code).toBe('BUDGET_EXCEEDED');
    const recoverMs = await polite.echo('after the listens');
    figure('listen amplification', { recoverMs: Math.round(recoverMs), peakRssMiB: victim.peakRssMiB(), reason: closed.reason });
    expect(victim.peakRssMiB()).toBeLessThan(256);
    expect(victim.alive()).toBe(true);
  });
});
