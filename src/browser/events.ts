import type { CapmeshErrorCode } from '../util/errors.js';
import type { RelayClientState } from '../netlayer/relay/client.js';

/**
 * The state of the worker's registration at its home relay, as the relay
 * client reports it: `connecting` (first connection or a reconnect under
 * way), `registered` (reachable by other vats), `disconnected` (the relay
 * connection dropped or could not be made; the client retries with backoff),
 * `replaced` (another registration of this designator took over; the client
 * registers again after a delay), `refused` (the relay refused the
 * registration; final), `closed` (the vat was closed; final).
 */
export type RelayState = Exclude<RelayClientState, 'dial-only'>;

/** Detail of the `relay-state` event, and of `BrowserVat.relayState`. */
export type RelayStateDetail = {
  readonly state: RelayState;
  /** Why the client entered the state (human-readable; empty when nothing was said). */
  readonly reason: string;
};

/**
 * Events of `BrowserVat.on`, by name, with their detail (plain data). Each is
 * delivered in the order the worker saw it; the session mirror
 * (`BrowserVat.sessions()`) is already up to date when a peer event arrives.
 */
export interface BrowserVatEvents {
  /** The worker's relay client changed state (every change, in order). */
  'relay-state': RelayStateDetail;
  /** A session to a peer vat opened; `path` is what carries it (`webrtc`, `relay`, or the transport). */
  'peer-connected': { readonly designator: string; readonly path: string };
  /**
   * The session to a peer vat ended. `code` and `message` say why when the
   * session was one our calls use (see `Vat.whenSessionEnds`), e.g.
   * `DISCONNECTED` (closed, or liveness timeout), `ABORTED`.
   */
  'peer-disconnected': { readonly designator: string; readonly code?: CapmeshErrorCode; readonly message?: string };
  /** A live session moved between paths (`relay` ↔ `webrtc`). */
  'path-changed': { readonly designator: string; readonly from: string; readonly to: string };
  /**
   * Another registration of this tab's designator took over at the relay
   * (`relay`: its URL; `count`: consecutive replacements; `retryInMs`: when
   * this tab registers again, absent when it will not).
   */
  replaced: { readonly relay: string; readonly count: number; readonly retryInMs?: number };
  /**
   * A signed session description that failed its checks (someone on the way,
   * e.g. the relay, altered it, or the peer misbehaves; the connection uses
   * the relay path), or an offer dropped unanswered: `OFFER_REFUSED` (over
   * the limit named by `limit`, or not allowed by `answerPolicy`),
   * `OFFER_STALE`, `OFFER_REPLAYED`. `OFFER_*` events come at most once a
   * second per peer, code and limit, so a flood does not flood the page.
   * Role `candidate`: a trickled ICE candidate dropped (`CANDIDATE_REFUSED`
   * over `maxCandidatesPerConnection` or `maxCandidateBytes`, or `PROTOCOL`),
   * at most once per peer connection being set up.
   */
  'direct-refused': {
    readonly designator: string;
    readonly role: 'offer' | 'answer' | 'candidate';
    readonly code: string;
    readonly message: string;
    readonly limit?: string;
  };
  /**
   * A dial to a vat that another tab of this browser registered at the
   * same-browser broker did not get the fast path and went by WebRTC or the
   * relay instead: `TIMEOUT` (the broker or the peer tab's key proof did not
   * answer in time), `CRYPTO_BAD_SIGNATURE` / `IDENTITY_MISMATCH` (the tab
   * registered under that designator could not prove its key: a stale
   * registration or a same-origin impostor), `LIMIT`, `DISCONNECTED`.
   * Dials to vats no tab here registered are not reported.
   */
  'same-browser-fallback': { readonly designator: string; readonly code: string; readonly message: string };
}

/** The name of a `BrowserVat` event. */
export type BrowserVatEvent = keyof BrowserVatEvents;
