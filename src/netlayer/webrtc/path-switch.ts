import { CapmeshError, type CapmeshErrorCode } from '../../util/errors.js';
import { ConnectionInbox } from '../connection-inbox.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';

/**
 * Live path switching: one OCapN connection carried by one or more *legs*
 * (a relay circuit, a WebRTC data channel) between the same two vats, moving
 * from one to another without the session above noticing — no message lost,
 * duplicated or reordered.
 *
 * ## Protocol
 *
 * Every data message of a direction has an implicit sequence number: the
 * count of data messages that direction sent before it, over all legs, from
 * the connection's start. Data messages travel on a leg unchanged (the
 * netlayer never decodes CapTP); next to them go *control messages*, out of
 * band in the leg's own framing (relay end-to-end record flag 2, data channel
 * header 3), so they can never be mistaken for data:
 *
 *   control = kind (1 byte) ‖ n (8 bytes, big-endian unsigned, ≤ 2^53 − 1)
 *   kind 1  ack(n)    I have delivered your messages 0 … n−1.
 *   kind 2  start(n)  The next data message on this leg, from me, is number n
 *                     (the ones after it follow in order: n+1, n+2, …).
 *   kind 4  bye(0)    I am closing this connection on purpose (sent on every
 *                     leg by `close` once switchable, before the legs close):
 *                     the receiver ends the connection at once, kind `remote`.
 *   (kind 3 is the join that names a connection: webrtc/path-join.ts.)
 *
 * - *Plain mode.* A connection starts on its first leg with no controls at
 *   all: its data messages are numbered from 0 on that leg implicitly. This is
 *   all a peer that does not switch (a Node vat on the relay transport) ever
 *   sees; nothing here sends it a control.
 * - *Switchable.* Once a second leg is attached (the netlayer attaches a
 *   direct data channel opened *for this connection*, signed by the same
 *   designator), or the peer sends a control, each side keeps every data
 *   message it sends from then on until the peer acknowledges it, and
 *   acknowledges what it delivers (`ack` after `ackEvery` messages, or
 *   `ackDelayMs` after the first unacknowledged one).
 * - *Switching* the sending direction to leg L: send `ack(delivered)` and
 *   `start(first kept)` on L, then every kept message again, then new ones.
 *   Each side switches on its own: to a newly attached direct leg at once,
 *   and to another open leg (the relay circuit stays open as a standby) when
 *   its current leg closes.
 * - *Receiving:* a data message whose number is below what was delivered is a
 *   duplicate and dropped; the next one is delivered (then any held ones that
 *   follow); a later one (the old leg still has earlier ones in flight) is
 *   held until the gap fills. Data on a leg before its `start` (other than
 *   the first leg's plain stream) is `PROTOCOL`.
 * - Messages sent in plain mode are not kept (no one would acknowledge
 *   them): they arrive over the first leg, which stays open. If that leg
 *   closes before everything the peer sent on it arrived (before the peer's
 *   first `start`), the connection ends.
 *
 * ## Limits (options; over one the connection closes with the code named)
 * - `maxUnackedBytes` (default 32 MiB): data bytes kept for retransmission,
 *   not yet acknowledged — `LIMIT`. The connection closes rather than grow.
 * - `maxHeldBytes` (default 32 MiB): data bytes held waiting for a gap — `LIMIT`.
 * - `maxGap` (default 65 536): how far beyond what was delivered a `start`
 *   may claim — `PROTOCOL`; so is an `ack` for messages never sent, and any
 *   malformed control.
 *
 * ## Resumable connections (born on a direct path)
 * With `resumable`, the connection is switchable from its first message: both
 * ends keep what they send until acknowledged and acknowledge from the start
 * (both ends of a data channel are capmesh browser vats), so any later leg can
 * resume the stream with `start(n)`. With `awaitPathMs`, losing the last leg
 * to a *path failure* (a close of kind `error`, or `local` from the netlayer,
 * e.g. an ICE restart that gave up) does not end the connection: it calls
 * `onPathLost` (the netlayer then dials a relay circuit that joins it), keeps
 * what the session sends, and ends with `DISCONNECTED` when no leg was
 * attached within `awaitPathMs`. A *clean goodbye* — the peer's `bye`, sent
 * by its `close` — still ends it at once. A leg that closes without a `bye`
 * (even as kind `remote`: a peer connection torn down under the channel looks
 * like that) is a path failure.
 *
 * Ownership: the connection owns its legs (closing it closes them). Failure:
 * a leg closing moves the sending direction to another open leg (preferring
 * `webrtc`); with none left, or for a protocol fault, the connection ends and
 * the receiver's `closed` gets the reason (the last leg's, or the fault's
 * code). `path` says which leg carries what we send now.
 */

