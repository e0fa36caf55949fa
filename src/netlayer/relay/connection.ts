import { CapmeshError, isCapmeshError } from '../../util/errors.js';
import { assertBytes } from '../../util/assert.js';
import { ConnectionInbox } from '../connection-inbox.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import type { RelayCircuit } from './circuit.js';
import type { E2eChannel, E2eControl, E2eRecord } from './e2e.js';
import { E2E_MAX_CONTROL_BYTES } from './e2e-limits.js';

/**
 * A `Connection` carried by a relay circuit inside the end-to-end channel
 * (`relay/e2e.ts`). Made only by `dialOverCircuit` / `acceptOverCircuit`,
 * which resolve once the handshake has authenticated the peer's designator.
 *
 * Sending: the messages of one turn are sealed together on a microtask (one
 * frame for a CapTP message and the GC ops that follow it), in order; `close`
 * sends what is pending first.
 *
 * Contract (as the memory netlayer's): messages are delivered in order,
 * each once; what arrives before `setReceiver` is queued and handed over on a
 * microtask after it; `send` and `close` never call the receiver in their own
 * call stack; `closed` comes once, last.
 *
 * Failure: a frame that does not open (replayed, reordered, dropped,
 * modified) closes the connection at once — the bad frame and everything
 * after it are never delivered — with `closed({ kind: 'error', message:
 * '<CODE>: …' })`; `closeError` keeps the `CapmeshError` (`E2E_REPLAY`,
 * `E2E_TAMPERED`, `LIMIT`, `E2E_HANDSHAKE`). The circuit is closed so the
 * peer's side ends too.
 */
export class RelayConnection implements Connection {
  readonly transport: string;
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /** The peer's designator, proven by the handshake signature. */
  readonly peer: string;
  /** Both ways: `peer`, which the end-to-end handshake proved (each side signs the transcript with its designator key). */
  readonly provenDesignator: string;

  readonly #circuit: RelayCircuit;
  readonly #channel: E2eChannel;
  /** Messages sent in the current turn, sealed together on a microtask. */
  #outbox: (Uint8Array | E2eControl)[] = [];
  readonly #inbox = new ConnectionInbox();
  #open = true;
  #closeError: CapmeshError | undefined;
  readonly #onEnded: (connection: RelayConnection) => void;

  /** @internal Built by the dial/accept helpers (circuit-handshake.ts) once the handshake is done. */
  constructor(init: {
    transport: string;
    outbound: boolean;
    remoteLocator: PeerLocator | undefined;
    peer: string;
    circuit: RelayCircuit;
    channel: E2eChannel;
    onEnded: (connection: RelayConnection) => void;
  }) {
    this.transport = init.transport;
    this.outbound = init.outbound;
    this.remoteLocator = init.remoteLocator;
    this.peer = init.peer;
    this.provenDesignator = init.peer;
    this.#circuit = init.circuit;
    this.#channel = init.channel;
    this.#onEnded = init.onEnded;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Why the connection failed, when it failed (not set for an orderly close). */
  get closeError(): CapmeshError | undefined {
    return this.#closeError;
  }

  /** The relay's id of the circuit under this connection. */
  get circuitId(): number {
    return this.#circuit.id;
  }

  /** Frames sealed and opened so far. */
  get counters(): { readonly sent: number; readonly received: number } {
    return this.#channel.counters;
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver);
  }

  send(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if (!this.#open) return;
    this.#outbox.push(bytes);
    // Two microtask hops: whatever the session sends in this turn, and in work it schedules
    // right after, shares one sealed frame.
    if (this.#outbox.length === 1) queueMicrotask(() => queueMicrotask(() => this.#sendOutbox()));
  }

  /**
   * Sends a netlayer control message (path switching, `webrtc/path-switch.ts`), in
   * order with the messages sent around it; the peer's receiver gets it as
   * `control`. At most `E2E_MAX_CONTROL_BYTES`. A no-op once closed.
   */
  sendControl(bytes: Uint8Array): void {
    assertBytes(bytes, 'bytes');
    if (bytes.length > E2E_MAX_CONTROL_BYTES) throw new CapmeshError('INVALID_ARGUMENT', `a control message is limited to ${E2E_MAX_CONTROL_BYTES} bytes`);
    if (!this.#open) return;
    this.#outbox.push({ control: bytes });
    if (this.#outbox.length === 1) queueMicrotask(() => queueMicrotask(() => this.#sendOutbox()));
  }

  /** Seals what was sent in this turn into as few frames as fit, and sends them. */
  #sendOutbox(): void {
    if (this.#outbox.length === 0) return;
    const batch = this.#outbox;
    this.#outbox = [];
    for (const frame of this.#channel.seal(batch)) this.#circuit.send(frame);
  }

  close(reason?: string): void {
    if (!this.#open) return;
    const message = reason ?? 'connection closed locally';
    this.#sendOutbox(); // What was sent before close (an op:abort, say) still goes out.
    this.#circuit.close(message);
    this.#finish({ kind: 'local', message }, true);
  }

  /** @internal A frame from the circuit (after the handshake). */
  frame(frame: Uint8Array): void {
    if (!this.#open) return;
    let messages: E2eRecord[];
    try {
      messages = this.#channel.openRecords(frame);
    } catch (error) {
      this.#fail(error);
      return;
    }
    for (const m of messages) {
      if (m.control) this.#inbox.pushControl(m.bytes);
      else this.#inbox.push(m.bytes);
    }
    if (messages.length > 0) this.#inbox.deliver();
  }

  /** @internal The circuit ended from outside. */
  ended(reason: string, kind: 'remote' | 'error'): void {
    if (!this.#open) return;
    this.#finish({ kind, message: reason }, false);
    this.#inbox.deliver();
  }

  #fail(error: unknown): void {
    const e = isCapmeshError(error) ? error : new CapmeshError('INTERNAL', 'failed to open a frame', { cause: error });
    this.#closeError = e;
    // The circuit's close reason (read by the peer) is "CODE: text"; locally the code travels apart from the text.
    this.#circuit.close(`${e.code}: ${e.message}`);
    this.#finish({ kind: 'error', message: e.message, code: e.code }, true);
    this.#inbox.deliver();
  }

  #finish(reason: ConnectionCloseReason, dropInbox: boolean): void {
    this.#open = false;
    this.#inbox.end(reason, dropInbox);
    this.#onEnded(this);
    this.#inbox.schedule();
  }
}
