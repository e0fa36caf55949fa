import { isCapmeshError } from '../../util/errors.js';
import type { IceCandidate, ToBroker } from './broker-protocol.js';
import { encodeCandidate, openCandidate } from './signals.js';

/** The signal kind of a trickled ICE candidate (see `encodeCandidate`). */
export const CANDIDATE = 'rtc-candidate';

/** The candidate limits (`OfferLimits.maxCandidatesPerConnection`, `maxCandidateBytes`), resolved. */
export interface CandidateLimits {
  readonly maxCandidatesPerConnection: number;
  readonly maxCandidateBytes: number;
}

/** A candidate signal dropped while its sender had a peer connection being set up with us. */
export interface CandidateRefusal {
  readonly peer: string;
  /** `CANDIDATE_REFUSED` (over a limit) or `PROTOCOL` (not a candidate signal). */
  readonly code: 'CANDIDATE_REFUSED' | 'PROTOCOL';
  readonly limit?: 'maxCandidatesPerConnection' | 'maxCandidateBytes';
  readonly message: string;
}

export interface TrickleDeps {
  /** To the page's broker. */
  post(message: ToBroker): void;
  /** Sends a candidate signal to `to` through the relay, after every description and candidate sent before it. */
  send(to: string, kind: string, payload: Uint8Array): void;
  /** A refusal (see `CandidateRefusal`): at most one per peer connection being set up. */
  refused(r: CandidateRefusal): void;
  readonly limits: CandidateLimits;
}

interface Entry {
  readonly id: number;
  readonly peer: string;
  readonly dialId: Uint8Array;
  readonly key: string;
  /** Our description for it was handed to `send`: our candidates may follow it. */
  described: boolean;
  /** Its remote description was posted to the broker: the peer's candidates may follow it. */
  remoteApplied: boolean;
  readonly out: IceCandidate[];
  readonly in: IceCandidate[];
  /** Our candidates sent or held, the peer's taken: each bounded by `maxCandidatesPerConnection`. */
  sent: number;
  received: number;
  /** A refusal was reported for it (one is enough: the rest are counted by nobody). */
  reported: boolean;
}

/**
 * Trickle ICE for the peer connections being set up (a dial of ours, an offer
 * we answer), between the page's broker and the peer through the relay, in
 * both directions, in order: our candidates go out only after our signed
 * description for that dial, and the peer's reach the broker only after the
 * remote description (each side holds what comes early). Once the channel is
 * open (or the setup failed) the netlayer calls `end` and later candidates
 * are dropped: the connection no longer needs them, and ICE restarts exchange
 * whole descriptions.
 *
 * What a peer (or the relay) can make us hold: for each peer connection being
 * set up, at most `maxCandidatesPerConnection` candidates of at most
 * `maxCandidateBytes` each (the end-of-candidates marker counts as one);
 * a candidate signal over either limit, or for no dial of its sender being
 * set up, is dropped, before it is decoded when it is too long. The number of
 * peer connections being set up is itself bounded by the offer limits.
 */
export class Trickle {
  private readonly byId = new Map<number, Entry>();
  private readonly byKey = new Map<string, Entry>();

  constructor(private readonly deps: TrickleDeps) {}

  /** Starts routing candidates for broker id `id`, the dial `dialId` with `peer`. */
  begin(id: number, peer: string, dialId: Uint8Array): void {
    const key = `${peer}/${hex(dialId)}`;
    const e: Entry = { id, peer, dialId, key, described: false, remoteApplied: false, out: [], in: [], sent: 0, received: 0, reported: false };
    this.byId.set(id, e);
    this.byKey.set(key, e);
  }

  /** Our description for `id` was just handed to `send`: sends the candidates held for it. */
  described(id: number): void {
    const e = this.byId.get(id);
    if (!e || e.described) return;
    e.described = true;
    for (const c of e.out.splice(0)) this.sendOne(e, c);
  }

  /** `id`'s remote description was just posted to the broker: posts the peer's candidates held for it. */
  remoteApplied(id: number): void {
    const e = this.byId.get(id);
    if (!e || e.remoteApplied) return;
    e.remoteApplied = true;
    for (const candidate of e.in.splice(0)) this.deps.post({ type: 'candidate', id, candidate });
  }

  /** The broker gathered `candidate` for `id` (ignored when `id` is not being set up). */
  local(id: number, candidate: IceCandidate): void {
    const e = this.byId.get(id);
    if (!e || e.sent >= this.deps.limits.maxCandidatesPerConnection) return;
    e.sent++;
    if (e.described) this.sendOne(e, candidate);
    else e.out.push(candidate);
  }

  /** A candidate signal from `from` (the sender the relay names). */
  receive(from: string, payload: Uint8Array): void {
    let signal;
    try {
      signal = openCandidate(payload, this.deps.limits.maxCandidateBytes);
    } catch (err) {
      // Reported only when the sender has a dial with us being set up (else nothing of ours is at stake).
      const e = [...this.byId.values()].find((x) => x.peer === from);
      if (!e) return;
      const code = isCapmeshError(err) && err.code === 'CANDIDATE_REFUSED' ? 'CANDIDATE_REFUSED' : 'PROTOCOL';
      this.report(e, { peer: from, code, ...(code === 'CANDIDATE_REFUSED' ? { limit: 'maxCandidateBytes' as const } : {}), message: err instanceof Error ? err.message : String(err) });
      return;
    }
    const e = this.byKey.get(`${from}/${hex(signal.dialId)}`);
    if (!e) return;
    if (e.received >= this.deps.limits.maxCandidatesPerConnection) {
      const message = `more than ${this.deps.limits.maxCandidatesPerConnection} ICE candidates for one peer connection`;
      this.report(e, { peer: from, code: 'CANDIDATE_REFUSED', limit: 'maxCandidatesPerConnection', message });
      return;
    }
    e.received++;
    const candidate: IceCandidate = { candidate: signal.candidate, sdpMid: signal.sdpMid, sdpMLineIndex: signal.sdpMLineIndex };
    if (e.remoteApplied) this.deps.post({ type: 'candidate', id: e.id, candidate });
    else e.in.push(candidate);
  }

  /** Stops routing for `id` (its channel opened, or its setup ended); idempotent. */
  end(id: number): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
  }

  /** Peer connections being set up whose candidates are routed (for tests and stats). */
  get size(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byId.clear();
    this.byKey.clear();
  }

  private sendOne(e: Entry, c: IceCandidate): void {
    this.deps.send(e.peer, CANDIDATE, encodeCandidate({ dialId: e.dialId, candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }));
  }

  private report(e: Entry, r: CandidateRefusal): void {
    if (e.reported) return;
    e.reported = true;
    this.deps.refused(r);
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
