import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIVENESS, LivenessMonitor, livenessSettings } from '../../src/mesh/liveness.js';
import { isCapmeshError } from '../../src/util/errors.js';

describe('LivenessMonitor (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const watch = (intervalMs: number, timeoutMs: number) => {
    const events: string[] = [];
    const monitor = new LivenessMonitor({ intervalMs, timeoutMs }, {
      probe: () => events.push(`probe@${Date.now() - start}`),
      unresponsive: (silent) => events.push(`dead@${Date.now() - start} silent=${silent}`),
    });
    const start = Date.now();
    return { events, monitor };
  };

  it('a silent peer is probed after intervalMs, again every intervalMs, and declared unresponsive at timeoutMs', () => {
    const { events } = watch(100, 350);
    vi.advanceTimersByTime(99);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['probe@100']);
    vi.advanceTimersByTime(1000);
    // The verdict waits one macrotask (a fake 1 ms) for input already queued.
    expect(events).toEqual(['probe@100', 'probe@200', 'probe@300', 'dead@351 silent=351']);
  });

  it('a peer that keeps talking is never probed nor cut', () => {
    const { events, monitor } = watch(100, 350);
    for (let i = 0; i < 100; i++) {
      vi.advanceTimersByTime(50);
      monitor.heard();
    }
    expect(events).toEqual([]);
  });

  it('a peer that answers each probe is never cut; silence after its last answer counts from that answer', () => {
    const { events, monitor } = watch(100, 350);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(100); // probe goes out
      vi.advanceTimersByTime(30);
      monitor.heard(); // its answer
    }
    expect(events.filter((e) => e.startsWith('dead'))).toEqual([]);
    expect(events).toHaveLength(10);
    // 1300 now, last heard at 1300: probes at 1400, 1500, 1600, dead at 1650 (+1: the recheck macrotask).
    vi.advanceTimersByTime(1000);
    expect(events.slice(10)).toEqual(['probe@1400', 'probe@1500', 'probe@1600', 'dead@1651 silent=351']);
  });

  it('our own stall (the timer fires late) is not counted as the peer\'s silence: a probe goes out instead of a verdict', () => {
    const { events } = watch(100, 350);
    vi.advanceTimersByTime(100); // probe@100
    vi.setSystemTime(Date.now() + 1000); // the process stalls for a second: no timer runs
    vi.advanceTimersByTime(100);
    expect(events).toEqual(['probe@100', 'probe@1200']);
    vi.advanceTimersByTime(1000);
    expect(events.at(-1)).toMatch(/^dead@/);
  });

  it('input already waiting when the timeout fires (a pong queued behind our timer) still counts: no verdict', () => {
    const { events, monitor } = watch(100, 350);
    vi.advanceTimersByTime(350); // the timeout tick runs; the verdict waits one macrotask
    expect(events).toEqual(['probe@100', 'probe@200', 'probe@300']);
    monitor.heard(); // the socket's queued pong is read in between
    vi.advanceTimersByTime(50);
    expect(events).toEqual(['probe@100', 'probe@200', 'probe@300']);
  });

  it('stop() ends everything; intervalMs 0 never arms a timer', () => {
    const { events, monitor } = watch(100, 350);
    monitor.stop();
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual([]);
    const off = watch(0, 350);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(off.events).toEqual([]);
  });
});

describe('livenessSettings', () => {
  it('fills in the documented defaults', () => {
    expect(livenessSettings(undefined)).toEqual({ intervalMs: 15_000, timeoutMs: 45_000 });
    expect(DEFAULT_LIVENESS).toEqual({ intervalMs: 15_000, timeoutMs: 45_000 });
    expect(livenessSettings({ intervalMs: 0 })).toEqual({ intervalMs: 0, timeoutMs: 45_000 });
  });

  it('refuses a timeout not above the interval, and non-integers, with INVALID_ARGUMENT', () => {
    for (const bad of [{ intervalMs: 100, timeoutMs: 100 }, { intervalMs: -1 }, { timeoutMs: 1.5 }, { intervalMs: 60_000 }]) {
      let caught: unknown;
      try {
        livenessSettings(bad);
      } catch (e) {
        caught = e;
      }
      expect(isCapmeshError(caught, 'INVALID_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
  });
});
