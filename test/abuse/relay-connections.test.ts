import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RELAY_CLOSE } from '../../src/netlayer/relay/protocol.js';
import { RawClient, identity, onCleanup } from '../relay/helpers.js';
import { OTHER_ADDRESS, childRelay, cutFor, figure, type ChildRelay } from './relay-child.js';

/** Status of a WebSocket upgrade from 127.0.0.1: 101 when it opened, else the HTTP status the relay answered. */
function upgradeStatus(url: string): Promise<number> {
  const socket = new WebSocket(url, undefined, { perMessageDeflate: false });
  onCleanup(() => socket.terminate());
  return new Promise((resolve) => {
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => resolve(res.statusCode));
    socket.on('error', () => resolve(0));
  });
}

async function wellBehavedPair(relay: ChildRelay): Promise<void> {
  const aliceId = identity();
  const bobId = identity();
  const alice = await RawClient.registered(relay.url, aliceId, { localAddress: OTHER_ADDRESS });
  const bob = await RawClient.registered(relay.url, bobId, { localAddress: OTHER_ADDRESS });
  const circuit = await alice.open(bobId.designator);
  expect(await bob.control()).toMatchObject({ type: 'incoming', circuit });
  alice.sendData(circuit, Uint8Array.of(1, 2, 3));
  expect(await bob.data()).toEqual({ circuit, payload: Uint8Array.of(1, 2, 3) });
}

describe('relay abuse: connections', { timeout: 60_000 }, () => {
  it('one client address cannot fill the connection cap: past --max-connections-per-ip it gets 503, others still connect', async () => {
    const relay = await childRelay(['--max-connections-per-ip', '8', '--max-connections', '100']);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await upgradeStatus(relay.url));
    expect(statuses.filter((s) => s === 101)).toHaveLength(8);
    expect(statuses.filter((s) => s === 503)).toHaveLength(12);
    expect(await relay.metric('capmesh_relay_drops_total{reason="max_connections_per_ip"}')).toBe(12);
    await wellBehavedPair(relay);
    expect(relay.alive()).toBe(true);
    figure('one-client connection cap', { peakRssKiB: relay.peakRssKiB() });
  });

  it('half-sent HTTP upgrades count against the per-address cap and are closed at --upgrade-timeout-ms', async () => {
    const HALF_OPEN = 200;
    const DEADLINE_MS = 3000;
    const relay = await childRelay(['--max-connections-per-ip', String(HALF_OPEN), '--upgrade-timeout-ms', String(DEADLINE_MS)]);
    const started = performance.now();
    const sockets: Socket[] = [];
    const closedAt: Promise<number>[] = [];
    for (let i = 0; i < HALF_OPEN; i++) {
      const socket = connect({ host: '127.0.0.1', port: relay.port });
      onCleanup(() => socket.destroy());
      socket.on('error', () => {});
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${relay.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`); // …and never the rest.
      sockets.push(socket);
      closedAt.push(new Promise((resolve) => socket.on('close', () => resolve(performance.now()))));
    }
    await Promise.all(sockets.map((s) => new Promise((resolve) => (s.readyState === 'open' ? resolve(null) : s.once('connect', resolve)))));
    // The relay has counted them: the next one from the same address is refused, one from elsewhere is not.
    expect((await relay.health()).sockets).toBeGreaterThan(HALF_OPEN);
    expect(await upgradeStatus(relay.url)).toBe(503);
    await wellBehavedPair(relay);
    const closed = await Promise.all(closedAt);
    const slowestMs = Math.max(...closed) - started;
    expect(await relay.metric('capmesh_relay_drops_total{reason="upgrade_timeout"}')).toBe(HALF_OPEN);
    expect((await relay.health()).sockets).toBeLessThanOrEqual(3);
    expect(relay.alive()).toBe(true);
    figure('half-open upgrades', { peakRssKiB: relay.peakRssKiB(), halfOpen: HALF_OPEN, deadlineMs: DEADLINE_MS, allClosedAfterMs: Math.round(slowestMs) });
  });
});

describe('relay abuse: before registration', { timeout: 60_000 }, () => {
  it('an unregistered client\'s data frame cuts it (4002, unregistered); registered peers keep working', async () => {
    const relay = await childRelay();
    const anonymous = await RawClient.connect(relay.url);
    anonymous.sendData(1, Uint8Array.of(6, 6, 6));
    expect((await anonymous.closed).code).toBe(RELAY_CLOSE.protocol);
    await relay.logged(cutFor('unregistered'));
    const signaller = await RawClient.connect(relay.url);
    signaller.send({ type: 'signal', peer: identity().designator, kind: 'x', payload: Uint8Array.of(1) });
    expect((await signaller.closed).code).toBe(RELAY_CLOSE.protocol);
    // A ping before registering is still answered (clients measure the relay before registering).
    const pinger = await RawClient.connect(relay.url);
    pinger.send({ type: 'ping', n: 4 });
    expect(await pinger.control()).toEqual({ type: 'pong', n: 4 });
    expect(await relay.metric('capmesh_relay_drops_total{reason="unregistered"}')).toBe(2);
    await wellBehavedPair(relay);
  });
});
