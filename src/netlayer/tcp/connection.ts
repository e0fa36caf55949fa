import type { Socket } from 'node:net';
import { assertBytes } from '../../util/assert.js';
import { isCapmeshError, type CapmeshErrorCode } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import { createMessageReader, frameMessage, type MessageReader, type MessageReaderOptions, type StreamFramingMode } from './stream-messages.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import { ConnectionInbox } from '../connection-inbox.js';

export interface TcpConnectionOptions extends MessageReaderOptions {
  readonly transport: string;
  readonly framing: StreamFramingMode;
  /** After a local `close()`, how long to keep reading (and discarding) the peer's bytes before destroying the socket. */
  readonly lingerMs: number;
  /** How long the peer has, from the socket's start, to deliver its first whole message (its hello); then `TIMEOUT`. */
  readonly firstMessageTimeoutMs: number;
  /** How long a started message (frame header or first bytes of a value) may stay unfinished; then `TIMEOUT`. */
  readonly partialMessageTimeoutMs: number;
}

/**
 * One TCP socket as a `Connection` (Node only).
 *
 * Reading: bytes go through the framing's `MessageReader`; each whole message
 * is handed to the receiver in order. Messages that arrive before
 * `setReceiver` are queued and delivered on a microtask after it.
 *
 * Peer faults: input that cannot be framed (code `FRAMING`), a message over
 * the limit (`LIMIT`) or a missed deadline (`TIMEOUT`) end the connection with
 * kind `error`, that code and `canSend: true`. Ordering: the close notice is
 * delivered first, with `send` still working during it (so the session can
 * write `op:abort`); then we half-close after what was written and drain as
 * for a local close. Deadlines (both `TIMEOUT`): `firstMessageTimeoutMs` from
 * the start until the first whole message (a peer that connects and says
 * nothing, or never finishes its hello, cannot hold the socket: before a
 * session exists the connection is idle-capped by this), and
 * `partialMessageTimeoutMs` from the first byte of a message until its last
 * (a peer cannot park a started frame). Neither is a liveness check on an open
 * session that is quiet between messages.
 *
 * Closing: a local `close()` stops delivery at once (queued messages are
 * dropped), flushes what we wrote, half-closes (FIN), and keeps draining what
 * the peer still sends until it closes too or `lingerMs` passes — so a peer
 * that writes after our close sees an orderly end of stream, not a reset. The
 * receiver's `closed` comes on a microtask, once, after every message it got.
 * `send` after close is a no-op; write failures surface as `closed('error')`.
 */
export class TcpConnection implements Connection {
  readonly transport: string;
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /**
   * Always undefined: tcp-testing-only authenticates nobody, either way. The
   * vat uses an outbound tcp session for the locator it dialled ("reached by
   * address", testing only) and an inbound one only to serve its dialler.
   */
  readonly provenDesignator = undefined;

  /** The peer's IP address, for an inbound connection (per-source budgets). */
  readonly source: string | undefined;
  readonly #socket: Socket;
  readonly #framing: StreamFramingMode;
  readonly #reader: MessageReader;
  readonly #lingerMs: number;
  readonly #onEnded: (connection: TcpConnection) => void;
  /** The close notice of a peer fault ends the last-word window once handed over (see `ConnectionInbox`). */
  readonly #inbox = new ConnectionInbox(() => this.#afterLastWord());
  #closeReason: ConnectionCloseReason | undefined;
  /** True from a peer fault until its close notice was handed over: `send` still writes. */
  #lastWord = false;
  #firstMessageTimer: ReturnType<typeof setTimeout> | undefined;
  #partialTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #partialMessageTimeoutMs: number;

