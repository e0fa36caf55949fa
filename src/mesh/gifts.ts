import { CapmeshError } from '../util/errors.js';
import { toHex } from '../util/bytes.js';
import type { GiftId } from '../wire/index.js';

interface Waiter {
  readonly resolve: (gift: object) => void;
  readonly reject: (error: CapmeshError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The exporter's gift table: gifts deposited by gifters, keyed by the
 * gifter–exporter session ID and the gift ID, waiting to be withdrawn.
 *
 * Deposit and withdrawal may come in either order: a withdrawal that arrives
 * first waits up to `timeoutMs` for its deposit, then fails with
 * `HANDOFF_TIMEOUT`. Gifts are single use: a second withdrawal of the same gift
 * fails with `HANDOFF_GIFT_WITHDRAWN`. When a gifter's session ends, its
 * undelivered gifts are dropped and its waiting withdrawals fail.
 */
export class GiftTable {
  private readonly gifts = new Map<string, object>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Per gifter session: gift keys already withdrawn (so a replay gets a clear error, not a timeout). */
  private readonly withdrawn = new Map<string, Set<string>>();

  static key(sessionId: Uint8Array, giftId: GiftId): { session: string; gift: string } {
    const gift =
      giftId instanceof Uint8Array ? `b:${toHex(giftId)}` : typeof giftId === 'bigint' ? `i:${giftId}` : `s:${giftId}`;
    return { session: toHex(sessionId), gift };
  }

  deposit(session: string, gift: string, value: object): void {
    const key = `${session}/${gift}`;
    const waiting = this.waiters.get(key);
    if (waiting && waiting.length > 0) {
      const first = waiting.shift()!;
      if (waiting.length === 0) this.waiters.delete(key);
      clearTimeout(first.timer);
      this.markWithdrawn(session, gift);
      first.resolve(value);
      for (const other of waiting.splice(0)) {
        clearTimeout(other.timer);
        other.reject(new CapmeshError('HANDOFF_GIFT_WITHDRAWN', 'this gift has already been withdrawn'));
      }
      this.waiters.delete(key);
      return;
    }
    this.gifts.set(key, value);
  }

  withdraw(session: string, gift: string, timeoutMs: number): Promise<object> {
    const key = `${session}/${gift}`;
    if (this.withdrawn.get(session)?.has(gift)) {
      return Promise.reject(new CapmeshError('HANDOFF_GIFT_WITHDRAWN', 'this gift has already been withdrawn'));
    }
    const value = this.gifts.get(key);
    if (value !== undefined) {
      this.gifts.delete(key);
      this.markWithdrawn(session, gift);
      return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(key);
        const at = list?.findIndex((w) => w.timer === timer) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
        if (list && list.length === 0) this.waiters.delete(key);
        reject(new CapmeshError('HANDOFF_TIMEOUT', `no gift was deposited within ${timeoutMs} ms`));
      }, timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve, reject, timer });
      this.waiters.set(key, list);
    });
  }

  /** The gifter's session ended: its gifts go, and withdrawals waiting on it fail. */
  dropSession(session: string): void {
    const prefix = `${session}/`;
    for (const key of [...this.gifts.keys()]) if (key.startsWith(prefix)) this.gifts.delete(key);
    for (const [key, list] of [...this.waiters]) {
      if (!key.startsWith(prefix)) continue;
      this.waiters.delete(key);
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(new CapmeshError('HANDOFF_UNKNOWN_SESSION', 'the gifter’s session with this vat has ended'));
      }
    }
    this.withdrawn.delete(session);
  }

  get size(): number {
    return this.gifts.size;
  }

  private markWithdrawn(session: string, gift: string): void {
    let set = this.withdrawn.get(session);
    if (!set) this.withdrawn.set(session, (set = new Set()));
    set.add(gift);
  }
}
