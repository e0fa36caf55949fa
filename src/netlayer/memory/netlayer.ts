import { assertFunction, assertNonEmptyString } from '../../util/assert.js';
import { CapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import type { MemoryConnection } from './connection.js';
import type { MemoryLinkImpl } from './link.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';

/** The transport name of memory locators. */
export const MEMORY_TRANSPORT = 'memory';

/** What a memory netlayer needs from its network (see `memory/network.ts`). */
export interface MemoryRegistry {
  /** Claims `designator` for `netlayer`; throws `INVALID_ARGUMENT` when another netlayer holds it. */
  register(designator: string, netlayer: MemoryNetlayer): void;
  unregister(designator: string, netlayer: MemoryNetlayer): void;
  lookup(designator: string): MemoryNetlayer | undefined;
  /** Creates a link from `dialler` (attached) to `listener`; the link's ends report back through `forget`. */
  openLink(dialler: MemoryNetlayer, listener: MemoryNetlayer, locator: PeerLocator): MemoryLinkImpl;
}

/**
 * The `memory` netlayer of one vat inside a memory network.
 *
 * - `attach` registers the binding's designator in the network (hints `{}`:
 *   the network object itself keeps networks apart, so no hint is needed).
 * - `connect` is asynchronous: after a microtask it opens a link, hands the
 *   inbound end to the listener's `onConnection` (synchronously, before any
 *   message can arrive on it), then resolves with the outbound end. If
 *   `onConnection` throws, the link is cut and `connect` rejects.
 * - Establishing a connection takes no simulated time; latency applies to
 *   messages and close notices only.
 * - `close` closes every connection this netlayer made or accepted (our
 *   receivers see `local`, peers `remote` after what was in flight) and frees
 *   the designator for a later attach by another netlayer.
 */
export class MemoryNetlayer implements Netlayer {
  readonly transport = MEMORY_TRANSPORT;
  /** Latency of this vat's links (a link takes the larger of its two ends' latencies). */
  readonly latencyMs: number;

  readonly #registry: MemoryRegistry;
  #binding: NetlayerBinding | undefined;
  #closed = false;
  readonly #connections = new Set<MemoryConnection>();

  constructor(registry: MemoryRegistry, latencyMs: number) {
    this.#registry = registry;
    this.latencyMs = latencyMs;
  }

  /** The attached designator, or undefined before `attach`. */
  get designator(): string | undefined {
    return this.#binding?.designator;
  }

  /** Open connections this netlayer made or accepted. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  async attach(binding: NetlayerBinding): Promise<NetlayerAttachment> {
    if (this.#closed) throw new CapmeshError('DISCONNECTED', 'this memory netlayer is closed');
    if (this.#binding !== undefined) {
      throw new CapmeshError('INVALID_ARGUMENT', 'attach was already called on this memory netlayer');
    }
    assertNonEmptyString(binding?.designator, 'binding.designator');
    assertFunction(binding.onConnection, 'binding.onConnection');
    this.#registry.register(binding.designator, this);
    this.#binding = binding;
    return { designator: binding.designator, hints: {} };
  }

  async connect(locator: PeerLocator): Promise<Connection> {
    // Nothing below runs in the caller's call stack.
    await null;
    if (typeof locator !== 'object' || locator === null || locator.transport !== MEMORY_TRANSPORT) {
      throw new CapmeshError(
        'INVALID_ARGUMENT',
        `the memory netlayer dials only "${MEMORY_TRANSPORT}" locators, got transport ${JSON.stringify(locator?.transport)}`,
      );
    }
    assertNonEmptyString(locator.designator, 'locator.designator');
    if (this.#closed) throw new CapmeshError('DISCONNECTED', 'this memory netlayer is closed');
    if (this.#binding === undefined) {
      throw new CapmeshError('DISCONNECTED', 'attach this memory netlayer to a vat before connecting');
    }
    const listener = this.#registry.lookup(locator.designator);
    if (listener === undefined) {
      throw new CapmeshError(
        'DISCONNECTED',
        `no vat with designator ${JSON.stringify(locator.designator)} is attached to this memory network`,
        { detail: { designator: locator.designator } },
      );
    }
    const link = this.#registry.openLink(this, listener, locator);
    this.#connections.add(link.dialler);
    const refusal = listener.accept(link.listener);
    if (refusal !== undefined) {
      link.cut(`the listener refused the connection: ${describeError(refusal)}`);
      throw new CapmeshError('DISCONNECTED', `${JSON.stringify(locator.designator)} refused the connection`, {
        cause: refusal,
      });
    }
    return link.dialler;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of [...this.#connections]) connection.close('memory netlayer closed');
    if (this.#binding !== undefined) this.#registry.unregister(this.#binding.designator, this);
  }

  /** Hands an inbound end to the vat. Returns what `onConnection` threw, if it threw. */
  accept(connection: MemoryConnection): unknown {
    this.#connections.add(connection);
    try {
      this.#binding?.onConnection(connection);
      return undefined;
    } catch (error) {
      return error ?? new Error('onConnection threw');
    }
  }

  /** A connection of ours ended; stop tracking it. */
  forget(connection: MemoryConnection): void {
    this.#connections.delete(connection);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
