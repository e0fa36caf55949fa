import { describe, expect, it } from 'vitest';
import { HandshakeGate } from '../../../src/netlayer/relay/handshake-gate.js';

describe('inbound handshake gate', () => {
  it('admits the burst, then the rate, and refuses the excess with a reason', () => {
    let t = 0;
    const gate = new HandshakeGate({ perSecond: 2, burst: 3, maxPending: 100, now: () => t });
    const results = Array.from({ length: 5 }, () => gate.admit());
    expect(results.map((r) => 'done' in r)).toEqual([true, true, true, false, false]);
    expect(results[3]).toEqual({ refused: 'more than 2 end-to-end handshakes per second' });
    t += 500;
    expect('done' in gate.admit()).toBe(true);
    expect('done' in gate.admit()).toBe(false);
    expect(gate.stats()).toEqual({ admitted: 4, refused: 3, pending: 4 });
  });

  it('caps handshakes in progress; done() frees a slot once', () => {
    const gate = new HandshakeGate({ perSecond: 1000, burst: 1000, maxPending: 2, now: () => 0 });
    const first = gate.admit();
    const second = gate.admit();
    expect(gate.admit()).toEqual({ refused: 'more than 2 end-to-end handshakes in progress' });
    if (!('done' in first) || !('done' in second)) throw new Error('expected admissions');
    first.done();
    first.done();
    expect(gate.stats().pending).toBe(1);
    expect('done' in gate.admit()).toBe(true);
    expect('done' in gate.admit()).toBe(false);
  });
});