  constructor(
    socket: Socket,
    outbound: boolean,
    remoteLocator: PeerLocator | undefined,
    options: TcpConnectionOptions,
    onEnded: (connection: TcpConnection) => void,
  ) {
    this.#socket = socket;
    this.outbound = outbound;
    this.source = outbound ? undefined : socket.remoteAddress;
    this.remoteLocator = remoteLocator;
    this.transport = options.transport;
    this.#framing = options.framing;
    this.#lingerMs = options.lingerMs;
    this.#onEnded = onEnded;
    this.#reader = createMessageReader(options.framing, options);
    this.#partialMessageTimeoutMs = options.partialMessageTimeoutMs;
    this.#firstMessageTimer = setTimeout(() => {
      this.#fault('TIMEOUT', `no whole message from the peer within ${options.firstMessageTimeoutMs} ms of connecting`);
    }, options.firstMessageTimeoutMs);
    this.#firstMessageTimer.unref?.();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#inbox.drained());
    socket.on('end', () => this.#end({ kind: 'remote', message: 'the peer closed the connection' }));
    socket.on('error', (error) => {
      this.#end({ kind: 'error', message: `socket error: ${error.message}` });
      socket.destroy();
    });
    socket.on('close', () => {
      this.#end({ kind: 'remote', message: 'the connection closed' });
      this.#onEnded(this);
    });
  }

  /** False once this end closed for any reason. */
  get isOpen(): boolean {
    return this.#closeReason === undefined;
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver);
  }

  send(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if ((this.#closeReason !== undefined && !this.#lastWord) || this.#socket.destroyed) return;
    this.#socket.write(frameMessage(this.#framing, bytes));
  }

  /** Bytes written but still in the socket's user-space buffer (the kernel's is full: the peer is not reading). */
  bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  close(reason?: string): void {
    if (this.#closeReason !== undefined) return;
    this.#end({ kind: 'local', message: reason ?? 'connection closed locally' });
    this.#halfCloseAndLinger();
  }

  /** Ends our side after what was written (FIN), drains the peer's bytes, destroys the socket after `lingerMs` at the latest. */
  #halfCloseAndLinger(): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), this.#lingerMs);
    timer.unref?.();
    socket.once('close', () => clearTimeout(timer));
  }

  /** Flushes what we wrote, then destroys the socket without lingering (netlayer shutdown). */
  shutdown(): Promise<void> {
    this.close('netlayer closed');
    const socket = this.#socket;
    if (socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroySoon();
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closeReason !== undefined) return; // closed locally: drain and discard
    let messages: Uint8Array[];
    try {
      messages = this.#reader.push(chunk);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.#fault(isCapmeshError(e, 'SYRUP_LIMIT') ? 'LIMIT' : 'FRAMING', `unreadable input from the peer: ${why}`);
      return;
    }
    if (messages.length > 0) {
      // A message completed: the first-message deadline is met, and the partial one restarts for what follows.
      if (this.#firstMessageTimer !== undefined) clearTimeout(this.#firstMessageTimer);
      if (this.#partialTimer !== undefined) clearTimeout(this.#partialTimer);
      this.#firstMessageTimer = this.#partialTimer = undefined;
    }
    this.#armPartialTimer();
    for (const m of messages) this.#inbox.push(m);
    this.#inbox.deliver();
  }

  /** Starts the partial-message deadline when a message is under way, and stops it when none is. */
  #armPartialTimer(): void {
    if (this.#reader.buffered === 0) {
      if (this.#partialTimer !== undefined) clearTimeout(this.#partialTimer);
      this.#partialTimer = undefined;
      return;
    }
    if (this.#partialTimer !== undefined) return;
    this.#partialTimer = setTimeout(() => {
      this.#fault('TIMEOUT', `a message from the peer stayed unfinished for ${this.#partialMessageTimeoutMs} ms`);
    }, this.#partialMessageTimeoutMs);
    this.#partialTimer.unref?.();
  }

  /**
   * The peer broke the transport's rules: ends the connection with `code` and
   * `canSend`, letting the receiver send during its close notice (see the
   * class comment); the socket is half-closed once that notice was handed
   * over, or after `lingerMs` if no receiver ever takes it.
   */
  #fault(code: CapmeshErrorCode, message: string): void {
    if (this.#closeReason !== undefined) return;
    this.#lastWord = true;
    const backstop = setTimeout(() => this.#afterLastWord(), this.#lingerMs);
    backstop.unref?.();
    this.#socket.once('close', () => clearTimeout(backstop));
    this.#end({ kind: 'error', message, code, canSend: true });
  }

  #afterLastWord(): void {
    if (!this.#lastWord) return;
    this.#lastWord = false;
    this.#halfCloseAndLinger();
  }

  #end(reason: ConnectionCloseReason): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    if (this.#firstMessageTimer !== undefined) clearTimeout(this.#firstMessageTimer);
    if (this.#partialTimer !== undefined) clearTimeout(this.#partialTimer);
    this.#firstMessageTimer = this.#partialTimer = undefined;
    // Closed here: what has not been handed over yet is dropped, and the notice comes on a microtask.
    this.#inbox.end(reason, reason.kind === 'local');
    if (reason.kind === 'local') this.#inbox.schedule();
    else this.#inbox.deliver();
  }
}
