/**
 * Messages between a vat worker's WebRTC netlayer and the page's RTC broker
 * (`RTCPeerConnection` exists only on the main thread). The worker decides and
 * signs; the page only runs peer connections and hands data channels over.
 * Every exchange is named by an id the worker picks.
 */
export interface IceServer {
  readonly urls: string | string[];
  readonly username?: string;
  readonly credential?: string;
}

/** Settings for each `RTCPeerConnection` the broker makes. */
export interface PeerSettings {
  readonly iceServers: readonly IceServer[];
  /** `all` (default) or `relay`: only TURN candidates (hides host addresses; with no TURN server, no path at all). */
  readonly iceTransportPolicy?: 'all' | 'relay';
}

/**
 * A trickled ICE candidate (`RTCIceCandidateInit`'s fields): `candidate`
 * empty means the end of candidates.
 */
export interface IceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
}

/** Worker → page. */
export type ToBroker =
  /**
   * Make a peer connection and a data channel, hand the channel over, then
   * report the local offer at once (no candidates in it: they follow as
   * `candidate` messages as they are gathered, the last one empty).
   */
  | { readonly type: 'dial'; readonly id: number; readonly peer: PeerSettings }
  /** Answer `sdp` (an offer): hand over the channel when it arrives, report the local answer at once (candidates follow, as for `dial`). */
  | { readonly type: 'accept'; readonly id: number; readonly sdp: string; readonly peer: PeerSettings }
  /** The peer's answer to our offer. */
  | { readonly type: 'remote'; readonly id: number; readonly sdp: string }
  /** A remote candidate for `id`'s peer connection, in the order received, after its remote description (`accept`'s offer, `remote`). */
  | { readonly type: 'candidate'; readonly id: number; readonly candidate: IceCandidate }
  /** Drop the peer connection. */
  | { readonly type: 'close'; readonly id: number }
  /** ICE restart, offering side: restart ICE and report the new local offer (whole: gathered candidates inline; no more `candidate` messages for `id`). */
  | { readonly type: 'restart'; readonly id: number }
  /** ICE restart, answering side: apply the peer's restart offer and report the local answer. */
  | { readonly type: 'reaccept'; readonly id: number; readonly sdp: string };

/** Page → worker. */
export type FromBroker =
  /** The data channel itself, transferred. */
  | { readonly type: 'channel'; readonly id: number; readonly channel: RTCDataChannel }
  /** Where the channel could not be transferred: a port the page pipes the channel through. */
  | { readonly type: 'channel-port'; readonly id: number; readonly port: MessagePort }
  /** Our local description (offer or answer): without candidates after `dial`/`accept`, with them after `restart`/`reaccept`. */
  | { readonly type: 'local'; readonly id: number; readonly sdp: string }
  /** A local candidate gathered for a `dial` or `accept` (empty `candidate`: gathering is over). Never before that id's `local`. */
  | { readonly type: 'candidate'; readonly id: number; readonly candidate: IceCandidate }
  /** The peer connection's state changed (`connected`, `disconnected`, `failed`, `closed`). */
  | { readonly type: 'state'; readonly id: number; readonly state: string }
  /** Something failed in the page for this id. */
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** Frames on a `channel-port` pipe (page ⇄ worker). */
export type PipeMessage =
  | { readonly type: 'open' }
  | { readonly type: 'data'; readonly bytes: ArrayBuffer }
  | { readonly type: 'close' };
