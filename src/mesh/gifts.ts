import { CapmeshError } from '../util/errors.js';
import { toHex } from '../util/bytes.js';
import type { GiftId } from '../wire/index.js';

interface Waiter {
  /** Who asked: the withdrawing session (its shell), for the withdrawals-waiting budget and for cleanup. */
  readonly owner: object;
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
 * undelivered gifts are dropped and withdrawals waiting on its gifts fail;
 * when a withdrawing session ends, its own waiting withdrawals are dropped.
 *
 * The table only counts; it enforces no budget. `Handoffs` asks
 * `depositsWaiting`/`size`/`withdrawalsWaiting` before it deposits or
 * withdraws, and aborts the offending session itself.
 */
export class GiftTable {
  private readonly gifts = new Map<string, object>();
  /** Per gifter session: how many of `gifts` it deposited (the deposits-waiting budget). */
  private readonly perSession = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Per withdrawing session: how many of its withdrawals wait for a deposit. */
  private readonly waitingBy = new Map<object, number>();
  /** Per gifter session: gift keys already withdrawn (so a replay gets a clear error, not a timeout), oldest first. */
  private readonly withdrawn = new Map<string, Set<string>>();

  /** `maxWithdrawnPerSession`: how many withdrawn gift keys are remembered per gifter session (the oldest go first). */
  constructor(private readonly maxWithdrawnPerSession = Number.POSITIVE_INFINITY) {}

  static key(sessionId: Uint8Array, giftId: GiftId): { session: string; gift: string } {
    const gift =
      giftId instanceof Uint8Array ? `b:${toHex(giftId)}` : typeof giftId === 'bigint' ? `i:${giftId}` : `s:${giftId}`;
    return { session: toHex(sessionId), gift };
  }

  /** True when depositing this gift would add an entry (no withdrawal waits for it and it is not already there). */
  wouldHold(session: string, gift: string): boolean {
    const key = `${session}/${gift}`;
    return !this.gifts.has(key) && !(this.waiters.get(key)?.length ?? 0);
  }

  /** True when withdrawing this gift now would wait for its deposit. */
  wouldWait(session: string, gift: string): boolean {
    return !this.withdrawn.get(session)?.has(gift) && !this.gifts.has(`${session}/${gift}`);
  }

  /** Gifts deposited through gifter session `session` and not yet withdrawn. */
  depositsWaiting(session: string): number {
    return this.perSession.get(session) ?? 0;
  }

  /** Withdrawals asked by `owner` that wait for their deposit. */
  withdrawalsWaiting(owner: object): number {
    return this.waitingBy.get(owner) ?? 0;
  }

  deposit(session: string, gift: string, value: object): void {
    const key = `${session}/${gift}`;
    const waiting = this.waiters.get(key);
    if (waiting && waiting.length > 0) {
      this.waiters.delete(key);
      const [first, ...others] = waiting;
      for (const w of waiting) {
        clearTimeout(w.timer);
        this.unwait(w.owner);
      }
      this.markWithdrawn(session, gift);
      first!.resolve(value);
      for (const other of others) other.reject(new CapmeshError('HANDOFF_GIFT_WITHDRAWN', 'this gift has already been withdrawn'));
      return;
    }
    if (!this.gifts.has(key)) this.perSession.set(session, this.depositsWaiting(session) + 1);
    this.gifts.set(key, value);
  }

  /** Hands out the gift, or waits up to `timeoutMs` for its deposit on behalf of `owner` (the withdrawing session). */
  withdraw(session: string, gift: string, timeoutMs: number, owner: object): Promise<object> {
    const key = `${session}/${gift}`;
    if (this.withdrawn.get(session)?.has(gift)) {
      return Promise.reject(new CapmeshError('HANDOFF_GIFT_WITHDRAWN', 'this gift has already been withdrawn'));
    }
    const value = this.gifts.get(key);
    if (value !== undefined) {
      this.removeGift(session, key);
      this.markWithdrawn(session, gift);
      return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(key);
        const at = list?.findIndex((w) => w.timer === timer) ?? -1;
        if (list && at >= 0) {
          list.splice(at, 1);
          this.unwait(owner);
        }
        if (list && list.length === 0) this.waiters.delete(key);
        reject(new CapmeshError('HANDOFF_TIMEOUT', `no gift was deposited within ${timeoutMs} ms`));
      }, timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push({ owner, resolve, reject, timer });
      this.waiters.set(key, list);
      this.waitingBy.set(owner, this.withdrawalsWaiting(owner) + 1);
    });
  }

  /** The gifter's session ended: its gifts go, and withdrawals waiting on it fail. */
  dropSession(session: string): void {
    const prefix = `${session}/`;
    for (const key of [...this.gifts.keys()]) if (key.startsWith(prefix)) this.gifts.delete(key);
    this.perSession.delete(session);
    for (const [key, list] of [...this.waiters]) {
      if (!key.startsWith(prefix)) continue;
      this.waiters.delete(key);
      for (const w of list) {
        clearTimeout(w.timer);
        this.unwait(w.owner);
        w.reject(new CapmeshError('HANDOFF_UNKNOWN_SESSION', 'the gifter’s session with this vat has ended'));
      }
    }
    this.withdrawn.delete(session);
  }

  /** The withdrawing session `owner` ended: its waiting withdrawals stop waiting (they fail with `DISCONNECTED`). */
  dropOwner(owner: object): void {
    if (!this.waitingBy.has(owner)) return;
    this.waitingBy.delete(owner);
    for (const [key, list] of [...this.waiters]) {
      const mine = list.filter((w) => w.owner === owner);
      if (mine.length === 0) continue;
      const rest = list.filter((w) => w.owner !== owner);
      if (rest.length === 0) this.waiters.delete(key);
      else this.waiters.set(key, rest);
      for (const w of mine) {
        clearTimeout(w.timer);
        w.reject(new CapmeshError('DISCONNECTED', 'the withdrawing session has ended'));
      }
    }
  }

  /** Gifts deposited and not yet withdrawn, over every gifter session. */
  get size(): number {
    return this.gifts.size;
  }

  private removeGift(session: string, key: string): void {
    this.gifts.delete(key);
    const left = this.depositsWaiting(session) - 1;
    if (left > 0) this.perSession.set(session, left);
    else this.perSession.delete(session);
  }

  private unwait(owner: object): void {
    const left = this.withdrawalsWaiting(owner) - 1;
    if (left > 0) this.waitingBy.set(owner, left);
    else this.waitingBy.delete(owner);
  }

  private markWithdrawn(session: string, gift: string): void {
    let set = this.withdrawn.get(session);
    if (!set) this.withdrawn.set(session, (set = new Set()));
    set.add(gift);
    if (set.size > this.maxWithdrawnPerSession) set.delete(set.values().next().value!);
  }
}
