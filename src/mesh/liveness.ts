import { assert, assertInteger } from '../util/assert.js';

/**
 * Heartbeats for open sessions (`VatOptions.liveness`). Every message the
 * peer sends — and every transport-level pong — counts as a sign of life;
 * nothing is sent while the peer is talking anyway. After `intervalMs` of
 * silence the shell probes (and probes again every `intervalMs` while the
 * silence lasts); after `timeoutMs` of silence the session is aborted and
 * every promise that depended on it breaks with `DISCONNECTED`
 * (`detail.liveness === 'timeout'`).
 *
 * How a probe is made, per transport (the rule: never an op the peer may not
 * know, since Goblins and Endo abort on unknown ops):
 * - WebSocket connections whose socket is Node's `ws` (our listener's inbound
 *   sockets, and dials from Node): a WebSocket ping frame; the pong every
 *   RFC 6455 endpoint must send is the answer. No CapTP traffic at all.
 * - Every other transport (`tcp-testing-only`, browser-side WebSocket, relay
 *   circuits, WebRTC data channels, memory, port): a CapTP round trip with no
 *   side effects that every OCapN peer must answer: `op:deliver` to the
 *   peer's bootstrap object (export 0) asking it to `fetch` a fresh random
 *   32-byte swiss number, which it does not have, so it breaks our answer.
 *   Relay circuits need this too: the relay client's own pings prove only
 *   that the relay is there, not the vat at the other end of the circuit.
 *
 * A peer that is alive but busy longer than `timeoutMs - intervalMs` (its
 * event loop blocked) is indistinguishable from a frozen one and is cut.
 * Our own stalls do not count against the peer: time by which our timer
 * fired late (at least `intervalMs`) is not counted as silence, and before
 * the verdict input already waiting is let in (one macrotask).
 */
export interface LivenessOptions {
  /** Silence, in ms, before the first probe and between probes while it lasts. 0 turns liveness off. Default 15 000. */
  readonly intervalMs?: number;
  /** Silence, in ms, after which the session is aborted (`DISCONNECTED`). Must be larger than `intervalMs`. Default 45 000. */
  readonly timeoutMs?: number;
}

export const DEFAULT_LIVENESS: Readonly<Required<LivenessOptions>> = Object.freeze({ intervalMs: 15_000, timeoutMs: 45_000 });

/** Checks `options` and fills in the defaults; throws `INVALID_ARGUMENT` naming the bad field. */
export function livenessSettings(options: LivenessOptions | undefined): Readonly<Required<LivenessOptions>> {
  const intervalMs = options?.intervalMs ?? DEFAULT_LIVENESS.intervalMs;
  const timeoutMs = options?.timeoutMs ?? DEFAULT_LIVENESS.timeoutMs;
  assertInteger(intervalMs, 'liveness.intervalMs', 0);
  assertInteger(timeoutMs, 'liveness.timeoutMs', 1);
  assert(intervalMs === 0 || timeoutMs > intervalMs, 'liveness.timeoutMs', `more than liveness.intervalMs (${intervalMs})`, timeoutMs);
  return { intervalMs, timeoutMs };
}

export interface LivenessDeps {
  /** Sends one probe (see `LivenessOptions` for what each transport sends). */
  probe(): void;
  /** The peer was silent `silentMs` ≥ `timeoutMs`: end the session. Called once; the monitor is stopped first. */
  unresponsive(silentMs: number): void;
}

/**
 * One session's heartbeat timer. Ownership: the connection shell makes one
 * when its session opens, calls `heard()` for every message (and pong), and
 * `stop()` when it closes. One timer at a time, re-armed only when it fires
 * (a busy session costs a `Date.now()` per message, no timer churn).
 */
export class LivenessMonitor {
  #lastHeard = Date.now();
  #lastProbe = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer should fire: a later firing means our own event loop stalled. */
  #dueAt = 0;
  /** True while the verdict waits one macrotask for input already queued (see `#tick`). */
  #rechecking = false;
  #stopped = false;

  constructor(
    private readonly settings: Readonly<Required<LivenessOptions>>,
    private readonly deps: LivenessDeps,
  ) {
    if (settings.intervalMs > 0) this.#arm();
    else this.#stopped = true;
  }

  /** The peer showed life. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const { intervalMs, timeoutMs } = this.settings;
    const nextProbe = Math.max(this.#lastHeard, this.#lastProbe) + intervalMs;
    const due = Math.min(this.#lastHeard + timeoutMs, nextProbe);
    this.#dueAt = due;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - Date.now()));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = Date.now();
    // Our own stall is not the peer's silence: a timer that fires late excuses the delay.
    const late = now - this.#dueAt;
    if (late >= this.settings.intervalMs) this.#lastHeard = Math.min(now, this.#lastHeard + late);
    const silent = now - this.#lastHeard;
    if (silent >= this.settings.timeoutMs) {
      if (!this.#rechecking) {
        // Timers can run before input that is already waiting (Node runs timers before polling
        // sockets): look again after one macrotask, so a pong or message queued meanwhile counts.
        this.#rechecking = true;
        this.#dueAt = now;
        this.#timer = setTimeout(() => this.#tick(), 0);
        (this.#timer as { unref?: () => void }).unref?.();
        return;
      }
      this.stop();
      this.deps.unresponsive(silent);
      return;
    }
    this.#rechecking = false;
    if (silent >= this.settings.intervalMs && now - this.#lastProbe >= this.settings.intervalMs) {
      this.#lastProbe = now;
      this.deps.probe();
    }
    if (!this.#stopped) this.#arm();
  }
}
