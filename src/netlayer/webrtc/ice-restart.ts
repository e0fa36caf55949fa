import { equalBytes } from '../../util/bytes.js';
import type { DataChannelConnection } from './datachannel-connection.js';
import type { SignedSdp } from './signals.js';
import type { ToBroker } from './broker-protocol.js';

/** A direct connection that is up, with what an ICE restart needs to know about it. */
export interface LiveDirect {
  /** The broker's id for its peer connection. */
  readonly id: number;
  /** The other vat's designator. */
  readonly peer: string;
  /** The dial it was made by: restarts name it, so each side finds the same connection. */
  readonly dialId: Uint8Array;
  /** True on the side that made the first offer; that side also offers the restarts. */
  readonly offerer: boolean;
  readonly connection: DataChannelConnection;
  /** `sentAt` of the peer's description that made the connection; each restart description must be later. */
  readonly remoteSentAt: number;
}

export interface IceRestartDeps {
  post(message: ToBroker): void;
  /** Sends a signed description to `to` through the relay, as a signal of `kind`. */
  signal(to: string, kind: string, sdp: Omit<SignedSdp, 'from' | 'sentAt'>): void;
  /** How long a restart may take before the connection is given up. */
  readonly timeoutMs: number;
  readonly log: { debug(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
}

export const REOFFER = 'rtc-reoffer';
export const REANSWER = 'rtc-reanswer';

interface Tracked extends LiveDirect {
  restarting: ReturnType<typeof setTimeout> | undefined;
  /** The latest `sentAt` applied from the peer: a restart description not later than it is a replay. */
  lastRemoteSentAt: number;
}

/**
 * ICE restarts for direct connections that are up. When the peer connection
 * reports `disconnected` or `failed`, the side that made the first offer asks
 * its broker for an ICE-restart offer and sends it, signed like any
 * description, as `rtc-reoffer`; the other side answers with `rtc-reanswer`.
 * The data channel (and the CapTP session on it) carries on across the
 * restart. If the connection is not `connected` again within `timeoutMs`, it
 * is closed: the session ends, its references break with `DISCONNECTED`, and
 * the next `enliven` dials afresh. That is also how a peer whose tab closed is
 * noticed. A restart description is applied only when its `sentAt` is later
 * than every description applied from that peer on the connection (the
 * netlayer has checked its signature and window), so a replayed one is
 * ignored.
 */
export class IceRestarts {
  private readonly live = new Map<number, Tracked>();

  constructor(private readonly deps: IceRestartDeps) {}

  track(direct: LiveDirect): void {
    this.live.set(direct.id, { ...direct, restarting: undefined, lastRemoteSentAt: direct.remoteSentAt });
  }

  forget(id: number): void {
    const t = this.live.get(id);
    if (t?.restarting !== undefined) clearTimeout(t.restarting);
    this.live.delete(id);
  }

  /** The broker reported a state for `id`. Returns false when `id` is not a live connection. */
  onState(id: number, state: string): boolean {
    const t = this.live.get(id);
    if (!t) return false;
    if (state === 'connected') {
      if (t.restarting !== undefined) {
        clearTimeout(t.restarting);
        t.restarting = undefined;
        this.deps.log.debug('ICE restart brought the direct path back', { peer: t.peer.slice(0, 12) });
      }
    } else if (state === 'disconnected' || state === 'failed') {
      this.begin(t);
      if (t.offerer) this.deps.post({ type: 'restart', id });
    } else if (state === 'closed') {
      this.giveUp(t, 'the peer connection closed');
    }
    return true;
  }

  /** The broker produced a local description for a live `id` (our restart offer, or our answer to theirs). */
  onLocal(id: number, sdp: string): boolean {
    const t = this.live.get(id);
    if (!t) return false;
    const role = t.offerer ? 'offer' : 'answer';
    this.deps.signal(t.peer, t.offerer ? REOFFER : REANSWER, { role, to: t.peer, dialId: t.dialId, sdp });
    return true;
  }

  /** A checked restart description arrived from `from`. */
  onSignal(kind: string, from: string, opened: SignedSdp): void {
    for (const t of this.live.values()) {
      if (t.peer !== from || !equalBytes(t.dialId, opened.dialId)) continue;
      if (opened.sentAt <= t.lastRemoteSentAt) {
        this.deps.log.debug('ignored a replayed restart description', { peer: t.peer.slice(0, 12) });
        return;
      }
      if ((kind === REOFFER && !t.offerer) || (kind === REANSWER && t.offerer)) t.lastRemoteSentAt = opened.sentAt;
      if (kind === REOFFER && !t.offerer) {
        this.begin(t);
        this.deps.post({ type: 'reaccept', id: t.id, sdp: opened.sdp });
      } else if (kind === REANSWER && t.offerer) {
        this.deps.post({ type: 'remote', id: t.id, sdp: opened.sdp });
      }
      return;
    }
  }

  private begin(t: Tracked): void {
    if (t.restarting !== undefined) return;
    this.deps.log.debug('direct path interrupted; restarting ICE', { peer: t.peer.slice(0, 12) });
    t.restarting = setTimeout(() => this.giveUp(t, `the direct path did not come back within ${this.deps.timeoutMs} ms`), this.deps.timeoutMs);
  }

  private giveUp(t: Tracked, why: string): void {
    this.forget(t.id);
    this.deps.log.warn('direct path lost', { peer: t.peer.slice(0, 12), why });
    t.connection.close(why);
  }
}
