import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../src/index.js';
import { relayNetlayer } from '../../src/netlayer/relay/node.js';
import type { RelayNetlayer } from '../../src/netlayer/relay/index.js';
import { E2eInitiator } from '../../src/netlayer/relay/e2e.js';
import { RawClient, identity, type Identity } from '../relay/helpers.js';
import { childRelay, figure } from './relay-child.js';

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function node(url: string, netlayerOptions: Partial<Parameters<typeof relayNetlayer>[0]> = {}): Promise<{ vat: Vat; netlayer: RelayNetlayer }> {
  const netlayer = relayNetlayer({ url, reconnect: false, ...netlayerOptions });
  const vat = await createVat({ netlayers: [netlayer] });
  vats.push(vat);
  return { vat, netlayer };
}

/** Relay flags that lift every circuit quota, so the vat's own handshake gate is what is tested. */
const OPEN_RELAY = [
  '--circuit-opens-per-second', '1000000', '--circuit-open-burst', '1000000', '--incoming-circuits-per-second', '1000000',
  '--incoming-circuit-burst', '1000000', '--max-circuits-per-pair', '100000', '--max-circuits-per-source', '100000',
  '--max-pending-circuits-per-target', '100000', '--max-messages-per-second', '1000000', '--message-burst', '1000000',
];

interface FloodResult {
  /** Circuits the victim closed with a `RATE_LIMITED:` reason (no crypto done). */
  readonly rateLimited: number;
  /** Circuits on which the victim answered the init (it did the crypto). */
  readonly answered: number;
  /** Opens the relay refused. */
  readonly refusedByRelay: readonly string[];
}

/**
 * One attacker connection opens `count` circuits to `victim` and sends a
 * well-formed handshake init on each as soon as it opens; never confirms.
 * Resolves once every circuit had its outcome.
 */
async function initFlood(url: string, attacker: Identity, victim: string, count: number): Promise<FloodResult> {
  const client = await RawClient.registered(url, attacker);
  for (let i = 1; i <= count; i++) client.send({ type: 'open', request: i, to: victim });
  let rateLimited = 0;
  let answered = 0;
  const refusedByRelay: string[] = [];
  const who = { designator: attacker.designator, signer: attacker.signer };
  while (rateLimited + answered + refusedByRelay.length < count) {
    const m = await client.next();
    if ('data' in m) {
      answered++;
      continue;
    }
    const c = m.control;
    if (c.type === 'opened') client.sendData(c.circuit, new E2eInitiator(who, victim, { maxChunkBytes: 1024, maxMessageBytes: 1 << 20 }).init);
    else if (c.type === 'open-failed') refusedByRelay.push(c.reason);
    else if (c.type === 'closed' && c.reason.startsWith('RATE_LIMITED: ')) rateLimited++;
  }
  return { rateLimited, answered, refusedByRelay };
}

describe('relay abuse: end-to-end handshake init flood', { timeout: 60_000 }, () => {
  it('the victim vat refuses inits over its budget before any crypto (RATE_LIMITED) and keeps answering calls', async () => {
    const relay = await childRelay(OPEN_RELAY);
    const victim = await node(relay.url, { inboundHandshakes: { perSecond: 20, burst: 40, maxPending: 1000 } });
    const uri = await victim.vat.register(far('echo', { ping: (n: bigint) => n }));
    const bob = await node(relay.url);
    const echo = await bob.vat.enliven(uri);
    expect(await E(echo).ping(0n)).toBe(0n);
    const before = victim.netlayer.inboundHandshakeStats();

    const started = performance.now();
    const attacks = [0, 1, 2, 3].map(() => initFlood(relay.url, identity(), victim.vat.designator, 100));
    // While the flood runs, Bob's calls on his existing session keep being answered.
    const latencies: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const t = performance.now();
      expect(await E(echo).ping(BigInt(i))).toBe(BigInt(i));
      latencies.push(performance.now() - t);
    }
    const results = await Promise.all(attacks);
    const elapsedS = (performance.now() - started) / 1000;
    const rateLimited = results.reduce((n, r) => n + r.rateLimited, 0);
    const answered = results.reduce((n, r) => n + r.answered, 0);
    expect(results.flatMap((r) => r.refusedByRelay)).toEqual([]);
    expect(rateLimited + answered).toBe(400);
    // Crypto done for strangers: at most the burst plus the rate over the flood.
    expect(answered).toBeLessThanOrEqual(40 + Math.ceil(20 * elapsedS));
    expect(rateLimited).toBeGreaterThanOrEqual(400 - 40 - Math.ceil(20 * elapsedS));
    const after = victim.netlayer.inboundHandshakeStats();
    expect(after.admitted - before.admitted).toBe(answered);
    expect(after.refused - before.refused).toBe(rateLimited);
    expect(await E(echo).ping(99n)).toBe(99n);
    figure('handshake init flood', {
      relayPeakRssKiB: relay.peakRssKiB(),
      answered,
      rateLimited,
      floodSeconds: elapsedS.toFixed(2),
      maxCallLatencyMs: Math.round(Math.max(...latencies)),
    });
  });

  it('with the relay defaults, one connection opening 100 circuits to a victim is cut back at the relay', async () => {
    const relay = await childRelay();
    const victim = await node(relay.url);
    const result = await initFlood(relay.url, identity(), victim.vat.designator, 100);
    // Per caller: a burst of 20 new circuits; per pair: 8 open at once.
    expect(result.refusedByRelay.length).toBe(92);
    expect(result.answered + result.rateLimited).toBe(8);
    const reasons = new Set(result.refusedByRelay);
    expect(reasons).toContain('at most 10 new circuits per second (burst 20)');
    for (const reason of reasons) expect(['at most 10 new circuits per second (burst 20)', 'at most 8 open circuits to one peer']).toContain(reason);
    const failed = (await relay.metric('capmesh_relay_drops_total{reason="circuit_rate"}')) + (await relay.metric('capmesh_relay_drops_total{reason="pair_circuits"}'));
    expect(failed).toBe(result.refusedByRelay.length);
  });
});
