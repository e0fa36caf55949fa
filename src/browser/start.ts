import { CapmeshError, ERROR_CODES, type CapmeshErrorCode } from '../util/errors.js';
import { normalizeRelayUrl } from '../netlayer/relay/protocol.js';
import { assertInteger, assertNonEmptyString } from '../util/assert.js';
import type { LivenessOptions } from '../mesh/liveness.js';
import { livenessSettings } from '../mesh/liveness.js';
import { openPageLink, type PageLink } from './page-link.js';
import type { DirectOfferLimits, DirectPathSettings, DirectPathTuning, WorkerInit, WorkerReply } from './messages.js';
import { startRtcBroker } from './rtc-broker.js';
import { OFFER_LIMIT_DEFAULTS } from '../netlayer/webrtc/offer-policy.js';
import { claimTabSlot } from './tab-slot.js';
import { closeOnPageHide } from './page-lifecycle.js';
import { connectSameBrowserBroker } from './same-browser-broker.js';
import { connectPageHandle, whenRelayRegistered, type BrowserVat, type PageKindMaker } from './page-handle.js';

export type { BrowserVat, PageKindMaker, PageKindContext } from './page-handle.js';
export type { BrowserVatEvent, BrowserVatEvents, RelayState, RelayStateDetail } from './events.js';

/** `BrowserVatOptions.relayTimeoutMs`'s default. */
export const DEFAULT_RELAY_TIMEOUT_MS = 10_000;

export interface BrowserVatOptions {
  /** The relay, `ws://host:port` or `wss://…`. */
  readonly relay: string;
  /** The worker to run the vat in: a `Worker` the app made (its script calls `bootWorkerVat`), or a script URL. Default: capmesh's own. */
  readonly worker?: Worker | URL | string;
  /**
   * The IndexedDB database name for identity and persistent objects. Default
   * `capmesh`. With `identity: 'per-tab'` this is the name of slot 0; slot
   * `n` uses `${store}-${n}` (see `identity`).
   */
  readonly store?: string;
  /**
   * `per-tab` (default): each open tab of the origin is its own vat with its
   * own designator. A tab claims the lowest free identity slot (a Web Lock
   * `${store}#slot-${n}` held for the tab's life) and keeps it across
   * reloads (remembered in `sessionStorage`); a closed tab's slot, with its
   * identity and persistent objects, goes to the next tab that opens.
   * Without Web Locks every tab uses slot 0 (as `shared`). `shared`: every
   * tab opens `store` itself, i.e. one identity for all tabs; the relay keeps
   * only the newest registration and the others get `replaced` events, so
   * use it only when the app makes sure one tab at a time runs the vat.
   */
  readonly identity?: 'per-tab' | 'shared';
  /** How long a reloaded tab waits for its previous document to release its slot. Default 2 000 ms. */
  readonly slotReloadWaitMs?: number;
  /** Identity slots tried at most; a tab finding them all held rejects with `LIMIT`. Default 64. */
  readonly maxTabSlots?: number;
  /**
   * Close the vat when the page is unloaded for good (a `pagehide` that is
   * not `persisted`), so peers learn at once that this tab is gone: the
   * page's peer connections are closed on the spot and the worker is told
   * to close (see `page-lifecycle.ts`). A bfcache `pagehide` closes nothing.
   * Default true.
   */
  readonly closeOnPageHide?: boolean;
  /** Persistent kinds whose objects live in the page. */
  readonly kinds?: Readonly<Record<string, PageKindMaker>>;
  /** STUN/TURN servers for direct paths (default: none, host candidates only). */
  readonly iceServers?: DirectPathSettings['iceServers'];
  /**
   * `relay` makes WebRTC use only TURN candidates (hides the tab's addresses;
   * with no TURN server in `iceServers`, no direct path opens and every
   * connection takes the relay path). Default `all`.
   */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** How long to wait for a direct path before using the relay. Default 5 000 ms. */
  readonly directTimeoutMs?: number;
  /**
   * Path switching (see docs/browser.md, *Paths*): `directRetryDelayMs`
   * (1 000, doubling) and `maxDirectRetries` (6) for background attempts at a
   * direct path while a session runs on the relay; `relayJoinTimeoutMs`
   * (`directTimeoutMs` + 5 000) for a session born on WebRTC to resume on a
   * relay circuit when its direct path fails; `pathProbeMs` (1 000) for the
   * answering side's checks that the peer is still there meanwhile.
   */
  readonly paths?: DirectPathTuning;
  /**
   * `false`: never open a direct (WebRTC) path; every session rides the
   * relay's end-to-end-encrypted circuits, so peers never learn this tab's
   * network addresses (privacy), and networks that block WebRTC cost no
   * `directTimeoutMs` wait. Default `true`.
   */
  readonly directPaths?: boolean;
  /**
   * Which WebRTC offers the tab answers. `anyone` (default): any well-signed,
   * fresh offer within `offerLimits` (a first call from a new tab goes
   * direct). `known`: only vats this tab already has a session or a direct
   * connection with, or is dialling; others reach it over the relay path, and
   * never see its ICE candidates (its addresses).
   */
  readonly answerPolicy?: 'anyone' | 'known';
  /**
   * Caps and rate limits on offers and peer connections (see `OfferLimits`):
   * `maxPendingOffersPerPeer` 2, `maxPendingOffers` 16,
   * `maxPeerConnectionsPerPeer` 4, `maxPeerConnections` 64,
   * `offersPerPeerPerMinute` 12, `offersPerMinute` 240, `offerWindowMs`
   * 60 000, `maxRememberedOffers` 4 096. The page's broker also refuses to
   * build more than `maxPeerConnections` peer connections.
   */
  readonly offerLimits?: DirectOfferLimits;
  /**
   * How long `startBrowserVat` may take, from the call until the worker's vat
   * is registered at the relay. Default 10 000 ms. Not registered by then:
   * the worker is terminated and the start rejects with `RELAY_UNREACHABLE`.
   */
  readonly relayTimeoutMs?: number;
  /**
   * Heartbeats on the worker vat's sessions (see `VatOptions.liveness`:
   * `intervalMs` 15 000, `timeoutMs` 45 000 by default; a frozen or vanished
   * peer's promises break with `DISCONNECTED` within `timeoutMs`).
   */
  readonly liveness?: LivenessOptions;
  /**
   * How often the worker pushes its session list to the page while sessions
   * are open, so `sessions()[i].stats` stay fresh. Default 1 000 ms; 0: only
   * when a session opens, ends or changes path.
   */
  readonly sessionsRefreshMs?: number;
  /**
   * The same-browser fast path (see docs/browser.md): other tabs of this
   * browser profile and origin are reached over a `MessageChannel` that a
   * SharedWorker broker hands out — no relay, no WebRTC, and it works while
   * the relay is down. Their keys are still proven on the channel. `false`:
   * never (no SharedWorker is started). Default `true` where the platform has
   * SharedWorker.
   */
  readonly sameBrowser?: boolean;
}

