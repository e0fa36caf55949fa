import { CapmeshError } from '../src/util/errors.js';

/**
 * The relay's limits. Every one has a flag (`capmesh relay --help`) and a
 * default chosen so one relay on a small machine cannot be made to use
 * unbounded memory or CPU by its clients.
 */
export interface RelayLimits {
  /** Largest WebSocket message accepted; a larger one closes the sender's connection (1009). */
  readonly maxFrameBytes: number;
  /** Open WebSocket connections; more are refused at the HTTP upgrade with 503. */
  readonly maxConnections: number;
  /** Sustained messages per second per connection (token bucket refill rate). */
  readonly maxMessagesPerSecond: number;
  /** Burst size of the token bucket. */
  readonly messageBurst: number;
  /** Unsent bytes the relay keeps for one connection; a slower reader is disconnected. */
  readonly maxBufferedBytes: number;
  /** Circuits one connection may take part in at once. */
  readonly maxCircuitsPerConnection: number;
  /** Largest signal payload. */
  readonly maxSignalBytes: number;
  /** Interval between WebSocket pings; a connection that did not answer the previous ping is dropped. 0 disables. */
  readonly heartbeatMs: number;
  /** Time a new connection has to register. */
  readonly registerTimeoutMs: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  maxConnections: 10_000,
  maxMessagesPerSecond: 5_000,
  messageBurst: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxCircuitsPerConnection: 1_024,
  maxSignalBytes: 64 * 1024,
  heartbeatMs: 30_000,
  registerTimeoutMs: 10_000,
});

/** Defaults overridden by `partial`; every value must be a non-negative safe integer (`INVALID_ARGUMENT`). */
export function resolveRelayLimits(partial: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_RELAY_LIMITS };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_RELAY_LIMITS, key)) throw new CapmeshError('INVALID_ARGUMENT', `unknown relay limit \`${key}\``);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new CapmeshError('INVALID_ARGUMENT', `relay limit \`${key}\` must be a non-negative integer, got ${String(value)}`);
    }
    (limits as Record<string, number>)[key] = value;
  }
  if (limits.maxFrameBytes < 1024) throw new CapmeshError('INVALID_ARGUMENT', 'relay limit `maxFrameBytes` must be at least 1024');
  return Object.freeze(limits);
}

/**
 * A token bucket: `rate` tokens per second up to `burst`. `take()` spends one
 * token and returns false when there is none. Time comes from `now` (ms), so
 * tests can drive it.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) * this.rate) / 1000);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
