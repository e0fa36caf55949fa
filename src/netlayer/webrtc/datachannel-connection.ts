import { CapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import { ConnectionInbox } from '../connection-inbox.js';

/**
 * The parts of `RTCDataChannel` a connection uses (also what a MessagePort
 * proxy of one provides). Messages are `ArrayBuffer`s.
 */
export interface DataChannelLike {
  readonly readyState: 'connecting' | 'open' | 'closing' | 'closed';
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType: string;
  send(data: ArrayBuffer | Uint8Array): void;
  close(): void;
  addEventListener(type: 'open' | 'closing' | 'close' | 'error' | 'bufferedamountlow', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Messages up to this size go as one channel message; larger ones are chunked. */
export const CHUNK_BYTES = 64 * 1024;
const WHOLE = 0;
const MORE = 1;
const LAST = 2;
/** A netlayer control message (path switching, `webrtc/path-switch.ts`): one channel message, never chunked. */
const CONTROL = 3;
/** Largest control message `sendControl` accepts and a peer may send. */
export const MAX_CONTROL_BYTES = 256;
/** Above this many bytes buffered in the channel, sends wait in our queue for `bufferedamountlow`. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export interface DataChannelConnectionOptions {
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /** The designator whose signed description (offer or answer) opened this channel; see `DataChannelConnection.provenDesignator`. */
  readonly provenDesignator: string | undefined;
  /** Largest reassembled message accepted; a larger one closes the connection. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Called once, when the connection has ended (to release the peer connection). */
  readonly onEnded?: () => void;
}

/**
 * One OCapN connection over a reliable, ordered data channel (transport
 * `relay`, path `webrtc`). Each message is one or more channel messages: a
 * one-byte header (whole / more / last) and up to 64 KiB of payload, so
 * messages of any size cross whatever the SCTP message limit; header 3 marks
 * a netlayer control message (`sendControl`, delivered to the receiver's
 * `control` in order with the messages). Sends respect
 * backpressure: beyond 1 MiB buffered in the channel they queue here until
 * the channel drains below 256 KiB.
 *
 * Goodbyes: the peer closing the channel cleanly ends the connection at once
 * (kind `remote`), at the channel's `closing` event — the start of the
 * close, after which nothing more can come from the peer (the channel is
 * ordered: the stream reset follows the peer's last message) — or at
 * `close` where a channel has no `closing`. Nothing waits for the peer
 * connection's ICE state (which notices a vanished peer only after its
 * consent checks fail, then the ICE-restart timeout).
 */
export class DataChannelConnection implements Connection {
  readonly transport = 'relay';
  readonly path = 'webrtc';
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /**
   * Both ways: the peer signed the description (offer for an inbound channel,
   * answer for an outbound one) that set this channel up, with its designator
   * key, addressed to us (`webrtc/signals.ts`). The shell checks the hello
   * against it.
   */
  readonly provenDesignator: string | undefined;
  /** Receiving half: order, the early queue, the close notice after the last message. */
  readonly #inbox = new ConnectionInbox();
  private readonly queue: Uint8Array[] = [];
  private queueBytes = 0;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private readonly maxMessageBytes: number;

  constructor(
    private readonly channel: DataChannelLike,
    private readonly options: DataChannelConnectionOptions,
  ) {
    this.outbound = options.outbound;
    this.remoteLocator = options.remoteLocator;
    this.provenDesignator = options.provenDesignator;
    this.maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    // Listen at once: a worker may see a channel's first messages before its `open` event.
    channel.addEventListener('message', (event) => this.onChannelMessage(event.data));
    channel.addEventListener('open', () => this.pump());
    channel.addEventListener('bufferedamountlow', () => {
      this.pump();
      if (this.queue.length === 0) this.#inbox.drained();
    });
    channel.addEventListener('closing', () => this.end({ kind: 'remote', message: 'the peer closed the data channel' }));
    channel.addEventListener('close', () => this.end({ kind: 'remote', message: 'the data channel closed' }));
    channel.addEventListener('error', () => this.end({ kind: 'error', message: 'the data channel failed' }));
  }

  /** Hands over what arrived so far before returning (and the close notice, if the channel already ended). */
  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver, 'now');
  }

  send(bytes: Uint8Array): void {
    if (this.#inbox.ended) return;
    this.queueBytes += bytes.length;
    if (bytes.length <= CHUNK_BYTES) {
      this.queue.push(withHeader(WHOLE, bytes));
    } else {
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
        const end = Math.min(at + CHUNK_BYTES, bytes.length);
        this.queue.push(withHeader(end === bytes.length ? LAST : MORE, bytes.subarray(at, end)));
      }
    }
    this.pump();
  }

  /** Sends a control message (at most `MAX_CONTROL_BYTES`), in order with the messages around it. A no-op once ended. */
  sendControl(bytes: Uint8Array): void {
    if (bytes.length > MAX_CONTROL_BYTES) throw new CapmeshError('INVALID_ARGUMENT', `a control message is limited to ${MAX_CONTROL_BYTES} bytes`);
    if (this.#inbox.ended) return;
    this.queue.push(withHeader(CONTROL, bytes));
    this.queueBytes += bytes.length;
    this.pump();
  }

  close(reason = 'closed'): void {
    if (this.#inbox.ended) return;
    this.end({ kind: 'local', message: reason });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.#inbox.ended) {
      if (this.channel.readyState !== 'open' || this.channel.bufferedAmount > HIGH_WATER) return;
      try {
        const frame = this.queue.shift()!;
        this.queueBytes -= frame.length - 1;
        this.channel.send(frame);
      } catch (e) {
        this.end({ kind: 'error', message: `send on the data channel failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }

  /** Bytes sent but not yet on the wire: queued here plus buffered in the channel. `drained` follows `bufferedamountlow` once the queue is empty. */
  bufferedBytes(): number {
    return this.queueBytes + this.channel.bufferedAmount;
  }

  /** True once the channel is open (sends before that wait in the queue). */
  get isOpen(): boolean {
    return this.channel.readyState === 'open';
  }

  private onChannelMessage(data: unknown): void {
    if (this.#inbox.ended) return;
    const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
    if (!frame || frame.length === 0 || frame[0]! > CONTROL) {
      this.end({ kind: 'error', message: 'a malformed frame arrived on the data channel' });
      return;
    }
    const kind = frame[0]!;
    const body = frame.subarray(1);
    if (kind === CONTROL) {
      if (this.parts.length > 0 || body.length > MAX_CONTROL_BYTES) {
        this.end({ kind: 'error', message: 'a malformed control message arrived on the data channel', code: 'PROTOCOL' });
        return;
      }
      this.deliver(body.slice(), true);
      return;
    }
    if (kind === WHOLE && this.parts.length === 0) {
      this.deliver(body.slice());
      return;
    }
    if (kind === WHOLE) {
      this.end({ kind: 'error', message: 'a whole message arrived inside a chunked one' });
      return;
    }
    this.partBytes += body.length;
    if (this.partBytes > this.maxMessageBytes) {
      this.end({ kind: 'error', message: `a message over ${this.maxMessageBytes} bytes arrived` });
      return;
    }
    this.parts.push(body.slice());
    if (kind === LAST) {
      const whole = new Uint8Array(this.partBytes);
      let at = 0;
      for (const p of this.parts) {
        whole.set(p, at);
        at += p.length;
      }
      this.parts = [];
      this.partBytes = 0;
      this.deliver(whole);
    }
  }

  private deliver(bytes: Uint8Array, control = false): void {
    if (control) this.#inbox.pushControl(bytes);
    else this.#inbox.push(bytes);
    this.#inbox.deliver();
  }

  private end(reason: ConnectionCloseReason): void {
    if (this.#inbox.ended) return;
    this.#inbox.end(reason);
    this.queue.length = 0;
    try {
      this.channel.close();
    } catch {
      // already closing
    }
    this.options.onEnded?.();
    this.#inbox.schedule();
  }
}

function withHeader(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = kind;
  out.set(payload, 1);
  return out;
}