export type PathName = 'webrtc' | 'relay';

/** A connection that can also carry control messages (`RelayConnection`, `DataChannelConnection`). */
export interface PathLeg extends Connection {
  readonly path?: string;
  sendControl(bytes: Uint8Array): void;
}

export interface PathSwitchOptions {
  /** Data bytes kept unacknowledged for retransmission before the connection closes with `LIMIT`. Default 32 MiB. */
  readonly maxUnackedBytes?: number;
  /** Data bytes held waiting for earlier ones before the connection closes with `LIMIT`. Default 32 MiB. */
  readonly maxHeldBytes?: number;
  /** How many messages beyond what was delivered a peer's `start` may claim (`PROTOCOL` beyond). Default 65 536. */
  readonly maxGap?: number;
  /** Acknowledge after this many delivered messages. Default 64. */
  readonly ackEvery?: number;
  /** …or this long after the first unacknowledged one. Default 100 ms. */
  readonly ackDelayMs?: number;
  /** Called after the sending direction moved to a leg of another path. */
  readonly onPathChanged?: (from: PathName, to: PathName) => void;
  /**
   * Switchable from the start (both ends count and acknowledge from message 0),
   * so a leg attached later can resume the stream. Default false (plain mode).
   */
  readonly resumable?: boolean;
  /**
   * When set: after the last leg closed without the peer's `bye`, wait this
   * long for another leg (see `attach`) before ending with `DISCONNECTED`.
   * Default undefined: the connection ends with its last leg.
   */
  readonly awaitPathMs?: number;
  /** Called when the last leg failed and `awaitPathMs` is set, with that leg's close reason. */
  readonly onPathLost?: (reason: ConnectionCloseReason) => void;
  /** Called once, when the connection ended. */
  readonly onEnded?: () => void;
}

const ACK = 1;
const START = 2;
const BYE = 4;
const CONTROL_BYTES = 9;

/** Encodes a control message (exported for tests). */
export function encodeControl(kind: number, n: number): Uint8Array {
  const out = new Uint8Array(CONTROL_BYTES);
  const view = new DataView(out.buffer);
  out[0] = kind;
  view.setUint32(1, Math.floor(n / 2 ** 32));
  view.setUint32(5, n >>> 0);
  return out;
}

export const encodeAck = (n: number): Uint8Array => encodeControl(ACK, n);
export const encodeStart = (n: number): Uint8Array => encodeControl(START, n);
export const encodeBye = (): Uint8Array => encodeControl(BYE, 0);

interface LegState {
  readonly path: PathName;
  /** Number of the next data message arriving on this leg; undefined before its `start`. */
  inNext: number | undefined;
  /** The connection's first leg (its inbound data is numbered from 0 without a `start`). */
  readonly first: boolean;
}

export class PathSwitchingConnection implements Connection {
  readonly transport: string;
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  /** The first leg's proven designator; every attached leg must have proved the same one. */
  readonly provenDesignator: string | undefined;

