import { describe, expect, it } from 'vitest';
import { makeManualScheduler, microtaskScheduler } from '../../src/vat/scheduler.js';
import { isCapmeshError } from '../../src/util/errors.js';

describe('makeManualScheduler', () => {
  it('runs nothing until driven, then runs turns in FIFO order', () => {
    const s = makeManualScheduler();
    const log: string[] = [];
    s.schedule(() => log.push('a'));
    s.schedule(() => log.push('b'));
    expect(log).toEqual([]);
    expect(s.pending).toBe(2);
    expect(s.runNext()).toBe(true);
    expect(log).toEqual(['a']);
    expect(s.pending).toBe(1);
    expect(s.drain()).toBe(1);
    expect(log).toEqual(['a', 'b']);
    expect(s.runNext()).toBe(false);
  });

  it('drain also runs turns queued while draining, after those already queued', () => {
    const s = makeManualScheduler();
    const log: string[] = [];
    s.schedule(() => {
      log.push('first');
      s.schedule(() => log.push('queued by first'));
    });
    s.schedule(() => log.push('second'));
    expect(s.drain()).toBe(3);
    expect(log).toEqual(['first', 'second', 'queued by first']);
  });

  it('stops a turn that keeps requeueing itself with LIMIT', () => {
    const s = makeManualScheduler();
    const again = (): void => s.schedule(again);
    s.schedule(again);
    let error: unknown;
    try {
      s.drain(10);
    } catch (e) {
      error = e;
    }
    expect(isCapmeshError(error, 'LIMIT')).toBe(true);
    expect(s.pending).toBe(1);
  });

  it('propagates a turn’s exception and drops that turn', () => {
    const s = makeManualScheduler();
    s.schedule(() => {
      throw new Error('turn failed');
    });
    s.schedule(() => undefined);
    expect(() => s.runNext()).toThrow('turn failed');
    expect(s.pending).toBe(1);
  });
});

describe('microtaskScheduler', () => {
  it('runs the turn later, not in the caller’s turn', async () => {
    const log: string[] = [];
    microtaskScheduler(() => log.push('turn'));
    log.push('caller');
    await Promise.resolve();
    expect(log).toEqual(['caller', 'turn']);
  });
});
