import type { OfferLimits } from '../netlayer/webrtc/offer-policy.js';
import type { LivenessOptions } from '../mesh/liveness.js';

/**
 * The two messages that set a worker vat up; everything after them goes over
 * the vat link (the page link, page-link.ts, on a MessagePort) and the broker port.
 */
export interface WorkerInit {
  readonly type: 'capmesh-init';
  /** The home relay, `ws://…` / `wss://…`. */
  readonly relay: string;
  /** The IndexedDB database holding this vat's identity and persistent objects. */
  readonly storeName: string;
  /** The worker's end of the vat link. */
  readonly vatPort: MessagePort;
  /** The worker's end of the RTC broker link. */
  readonly brokerPort: MessagePort;
  /** Options for the direct (WebRTC) path. */
  readonly direct: DirectPathSettings;
  /** Heartbeats for the worker vat's sessions (`VatOptions.liveness`); absent: its defaults. */
  readonly liveness?: LivenessOptions;
  /** How often the worker pushes the session list while sessions are open (0: only on changes). */
  readonly sessionsRefreshMs: number;
  /** The worker's port to the origin's same-browser broker (a SharedWorker the page connected to); absent: no same-browser fast path. */
  readonly sameBrowserPort?: MessagePort;
}

export interface DirectPathSettings {
  /** STUN/TURN servers for `RTCPeerConnection` (default none: host candidates only). */
  readonly iceServers: readonly { urls: string | string[]; username?: string; credential?: string }[];
  /** `relay`: only TURN candidates (no host addresses revealed). Default `all`. */
  readonly iceTransportPolicy: 'all' | 'relay';
  /** How long a dial waits for a direct path before using the relay. */
  readonly timeoutMs: number;
  /** `false`: never open a direct path; every session uses the relay (`BrowserVatOptions.directPaths`). */
  readonly directPaths: boolean;
  /** Which offers the worker answers (`OfferLimits.answerPolicy`); with `known`, the vat's open sessions count as known. */
  readonly answerPolicy: 'anyone' | 'known';
  /** Offer caps, rate limits and window (`OfferLimits`; unset ones take their defaults). */
  readonly offerLimits: DirectOfferLimits;
  /** Path switching and retries (`WebRtcOptions`; unset ones take their defaults). */
  readonly paths?: DirectPathTuning;
}

/** The numeric offer limits, as a page may set them (see `OfferLimits` for each, with its default). */
export type DirectOfferLimits = Omit<OfferLimits, 'answerPolicy' | 'isKnownPeer'>;

export type WorkerReply =
  | { readonly type: 'capmesh-ready'; readonly designator: string }
  | { readonly type: 'capmesh-failed'; readonly message: string; readonly code: string };

/** The path-switching timings a page may set (the worker's WebRTC netlayer options of the same names). */
export interface DirectPathTuning {
  /** First background retry of a direct path for a relay-path session, doubling after each. Default 1 000 ms. */
  readonly directRetryDelayMs?: number;
  /** Background direct attempts per fall-back to the relay. Default 6. */
  readonly maxDirectRetries?: number;
  /** How long a WebRTC-born session whose direct path failed waits to resume on a relay circuit. Default `directTimeoutMs` + 5 000 ms. */
  readonly relayJoinTimeoutMs?: number;
  /** While waiting, how often the answering side asks the relay whether the peer is still there (at once, after 250 and 500 ms more, then every this many ms). Default 1 000 ms. */
  readonly pathProbeMs?: number;
}
