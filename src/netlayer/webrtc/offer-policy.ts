import { CapmeshError } from '../../util/errors.js';
import { TokenBucket } from '../../util/token-bucket.js';

/**
 * Limits on what other vats may make a browser tab do with WebRTC offers.
 * Anyone who knows a designator can send it signed offers through the relay;
 * each accepted offer costs the tab an `RTCPeerConnection` and its answer
 * reveals the tab's ICE candidates (its addresses). Every limit here is
 * checked in the worker before the broker is asked to build anything, so an
 * offer over a limit costs the tab a map lookup, is never answered, and is
 * reported through `WebRtcOptions.onRefused` with code `OFFER_REFUSED` and the
 * name of the limit.
 */
export interface OfferLimits {
  /**
   * `anyone` (default): answer any well-signed, fresh offer within the limits
   * below. `known`: answer only peers the vat already talks to: an open relay
   * connection to that designator, a direct connection or a dial of ours to it
   * (in progress or up), or `isKnownPeer(designator)` returning true; other
   * offers are dropped unanswered (`OFFER_REFUSED`, limit `answerPolicy`), and
   * those strangers reach the tab over the relay path only, after their dial's
   * `timeoutMs`. `anyone` is the default because a first call between two tabs
   * always starts with an offer from a stranger (the sturdyref is all the caller
   * has), and the demo and the e2e stories expect such calls to go direct.
   */
  readonly answerPolicy?: 'anyone' | 'known';
  /** The allow-list of `answerPolicy: 'known'` (e.g. the vat's sessions). A throwing callback counts as false. */
  readonly isKnownPeer?: (designator: string) => boolean;
  /** Offers from one peer being answered at once (accepted, channel not yet open). Default 2. */
  readonly maxPendingOffersPerPeer?: number;
  /** Offers being answered at once, from everyone. Default 16. */
  readonly maxPendingOffers?: number;
  /** Peer connections with one peer (its offers being answered, our dials, live direct connections). Default 4. */
  readonly maxPeerConnectionsPerPeer?: number;
  /**
   * Peer connections in total. Default 64. Our own dials count too: a dial
   * over the limit takes the relay path (`LIMIT`), an offer over it is refused.
   */
  readonly maxPeerConnections?: number;
  /**
   * Offers and ICE-restart offers one peer may send, per minute: a token
   * bucket holding this many tokens, refilled continuously. Every offer the
   * answer policy lets through costs a token, even one then refused by a cap,
   * and the bucket is charged before the signature is checked: a flood costs
   * its sender's bucket, not anyone else's. Default 12.
   */
  readonly offersPerPeerPerMinute?: number;
  /**
   * Offers per minute from everyone (a token bucket, charged only for
   * offers that passed their sender's bucket and the caps): bounds signature
   * checks and peer connections when many designators flood at once. While
   * more than 1 024 senders have partly used buckets, offers from further new
   * senders are refused under this name too. Default 240.
   */
  readonly offersPerMinute?: number;
  /**
   * A signed description's `sentAt` must lie within this many milliseconds of
   * our clock, either way (clock skew): older or later ones are refused with
   * `OFFER_STALE`. An accepted offer's dial id is remembered until its
   * `sentAt + offerWindowMs`, so a replay within the window is refused with
   * `OFFER_REPLAYED`. Default 60 000.
   */
  readonly offerWindowMs?: number;
  /**
   * Dial ids remembered against replay. When full of ids still inside the
   * window, further offers are refused (`OFFER_REFUSED`, limit
   * `maxRememberedOffers`) rather than forgetting one. Default 4 096 (well
   * above `offersPerMinute` × 2 windows).
   */
  readonly maxRememberedOffers?: number;
  /**
   * Trickled ICE candidates taken from the peer for one peer connection being
   * set up (the end-of-candidates marker counts as one); later ones are
   * dropped, and the first of them is reported (`CANDIDATE_REFUSED`, this
   * limit). A browser gathers a handful (one per interface, protocol and
   * server); the default leaves room for many interfaces and TURN servers.
   * Default 32.
   */
  readonly maxCandidatesPerConnection?: number;
  /**
   * Largest trickled ICE candidate signal, in bytes (a candidate line is
   * about 100–250): a longer one is dropped before it is decoded, and
   * reported once per peer connection (`CANDIDATE_REFUSED`, this limit).
   * Default 1 024.
   */
  readonly maxCandidateBytes?: number;
}

/** The limits with their defaults filled in. */
export type ResolvedOfferLimits = Required<Omit<OfferLimits, 'isKnownPeer'>> & Pick<OfferLimits, 'isKnownPeer'>;

