import { describe, expect, it } from 'vitest';
import { RELAY_CLOSE } from '../../src/netlayer/relay/protocol.js';
import { RawClient, identity } from '../relay/helpers.js';
import { childRelay, cutFor, figure } from './relay-child.js';

const SIGNALS = 400;
const SIGNAL_BYTES = 60 * 1024;
/** A small relay buffer, so the flood passes it many times over (the original relay cut the victim here). */
const SMALL_BUFFER = ['--max-buffered-bytes', String(2 * 1024 * 1024)];

function flood(from: RawClient, to: string): void {
  for (let i = 0; i < SIGNALS; i++) {
    const payload = new Uint8Array(SIGNAL_BYTES);
    new DataView(payload.buffer).setUint32(0, i);
    from.send({ type: 'signal', peer: to, kind: 'flood', payload });
  }
}

describe('relay abuse: a flood to a slow reader costs its sender', { timeout: 60_000 }, () => {
  it('400 × 60 KiB signals to a victim that reads slowly throttle the sender; the victim stays and gets all of them in order', async () => {
    const relay = await childRelay(SMALL_BUFFER);
    const victimId = identity();
    const carolId = identity();
    const victim = await RawClient.registered(relay.url, victimId);
    const mallory = await RawClient.registered(relay.url, identity());
    const carol = await RawClient.registered(relay.url, carolId);
    victim.socket.pause(); // The victim reads slowly: not at all until the flood has backed up.
    flood(mallory, victimId.designator);
    await relay.logged((l) => l.msg === 'sender throttled');
    carol.send({ type: 'signal', peer: victimId.designator, kind: 'hello', payload: Uint8Array.of(7) });
    const resumed = performance.now();
    victim.socket.resume();
    let next = 0;
    let carolSeen = false;
    while (next < SIGNALS || !carolSeen) {
      const m = await victim.control();
      if (m.type !== 'signal') throw new Error(`unexpected ${m.type}`);
      if (m.kind === 'hello') {
        expect(m.peer).toBe(carolId.designator);
        carolSeen = true;
      } else {
        expect(new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0)).toBe(next++);
      }
    }
    const recoveryMs = Math.round(performance.now() - resumed);
    // Nobody was cut: the victim and Mallory (only held back) still answer.
    expect(await relay.metric('capmesh_relay_drops_total{reason="slow_consumer"}')).toBe(0);
    expect(await relay.metric('capmesh_relay_throttles_total')).toBeGreaterThan(0);
    victim.send({ type: 'ping', n: 1 });
    expect(await victim.control()).toEqual({ type: 'pong', n: 1 });
    mallory.send({ type: 'ping', n: 2 });
    expect(await mallory.control()).toEqual({ type: 'pong', n: 2 });
    expect((await relay.health()).registered).toBe(3);
    const peak = await relay.metric('capmesh_relay_buffered_bytes_peak');
    expect(peak).toBeLessThanOrEqual(2 * 1024 * 1024);
    figure('slow-victim signal flood', { peakRssKiB: relay.peakRssKiB(), peakBufferedBytes: peak, recoveryMs });
  });

  it('a sender held back longer than --max-throttle-ms is cut (4008); the victim is not, and others reach it', async () => {
    const relay = await childRelay([...SMALL_BUFFER, '--max-throttle-ms', '300']);
    const victimId = identity();
    const carolId = identity();
    const victim = await RawClient.registered(relay.url, victimId);
    const mallory = await RawClient.registered(relay.url, identity());
    const carol = await RawClient.registered(relay.url, carolId);
    victim.socket.pause(); // The victim does not read for now.
    flood(mallory, victimId.designator);
    const closed = await mallory.closed;
    expect(closed.code).toBe(RELAY_CLOSE.rateLimited);
    await relay.logged(cutFor('throttled'));
    expect(relay.alive()).toBe(true);
    carol.send({ type: 'signal', peer: victimId.designator, kind: 'hello', payload: Uint8Array.of(7) });
    const resumed = performance.now();
    victim.socket.resume();
    for (;;) {
      const m = await victim.control();
      if (m.type === 'signal' && m.kind === 'hello') {
        expect(m.peer).toBe(carolId.designator);
        break;
      }
    }
    const recoveryMs = Math.round(performance.now() - resumed);
    expect(await relay.metric('capmesh_relay_drops_total{reason="slow_consumer"}')).toBe(0);
    expect(await relay.metric('capmesh_relay_drops_total{reason="throttled"}')).toBe(1);
    expect((await relay.health()).registered).toBe(2);
    figure('throttled sender cut', { peakRssKiB: relay.peakRssKiB(), recoveryMs });
  });
});
