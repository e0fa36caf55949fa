import { CapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import { MemoryConnection } from './connection.js';

/**
 * A link of the in-process memory network: the two ends of one connection and
 * the two one-way queues between them, with controls for tests.
 *
 * Each direction is a FIFO queue. A message is queued by `send` and becomes
 * *due* at once (no latency) or `latencyMs` after it was sent (a timer). The
 * network delivers due messages from unheld links asynchronously; a message
 * is never delivered ahead of an earlier one in its direction, so a short
 * latency set later waits behind a long one set earlier.
 *
 * Closing is in-band, like TCP's FIN: when one end closes, a close notice
 * queues behind the messages it already sent; the peer sees those messages,
 * then `closed({kind: 'remote'})`. Messages queued *toward* the closing end are
 * dropped (it stopped listening). A cut or a failure drops both queues and ends
 * both sides with kind `error`.
 */
export interface MemoryLink {
  /** Unique within the network, increasing in creation order; the `linkId` of log entries. */
  readonly id: number;
  /** The dialler's designator. */
  readonly a: string;
  /** The listener's designator. */
  readonly b: string;
  /** True between `hold()` and `release()`. */
  readonly held: boolean;
  /** The latency applied to messages sent from now on, in milliseconds. */
  readonly latencyMs: number;
  /** True once nothing more can travel: cut, failed, or both ends closed (close notices delivered). */
  readonly closed: boolean;
  /** Stops delivery in both directions; messages (and close notices) queue. */
  hold(): void;
  /**
   * Ends the hold and, synchronously, delivers every queued item that is due, in
   * send order; items still waiting for their latency follow when due.
   */
  release(): void;
  /**
   * Synchronously delivers exactly one queued item — the oldest, or the oldest
   * sent by designator `from` — held or not, due or not. The item is a message,
   * or the close notice that trails a closed end's messages. Returns false when
   * nothing is queued there.
   */
  step(from?: string): boolean;
  /** Messages queued (not counting a trailing close notice), optionally only those sent by `from`. */
  pending(from?: string): number;
  /** Breaks the link now: queued items are dropped, both ends see `closed({kind: 'error'})` synchronously. */
  cut(reason?: string): void;
  /** Sets the latency (ms, ≥ 0) for messages sent after this call. */
  setLatency(ms: number): void;
  /**
   * Queues `bytes` on the link as if the end of designator `from` had sent
   * them, bypassing that end's engine: how a test plays a hostile or buggy
   * peer on an established session. Delivered like any other message.
   */
  inject(from: string, bytes: Uint8Array): void;
}

/**
 * One entry of the network's message log. A message gets a `sent` entry when
 * `send` queues it and later exactly one `delivered` (handed to the far end) or
 * `dropped` (the far end had closed, or the link was cut) entry, all with the
 * same `seq`. `bytes` is the network's copy of the message; treat it as read-only.
 */
export interface MemoryLogEntry {
  /** The message's number, unique in the network, increasing in send order. */
  readonly seq: number;
  readonly linkId: number;
  /** Designator of the sending end. */
  readonly from: string;
  /** Designator of the receiving end. */
  readonly to: string;
  readonly bytes: Uint8Array;
  readonly at: 'sent' | 'delivered' | 'dropped';
}

/** What a link needs from its network. */
export interface LinkHost {
  readonly maxMessageBytes: number;
  /** True when receivers must get their own copy because the log keeps one. */
  readonly keepsCopies: boolean;
  nextMessageSeq(): number;
  /** A global counter ordering every queued item (messages and close notices) by send time. */
  nextOrder(): number;
  record(entry: MemoryLogEntry): void;
  /** `direction` has queued items; deliver them when they are ready. */
  activate(direction: LinkDirection): void;
  /** A latency timer made an item due. */
  timerFired(): void;
}

/** The two connection ends of a new link, and who to tell when each ends. */
export interface LinkEnds {
  readonly remoteLocator: PeerLocator;
  readonly onDiallerEnded: (connection: MemoryConnection) => void;
  readonly onListenerEnded: (connection: MemoryConnection) => void;
}

interface QueuedItem {
  readonly kind: 'message' | 'end';
  readonly order: number;
  /** Message number (messages only). */
  readonly seq: number;
  readonly bytes: Uint8Array;
  /** Close message (close notices only). */
  readonly reason: string;
  due: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One way of a link: a FIFO queue from `source` to `target`. */
export class LinkDirection {
  readonly queue: QueuedItem[] = [];

  constructor(
    readonly link: MemoryLinkImpl,
    readonly from: string,
    readonly to: string,
    readonly source: MemoryConnection,
    readonly target: MemoryConnection,
  ) {}

  /** The head may be delivered by the network now. */
  get ready(): boolean {
    const head = this.queue[0];
    return head !== undefined && head.due && !this.link.held;
  }

  /** Send order of the head item, or Infinity when empty. */
  get headOrder(): number {
    return this.queue[0]?.order ?? Number.POSITIVE_INFINITY;
  }
}

const EMPTY = new Uint8Array(0);

export class MemoryLinkImpl implements MemoryLink {
  readonly id: number;
  readonly a: string;
  readonly b: string;
  /** The dialler's end (outbound). */
  readonly dialler: MemoryConnection;
  /** The listener's end (inbound). */
  readonly listener: MemoryConnection;

  readonly #host: LinkHost;
  readonly #ab: LinkDirection;
  readonly #ba: LinkDirection;
  #held = false;
  #latencyMs: number;
  #failed = false;

  constructor(host: LinkHost, id: number, a: string, b: string, latencyMs: number, ends: LinkEnds) {
    this.#host = host;
    this.id = id;
    this.a = a;
    this.b = b;
    this.#latencyMs = latencyMs;
    // The network attached `a` (dialler) and `b` (listener): each end proves the other's designator.
    this.dialler = new MemoryConnection(true, ends.remoteLocator, ends.onDiallerEnded, b);
    this.listener = new MemoryConnection(false, undefined, ends.onListenerEnded, a);
    this.#ab = new LinkDirection(this, a, b, this.dialler, this.listener);
    this.#ba = new LinkDirection(this, b, a, this.listener, this.dialler);
    this.dialler.bind({
      send: (bytes) => this.#send(this.#ab, bytes),
      closeLocal: (reason) => this.#closeLocal(this.#ab, this.#ba, reason),
    });
    this.listener.bind({
      send: (bytes) => this.#send(this.#ba, bytes),
      closeLocal: (reason) => this.#closeLocal(this.#ba, this.#ab, reason),
    });
  }

  get held(): boolean {
    return this.#held;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  get closed(): boolean {
    return this.#failed || (!this.dialler.isOpen && !this.listener.isOpen);
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    for (;;) {
      const next = oldest([this.#ab, this.#ba].filter((d) => d.ready));
      if (next === undefined) break;
      this.deliverHead(next);
    }
    // Anything that became ready meanwhile elsewhere is the network's business.
    this.#host.activate(this.#ab);
    this.#host.activate(this.#ba);
  }

  step(from?: string): boolean {
    const next = oldest(this.#directionsFrom(from, 'step'));
    if (next === undefined) return false;
    this.deliverHead(next);
    return true;
  }

  pending(from?: string): number {
    let count = 0;
    for (const direction of this.#directionsFrom(from, 'pending')) {
      for (const item of direction.queue) if (item.kind === 'message') count += 1;
    }
    return count;
  }

  cut(reason?: string): void {
    this.#fail(reason ?? `memory link ${this.a} <-> ${this.b} was cut`, 'sync');
  }

  setLatency(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new CapmeshError('INVALID_ARGUMENT', `\`ms\` must be a finite number ≥ 0, got ${String(ms)}`);
    }
    this.#latencyMs = ms;
  }

  inject(from: string, bytes: Uint8Array): void {
    const [direction] = this.#directionsFrom(from, 'inject');
    this.#send(direction!, bytes);
  }

  /** Delivers the head of `direction` to its target (or drops it if the target closed). Returns false when empty. */
  deliverHead(direction: LinkDirection): boolean {
    const item = direction.queue.shift();
    if (item === undefined) return false;
    if (item.timer !== undefined) clearTimeout(item.timer);
    if (item.kind === 'end') {
      direction.target.terminate({ kind: 'remote', message: item.reason }, 'sync');
      return true;
    }
    if (!direction.target.isOpen) {
      this.#record(direction, item, 'dropped');
      return true;
    }
    this.#record(direction, item, 'delivered');
    direction.target.arrive(this.#host.keepsCopies ? item.bytes.slice() : item.bytes);
    return true;
  }

  #send(direction: LinkDirection, bytes: Uint8Array): void {
    if (bytes.length > this.#host.maxMessageBytes) {
      this.#fail(
        `memory link refused a ${bytes.length}-byte message (maxMessageBytes is ${this.#host.maxMessageBytes})`,
        'async',
      );
      return;
    }
    const item = this.#newItem('message', bytes.slice(), '');
    this.#record(direction, item, 'sent');
    if (!direction.target.isOpen) {
      this.#record(direction, item, 'dropped');
      return;
    }
    this.#enqueue(direction, item);
  }

  #closeLocal(outgoing: LinkDirection, incoming: LinkDirection, reason: string): void {
    this.#dropQueue(incoming);
    if (outgoing.target.isOpen) this.#enqueue(outgoing, this.#newItem('end', EMPTY, reason));
  }

  #fail(reason: string, timing: 'sync' | 'async'): void {
    if (this.closed) return;
    this.#failed = true;
    this.#dropQueue(this.#ab);
    this.#dropQueue(this.#ba);
    const closeReason = { kind: 'error', message: reason } as const;
    this.dialler.terminate(closeReason, timing);
    this.listener.terminate(closeReason, timing);
  }

  #newItem(kind: QueuedItem['kind'], bytes: Uint8Array, reason: string): QueuedItem {
    const seq = kind === 'message' ? this.#host.nextMessageSeq() : -1;
    return { kind, order: this.#host.nextOrder(), seq, bytes, reason, due: false, timer: undefined };
  }

  #enqueue(direction: LinkDirection, item: QueuedItem): void {
    const latency = this.#latencyMs;
    if (latency === 0) {
      item.due = true;
    } else {
      item.timer = setTimeout(() => {
        item.timer = undefined;
        item.due = true;
        this.#host.timerFired();
      }, latency);
    }
    direction.queue.push(item);
    this.#host.activate(direction);
  }

  #dropQueue(direction: LinkDirection): void {
    for (const item of direction.queue.splice(0)) {
      if (item.timer !== undefined) clearTimeout(item.timer);
      if (item.kind === 'message') this.#record(direction, item, 'dropped');
    }
  }

  #record(direction: LinkDirection, item: QueuedItem, at: MemoryLogEntry['at']): void {
    this.#host.record({ seq: item.seq, linkId: this.id, from: direction.from, to: direction.to, bytes: item.bytes, at });
  }

  #directionsFrom(from: string | undefined, method: string): LinkDirection[] {
    if (from === undefined) return [this.#ab, this.#ba];
    if (from !== this.a && from !== this.b) {
      throw new CapmeshError(
        'INVALID_ARGUMENT',
        `\`from\` of ${method}() must be ${JSON.stringify(this.a)} or ${JSON.stringify(this.b)}, got ${JSON.stringify(from)}`,
      );
    }
    // For a loopback link (a === b) both directions match.
    return [this.#ab, this.#ba].filter((d) => d.from === from);
  }
}

/** The non-empty direction whose head was queued first. */
function oldest(directions: readonly LinkDirection[]): LinkDirection | undefined {
  let best: LinkDirection | undefined;
  for (const direction of directions) {
    if (direction.queue.length > 0 && (best === undefined || direction.headOrder < best.headOrder)) best = direction;
  }
  return best;
}
