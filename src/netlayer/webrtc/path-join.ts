import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import type { PathLeg } from './path-switch.js';

/**
 * Joining a relay circuit to a live connection that was born on a direct
 * path (see `PathSwitchingConnection`'s `resumable`). The dialler of the
 * direct path, when that path fails, opens a relay circuit to the same peer
 * and sends as its first control message
 *
 *   join = 3 (1 byte) ‖ connection id (16 bytes)
 *
 * where the connection id is the dial id of the signed offer and answer that
 * set up the direct path (random, 16 bytes, known to both ends). The circuit's
 * end-to-end handshake has already proved the dialler's designator, so the
 * answerer attaches the circuit only to *its* connection with that designator
 * and that id; a join naming anything else is refused (the circuit closes,
 * `PROTOCOL`), and nothing else is affected. `ack`/`start` follow on the
 * circuit as for any leg.
 */

export const JOIN = 3;
const JOIN_BYTES = 17;

/** Encodes a join control naming connection `id` (16 bytes). */
export function encodeJoin(id: Uint8Array): Uint8Array {
  if (id.length !== JOIN_BYTES - 1) throw new RangeError('a connection id has 16 bytes');
  const out = new Uint8Array(JOIN_BYTES);
  out[0] = JOIN;
  out.set(id, 1);
  return out;
}

/** The connection id in a join control, or undefined when `bytes` is not one. */
export function decodeJoin(bytes: Uint8Array): Uint8Array | undefined {
  return bytes.length === JOIN_BYTES && bytes[0] === JOIN ? bytes.slice(1) : undefined;
}

/** What the first thing to arrive on a circuit was: a join (with its connection id) or anything else. */
export interface FirstArrival {
  /** The connection id of a join; undefined when the first arrival was something else. */
  readonly join: Uint8Array | undefined;
  /** `leg` as a leg to hand on: a join is consumed, anything else reaches the next receiver set on it. */
  readonly leg: PathLeg;
}

/**
 * Waits for the first thing `leg` delivers (a message, a control, its close)
 * and reports it once through `onFirst`. Takes `leg`'s receiver for good: the
 * returned leg forwards everything, in order, to the receiver set on it
 * (arrivals before that are kept). Ownership stays with the caller.
 */
export function awaitFirstArrival(leg: PathLeg, onFirst: (first: FirstArrival) => void): void {
  const out = new ForwardingLeg(leg);
  let decided = false;
  const decide = (join: Uint8Array | undefined): void => {
    decided = true;
    onFirst({ join, leg: out });
  };
  leg.setReceiver({
    message: (bytes) => {
      out.forward((r) => r.message(bytes));
      if (!decided) decide(undefined);
    },
    control: (bytes) => {
      const join = decided ? undefined : decodeJoin(bytes);
      if (!join) out.forward((r) => r.control?.(bytes));
      if (!decided) decide(join);
    },
    closed: (reason: ConnectionCloseReason) => {
      out.forward((r) => r.closed(reason));
      if (!decided) decide(undefined);
    },
    drained: () => out.forward((r) => r.drained?.()),
    alive: () => out.forward((r) => r.alive?.()),
  });
}

/** `inner` with a receiver that may be set after arrivals began (they are kept until then, in order). */
class ForwardingLeg implements PathLeg {
  #receiver: ConnectionReceiver | undefined;
  readonly #kept: ((r: ConnectionReceiver) => void)[] = [];
  constructor(private readonly inner: PathLeg) {}
  forward(item: (r: ConnectionReceiver) => void): void {
    if (this.#receiver) item(this.#receiver);
    else this.#kept.push(item);
  }
  get transport(): string {
    return this.inner.transport;
  }
  get outbound(): boolean {
    return this.inner.outbound;
  }
  get remoteLocator(): Connection['remoteLocator'] {
    return this.inner.remoteLocator;
  }
  get provenDesignator(): string | undefined {
    return this.inner.provenDesignator;
  }
  get path(): string | undefined {
    return this.inner.path;
  }
  setReceiver(receiver: ConnectionReceiver): void {
    this.#receiver = receiver;
    for (const item of this.#kept.splice(0)) item(receiver);
  }
  send(bytes: Uint8Array): void {
    this.inner.send(bytes);
  }
  sendControl(bytes: Uint8Array): void {
    this.inner.sendControl(bytes);
  }
  bufferedBytes(): number {
    return this.inner.bufferedBytes?.() ?? 0;
  }
  close(reason?: string): void {
    this.inner.close(reason);
  }
}
