import type { TokenBucket } from './limits.js';

/**
 * A sender the relay stopped reading from because a receiver it forwards to
 * is full (see `RelayRouter`): `queue` holds, in arrival order, the messages
 * that arrived after (and including) the one that did not fit; they are
 * handled in order on release.
 */
export interface Throttle {
  /** The receiver whose buffer the sender waits on. */
  readonly on: RelayPeer;
  readonly queue: Uint8Array[];
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/** The buckets that limit how often a connection may open circuits (as caller) and be opened to (as callee). */
export interface CircuitBuckets {
  readonly opens: TokenBucket;
  readonly incoming: TokenBucket;
}

/**
 * One client connection to the relay. Owned by the router: it registers the
 * peer, routes for it and tears it down. A peer is `closed` from the moment
 * the router decides to drop it; nothing is sent to it after that.
 */
/**
 * The part of a `ws` WebSocket the relay drives. Declared here rather than
 * imported from `ws`, so the relay's public types (`capmesh/relay`,
 * `capmesh/testing/playwright`) compile without `@types/ws`; a `ws`
 * WebSocket satisfies it structurally.
 */
export interface RelaySocket {
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Queues `data`; `done` runs once it is written (or failed). */
  send(data: Uint8Array, done?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** Destroys the connection at once, without a close handshake. */
  terminate(): void;
  ping(): void;
  /** Stops / resumes reading from the connection (backpressure). */
  pause(): void;
  resume(): void;
}

export class RelayPeer {
  /** Connection number, for logs. */
  readonly id: number;
  readonly socket: RelaySocket;
  /** `ip:port` of the client, for logs. */
  readonly remote: string;
  /** The registration challenge sent to this connection. */
  readonly nonce: Uint8Array;
  readonly bucket: TokenBucket;
  readonly circuitBuckets: CircuitBuckets;
  /** Set once the registration checked out. */
  designator: string | undefined;
  /**
   * Set when the peer declared itself dial-only: the designator it claims
   * (unproven; the end-to-end handshake proves it to the callee). Never in
   * the registry.
   */
  dialOnly: string | undefined;
  /** Circuits this connection is an end of. */
  readonly circuits = new Set<number>();
  /** Open circuits this connection opened (it is the caller), by callee. */
  readonly openedTo = new Map<RelayPeer, number>();
  /** Sum of `openedTo`. */
  openedCount = 0;
  /** Circuits to this connection (callee) it has not sent on yet. */
  pendingIncoming = 0;
  /** Forwarded bytes (others' data frames and signals) queued to this connection and not yet written to its socket. */
  forwardQueued = 0;
  /** Per sender: its share of `forwardQueued`. */
  readonly queuedFrom = new Map<RelayPeer, number>();
  /** Senders throttled on this connection's buffer. */
  readonly waiting = new Set<RelayPeer>();
  /** Set while the relay does not read from this connection (it flooded a slow receiver). */
  throttle: Throttle | undefined;
  /**
   * Set on a stand-in for a peer of another cluster node (relay/cluster/):
   * that node's id. Such a peer is never in the local registry.
   */
  node: string | undefined;
  /** Answered the last ping. */
  alive = true;
  closed = false;
  registerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(id: number, socket: RelaySocket, remote: string, nonce: Uint8Array, bucket: TokenBucket, circuitBuckets: CircuitBuckets) {
    this.id = id;
    this.socket = socket;
    this.remote = remote;
    this.nonce = nonce;
    this.bucket = bucket;
    this.circuitBuckets = circuitBuckets;
  }

  /** The registered designator, else the declared dial-only one, else `''`. */
  get designatorOrDeclared(): string {
    return this.designator ?? this.dialOnly ?? '';
  }

  /** A short name for logs. */
  get label(): string {
    if (this.designator !== undefined) return `#${this.id}:${this.designator.slice(0, 12)}`;
    if (this.dialOnly !== undefined) return `#${this.id}:dial-only:${this.dialOnly.slice(0, 12)}`;
    return `#${this.id}`;
  }
}
