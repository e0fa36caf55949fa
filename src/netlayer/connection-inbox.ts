import { CapmeshError } from '../util/errors.js';
import { assertFunction } from '../util/assert.js';
import type { ConnectionCloseReason, ConnectionReceiver } from './types.js';

type Item = { readonly bytes: Uint8Array } | { readonly control: Uint8Array } | { readonly reason: ConnectionCloseReason };

/**
 * The receiving half every `Connection` shares: what arrives is queued until
 * the receiver is set and then handed over in order — messages first, the
 * one close notice last, and nothing after it.
 *
 * `deliver()` hands over at once (from a transport's own event, never from
 * inside `send`) unless a scheduled hand-over is pending, which keeps order;
 * `schedule()` hands over on a microtask. What arrived before the receiver
 * was set is handed over on a microtask after `setReceiver`, or inside it with
 * `handOver: 'now'` (the data-channel, port and relay-circuit contracts). A receiver that throws does not stop
 * delivery: the error is rethrown from a fresh microtask. Re-entrant hand-overs
 * (a receiver that makes more arrive) return at once; the outer loop goes on.
 *
 * `afterLastWord`, when given, runs right after a close notice with `canSend`
 * was handed over (even if the receiver threw): the transport ends the
 * last-word window there, so the receiver's `op:abort` went out first.
 */
export class ConnectionInbox {
  constructor(private readonly afterLastWord?: (reason: ConnectionCloseReason) => void) {}

  #receiver: ConnectionReceiver | undefined;
  readonly #items: Item[] = [];
  #scheduled = false;
  #flushing = false;
  #ended = false;

  /** True once `end` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Installs the receiver (once) and hands over what is queued: on a microtask, or before returning with `handOver: 'now'`. */
  setReceiver(receiver: ConnectionReceiver, handOver: 'microtask' | 'now' = 'microtask'): void {
    if (this.#receiver !== undefined) throw new CapmeshError('INVALID_ARGUMENT', 'setReceiver was already called on this connection');
    assertFunction(receiver?.message, 'receiver.message');
    assertFunction(receiver?.closed, 'receiver.closed');
    this.#receiver = receiver;
    if (this.#items.length === 0) return;
    if (handOver === 'now') this.deliver();
    else this.schedule();
  }

  /** Tells the receiver the connection's send backlog drained (see `ConnectionReceiver.drained`); nothing once ended. */
  drained(): void {
    if (!this.#ended) this.#receiver?.drained?.();
  }

  /** Tells the receiver the peer answered a transport-level probe (see `ConnectionReceiver.alive`); nothing once ended. */
  alive(): void {
    if (!this.#ended) this.#receiver?.alive?.();
  }

  /** Queues one message (ignored once ended). */
  push(bytes: Uint8Array): void {
    if (!this.#ended) this.#items.push({ bytes });
  }

  /** Queues one netlayer control message, in its place among the messages (ignored once ended; dropped for a receiver without `control`). */
  pushControl(bytes: Uint8Array): void {
    if (!this.#ended) this.#items.push({ control: bytes });
  }

  /** Queues the close notice (once). With `dropQueued`, messages not yet handed over are dropped. */
  end(reason: ConnectionCloseReason, dropQueued = false): void {
    if (this.#ended) return;
    this.#ended = true;
    if (dropQueued) this.#items.length = 0;
    this.#items.push({ reason });
  }

  /** Hands over now, unless a scheduled hand-over is pending (then that one does it, in order). */
  deliver(): void {
    if (!this.#scheduled) this.#flush();
  }

  /** Hands over on a microtask. */
  schedule(): void {
    if (this.#scheduled || this.#receiver === undefined) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#receiver !== undefined && this.#items.length > 0) {
        const receiver = this.#receiver;
        const item = this.#items.shift()!;
        try {
          if ('bytes' in item) receiver.message(item.bytes);
          else if ('control' in item) receiver.control?.(item.control);
          else receiver.closed(item.reason);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
        if ('reason' in item && item.reason.canSend === true) this.afterLastWord?.(item.reason);
      }
    } finally {
      this.#flushing = false;
    }
  }
}
