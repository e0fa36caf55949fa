import { CapmeshError } from '../util/errors.js';
import { assertFunction, assertNonEmptyString } from '../util/assert.js';
import type { Connection, NetlayerBinding } from './types.js';

/**
 * The bookkeeping every netlayer repeats around its own transport: it is
 * attached once, closed once (for good), and tracks the connections it made
 * or accepted so that `close` can end them. The transport-specific parts
 * (listening, dialling, handshakes) stay in each netlayer.
 *
 * Errors: `bind` after close and every dial step after close throw
 * `DISCONNECTED` ("this <name> netlayer is closed"); a second `bind` throws
 * `INVALID_ARGUMENT`.
 *
 * Ownership: a tracked connection is forgotten when its transport reports it
 * ended (`forget`, from the connection's own end callback); `shutDown` hands
 * the ones still tracked to the caller, which closes them its own way.
 *
 * Ordering of an inbound connection: tracked first, then handed to the vat's
 * `onConnection`; if that throws, the connection is closed with "the vat
 * refused the connection: …" and nothing is thrown to the transport.
 */
export class NetlayerState<C extends Connection> {
  /** Names the netlayer in error messages (`websocket`, `relay`, …). */
  readonly name: string;
  #binding: NetlayerBinding | undefined;
  #closed = false;
  readonly #live = new Set<C>();

  constructor(name: string) {
    this.name = name;
  }

  /** The vat's binding, once attached. */
  get binding(): NetlayerBinding | undefined {
    return this.#binding;
  }

  /** True once `shutDown` ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The connections made or accepted that have not ended, in the order they were tracked. */
  connections(): C[] {
    return [...this.#live];
  }

  /** Attaches once: checks the binding (a designator, an `onConnection`) and keeps it. */
  bind(binding: NetlayerBinding): NetlayerBinding {
    this.assertOpen();
    if (this.#binding !== undefined) throw new CapmeshError('INVALID_ARGUMENT', `attach was already called on this ${this.name} netlayer`);
    assertNonEmptyString(binding?.designator, 'binding.designator');
    assertFunction(binding.onConnection, 'binding.onConnection');
    this.#binding = binding;
    return binding;
  }

  /** Throws `DISCONNECTED` once closed. */
  assertOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  /** The binding, or `DISCONNECTED` when closed or not attached (a dial needs both). */
  requireBinding(): NetlayerBinding {
    this.assertOpen();
    if (this.#binding === undefined) throw new CapmeshError('DISCONNECTED', `attach this ${this.name} netlayer to a vat before connecting`);
    return this.#binding;
  }

  /** A dial finished: tracks `connection` and returns it, or — when the netlayer closed meanwhile — closes it and throws `DISCONNECTED`. */
  adoptOutbound(connection: C): C {
    if (this.#closed) {
      connection.close('the netlayer is closed');
      throw this.#closedError();
    }
    this.#live.add(connection);
    return connection;
  }

  /** An inbound connection is ready: tracks it and hands it to the vat (see the class comment); closed at once if the netlayer is. */
  adoptInbound(connection: C): void {
    if (this.#closed || this.#binding === undefined) {
      connection.close('the netlayer is closed');
      return;
    }
    this.#live.add(connection);
    try {
      this.#binding.onConnection(connection);
    } catch (error) {
      connection.close(`the vat refused the connection: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The connection ended: stop tracking it. Idempotent. */
  forget(connection: C): void {
    this.#live.delete(connection);
  }

  /** Closes for good. Returns the connections still tracked for the caller to close, or undefined when it was already closed. */
  shutDown(): C[] | undefined {
    if (this.#closed) return undefined;
    this.#closed = true;
    return [...this.#live];
  }

  #closedError(): CapmeshError {
    return new CapmeshError('DISCONNECTED', `this ${this.name} netlayer is closed`);
  }
}
