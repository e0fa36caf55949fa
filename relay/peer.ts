import type { WebSocket } from 'ws';
import { TokenBucket } from './limits.js';

/**
 * One client connection to the relay. Owned by the router: it registers the
 * peer, routes for it and tears it down. A peer is `closed` from the moment
 * the router decides to drop it; nothing is sent to it after that.
 */
export class RelayPeer {
  /** Connection number, for logs. */
  readonly id: number;
  readonly socket: WebSocket;
  /** `ip:port` of the client, for logs. */
  readonly remote: string;
  /** The registration challenge sent to this connection. */
  readonly nonce: Uint8Array;
  readonly bucket: TokenBucket;
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
  /** Answered the last ping. */
  alive = true;
  closed = false;
  registerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(id: number, socket: WebSocket, remote: string, nonce: Uint8Array, bucket: TokenBucket) {
    this.id = id;
    this.socket = socket;
    this.remote = remote;
    this.nonce = nonce;
    this.bucket = bucket;
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
