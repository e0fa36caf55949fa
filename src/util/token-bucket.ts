/**
 * A token bucket: `rate` tokens per second, holding at most `burst`, full at
 * the start. `take()` spends one token, or returns false when there is none.
 * Time is in ms from `now`, or passed to each call by a caller that already
 * read its clock; time that goes backwards adds nothing. Used wherever a
 * stranger's requests are rate limited (relay messages and circuit opens,
 * WebRTC offers, end-to-end handshakes).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  take(at: number = this.now()): boolean {
    this.#refill(at);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when refilled to the top: indistinguishable from a new bucket, so safe to forget. */
  full(at: number = this.now()): boolean {
    this.#refill(at);
    return this.#tokens >= this.burst;
  }

  #refill(at: number): void {
    if (at > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((at - this.#last) * this.rate) / 1000);
      this.#last = at;
    }
  }
}
