import { assertBytes } from '../../util/assert.js';
import type { CapmeshErrorCode } from '../../util/errors.js';
import { ConnectionInbox } from '../connection-inbox.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import { WS_OPEN, closeQuietly, messageBytes, type WebSocketLike } from './websocket-like.js';

/**
 * A `Connection` on an authenticated WebSocket: one binary WebSocket message
 * per OCapN message, both ways. Made by the websocket netlayers after the
 * peer-auth exchange; it takes over the socket's handlers at construction.
 *
 * Contract (as the memory netlayer's): messages arrive in order; those that
 * arrive before `setReceiver` are handed over on a microtask after it; `send`
 * and `close` never call the receiver in their own call stack; `closed`
 * comes once, last. A text message is a protocol error: the socket is closed
 * and the receiver sees kind `error`.
 *
 * With `firstMessageTimeoutMs` (the Node listener sets it), a peer that sends
 * no message that long after the connection was made ends it with kind
 * `error`, code `TIMEOUT` and `canSend`: during that close notice `send`
 * still works (the session writes `op:abort`), then the socket is closed
 * with code 4003.
 */
/** How often a WebSocket's send backlog is checked while it drains (see `bufferedBytes`). */
export const DRAIN_POLL_MS = 20;

export class WebSocketConnection implements Connection {
  readonly transport: string;
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /**
   * Outbound: the dialled designator, which the listener proved by signing our
   * peer-auth challenge (`websocket/client.ts`). Inbound: undefined — the
   * websocket dialler proves nothing (as in Goblins and Endo), so its session
   * serves its own requests but is never used for ours to the vat it claims.
   */
  readonly provenDesignator: string | undefined;
  /** The dialler's IP address, for an inbound connection (per-source budgets). */
  readonly source: string | undefined;

  readonly #socket: WebSocketLike;
  /** The close notice of a peer fault ends the last-word window once handed over (see `ConnectionInbox`). */
  readonly #inbox = new ConnectionInbox((reason) => this.#afterLastWord(reason.message));
  #open = true;
  /** True from a fault until its close notice was handed over: `send` still writes. */
  #lastWord = false;
  #firstMessageTimer: ReturnType<typeof setTimeout> | undefined;
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  readonly #onEnded: (connection: WebSocketConnection) => void;
  /**
   * Present when the socket can send WebSocket ping frames (Node's `ws`; a
   * browser's `WebSocket` cannot): sends one ping; the peer's pong (which
   * RFC 6455 obliges it to send) is reported as the receiver's `alive`.
   * Carries no OCapN message, so any peer (Goblins, Endo) answers it.
   */
  readonly ping?: () => void;

  constructor(
    socket: WebSocketLike,
    init: {
      transport: string;
      outbound: boolean;
      remoteLocator: PeerLocator | undefined;
      onEnded: (connection: WebSocketConnection) => void;
      /** Deadline for the peer's first message, in ms; none when absent. */
      firstMessageTimeoutMs?: number;
      /** The dialler's address, for an inbound connection. */
      source?: string | undefined;
    },
  ) {
    this.#socket = socket;
    this.transport = init.transport;
    this.outbound = init.outbound;
    this.remoteLocator = init.remoteLocator;
    this.provenDesignator = init.outbound ? init.remoteLocator?.designator : undefined;
    this.source = init.outbound ? undefined : init.source;
    this.#onEnded = init.onEnded;
    if (init.firstMessageTimeoutMs !== undefined) {
      const ms = init.firstMessageTimeoutMs;
      this.#firstMessageTimer = setTimeout(() => this.#fault('TIMEOUT', `no message from the peer within ${ms} ms of peer-auth`), ms);
      (this.#firstMessageTimer as { unref?: () => void }).unref?.();
    }
    socket.onmessage = (event) => {
      if (!this.#open) return;
      if (this.#firstMessageTimer !== undefined) clearTimeout(this.#firstMessageTimer);
      this.#firstMessageTimer = undefined;
      const bytes = messageBytes(event.data);
      if (bytes === undefined) {
        closeQuietly(socket, 4002, 'text messages are not OCapN');
        this.#finish({ kind: 'error', message: 'the peer sent a text message' });
        return;
      }
      this.#inbox.push(bytes);
      this.#inbox.deliver();
    };
    socket.onclose = (event) => {
      if (!this.#open) return;
      this.#finish({ kind: event.code === 1000 || event.code === 1001 ? 'remote' : 'error', message: `WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ''})` });
      this.#inbox.deliver();
    };
    socket.onerror = () => {
      // The close event follows.
    };
    const ws = socket as WebSocketLike & { ping?: unknown; on?: unknown };
    if (typeof ws.ping === 'function' && typeof ws.on === 'function') {
      const pinging = socket as WebSocketLike & { ping(): void; on(event: 'pong', listener: () => void): void };
      pinging.on('pong', () => {
        if (this.#open) this.#inbox.alive();
      });
      this.ping = () => {
        if (!this.#open || socket.readyState !== WS_OPEN) return;
        try {
          pinging.ping();
        } catch {
          // the socket is going away: its close event follows
        }
      };
    }
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes queued on the socket. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /**
   * Backpressure: the socket's `bufferedAmount`. A WebSocket has no drain
   * event, so while a backlog exists it is polled every `DRAIN_POLL_MS`, and
   * the receiver's `drained` is called each time it shrank (the shell decides
   * whether that is low enough); polling stops once it is empty or closed.
   */
  bufferedBytes(): number {
    const n = this.#socket.bufferedAmount;
    if (n > 0) this.#watchDrain(n);
    return n;
  }

  #watchDrain(last: number): void {
    if (this.#drainTimer !== undefined || !this.#open) return;
    this.#drainTimer = setInterval(() => {
      const now = this.#open ? this.#socket.bufferedAmount : 0;
      if (now === 0 || !this.#open) {
        clearInterval(this.#drainTimer);
        this.#drainTimer = undefined;
      }
      if (now < last) this.#inbox.drained();
      last = now;
    }, DRAIN_POLL_MS);
    (this.#drainTimer as { unref?: () => void }).unref?.();
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver);
  }

  send(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if ((!this.#open && !this.#lastWord) || this.#socket.readyState !== WS_OPEN) return;
    this.#socket.send(bytes);
  }

  close(reason?: string): void {
    if (!this.#open) return;
    const message = reason ?? 'connection closed locally';
    closeQuietly(this.#socket, 1000, message);
    this.#finish({ kind: 'local', message }, true);
  }

  /** The peer missed a deadline: the close notice (with `canSend`) comes first, then the socket closes (4003). */
  #fault(code: CapmeshErrorCode, message: string): void {
    if (!this.#open) return;
    this.#lastWord = true;
    const backstop = setTimeout(() => this.#afterLastWord(message), 1000);
    (backstop as { unref?: () => void }).unref?.();
    this.#finish({ kind: 'error', message, code, canSend: true });
  }

  #afterLastWord(message: string): void {
    if (!this.#lastWord) return;
    this.#lastWord = false;
    closeQuietly(this.#socket, 4003, message);
  }

  #finish(reason: ConnectionCloseReason, dropQueued = false): void {
    if (this.#drainTimer !== undefined) clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
    if (this.#firstMessageTimer !== undefined) clearTimeout(this.#firstMessageTimer);
    this.#firstMessageTimer = undefined;
    this.#open = false;
    this.#inbox.end(reason, dropQueued);
    this.#onEnded(this);
    this.#inbox.schedule();
  }
}
