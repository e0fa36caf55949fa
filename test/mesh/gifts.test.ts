import { describe, expect, it } from 'vitest';
import { GiftTable } from '../../src/mesh/gifts.js';

/** The gift table's bookkeeping that the budgets read: what waits, per gifter session and per withdrawing session. */
describe('GiftTable counts', () => {
  const gift = { name: 'gift' };

  it('counts deposits waiting per gifter session, once per gift id, until withdrawn or the session ends', async () => {
    const t = new GiftTable();
    t.deposit('s1', 'a', gift);
    t.deposit('s1', 'a', gift);
    t.deposit('s1', 'b', gift);
    t.deposit('s2', 'a', gift);
    expect([t.depositsWaiting('s1'), t.depositsWaiting('s2'), t.size]).toEqual([2, 1, 3]);
    await expect(t.withdraw('s1', 'a', 1_000, {})).resolves.toBe(gift);
    expect([t.depositsWaiting('s1'), t.size]).toEqual([1, 2]);
    t.dropSession('s1');
    expect([t.depositsWaiting('s1'), t.size]).toEqual([0, 1]);
  });

  it('counts withdrawals waiting per withdrawing session; a deposit or the end of that session releases them', async () => {
    const t = new GiftTable();
    const r1 = {};
    const r2 = {};
    expect(t.wouldWait('s', 'x')).toBe(true);
    const served = t.withdraw('s', 'x', 60_000, r1);
    const dropped = [t.withdraw('s', 'y', 60_000, r1), t.withdraw('s', 'z', 60_000, r2)];
    expect([t.withdrawalsWaiting(r1), t.withdrawalsWaiting(r2)]).toEqual([2, 1]);
    t.deposit('s', 'x', gift);
    await expect(served).resolves.toBe(gift);
    expect(t.withdrawalsWaiting(r1)).toBe(1);
    t.dropOwner(r1);
    await expect(dropped[0]).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect([t.withdrawalsWaiting(r1), t.withdrawalsWaiting(r2)]).toEqual([0, 1]);
    // r2's withdrawal still waits for its own deposit.
    expect(t.wouldHold('s', 'z')).toBe(false);
    t.deposit('s', 'z', gift);
    await expect(dropped[1]).resolves.toBe(gift);
    expect(t.withdrawalsWaiting(r2)).toBe(0);
  });

  it('remembers at most maxWithdrawnPerSession withdrawn gifts per gifter session, the oldest forgotten first', async () => {
    const t = new GiftTable(2);
    for (const id of ['a', 'b', 'c']) {
      t.deposit('s', id, gift);
      await t.withdraw('s', id, 1_000, {});
    }
    await expect(t.withdraw('s', 'c', 1_000, {})).rejects.toMatchObject({ code: 'HANDOFF_GIFT_WITHDRAWN' });
    await expect(t.withdraw('s', 'b', 1_000, {})).rejects.toMatchObject({ code: 'HANDOFF_GIFT_WITHDRAWN' });
    // 'a' is forgotten: a replay of it would wait for a deposit (and time out), not be told it was withdrawn.
    expect(t.wouldWait('s', 'a')).toBe(true);
  });
});
