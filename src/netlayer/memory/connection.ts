import { assertBytes } from '../../util/assert.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import { ConnectionInbox } from '../connection-inbox.js';

/**
 * One end of an in-process memory link (see `memory/link.ts`).
 *
 * The end owns an *inbox*: what the link has delivered to it and the receiver
 * has not yet seen. A message that arrives while a receiver is installed and
 * nothing is waiting goes straight to the receiver; otherwise it queues, so a
 * receiver always sees messages in arrival order and `closed` last.
 *
 * Timing rules (the contract every caller relies on):
 * - `send` and `close` never call a receiver in their own call stack. The
 *   link delivers later (microtask or timer), and our own `closed({kind:
 *   'local'})` comes from a microtask.
 * - Messages that arrive before `setReceiver` are delivered, in order, on a
 *   microtask right after it.
 * - `closed` is called at most once per end, after every message the receiver
 *   will ever get. After a local `close()`, messages that had arrived but were
 *   not yet handed over are dropped: we stopped listening.
 * - A receiver callback that throws does not stop delivery; its error is
 *   rethrown from a fresh microtask (an uncaught exception, so tests see it).
 */
export class MemoryConnection implements Connection {
  readonly transport = 'memory';
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /**
   * Proven both ways: the in-process network knows which netlayer attached
   * each designator, so the dialler's end names the listener's designator and
   * the listener's end the dialler's. Nobody can attach another's designator.
   */
  readonly provenDesignator: string | undefined;

  #port: ConnectionPort | undefined;
  readonly #inbox = new ConnectionInbox();
  #open = true;
  readonly #onEnded: (connection: MemoryConnection) => void;

  constructor(
    outbound: boolean,
    remoteLocator: PeerLocator | undefined,
    onEnded: (connection: MemoryConnection) => void,
    provenDesignator?: string,
  ) {
    this.outbound = outbound;
    this.remoteLocator = remoteLocator;
    this.provenDesignator = provenDesignator;
    this.#onEnded = onEnded;
  }

  /** Connects this end to its link. Called once, by the link, before the end is handed out. */
  bind(port: ConnectionPort): void {
    this.#port = port;
  }

  /** False once this end closed for any reason (local close, peer close, link failure). */
  get isOpen(): boolean {
    return this.#open;
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver);
  }

  send(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if (!this.#open) return;
    this.#port?.send(bytes);
  }

  close(reason?: string): void {
    if (!this.#open) return;
    const message = reason ?? 'connection closed locally';
    this.#end({ kind: 'local', message }, true);
    this.#inbox.schedule();
    this.#port?.closeLocal(message);
  }

  /**
   * The link hands over one message. Returns false (and drops it) when this end
   * is already closed. May call the receiver synchronously: the link only calls
   * this from its own delivery loop or a test-control method, never from `send`.
   */
  arrive(bytes: Uint8Array): boolean {
    if (!this.#open) return false;
    this.#inbox.push(bytes);
    this.#inbox.deliver();
    return true;
  }

  /**
   * The link ends this end from outside: `remote` when the peer's close notice
   * arrived, `error` when the link failed. Messages that already arrived are
   * still handed over first. `timing: 'sync'` notifies now (from the link's
   * delivery loop or a test-control method); `'async'` on a microtask (used when
   * the failure happened inside `send`). No-op when already closed.
   */
  terminate(reason: ConnectionCloseReason, timing: 'sync' | 'async'): void {
    if (!this.#open) return;
    this.#end(reason, false);
    if (timing === 'async') this.#inbox.schedule();
    else this.#inbox.deliver();
  }

  #end(reason: ConnectionCloseReason, dropInbox: boolean): void {
    this.#open = false;
    this.#inbox.end(reason, dropInbox);
    this.#onEnded(this);
  }
}

/** What a connection end asks of the link that carries it. */
export interface ConnectionPort {
  /** Queue one message toward the peer (the link copies it). */
  send(bytes: Uint8Array): void;
  /** This end closed locally: tell the peer after what is already in flight. */
  closeLocal(reason: string): void;
}