function makeWorker(spec: BrowserVatOptions['worker']): Worker {
  if (spec instanceof Worker) return spec;
  if (spec !== undefined) return new Worker(spec, { type: 'module', name: 'capmesh vat' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'capmesh vat' });
}

function knownCode(code: unknown): CapmeshErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (code as CapmeshErrorCode) : 'INTERNAL';
}

function waitReady(worker: Worker): Promise<Extract<WorkerReply, { type: 'capmesh-ready' }>> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent) => {
      const reply = event.data as WorkerReply;
      if (reply?.type === 'capmesh-ready') resolve(reply);
      // The worker's code crosses as is (e.g. INVALID_ARGUMENT, RELAY_REFUSED); an unknown one is INTERNAL.
      else if (reply?.type === 'capmesh-failed') reject(new CapmeshError(knownCode(reply.code), `the vat worker failed to start: ${reply.message}`));
    };
    worker.onerror = (event) => reject(new CapmeshError('DISCONNECTED', `the vat worker failed to load: ${event.message}`));
  });
}

/**
 * Starts this tab's vat in a dedicated worker and returns the page's handle,
 * once the worker's vat is **registered at the relay** (reachable by other
 * vats).
 *
 * The worker owns the network (the relay, and direct WebRTC paths whose data
 * channels the page's broker hands it), the identity and the persistent
 * records (IndexedDB). The page talks to it over the page link (page-link.ts:
 * structured-clone messages on a private `MessagePort`, no page vat), so
 * references the handle returns are ordinary remote references:
 * `E(ref).method()` works on them, and objects the page registers stay in the
 * page, reached through the worker.
 *
 * After the start, `relayState` and the `relay-state` event follow the
 * worker's relay client (it reconnects and re-registers by itself after a
 * relay outage); sessions already open keep working without the relay when
 * they run on a direct path.
 *
 * Failure (the worker is terminated in each case): a malformed `relay` URL or
 * a bad option rejects with `INVALID_ARGUMENT` before the worker is started;
 * not registered within `relayTimeoutMs` (default 10 000 ms, from the call)
 * rejects with `RELAY_UNREACHABLE`; a relay that refuses the registration,
 * `RELAY_REFUSED`; a worker that fails to start, the worker's own error code
 * (its message prefixed by what failed). Errors of calls made through the
 * handle cross the page link with their codes, messages and details intact
 * (`PEER_OFFLINE`, `RELAY_UNREACHABLE`, `DISCONNECTED`, …).
 */
