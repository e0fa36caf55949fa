import type { Socket } from 'node:net';
import { assertBytes } from '../util/assert.js';
import type { PeerLocator } from '../wire/index.js';
import { createMessageReader, frameMessage, type MessageReader, type MessageReaderOptions, type StreamFramingMode } from './stream-messages.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from './types.js';
import { ConnectionInbox } from './connection-inbox.js';

export interface TcpConnectionOptions extends MessageReaderOptions {
  readonly transport: string;
  readonly framing: StreamFramingMode;
  /** After a local `close()`, how long to keep reading (and discarding) the peer's bytes before destroying the socket. */
  readonly lingerMs: number;
}

/**
 * One TCP socket as a `Connection` (Node only).
 *
 * Reading: bytes go through the framing's `MessageReader`; each whole message
 * is handed to the receiver in order. Messages that arrive before
 * `setReceiver` are queued and delivered on a microtask after it. Input that
 * cannot be framed (garbage, a message over the limit) destroys the socket and
 * ends the connection with kind `error`.
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

  readonly #socket: Socket;
  readonly #framing: StreamFramingMode;
  readonly #reader: MessageReader;
  readonly #lingerMs: number;
  readonly #onEnded: (connection: TcpConnection) => void;
  readonly #inbox = new ConnectionInbox();
  #closeReason: ConnectionCloseReason | undefined;

  constructor(
    socket: Socket,
    outbound: boolean,
    remoteLocator: PeerLocator | undefined,
    options: TcpConnectionOptions,
    onEnded: (connection: TcpConnection) => void,
  ) {
    this.#socket = socket;
    this.outbound = outbound;
    this.remoteLocator = remoteLocator;
    this.transport = options.transport;
    this.#framing = options.framing;
    this.#lingerMs = options.lingerMs;
    this.#onEnded = onEnded;
    this.#reader = createMessageReader(options.framing, options);
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
    if (this.#closeReason !== undefined || this.#socket.destroyed) return;
    this.#socket.write(frameMessage(this.#framing, bytes));
  }

  /** Bytes written but still in the socket's user-space buffer (the kernel's is full: the peer is not reading). */
  bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  close(reason?: string): void {
    if (this.#closeReason !== undefined) return;
    this.#end({ kind: 'local', message: reason ?? 'connection closed locally' });
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
      this.#end({ kind: 'error', message: `unreadable input from the peer: ${why}` });
      this.#socket.destroy();
      return;
    }
    for (const m of messages) this.#inbox.push(m);
    this.#inbox.deliver();
  }

  #end(reason: ConnectionCloseReason): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    // Closed here: what has not been handed over yet is dropped, and the notice comes on a microtask.
    this.#inbox.end(reason, reason.kind === 'local');
    if (reason.kind === 'local') this.#inbox.schedule();
    else this.#inbox.deliver();
  }
}

