import { CapmeshError } from '../../util/errors.js';
import { assertFunction } from '../../util/assert.js';

/**
 * One relay circuit as a client sees it: an ordered, opaque byte pipe to one
 * other registered designator, numbered by the relay. Made by `RelayClient`
 * (`openCircuit`, or the `circuit` event for incoming ones).
 *
 * Ownership and ordering: payloads arrive in the order the peer sent them
 * (the relay keeps order per socket). Until `setHandler` is called they are
 * queued; `setHandler` hands the queue over synchronously, then later
 * arrivals go straight to the handler. `closed` is called once, after every
 * message, whichever side ended the circuit. Payload arrays are views the
 * handler owns.
 */
export interface RelayCircuitHandler {
  message(payload: Uint8Array): void;
  /** `local`: we closed it; `remote`: the peer (or relay) closed it; `error`: the relay connection dropped. */
  closed(reason: string, kind: 'local' | 'remote' | 'error'): void;
}

/** What a circuit needs from its client. */
export interface CircuitPort {
  /** Sends one payload; false when the relay socket is not open. */
  send(payload: Uint8Array): boolean;
  /** We close: tell the relay. */
  close(reason: string): void;
  /** The circuit ended from outside: forget it. */
  ended(): void;
  bufferedAmount(): number;
}

type Item = { readonly payload: Uint8Array } | { readonly end: string; readonly kind: 'local' | 'remote' | 'error' };

export class RelayCircuit {
  readonly id: number;
  /** The other end's designator as the relay reports it (not proof of identity). */
  readonly peer: string;
  /** True when we opened it. */
  readonly outbound: boolean;

  readonly #port: CircuitPort;
  #handler: RelayCircuitHandler | undefined;
  readonly #queue: Item[] = [];
  #open = true;

  /** @internal Made by `RelayClient` when the relay opens a circuit. */
  constructor(id: number, peer: string, outbound: boolean, port: CircuitPort) {
    this.id = id;
    this.peer = peer;
    this.outbound = outbound;
    this.#port = port;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes queued on the shared relay socket. */
  get bufferedAmount(): number {
    return this.#port.bufferedAmount();
  }

  setHandler(handler: RelayCircuitHandler): void {
    if (this.#handler) throw new CapmeshError('INVALID_ARGUMENT', 'setHandler was already called on this circuit');
    assertFunction(handler?.message, 'handler.message');
    assertFunction(handler?.closed, 'handler.closed');
    this.#handler = handler;
    const queued = this.#queue.splice(0);
    for (const item of queued) this.#deliver(handler, item);
  }

  /** Sends one payload. Returns false (and sends nothing) once closed or while the relay socket is down. */
  send(payload: Uint8Array): boolean {
    if (!this.#open) return false;
    return this.#port.send(payload);
  }

  /** Closes the circuit (the relay tells the peer). The handler sees `closed(reason, 'local')`. Idempotent. */
  close(reason = 'closed'): void {
    if (!this.#open) return;
    this.#open = false;
    this.#port.close(reason);
    this.#push({ end: reason, kind: 'local' });
  }

  /** @internal From the client: a payload arrived. */
  arrive(payload: Uint8Array): void {
    if (this.#open) this.#push({ payload });
  }

  /** @internal From the client: the circuit ended from outside. */
  end(reason: string, kind: 'remote' | 'error'): void {
    if (!this.#open) return;
    this.#open = false;
    this.#port.ended();
    this.#push({ end: reason, kind });
  }

  #push(item: Item): void {
    if (this.#handler) this.#deliver(this.#handler, item);
    else this.#queue.push(item);
  }

  #deliver(handler: RelayCircuitHandler, item: Item): void {
    try {
      if ('payload' in item) handler.message(item.payload);
      else handler.closed(item.end, item.kind);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
