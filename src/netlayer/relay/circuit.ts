import { CapmeshError } from '../../util/errors.js';
import { assertFunction } from '../../util/assert.js';
import { ConnectionInbox } from '../connection-inbox.js';

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

export class RelayCircuit {
  readonly id: number;
  /** The other end's designator as the relay reports it (not proof of identity). */
  readonly peer: string;
  /** True when we opened it. */
  readonly outbound: boolean;

  readonly #port: CircuitPort;
  #handlerSet = false;
  /** Receiving half: the early queue, hand-over in order, `closed` once after every message, handler errors isolated. */
  readonly #inbox = new ConnectionInbox();

  /** @internal Made by `RelayClient` when the relay opens a circuit. */
  constructor(id: number, peer: string, outbound: boolean, port: CircuitPort) {
    this.id = id;
    this.peer = peer;
    this.outbound = outbound;
    this.#port = port;
  }

  get isOpen(): boolean {
    return !this.#inbox.ended;
  }

  /** Bytes queued on the shared relay socket. */
  get bufferedAmount(): number {
    return this.#port.bufferedAmount();
  }

  setHandler(handler: RelayCircuitHandler): void {
    if (this.#handlerSet) throw new CapmeshError('INVALID_ARGUMENT', 'setHandler was already called on this circuit');
    assertFunction(handler?.message, 'handler.message');
    assertFunction(handler?.closed, 'handler.closed');
    this.#handlerSet = true;
    this.#inbox.setReceiver(
      {
        message: (payload) => handler.message(payload),
        closed: (reason) => handler.closed(reason.message, reason.kind),
      },
      'now',
    );
  }

  /** Sends one payload. Returns false (and sends nothing) once closed or while the relay socket is down. */
  send(payload: Uint8Array): boolean {
    if (this.#inbox.ended) return false;
    return this.#port.send(payload);
  }

  /** Closes the circuit (the relay tells the peer). The handler sees `closed(reason, 'local')`. Idempotent. */
  close(reason = 'closed'): void {
    if (this.#inbox.ended) return;
    this.#inbox.end({ kind: 'local', message: reason });
    this.#port.close(reason);
    this.#inbox.deliver();
  }

  /** @internal From the client: a payload arrived. */
  arrive(payload: Uint8Array): void {
    this.#inbox.push(payload);
    this.#inbox.deliver();
  }

  /** @internal From the client: the circuit ended from outside. */
  end(reason: string, kind: 'remote' | 'error'): void {
    if (this.#inbox.ended) return;
    this.#inbox.end({ kind, message: reason });
    this.#port.ended();
    this.#inbox.deliver();
  }
}
