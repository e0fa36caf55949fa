import { describe, expect, it } from 'vitest';
import { codeOf } from '../helpers/codes.js';
import { DEFAULT_HANDOFF_LIMITS, HandoffDialBudget, resolveHandoffLimits } from '../../src/mesh/handoff-limits.js';

describe('handoff limits', () => {
  it('fill unset fields with the documented defaults', () => {
    expect(resolveHandoffLimits({ maxGifts: 5 })).toEqual({ ...DEFAULT_HANDOFF_LIMITS, maxGifts: 5 });
    expect(DEFAULT_HANDOFF_LIMITS).toMatchObject({
      maxHandoffDialsPerSession: 4,
      maxHandoffDials: 32,
      maxHandoffDialsPerSessionWindow: 16,
      maxHandoffDialsPerWindow: 128,
      handoffWindowMs: 60_000,
      handoffDialTimeoutMs: 30_000,
      maxGiftsPerSession: 1024,
      maxGifts: 16_384,
      maxWithdrawalsWaitingPerSession: 64,
      handoffMemoryPerSession: 4096,
    });
  });

  it('refuse a limit that is not a whole number in range', () => {
    expect(codeOf(() => resolveHandoffLimits({ maxGifts: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveHandoffLimits({ handoffWindowMs: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveHandoffLimits({ maxHandoffDials: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(resolveHandoffLimits({ maxHandoffDials: 0 }).maxHandoffDials).toBe(0);
  });
});

describe('HandoffDialBudget', () => {
  const take = (b: HandoffDialBudget, session: object) => {
    const c = b.claim(session);
    if ('refused' in c) return c.refused;
    c.release();
    return 'ok';
  };

  it('per-window budgets start over when the window has passed (per session and vat-wide)', () => {
    let now = 1_000;
    const budget = new HandoffDialBudget(
      resolveHandoffLimits({ maxHandoffDialsPerSessionWindow: 2, maxHandoffDialsPerWindow: 3, handoffWindowMs: 100 }),
      () => now,
    );
    const [s1, s2] = [{}, {}];
    expect([take(budget, s1), take(budget, s1), take(budget, s1)]).toEqual(['ok', 'ok', 'maxHandoffDialsPerSessionWindow']);
    expect([take(budget, s2), take(budget, s2)]).toEqual(['ok', 'maxHandoffDialsPerWindow']);
    now += 99;
    expect(take(budget, s1)).toBe('maxHandoffDialsPerSessionWindow');
    now += 1;
    expect([take(budget, s1), take(budget, s2)]).toEqual(['ok', 'ok']);
  });

  it('a refused claim takes nothing; a release is counted once', () => {
    const budget = new HandoffDialBudget(resolveHandoffLimits({ maxHandoffDialsPerSession: 1, maxHandoffDials: 1 }), () => 0);
    const s = {};
    const c = budget.claim(s);
    expect(budget.claim({})).toEqual({ refused: 'maxHandoffDials' });
    expect(budget.claim(s)).toEqual({ refused: 'maxHandoffDialsPerSession' });
    if ('refused' in c) throw new Error('the first claim must succeed');
    c.release();
    c.release();
    expect(budget.dialsInFlight).toBe(0);
    expect('release' in budget.claim(s)).toBe(true);
    expect(budget.claim({})).toEqual({ refused: 'maxHandoffDials' });
  });
});