  readonly #legs = new Map<PathLeg, LegState>();
  #current: PathLeg | undefined;
  #path: PathName;
  #switchable = false;
  readonly #inbox = new ConnectionInbox();
  #ended = false;
  #sent = 0;
  /** Kept for retransmission: numbers `#keptFrom …  #sent − 1`. */
  #kept: Uint8Array[] = [];
  #keptFrom = 0;
  #keptBytes = 0;
  #peerAcked = 0;
  #received = 0;
  #ackSent = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #held = new Map<number, Uint8Array>();
  #heldBytes = 0;
  /** The number in the peer's first `start`: messages below it were sent in plain mode and cannot be sent again. */
  #peerKeptFrom: number | undefined;
  readonly #maxUnacked: number;
  readonly #maxHeld: number;
  readonly #maxGap: number;
  readonly #ackEvery: number;
  readonly #ackDelayMs: number;
  #awaitTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    first: PathLeg,
    private readonly options: PathSwitchOptions = {},
  ) {
    this.transport = first.transport;
    this.outbound = first.outbound;
    this.remoteLocator = first.remoteLocator;
    this.provenDesignator = first.provenDesignator;
    this.#maxUnacked = options.maxUnackedBytes ?? 32 * 1024 * 1024;
    this.#maxHeld = options.maxHeldBytes ?? 32 * 1024 * 1024;
    this.#maxGap = options.maxGap ?? 65_536;
    this.#ackEvery = options.ackEvery ?? 64;
    this.#ackDelayMs = options.ackDelayMs ?? 100;
    this.#current = first;
    this.#path = pathOf(first);
    this.#add(first, true);
    if (options.resumable) {
      this.#makeSwitchable();
      this.#peerKeptFrom = 0;
    }
  }

  /** True while the connection has no leg and waits for one (`awaitPathMs`). */
  get awaitingPath(): boolean {
    return this.#awaitTimer !== undefined;
  }

  /**
   * Ends the connection with `code` (e.g. `DISCONNECTED` when the relay dial
   * meant to replace a failed path was refused). No-op once ended.
   */
  fail(code: CapmeshErrorCode, message: string): void {
    this.#fail(code, message);
  }

  /** The path of the leg that carries what we send now. */
  get path(): PathName {
    return this.#path;
  }

  /** True until the connection ended. */
  get isOpen(): boolean {
    return !this.#ended;
  }

  /** Open legs, by path (for tests and diagnostics). */
  get legPaths(): PathName[] {
    return [...this.#legs.values()].map((l) => l.path);
  }

  /** Data bytes kept unacknowledged. */
  get unackedBytes(): number {
    return this.#keptBytes;
  }

  /**
   * Attaches another leg to the same peer (a direct data channel opened for
   * this connection). Makes the connection switchable; a `webrtc` leg becomes
   * the sending leg at once, and so does any leg when `use` is true or when
   * the connection has no sending leg (it waits for a path: `awaitPathMs`).
   * Throws `IDENTITY_MISMATCH` when the leg proved another designator; closes
   * the leg when the connection has ended.
   */
  attach(leg: PathLeg, use = false): void {
    if (this.#ended) {
      leg.close('the connection has ended');
      return;
    }
    if (leg.provenDesignator === undefined || leg.provenDesignator !== this.provenDesignator) {
      leg.close('another designator');
      throw new CapmeshError('IDENTITY_MISMATCH', 'a path for this connection proved another designator');
    }
    this.#makeSwitchable();
    this.#add(leg, false);
    if (this.#awaitTimer !== undefined) {
      clearTimeout(this.#awaitTimer);
      this.#awaitTimer = undefined;
    }
    if (use || this.#current === undefined || (pathOf(leg) === 'webrtc' && pathOf(this.#current) !== 'webrtc')) this.#use(leg);
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver);
  }

  send(bytes: Uint8Array): void {
    if (this.#ended) return;
    this.#sent++;
    if (this.#switchable) {
      this.#kept.push(bytes);
      this.#keptBytes += bytes.length;
      if (this.#keptBytes > this.#maxUnacked) {
        this.#fail('LIMIT', `more than ${this.#maxUnacked} bytes sent and not acknowledged (maxUnackedBytes)`);
        return;
      }
    }
    this.#current?.send(bytes);
  }

  /** The current leg's backlog (see `Connection.bufferedBytes`); `drained` comes from the current leg. */
  bufferedBytes(): number {
    return this.#current?.bufferedBytes?.() ?? 0;
  }

  /** Ends the connection; once switchable, first tells the peer with a `bye` on every leg (a goodbye, not a path failure). */
  close(reason = 'closed'): void {
    if (this.#ended) return;
    if (this.#switchable) for (const leg of this.#legs.keys()) leg.sendControl(encodeBye());
    this.#end({ kind: 'local', message: reason }, reason);
  }

  #add(leg: PathLeg, first: boolean): void {
    const state: LegState = { path: pathOf(leg), inNext: first ? 0 : undefined, first };
    this.#legs.set(leg, state);
    leg.setReceiver({
      message: (bytes) => this.#onData(leg, state, bytes),
      control: (bytes) => this.#onControl(leg, state, bytes),
      closed: (reason) => this.#onLegClosed(leg, state, reason),
      drained: () => {
        if (leg === this.#current) this.#inbox.drained();
      },
    });
  }

  #makeSwitchable(): void {
    if (this.#switchable) return;
    this.#switchable = true;
    this.#keptFrom = this.#sent;
  }

  /** Moves the sending direction to `leg`: ack, start, then every kept message again. */
  #use(leg: PathLeg): void {
    const from = this.#path;
    this.#current = leg;
    this.#path = pathOf(leg);
    leg.sendControl(encodeAck(this.#received));
    this.#ackSent = this.#received;
    leg.sendControl(encodeStart(this.#keptFrom));
    for (const bytes of this.#kept) leg.send(bytes);
    const to = pathOf(leg);
    if (from !== to) {
      try {
        this.options.onPathChanged?.(from, to);
      } catch {
        // a listener's fault is not the connection's
      }
    }
  }

  #onData(leg: PathLeg, state: LegState, bytes: Uint8Array): void {
    if (this.#ended || !this.#legs.has(leg)) return;
    if (state.inNext === undefined) {
      this.#fail('PROTOCOL', 'a message arrived on a new path before its start');
      return;
    }
    const n = state.inNext++;
    if (n < this.#received) return; // sent again after a switch: already delivered
    if (n > this.#received) {
      if (this.#held.has(n)) return;
      this.#held.set(n, bytes);
      this.#heldBytes += bytes.length;
      if (this.#heldBytes > this.#maxHeld) this.#fail('LIMIT', `more than ${this.#maxHeld} bytes held waiting for earlier messages (maxHeldBytes)`);
      return;
    }
    this.#deliver(bytes);
    for (let next = this.#held.get(this.#received); next !== undefined; next = this.#held.get(this.#received)) {
      this.#held.delete(this.#received);
      this.#heldBytes -= next.length;
      this.#deliver(next);
    }
    this.#inbox.deliver();
    this.#scheduleAck();
  }

  #deliver(bytes: Uint8Array): void {
    this.#received++;
    this.#inbox.push(bytes);
  }

  #scheduleAck(): void {
    if (!this.#switchable || this.#ended || this.#received === this.#ackSent) return;
    if (this.#received - this.#ackSent >= this.#ackEvery) {
      this.#sendAck();
      return;
    }
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      this.#sendAck();
    }, this.#ackDelayMs);
  }

  #sendAck(): void {
    if (this.#ended || !this.#current || this.#received === this.#ackSent) return;
    this.#ackSent = this.#received;
    this.#current.sendControl(encodeAck(this.#received));
  }

  #onControl(leg: PathLeg, state: LegState, bytes: Uint8Array): void {
    if (this.#ended || !this.#legs.has(leg)) return;
    if (bytes.length !== CONTROL_BYTES || (bytes[0] !== ACK && bytes[0] !== START && bytes[0] !== BYE)) {
      this.#fail('PROTOCOL', 'a malformed path control message');
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getUint32(1) * 2 ** 32 + view.getUint32(5);
    if (!Number.isSafeInteger(n)) {
      this.#fail('PROTOCOL', 'a path control message with an impossible number');
      return;
    }
    if (bytes[0] === BYE) {
      this.#end({ kind: 'remote', message: 'the peer closed the connection' }, 'the peer closed the connection');
      return;
    }
    // A control proves the peer switches paths: keep what we send from now on.
    const wasSwitchable = this.#switchable;
    this.#makeSwitchable();
    if (bytes[0] === ACK) {
      if (n > this.#sent) {
        this.#fail('PROTOCOL', `the peer acknowledged ${n} messages; ${this.#sent} were sent`);
        return;
      }
      if (n <= this.#peerAcked) return; // an older acknowledgement, from a leg that lagged
      this.#peerAcked = n;
      // Kept messages are numbered #keptFrom … #sent − 1; an ack below #keptFrom covers plain-mode ones only.
      while (this.#keptFrom < n && this.#kept.length > 0) {
        this.#keptBytes -= this.#kept.shift()!.length;
        this.#keptFrom++;
      }
      return;
    }
    if (n > this.#received + this.#maxGap) {
      this.#fail('PROTOCOL', `a path start claims message ${n}; ${this.#received} were delivered (maxGap ${this.#maxGap})`);
      return;
    }
    state.inNext = n;
    this.#peerKeptFrom ??= n;
    if (!wasSwitchable) this.#scheduleAck();
  }

  #onLegClosed(leg: PathLeg, state: LegState, reason: ConnectionCloseReason): void {
    if (this.#ended || !this.#legs.has(leg)) return;
    this.#legs.delete(leg);
    if (state.first && (!this.#switchable || this.#peerKeptFrom === undefined || this.#received < this.#peerKeptFrom)) {
      // What the peer sent in plain mode may be lost with this leg: nothing can send it again.
      const lost = this.#switchable;
      const why: ConnectionCloseReason = lost
        ? { kind: 'error', code: 'DISCONNECTED', message: `the first path closed before all it carried arrived: ${reason.message}` }
        : plain(reason);
      this.#end(why, reason.message);
      return;
    }
    if (leg !== this.#current) return;
    const next = [...this.#legs.keys()].sort((a, b) => rank(b) - rank(a))[0];
    if (next === undefined) {
      if (this.options.awaitPathMs !== undefined) {
        this.#awaitPath(reason);
        return;
      }
      this.#end(plain(reason), reason.message);
      return;
    }
    this.#use(next);
  }

  /** No leg left after a path failure: keep what is sent, ask for another leg, end at the deadline. */
  #awaitPath(reason: ConnectionCloseReason): void {
    this.#current = undefined;
    const ms = this.options.awaitPathMs!;
    this.#awaitTimer = setTimeout(() => {
      this.#awaitTimer = undefined;
      this.#fail('DISCONNECTED', `no path came back within ${ms} ms (awaitPathMs) after: ${reason.message}`);
    }, ms);
    try {
      this.options.onPathLost?.(reason);
    } catch {
      // a listener's fault is not the connection's
    }
  }

  #fail(code: CapmeshErrorCode, message: string): void {
    this.#end({ kind: 'error', code, message }, `${code}: ${message}`);
  }

  #end(reason: ConnectionCloseReason, legReason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#ackTimer);
    clearTimeout(this.#awaitTimer);
    this.#awaitTimer = undefined;
    const legs = [...this.#legs.keys()];
    this.#legs.clear();
    this.#current = undefined;
    this.#kept = [];
    this.#held.clear();
    for (const leg of legs) leg.close(legReason);
    this.#inbox.end(reason);
    this.#inbox.schedule();
    try {
      this.options.onEnded?.();
    } catch {
      // a listener's fault is not the connection's
    }
  }
}

/** A leg's close reason without `canSend`: the notice is handed over later, when the leg can no longer send. */
function plain(reason: ConnectionCloseReason): ConnectionCloseReason {
  return reason.code === undefined ? { kind: reason.kind, message: reason.message } : { kind: reason.kind, message: reason.message, code: reason.code };
}

function pathOf(leg: PathLeg | undefined): PathName {
  return leg?.path === 'webrtc' ? 'webrtc' : 'relay';
}

function rank(leg: PathLeg): number {
  return pathOf(leg) === 'webrtc' ? 1 : 0;
}
