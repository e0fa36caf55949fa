import { describe, expect, it } from 'vitest';
import type { RelayServerMessage } from '../../src/netlayer/relay/protocol.js';
import { RawClient, identity } from '../relay/helpers.js';
import { childRelay, figure } from './relay-child.js';

/** Relay flags that lift the circuit-open rate limits, so a test sees the slot quotas alone. */
const NO_OPEN_RATE = ['--circuit-opens-per-second', '1000000', '--circuit-open-burst', '1000000', '--incoming-circuits-per-second', '1000000', '--incoming-circuit-burst', '1000000'];

/** Sends `count` opens to `to` at once and collects the replies by request number. */
async function openMany(client: RawClient, to: string, count: number, first = 1): Promise<Map<number, RelayServerMessage>> {
  for (let i = 0; i < count; i++) client.send({ type: 'open', request: first + i, to });
  const replies = new Map<number, RelayServerMessage>();
  while (replies.size < count) {
    const m = await client.control();
    if (m.type === 'opened' || m.type === 'open-failed') replies.set(m.request, m);
  }
  return replies;
}

const opened = (replies: Map<number, RelayServerMessage>): number => [...replies.values()].filter((m) => m.type === 'opened').length;

describe('relay abuse: circuit slots', { timeout: 60_000 }, () => {
  it('one connection asking for 1,024 circuits to a victim gets maxCircuitsPerPair; others still reach the victim', async () => {
    const relay = await childRelay(NO_OPEN_RATE);
    const victimId = identity();
    const victim = await RawClient.registered(relay.url, victimId);
    const mallory = await RawClient.registered(relay.url, identity());
    const replies = await openMany(mallory, victimId.designator, 1024);
    expect(opened(replies)).toBe(8);
    const refusal = [...replies.values()].find((m) => m.type === 'open-failed');
    expect(refusal).toMatchObject({ reason: 'at most 8 open circuits to one peer' });
    // The victim answers Mallory's circuits (it is not their pending count that stops her), and a stranger still gets through.
    for (let i = 0; i < 8; i++) {
      const incoming = await victim.control();
      if (incoming.type !== 'incoming') throw new Error(`expected incoming, got ${incoming.type}`);
      victim.sendData(incoming.circuit, Uint8Array.of(1));
    }
    const carol = await RawClient.registered(relay.url, identity());
    const circuit = await carol.open(victimId.designator);
    expect(await victim.control()).toMatchObject({ type: 'incoming', circuit });
    carol.sendData(circuit, Uint8Array.of(42));
    expect(await victim.data()).toEqual({ circuit, payload: Uint8Array.of(42) });
    expect(await relay.metric('capmesh_relay_drops_total{reason="pair_circuits"}')).toBe(1016);
    expect((await relay.health()).circuits).toBe(9);
    figure('circuit slot grab', { peakRssKiB: relay.peakRssKiB() });
  });

  it('unanswered circuits to a victim are capped per target and expire; answered ones stay', async () => {
    const relay = await childRelay([...NO_OPEN_RATE, '--max-pending-circuits-per-target', '16', '--pending-circuit-timeout-ms', '2000']);
    const victimId = identity();
    const victim = await RawClient.registered(relay.url, victimId);
    const attackers = await Promise.all([0, 1, 2].map(() => RawClient.registered(relay.url, identity())));
    const replies = await Promise.all(attackers.map((a) => openMany(a, victimId.designator, 8)));
    const total = replies.reduce((n, r) => n + opened(r), 0);
    expect(total).toBe(16);
    // Which attacker's opens came last depends on scheduling: look at every refusal.
    const refusals = replies.flatMap((r) => [...r.values()].filter((m) => m.type === 'open-failed'));
    expect(refusals).toHaveLength(3 * 8 - 16);
    for (const refusal of refusals) expect(refusal).toMatchObject({ reason: 'that peer has 16 circuits it has not answered yet' });
    // The victim answers one circuit; the 15 it ignores expire, for both ends, and free the slots.
    const first = await victim.control();
    if (first.type !== 'incoming') throw new Error('expected incoming');
    victim.sendData(first.circuit, Uint8Array.of(1));
    const expired: RelayServerMessage[] = [];
    for (const attacker of attackers) {
      for (const [, reply] of replies[attackers.indexOf(attacker)]!) {
        if (reply.type !== 'opened' || reply.circuit === first.circuit) continue;
        for (;;) {
          const m = await attacker.next();
          if ('control' in m && m.control.type === 'closed') {
            expired.push(m.control);
            break;
          }
        }
      }
    }
    expect(expired).toHaveLength(15);
    expect(expired[0]).toMatchObject({ reason: 'the callee did not answer within 2000 ms' });
    const health = await relay.health();
    expect(health.circuits).toBe(1);
    const carol = await RawClient.registered(relay.url, identity());
    expect(await carol.open(victimId.designator)).toBeGreaterThan(0);
  });

  it('new circuits are rate limited per caller: a burst of opens is refused past circuitOpenBurst, the caller stays', async () => {
    const relay = await childRelay(['--circuit-open-burst', '20', '--circuit-opens-per-second', '1']);
    const targets = await Promise.all(Array.from({ length: 6 }, () => identity()));
    await Promise.all(targets.map((t) => RawClient.registered(relay.url, t)));
    const mallory = await RawClient.registered(relay.url, identity());
    let request = 1;
    let ok = 0;
    const reasons = new Set<string>();
    for (const target of targets) {
      const replies = await openMany(mallory, target.designator, 5, request);
      request += 5;
      ok += opened(replies);
      for (const m of replies.values()) if (m.type === 'open-failed') reasons.add(m.reason);
    }
    // 20 tokens at once, plus at most a few refilled at 1 per second while the test ran.
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThan(30);
    expect([...reasons]).toEqual(['at most 1 new circuits per second (burst 20)']);
    mallory.send({ type: 'ping', n: 5 });
    expect(await mallory.control()).toEqual({ type: 'pong', n: 5 });
  });
});
