import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IceRestarts, REANSWER, REOFFER } from '../../../src/netlayer/webrtc/ice-restart.js';
import type { DataChannelConnection } from '../../../src/netlayer/webrtc/datachannel-connection.js';
import type { ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';

function setup(offerer: boolean) {
  const posted: ToBroker[] = [];
  const signals: { to: string; kind: string; role: string; sdp: string }[] = [];
  const closed: string[] = [];
  const restarts = new IceRestarts({
    post: (m) => void posted.push(m),
    signal: (to, kind, sdp) => void signals.push({ to, kind, role: sdp.role, sdp: sdp.sdp }),
    timeoutMs: 5_000,
    log: { debug() {}, warn() {} },
  });
  const dialId = new Uint8Array([1, 2, 3]);
  const connection = { close: (why: string) => void closed.push(why) } as unknown as DataChannelConnection;
  restarts.track({ id: 7, peer: 'bob', dialId, offerer, connection, remoteSentAt: 1_000 });
  return { restarts, posted, signals, closed, dialId };
}

describe('ICE restarts of live direct connections', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('the offering side restarts ICE on disconnected, signs the new offer, applies the answer, and carries on when connected', () => {
    const t = setup(true);
    expect(t.restarts.onState(7, 'disconnected')).toBe(true);
    expect(t.posted).toEqual([{ type: 'restart', id: 7 }]);
    expect(t.restarts.onLocal(7, 'offer-sdp')).toBe(true);
    expect(t.signals).toEqual([{ to: 'bob', kind: REOFFER, role: 'offer', sdp: 'offer-sdp' }]);
    t.restarts.onSignal(REANSWER, 'bob', { role: 'answer', from: 'bob', to: 'us', dialId: t.dialId, sentAt: 2_000, sdp: 'answer-sdp' });
    expect(t.posted.at(-1)).toEqual({ type: 'remote', id: 7, sdp: 'answer-sdp' });
    t.restarts.onState(7, 'connected');
    vi.advanceTimersByTime(60_000);
    expect(t.closed).toEqual([]);
  });

  it('the answering side answers a restart offer for the same dial, and only that one', () => {
    const t = setup(false);
    t.restarts.onSignal(REOFFER, 'bob', { role: 'offer', from: 'bob', to: 'us', dialId: new Uint8Array([9]), sentAt: 2_000, sdp: 'other' });
    t.restarts.onSignal(REOFFER, 'mallory', { role: 'offer', from: 'mallory', to: 'us', dialId: t.dialId, sentAt: 2_000, sdp: 'forged' });
    expect(t.posted).toEqual([]);
    t.restarts.onSignal(REOFFER, 'bob', { role: 'offer', from: 'bob', to: 'us', dialId: t.dialId, sentAt: 2_000, sdp: 'offer-sdp' });
    expect(t.posted).toEqual([{ type: 'reaccept', id: 7, sdp: 'offer-sdp' }]);
    t.restarts.onLocal(7, 'answer-sdp');
    expect(t.signals).toEqual([{ to: 'bob', kind: REANSWER, role: 'answer', sdp: 'answer-sdp' }]);
  });

  it('ignores a replayed restart offer: one not later than the last description applied from the peer', () => {
    const t = setup(false);
    const reoffer = { role: 'offer' as const, from: 'bob', to: 'us', dialId: t.dialId, sdp: 'offer-sdp' };
    // As old as the offer that made the connection: a replay of something older.
    t.restarts.onSignal(REOFFER, 'bob', { ...reoffer, sentAt: 1_000 });
    expect(t.posted).toEqual([]);
    t.restarts.onSignal(REOFFER, 'bob', { ...reoffer, sentAt: 2_000 });
    expect(t.posted).toEqual([{ type: 'reaccept', id: 7, sdp: 'offer-sdp' }]);
    // The same restart offer again (the relay replays it): ignored.
    t.restarts.onSignal(REOFFER, 'bob', { ...reoffer, sentAt: 2_000 });
    expect(t.posted).toHaveLength(1);
  });

  it('gives the connection up when the path does not come back in time (a closed tab)', () => {
    const t = setup(true);
    t.restarts.onState(7, 'failed');
    vi.advanceTimersByTime(4_999);
    expect(t.closed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.closed).toEqual(['the direct path did not come back within 5000 ms']);
    // Forgotten: later states for the id are not ours.
    expect(t.restarts.onState(7, 'connected')).toBe(false);
  });

  it('ignores ids it does not track', () => {
    const t = setup(true);
    expect(t.restarts.onState(8, 'failed')).toBe(false);
    expect(t.restarts.onLocal(8, 'x')).toBe(false);
    expect(t.posted).toEqual([]);
  });
});