export const OFFER_LIMIT_DEFAULTS: ResolvedOfferLimits = Object.freeze({
  answerPolicy: 'anyone',
  maxPendingOffersPerPeer: 2,
  maxPendingOffers: 16,
  maxPeerConnectionsPerPeer: 4,
  maxPeerConnections: 64,
  offersPerPeerPerMinute: 12,
  offersPerMinute: 240,
  offerWindowMs: 60_000,
  maxRememberedOffers: 4_096,
  maxCandidatesPerConnection: 32,
  maxCandidateBytes: 1_024,
});

/** Checks and fills in `limits`; throws `INVALID_ARGUMENT` naming a bad one. */
export function resolveOfferLimits(limits: OfferLimits): ResolvedOfferLimits {
  const out = { ...OFFER_LIMIT_DEFAULTS } as { -readonly [K in keyof ResolvedOfferLimits]: ResolvedOfferLimits[K] };
  for (const key of Object.keys(OFFER_LIMIT_DEFAULTS) as (keyof ResolvedOfferLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (key === 'answerPolicy') {
      if (value !== 'anyone' && value !== 'known') throw new CapmeshError('INVALID_ARGUMENT', `answerPolicy is 'anyone' or 'known', got ${JSON.stringify(value)}`);
      out.answerPolicy = value;
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CapmeshError('INVALID_ARGUMENT', `${key} must be a finite number ≥ 0, got ${String(value)}`);
    } else {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  if (limits.isKnownPeer !== undefined) {
    if (typeof limits.isKnownPeer !== 'function') throw new CapmeshError('INVALID_ARGUMENT', 'isKnownPeer must be a function');
    out.isKnownPeer = limits.isKnownPeer;
  }
  return out;
}

/** Why an offer was refused before anything was built: the code and the limit that tripped. */
export interface OfferRefusal {
  readonly code: 'OFFER_REFUSED' | 'OFFER_STALE' | 'OFFER_REPLAYED';
  /** The option that tripped (`maxPendingOffersPerPeer`, `answerPolicy`, `offerWindowMs`, …). */
  readonly limit: keyof OfferLimits;
  readonly message: string;
}

/** A bucket of `n` offers a minute, full at `now` (the gate passes its time to every call). */
const perMinute = (n: number, now: number): TokenBucket => new TokenBucket(n / 60, n, () => now);

/**
 * Per-peer buckets kept: at this many, full ones (which carry no state) are
 * swept out; if none is full, a new sender is refused (`offersPerMinute`).
 */
const MAX_BUCKETS = 1_024;

interface PeerConnectionEntry {
  readonly peer: string;
  readonly inbound: boolean;
  live: boolean;
}

/**
 * The offer gate of one WebRTC netlayer: counts the peer connections the
 * broker holds (by id, with their peer and direction), the token buckets, and
 * the dial ids accepted within the window. Owned by the netlayer, which
 * registers every broker id it starts (`add`), marks it `live` once its
 * channel is open, and `remove`s it when it closes (idempotent).
 *
 * Order for an offer: `admit` (policy, counts, rates: cheap, before the
 * signature is checked) → the signature check (the caller) → `fresh`
 * (window, replay; remembers the dial id). Only then is the broker asked.
 */
export class OfferGate {
  readonly limits: ResolvedOfferLimits;
  private readonly entries = new Map<number, PeerConnectionEntry>();
  private readonly buckets = new Map<string, TokenBucket>();
  private total: TokenBucket | undefined;
  /** `from/dial-id hex` → when it leaves the window (ms). */
  private readonly seen = new Map<string, number>();

  constructor(
    limits: OfferLimits,
    /** Extra knowledge for `answerPolicy: 'known'` (open relay connections to the peer). */
    private readonly talksTo: (designator: string) => boolean,
  ) {
    this.limits = resolveOfferLimits(limits);
  }

  add(id: number, peer: string, inbound: boolean): void {
    this.entries.set(id, { peer, inbound, live: false });
  }

  opened(id: number): void {
    const e = this.entries.get(id);
    if (e) e.live = true;
  }

  remove(id: number): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Peer connections held now (pending either way, or live). */
  get peerConnections(): number {
    return this.entries.size;
  }

  /** True when we have a peer connection (a dial of ours, an answered offer, a live one) with `peer`. */
  hasPeerConnection(peer: string, which: 'outbound-pending' | 'live' | 'any' = 'any'): boolean {
    for (const e of this.entries.values()) {
      if (e.peer !== peer) continue;
      if (which === 'any' || (which === 'live' && e.live) || (which === 'outbound-pending' && !e.inbound && !e.live)) return true;
    }
    return false;
  }

  /** Whether we may start a dial to `peer` (our own peer connection), else the limit that stops it. */
  mayDial(peer: string): keyof OfferLimits | undefined {
    return this.overConnections(peer);
  }

  /**
   * The cheap checks for an offer from `from` (the sender the relay names),
   * before its signature is checked. Charges the rate buckets when it admits.
   */
  admit(from: string, now: number): OfferRefusal | undefined {
    const l = this.limits;
    if (l.answerPolicy === 'known' && !this.known(from)) return refusal('answerPolicy', 'an offer from a vat we do not talk to');
    const rate = this.charge(from, now);
    if (rate) return rate;
    let pendingFrom = 0;
    let pending = 0;
    for (const e of this.entries.values()) {
      if (!e.inbound || e.live) continue;
      pending++;
      if (e.peer === from) pendingFrom++;
    }
    if (pendingFrom >= l.maxPendingOffersPerPeer) return refusal('maxPendingOffersPerPeer', `${pendingFrom} offers from this peer are being answered`);
    if (pending >= l.maxPendingOffers) return refusal('maxPendingOffers', `${pending} offers are being answered`);
    const over = this.overConnections(from);
    if (over) return refusal(over, `too many peer connections (${over})`);
    this.total ??= perMinute(l.offersPerMinute, now);
    if (!this.total.take(now)) return refusal('offersPerMinute', `more than ${l.offersPerMinute} offers a minute`);
    return undefined;
  }

  /** Rate check for an ICE-restart offer from a live peer (its own bucket only). */
  admitRestart(from: string, now: number): OfferRefusal | undefined {
    return this.charge(from, now);
  }

  /**
   * The freshness checks of a signed description whose signature is good:
   * `sentAt` within the window, and (for offers, `dialId` given) a dial id
   * not seen within it, which is then remembered.
   */
  fresh(from: string, sentAt: number, now: number, dialIdHex?: string): OfferRefusal | undefined {
    const window = this.limits.offerWindowMs;
    if (!(Math.abs(now - sentAt) <= window)) {
      return { code: 'OFFER_STALE', limit: 'offerWindowMs', message: `a signed description sent ${Math.round((now - sentAt) / 1000)} s from now is outside the ${window} ms window` };
    }
    if (dialIdHex === undefined) return undefined;
    const key = `${from}/${dialIdHex}`;
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return { code: 'OFFER_REPLAYED', limit: 'offerWindowMs', message: 'an offer for a dial already answered' };
    if (this.seen.size >= this.limits.maxRememberedOffers) {
      for (const [k, t] of this.seen) if (t < now) this.seen.delete(k);
      if (this.seen.size >= this.limits.maxRememberedOffers) return refusal('maxRememberedOffers', 'too many offers within the window');
    }
    this.seen.set(key, sentAt + window);
    return undefined;
  }

  private known(peer: string): boolean {
    if (this.hasPeerConnection(peer, 'outbound-pending') || this.hasPeerConnection(peer, 'live')) return true;
    try {
      if (this.talksTo(peer)) return true;
      return this.limits.isKnownPeer?.(peer) === true;
    } catch {
      return false;
    }
  }

  private overConnections(peer: string): keyof OfferLimits | undefined {
    let withPeer = 0;
    for (const e of this.entries.values()) if (e.peer === peer) withPeer++;
    if (withPeer >= this.limits.maxPeerConnectionsPerPeer) return 'maxPeerConnectionsPerPeer';
    if (this.entries.size >= this.limits.maxPeerConnections) return 'maxPeerConnections';
    return undefined;
  }

  /** Takes a token from `from`'s bucket, or says it is empty. */
  private charge(from: string, now: number): OfferRefusal | undefined {
    const l = this.limits;
    let bucket = this.buckets.get(from);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
      if (this.buckets.size >= MAX_BUCKETS) return refusal('offersPerMinute', 'too many vats are sending offers');
      bucket = perMinute(l.offersPerPeerPerMinute, now);
    }
    if (!bucket.take(now)) return refusal('offersPerPeerPerMinute', `more than ${l.offersPerPeerPerMinute} offers a minute from this peer`);
    this.buckets.set(from, bucket);
    return undefined;
  }
}

function refusal(limit: keyof OfferLimits, message: string): OfferRefusal {
  return { code: 'OFFER_REFUSED', limit, message };
}
