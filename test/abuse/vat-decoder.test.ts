import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorToSyrup, exportDesc, importPromise } from '../../src/wire/index.js';
import { Polite, budgetReason, expectAbort, figure, startVictim, type Victim } from './vat-harness.js';

/**
 * One message that costs seconds of CPU and hundreds of MiB without budgets:
 * millions of empty lists, or a deliver carrying tens of thousands of
 * references (each a table entry, each promise an op:listen back). The victim
 * runs with its default decoder and reference budgets.
 */
describe('abuse: per-message decoder and reference budgets against a real test-peer (256 MiB heap)', () => {
  let victim: Victim;
  let polite: Polite;

  beforeAll(async () => {
    victim = await startVictim({});
    polite = await Polite.open(victim);
  }, 60_000);

  afterAll(async () => {
    figure('vat-decoder', { peakRssMiB: victim.peakRssMiB() });
    await victim.stop();
  });

  it('4 MiB of nested empty lists in one message is refused by maxNodes (SYRUP_LIMIT) and costs no more than its bytes', async () => {
    const attacker = await victim.session();
    // [ [ [] ×1000 ] ×2048 ]: 2 M values, no list over maxItems, no nesting over maxDepth.
    const inner = '['.concat('[]'.repeat(1000), ']');
    const bytes = new Uint8Array(Buffer.from('['.concat(inner.repeat(2048), ']'), 'latin1'));
    expect(bytes.length).toBeGreaterThan(4_000_000);
    const before = victim.peakRssMiB();
    const started = performance.now();
    attacker.sendRawMessage(bytes);
    await expectAbort(attacker, /^SYRUP_LIMIT: more than maxNodes \(250000\) values/);
    const recoverMs = await polite.echo('after the lists');
    figure('maxNodes', { messageBytes: bytes.length, abortAfterMs: Math.round(performance.now() - started), recoverMs: Math.round(recoverMs), peakRssBeforeMiB: before, peakRssAfterMiB: victim.peakRssMiB() });
    expect(victim.alive()).toBe(true);
  });

  it('a deliver carrying 20,000 promises trips maxReferencesPerMessage after at most 1,000 op:listens back', async () => {
    const attacker = await victim.session();
    const echo = await attacker.fetch('echoGc');
    const refs = Array.from({ length: 20_000 }, (_, i) => descriptorToSyrup(importPromise(1000 + i)));
    const started = performance.now();
    attacker.sendOnly(exportDesc(echo), refs);
    let listens = 0;
    for (;;) {
      const r = await attacker.expect(['listen', 'abort']);
      if (r.op.op === 'abort') {
        expect(r.op.reason).toMatch(budgetReason('maxReferencesPerMessage'));
        break;
      }
      listens++;
    }
    expect(listens).toBeLessThanOrEqual(1_000);
    const recoverMs = await polite.echo('after the references');
    figure('maxReferencesPerMessage', { references: refs.length, listensSent: listens, abortAfterMs: Math.round(performance.now() - started), recoverMs: Math.round(recoverMs) });
    expect(victim.alive()).toBe(true);
  });
});
