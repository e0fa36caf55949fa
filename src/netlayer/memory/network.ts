import { assertFunction, assertInteger } from '../../util/assert.js';
import { CapmeshError } from '../../util/errors.js';
import { Listeners } from '../../util/listeners.js';
import type { PeerLocator } from '../../wire/index.js';
import { type LinkDirection, type LinkHost, type MemoryLink, MemoryLinkImpl, type MemoryLogEntry } from './link.js';
import { MemoryNetlayer, type MemoryRegistry } from './netlayer.js';
import type { Netlayer } from '../types.js';

/** Largest message a memory network carries unless told otherwise: 16 MiB. */
export const DEFAULT_MEMORY_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface MemoryNetworkOptions {
  /**
   * When given, the network interleaves deliveries of *different* link
   * directions in a pseudo-random order drawn from this seed (each direction
   * stays FIFO). Without it, ready messages are delivered in global send order.
   * Either way a run is deterministic.
   */
  readonly seed?: number;
  /**
   * Largest message, in bytes, a `send` may carry (default 16 MiB). A larger
   * send is not queued: the link fails as a transport would on an oversize
   * frame, both ends see `closed({kind: 'error'})` on a microtask, and what was
   * still queued on the link is dropped.
   */
  readonly maxMessageBytes?: number;
  /** Keep `network.log` (default true). Taps registered with `onMessage` are called either way. */
  readonly log?: boolean;
}

export interface MemoryNetlayerOptions {
  /**
   * One-way delay of every message on this vat's links, in ms (default 0). A
   * link takes the larger of its two ends' latencies; `MemoryLink.setLatency`
   * overrides it per link. Latency uses timers, so tests use fake timers.
   */
  readonly latencyMs?: number;
}

/**
 * An in-process network of vats for tests: every `netlayer()` is one vat's
 * `memory` netlayer, every connection a `MemoryLink` a test can hold, step,
 * slow down or cut, and every message is logged.
 *
 * Delivery: a message is never delivered inside `send`'s call stack. Without
 * latency, due messages are delivered by a delivery loop that runs on a
 * microtask; with latency, from the timer that makes the message due. Each
 * link direction is FIFO and delivers each message exactly once (or drops it
 * when the far end closed or the link failed; the log says which).
 */
export interface MemoryNetwork {
  /** A new, unattached `memory` netlayer in this network. */
  netlayer(options?: MemoryNetlayerOptions): Netlayer;
  /** Every link ever opened, oldest first (closed ones included). */
  links(): MemoryLink[];
  /** The newest link between the two designators, in either direction. */
  linkBetween(designatorA: string, designatorB: string): MemoryLink | undefined;
  /** Every `sent`/`delivered`/`dropped` event since creation or the last `clearLog()`, in event order. */
  readonly log: readonly MemoryLogEntry[];
  /** Empties the log (an array already obtained from `log` is left as it was). */
  clearLog(): void;
  /** Calls `listener` for every log event as it happens; returns an unsubscribe function. */
  onMessage(listener: (entry: MemoryLogEntry) => void): () => void;
  /** Messages queued on all links (held, waiting for latency, or about to be delivered). */
  pending(): number;
  readonly maxMessageBytes: number;
}

export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  return new Network(options);
}

class Network implements MemoryNetwork {
  readonly maxMessageBytes: number;

  readonly #keepLog: boolean;
  readonly #random: (() => number) | undefined;
  readonly #attached = new Map<string, MemoryNetlayer>();
  readonly #links: MemoryLinkImpl[] = [];
  /** Directions that had items queued when last seen; pruned lazily by the delivery loop. */
  readonly #active = new Set<LinkDirection>();
  readonly #taps = new Listeners<[entry: MemoryLogEntry]>();
  #log: MemoryLogEntry[] = [];
  #messageSeq = 0;
  #order = 0;
  #drainScheduled = false;
  #draining = false;
  readonly #host: LinkHost;
  readonly #registry: MemoryRegistry;

