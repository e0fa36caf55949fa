import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDesc, exportDesc, importObject } from '../../src/wire/index.js';
import { Polite, budgetReason, call, expectAbort, figure, pendingPromise, startVictim, type Victim } from './vat-harness.js';

/**
 * Hostile peers that make a vat hold things without any capability beyond the
 * suite's objects: messages pipelined on a promise that never settles, answers,
 * listeners, repeated listens on a settled answer. Each is aborted with
 * `BUDGET_EXCEEDED` naming its budget; the child lives on and a well-behaved
 * session keeps getting answers throughout.
 */
const LIMITS = {
  maxPendingAnswers: 200,
  maxQueuedMessages: 500,
  maxQueuedBytes: 256 * 1024,
  maxListenersPerAnswer: 20,
  maxListeners: 100,
};

describe('abuse: CapTP session budgets against a real test-peer (256 MiB heap)', () => {
  let victim: Victim;
  let polite: Polite;

  beforeAll(async () => {
    victim = await startVictim(LIMITS);
    polite = await Polite.open(victim);
  }, 60_000);

  afterAll(async () => {
    figure('vat-queues', { peakRssMiB: victim.peakRssMiB() });
    await victim.stop();
  });

  /** The child survived, and the well-behaved session still gets answers (returns the round trip in ms). */
  async function stillServing(): Promise<number> {
    expect(victim.alive()).toBe(true);
    return polite.echo('still there?');
  }

  it('fire-and-forget sends pipelined on a promise that never settles trip maxQueuedMessages', async () => {
    const attacker = await victim.session();
    const promise = await pendingPromise(attacker);
    await polite.echo('before');
    for (let i = 0; i <= LIMITS.maxQueuedMessages; i++) attacker.sendOnly(exportDesc(promise), [`send ${i}`]);
    await expectAbort(attacker, budgetReason('maxQueuedMessages'));
    figure('maxQueuedMessages', { recoverMs: Math.round(await stillServing()) });
  });

  it('large sends waiting on a pending promise trip maxQueuedBytes before maxQueuedMessages', async () => {
    const attacker = await victim.session();
    const promise = await pendingPromise(attacker);
    const payload = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 40; i++) attacker.sendOnly(exportDesc(promise), [payload]);
    await expectAbort(attacker, budgetReason('maxQueuedBytes'));
    await stillServing();
  });

  it('questions pipelined on a pending promise trip maxPendingAnswers', async () => {
    const attacker = await victim.session();
    const promise = await pendingPromise(attacker);
    for (let i = 0; i <= LIMITS.maxPendingAnswers; i++) attacker.ask(exportDesc(promise), [], true);
    await expectAbort(attacker, budgetReason('maxPendingAnswers'));
    await stillServing();
  });

  it('op:listen on one pending promise, again and again, trips maxListenersPerAnswer', async () => {
    const attacker = await victim.session();
    const promise = await pendingPromise(attacker);
    for (let i = 0; i <= LIMITS.maxListenersPerAnswer; i++) {
      attacker.send({ op: 'listen', to: exportDesc(promise), listenDesc: importObject(attacker.nextImportObject()) });
    }
    await expectAbort(attacker, budgetReason('maxListenersPerAnswer'));
    await stillServing();
  });

  it('op:listen spread over many pending answers trips maxListeners', async () => {
    const attacker = await victim.session();
    const promise = await pendingPromise(attacker);
    const answers = Array.from({ length: 6 }, () => attacker.ask(exportDesc(promise), [], true).answer!);
    for (const answer of answers) {
      for (let i = 0; i < LIMITS.maxListenersPerAnswer; i++) {
        attacker.send({ op: 'listen', to: answerDesc(answer), listenDesc: importObject(attacker.nextImportObject()) });
      }
    }
    await expectAbort(attacker, budgetReason('maxListeners'));
    await stillServing();
  });

  it('op:listen repeated on a settled large answer trips maxListenersPerAnswer instead of re-sending it without end', async () => {
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    const big = 'y'.repeat(100 * 1024);
    const { resolver, answer } = attacker.ask(exportDesc(echo), [big], true);
    await attacker.expectResolution(resolver);
    let copies = 0;
    for (let i = 0; i <= LIMITS.maxListenersPerAnswer; i++) {
      attacker.send({ op: 'listen', to: answerDesc(answer!), listenDesc: importObject(attacker.nextImportObject()) });
    }
    for (;;) {
      const r = await attacker.expect(['deliver', 'abort']);
      if (r.op.op === 'abort') {
        expect(r.op.reason).toMatch(budgetReason('maxListenersPerAnswer'));
        break;
      }
      copies++;
    }
    expect(copies).toBeLessThanOrEqual(LIMITS.maxListenersPerAnswer);
    await stillServing();
  });

  it('a well-behaved session under the same budgets is never tripped', async () => {
    const s = await victim.session();
    const promise = await pendingPromise(s);
    const echo = await s.fetch('echoGc');
    for (let i = 0; i < 50; i++) s.sendOnly(exportDesc(promise), ['queued']);
    for (let i = 0; i < 20; i++) expect(await call(s, echo, [`n${i}`])).toEqual([`n${i}`]);
    await stillServing();
    expect(s.isEnded).toBe(false);
  });
});
