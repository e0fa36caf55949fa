import { CapmeshError } from '../src/util/errors.js';

/**
 * The relay's limits. Every one has a flag (`capmesh relay --help`) and a
 * default chosen so one relay on a small machine cannot be made to use
 * unbounded memory or CPU by its clients, and so that one client cannot take
 * from another what the relay gives each (circuit slots, buffer space, CPU of
 * the peers it reaches). docs/relay.md lists each with what happens when it
 * trips. A value of 0 means "no limit" only where the doc comment says so.
 */
export interface RelayLimits {
  /** Largest WebSocket message accepted; a larger one closes the sender's connection (1009). */
  readonly maxFrameBytes: number;
  /**
   * Open TCP connections, upgraded to WebSocket or not (half-sent upgrades
   * count); more are answered HTTP 503 and closed.
   */
  readonly maxConnections: number;
  /**
   * Open TCP connections from one address (IPv6: one /64), upgraded or not;
   * more are answered HTTP 503 and closed (`max_connections_per_ip`). 0 = no
   * per-address cap (e.g. behind a proxy that hides client addresses).
   */
  readonly maxConnectionsPerIp: number;
  /**
   * Time a new TCP connection has to complete its HTTP request (the WebSocket
   * upgrade); after it the socket is destroyed (`upgrade_timeout`). 0 = none.
   */
  readonly upgradeTimeoutMs: number;
  /** Sustained messages per second per connection (token bucket refill rate). */
  readonly maxMessagesPerSecond: number;
  /** Burst size of the token bucket. */
  readonly messageBurst: number;
  /**
   * Unsent bytes the relay keeps for one connection, counting everything it
   * sends there; only the connection's own slowness can pass it (forwarded
   * traffic is held at `maxForwardBufferedBytes`), and then it is cut (4009).
   */
  readonly maxBufferedBytes: number;
  /**
   * Unsent bytes forwarded (data frames and signals) from others to one
   * connection. A sender whose frame would pass it is throttled: the relay
   * stops reading from the sender until the receiver drains to half. At most
   * `maxBufferedBytes`.
   */
  readonly maxForwardBufferedBytes: number;
  /**
   * Unsent bytes forwarded from one sender to one receiver; past it the
   * sender is throttled as for `maxForwardBufferedBytes`.
   */
  readonly maxPairBufferedBytes: number;
  /** A sender throttled this long without relief is cut (`throttled`, 4008). 0 = never. */
  readonly maxThrottleMs: number;
  /** Circuits one connection may take part in at once (either end). */
  readonly maxCircuitsPerConnection: number;
  /** Open circuits one connection may have opened (as the caller). */
  readonly maxCircuitsPerSource: number;
  /** Open circuits from one caller to one callee. */
  readonly maxCircuitsPerPair: number;
  /**
   * Circuits to one callee on which the callee has not sent yet (its
   * end-to-end handshake answer); more opens to it are refused.
   */
  readonly maxPendingCircuitsPerTarget: number;
  /** A circuit whose callee has not sent within this is closed for both ends (`pending_timeout`). 0 = never. */
  readonly pendingCircuitTimeoutMs: number;
  /** New circuits one connection may open per second (token bucket refill), refused beyond (`circuit_rate`). */
  readonly circuitOpensPerSecond: number;
  /** Burst of `circuitOpensPerSecond`. */
  readonly circuitOpenBurst: number;
  /** New circuits to one callee per second, over all callers (token bucket refill), refused beyond (`circuit_rate`). */
  readonly incomingCircuitsPerSecond: number;
  /** Burst of `incomingCircuitsPerSecond`. */
  readonly incomingCircuitBurst: number;
  /** Bytes one circuit may carry (both directions); then it is closed (`circuit_limit`). 0 = no cap. */
  readonly maxCircuitBytes: number;
  /** Lifetime of one circuit; then it is closed (`circuit_limit`). 0 = no cap. */
  readonly maxCircuitDurationMs: number;
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
  maxConnectionsPerIp: 64,
  upgradeTimeoutMs: 5_000,
  maxMessagesPerSecond: 5_000,
  messageBurst: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxForwardBufferedBytes: 4 * 1024 * 1024,
  maxPairBufferedBytes: 1024 * 1024,
  maxThrottleMs: 30_000,
  maxCircuitsPerConnection: 1_024,
  maxCircuitsPerSource: 256,
  maxCircuitsPerPair: 8,
  maxPendingCircuitsPerTarget: 16,
  pendingCircuitTimeoutMs: 15_000,
  circuitOpensPerSecond: 10,
  circuitOpenBurst: 20,
  incomingCircuitsPerSecond: 20,
  incomingCircuitBurst: 40,
  maxCircuitBytes: 0,
  maxCircuitDurationMs: 0,
  maxSignalBytes: 64 * 1024,
  heartbeatMs: 30_000,
  registerTimeoutMs: 10_000,
});

/** Defaults overridden by `partial`; every value must be a non-negative safe integer (`INVALID_ARGUMENT`). */
export function resolveRelayLimits(partial: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_RELAY_LIMITS };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_RELAY_LIMITS, key)) throw new CapmeshError('INVALID_ARGUMENT', `unknown relay limit \`${key}\``, { detail: { argument: `limits.${key}` } });
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new CapmeshError('INVALID_ARGUMENT', `relay limit \`${key}\` must be a non-negative integer, got ${String(value)}`, { detail: { argument: `limits.${key}` } });
    }
    (limits as Record<string, number>)[key] = value;
  }
  if (limits.maxFrameBytes < 1024) throw new CapmeshError('INVALID_ARGUMENT', 'relay limit `maxFrameBytes` must be at least 1024');
  if (limits.maxForwardBufferedBytes > limits.maxBufferedBytes) {
    // Forwarded traffic must fit under the hard cap, or others' floods would cut the receiver again.
    if (partial.maxForwardBufferedBytes !== undefined) {
      throw new CapmeshError('INVALID_ARGUMENT', 'relay limit `maxForwardBufferedBytes` must be at most `maxBufferedBytes`');
    }
    limits.maxForwardBufferedBytes = Math.floor(limits.maxBufferedBytes / 2);
  }
  return Object.freeze(limits);
}

export { TokenBucket } from '../src/util/token-bucket.js';

/**
 * The key per-address limits count under: an IPv4 address as is (also when
 * IPv4-mapped), an IPv6 address by its /64 (one host usually owns a whole
 * /64, so counting single v6 addresses would be no limit at all).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return '?';
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (!lower.includes(':')) return lower;
  const zoneless = lower.split('%')[0]!;
  const [head = '', tail] = zoneless.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