  constructor(options: MemoryNetworkOptions) {
    const { seed, maxMessageBytes = DEFAULT_MEMORY_MAX_MESSAGE_BYTES, log = true } = options;
    if (seed !== undefined) assertInteger(seed, 'options.seed');
    assertInteger(maxMessageBytes, 'options.maxMessageBytes', 0);
    this.maxMessageBytes = maxMessageBytes;
    this.#keepLog = log;
    this.#random = seed === undefined ? undefined : seededRandom(seed);
    this.#host = {
      maxMessageBytes,
      keepsCopies: log,
      nextMessageSeq: () => ++this.#messageSeq,
      nextOrder: () => ++this.#order,
      record: (entry) => this.#record(entry),
      activate: (direction) => this.#activate(direction),
      timerFired: () => this.#drain(),
    };
    this.#registry = {
      register: (designator, netlayer) => {
        if (this.#attached.has(designator)) {
          throw new CapmeshError(
            'INVALID_ARGUMENT',
            `designator ${JSON.stringify(designator)} is already attached to this memory network`,
          );
        }
        this.#attached.set(designator, netlayer);
      },
      unregister: (designator, netlayer) => {
        if (this.#attached.get(designator) === netlayer) this.#attached.delete(designator);
      },
      lookup: (designator) => this.#attached.get(designator),
      openLink: (dialler, listener, locator) => this.#openLink(dialler, listener, locator),
    };
  }

  netlayer(options: MemoryNetlayerOptions = {}): Netlayer {
    const { latencyMs = 0 } = options;
    if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new CapmeshError('INVALID_ARGUMENT', `\`options.latencyMs\` must be a finite number ≥ 0, got ${String(latencyMs)}`);
    }
    return new MemoryNetlayer(this.#registry, latencyMs);
  }

  links(): MemoryLink[] {
    return [...this.#links];
  }

  linkBetween(designatorA: string, designatorB: string): MemoryLink | undefined {
    for (let i = this.#links.length - 1; i >= 0; i -= 1) {
      const link = this.#links[i] as MemoryLinkImpl;
      if ((link.a === designatorA && link.b === designatorB) || (link.a === designatorB && link.b === designatorA)) {
        return link;
      }
    }
    return undefined;
  }

  get log(): readonly MemoryLogEntry[] {
    return this.#log;
  }

  clearLog(): void {
    this.#log = [];
  }

  onMessage(listener: (entry: MemoryLogEntry) => void): () => void {
    assertFunction(listener, 'listener');
    // Wrapped: the same function added twice is two taps.
    return this.#taps.add((entry) => listener(entry));
  }

  pending(): number {
    let count = 0;
    for (const link of this.#links) count += link.pending();
    return count;
  }

  #openLink(dialler: MemoryNetlayer, listener: MemoryNetlayer, locator: PeerLocator): MemoryLinkImpl {
    const a = dialler.designator;
    const b = listener.designator;
    if (a === undefined || b === undefined) throw new Error('memory network: openLink needs two attached netlayers');
    const link = new MemoryLinkImpl(this.#host, this.#links.length + 1, a, b, Math.max(dialler.latencyMs, listener.latencyMs), {
      remoteLocator: locator,
      onDiallerEnded: (connection) => dialler.forget(connection),
      onListenerEnded: (connection) => listener.forget(connection),
    });
    this.#links.push(link);
    return link;
  }

  #record(entry: MemoryLogEntry): void {
    if (this.#keepLog) this.#log.push(entry);
    this.#taps.emit(entry);
  }

  #activate(direction: LinkDirection): void {
    if (direction.queue.length === 0) return;
    this.#active.add(direction);
    if (direction.ready && !this.#drainScheduled) {
      this.#drainScheduled = true;
      queueMicrotask(() => {
        this.#drainScheduled = false;
        this.#drain();
      });
    }
  }

  /**
   * Delivers ready messages until none is left: always the head of some
   * direction, chosen by global send order (or by the seeded generator).
   * Re-entrant calls return at once; the running loop picks up their work.
   */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (;;) {
        const ready: LinkDirection[] = [];
        for (const direction of this.#active) {
          if (direction.queue.length === 0) this.#active.delete(direction);
          else if (direction.ready) ready.push(direction);
        }
        const next = this.#pick(ready);
        if (next === undefined) break;
        next.link.deliverHead(next);
      }
    } finally {
      this.#draining = false;
    }
  }

  #pick(ready: readonly LinkDirection[]): LinkDirection | undefined {
    if (ready.length === 0) return undefined;
    if (this.#random !== undefined) return ready[Math.floor(this.#random() * ready.length)];
    let best = ready[0] as LinkDirection;
    for (const direction of ready) if (direction.headOrder < best.headOrder) best = direction;
    return best;
  }
}

/** A small deterministic generator (xorshift32) returning numbers in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0 || 0x2545f491;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}
