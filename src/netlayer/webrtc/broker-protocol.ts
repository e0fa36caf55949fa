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

/** Worker → page. */
export type ToBroker =
  /** Make a peer connection and a data channel, hand the channel over, then report the local offer. */
  | { readonly type: 'dial'; readonly id: number; readonly peer: PeerSettings }
  /** Answer `sdp` (an offer): hand over the channel when it arrives, report the local answer. */
  | { readonly type: 'accept'; readonly id: number; readonly sdp: string; readonly peer: PeerSettings }
  /** The peer's answer to our offer. */
  | { readonly type: 'remote'; readonly id: number; readonly sdp: string }
  /** Drop the peer connection. */
  | { readonly type: 'close'; readonly id: number }
  /** ICE restart, offering side: restart ICE and report the new local offer. */
  | { readonly type: 'restart'; readonly id: number }
  /** ICE restart, answering side: apply the peer's restart offer and report the local answer. */
  | { readonly type: 'reaccept'; readonly id: number; readonly sdp: string };

/** Page → worker. */
export type FromBroker =
  /** The data channel itself, transferred. */
  | { readonly type: 'channel'; readonly id: number; readonly channel: RTCDataChannel }
  /** Where the channel could not be transferred: a port the page pipes the channel through. */
  | { readonly type: 'channel-port'; readonly id: number; readonly port: MessagePort }
  /** Our local description (offer or answer), ICE candidates included. */
  | { readonly type: 'local'; readonly id: number; readonly sdp: string }
  /** The peer connection's state changed (`connected`, `disconnected`, `failed`, `closed`). */
  | { readonly type: 'state'; readonly id: number; readonly state: string }
  /** Something failed in the page for this id. */
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** Frames on a `channel-port` pipe (page ⇄ worker). */
export type PipeMessage =
  | { readonly type: 'open' }
  | { readonly type: 'data'; readonly bytes: ArrayBuffer }
  | { readonly type: 'close' };