export async function startBrowserVat(options: BrowserVatOptions): Promise<BrowserVat> {
  // A malformed relay URL is the caller's argument error, reported before any worker starts.
  assertNonEmptyString(options?.relay, 'relay');
  normalizeRelayUrl(options.relay, 'relay');
  const relayTimeoutMs = options.relayTimeoutMs ?? DEFAULT_RELAY_TIMEOUT_MS;
  assertInteger(relayTimeoutMs, 'relayTimeoutMs', 1);
  const sessionsRefreshMs = options.sessionsRefreshMs ?? 1_000;
  assertInteger(sessionsRefreshMs, 'sessionsRefreshMs', 0);
  if (options.liveness) livenessSettings(options.liveness);
  const deadline = Date.now() + relayTimeoutMs;
  const slot = await claimTabSlot({ store: options.store ?? 'capmesh', identity: options.identity ?? 'per-tab', reloadWaitMs: options.slotReloadWaitMs, maxSlots: options.maxTabSlots });
  const worker = makeWorker(options.worker);
  const vatLink = new MessageChannel();
  const brokerLink = new MessageChannel();
  const direct: DirectPathSettings = {
    iceServers: options.iceServers ?? [],
    iceTransportPolicy: options.iceTransportPolicy ?? 'all',
    timeoutMs: options.directTimeoutMs ?? 5_000,
    directPaths: options.directPaths ?? true,
    answerPolicy: options.answerPolicy ?? 'anyone',
    offerLimits: { ...options.offerLimits },
    ...(options.paths ? { paths: { ...options.paths } } : {}),
  };
  const init: WorkerInit = {
    type: 'capmesh-init',
    relay: options.relay,
    storeName: slot.store,
    vatPort: vatLink.port2,
    brokerPort: brokerLink.port2,
    direct,
    ...(options.liveness ? { liveness: { ...options.liveness } } : {}),
    sessionsRefreshMs,
  };
  const sameBrowserPort = options.sameBrowser === false ? undefined : connectSameBrowserBroker();
  const ready = waitReady(worker);
  ready.catch(() => slot.release());
  worker.postMessage(sameBrowserPort ? { ...init, sameBrowserPort } : init, [vatLink.port2, brokerLink.port2, ...(sameBrowserPort ? [sameBrowserPort] : [])]);
  const broker = startRtcBroker(brokerLink.port1, { maxPeerConnections: options.offerLimits?.maxPeerConnections ?? OFFER_LIMIT_DEFAULTS.maxPeerConnections });
  let link: PageLink | undefined;
  let handle: BrowserVat | undefined;
  let stopWatching = (): void => {};
  // Ordering on close: the worker vat (asked first, by the handle), the page link, then the broker, the worker and the slot.
  const stop = (): void => {
    stopWatching();
    broker.close();
    worker.terminate();
    vatLink.port1.close();
    slot.release();
  };
  try {
    const { designator } = await beforeDeadline(ready, deadline, options.relay);
    link = openPageLink(vatLink.port1);
    handle = await beforeDeadline(connectPageHandle(link, designator, { kinds: options.kinds ?? {}, slot: slot.slot, onClose: stop }), deadline, options.relay);
    await whenRelayRegistered(handle, options.relay, deadline);
    // Goodbye on unload: only synchronous steps are sure to run (see page-lifecycle.ts): the peer
    // connections close on the spot, the worker is asked to close (the message leaves now), the slot is freed.
    const closing = handle;
    if (options.closeOnPageHide !== false) {
      stopWatching = closeOnPageHide(globalThis as never, () => {
        broker.close();
        void closing.close().catch(() => undefined);
        slot.release();
      });
    }
    return handle;
  } catch (e) {
    stop();
    if (handle) void handle.close().catch(() => undefined);
    else link?.close('the browser vat failed to start');
    throw e;
  }
}

/** `promise`, or `RELAY_UNREACHABLE` once `deadline` passed (the worker is still booting or still at its first relay attempt). */
function beforeDeadline<T>(promise: Promise<T>, deadline: number, relay: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CapmeshError('RELAY_UNREACHABLE', `not registered at the relay ${relay} in time (the vat worker was still starting)`)),
      Math.max(0, deadline - Date.now()),
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
