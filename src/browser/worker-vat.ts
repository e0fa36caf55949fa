import { isCapmeshError } from '../util/errors.js';
import { createVat, type SessionInfo, type EngineVat } from '../mesh/index.js';
import { relayNetlayer, type RelayNetlayer } from '../netlayer/relay/netlayer.js';
import { webrtcNetlayer, type DirectPathRefusal } from '../netlayer/webrtc/netlayer.js';
import type { Netlayer } from '../netlayer/types.js';
import { indexedDbStore } from '../persistence/indexeddb-store.js';
import { loadOrCreateBrowserIdentity } from '../persistence/browser-identity.js';
import type { WorkerInit, WorkerReply } from './messages.js';
import type { RelayStateDetail } from './events.js';
import { makeWorkerAdmin, type RelayStateSource } from './worker-admin.js';
import { sameBrowserNetlayer } from '../netlayer/same-browser/netlayer.js';
import { prepareSessionKey } from '../mesh/handshake.js';
import { openPageLink } from './page-link.js';

/**
 * A session as the page sees it: the same {@link SessionInfo} as `vat.sessions()`, as plain data.
 * @deprecated Use `SessionInfo`.
 */
export type BrowserSessionInfo = SessionInfo;

/**
 * Extension points for an app's own worker script (`bootWorkerVat(self, hooks)`).
 * capmesh's default worker uses none.
 */
export interface WorkerVatHooks {
  /**
   * Wraps the network netlayer (transport `relay`: WebRTC with the relay as
   * fallback) before the vat attaches it, e.g. to observe or instrument
   * connections. Must keep the `Netlayer` contract.
   */
  wrapNetlayer?(netlayer: Netlayer): Netlayer;
  /**
   * Builds an object that lives in the worker, next to the vat, and that the
   * page reaches with `BrowserVat.extension()` (over the private page link
   * only). Called once, after the vat started.
   */
  extension?(vat: EngineVat): object;
}

/**
 * Runs the vat of a browser tab inside its dedicated worker. Waits for the
 * page's `capmesh-init`, opens the IndexedDB store (identity — a
 * non-extractable WebCrypto key, see `loadOrCreateBrowserIdentity` — and
 * persistent objects), attaches the relay netlayer, opens the page link
 * (page-link.ts) on the page's port with the admin object as its root (only
 * the page holds the other end, so no network peer can reach the admin), and
 * answers `capmesh-ready`.
 */
export function bootWorkerVat(
  scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: WorkerReply): void } = self as never,
  hooks: WorkerVatHooks = {},
): void {
  scope.onmessage = (event: MessageEvent) => {
    const init = event.data as WorkerInit;
    if (init?.type !== 'capmesh-init') return;
    scope.onmessage = null;
    start(init, hooks).then(
      (ready) => scope.postMessage(ready),
      (e: unknown) =>
        scope.postMessage({
          type: 'capmesh-failed',
          message: e instanceof Error ? e.message : String(e),
          code: isCapmeshError(e) ? e.code : 'INTERNAL',
        }),
    );
  };
}

async function start(init: WorkerInit, hooks: WorkerVatHooks): Promise<WorkerReply> {
  let vat: EngineVat | undefined;
  let emit: (name: string, detail: Record<string, unknown>) => void = () => {};
  const refusalEvents = new RefusalThrottle();
  const relay = relayNetlayer({ url: init.relay });
  // Another copy of this identity registered at the relay (BrowserVatEvent `replaced`).
  relay.onReplaced((n) => emit('replaced', { relay: n.url, count: n.count, ...(n.retryInMs === undefined ? {} : { retryInMs: n.retryInMs }) }));
  let recheckPaths = (): void => {};
  const rtc = webrtcNetlayer({
    relay,
    broker: init.brokerPort,
    iceServers: init.direct.iceServers,
    iceTransportPolicy: init.direct.iceTransportPolicy,
    timeoutMs: init.direct.timeoutMs,
    directPaths: init.direct.directPaths,
    ...init.direct.offerLimits,
    ...init.direct.paths,
    answerPolicy: init.direct.answerPolicy,
    isKnownPeer: (designator) => vat?.sessions().some((s) => s.transport !== 'port' && s.designator === designator) ?? false,
    onPathChanged: () => recheckPaths(), // the session list's check emits `path-changed`
    onRefused: (r) => {
      if (refusalEvents.quiet(r)) return;
      emit('direct-refused', { designator: r.peer, role: r.role, code: r.code, message: r.message, ...(r.limit ? { limit: r.limit } : {}) });
    },
  });
  const wrapped = hooks.wrapNetlayer ? hooks.wrapNetlayer(rtc) : rtc;
  // Tabs of this browser first (same locators: the fast path is found by asking the broker).
  const network = init.sameBrowserPort ? sameBrowserNetlayer(wrapped, {
        broker: init.sameBrowserPort,
        // "Nobody here registered it" is the usual case for remote vats, not news.
        onFallback: (designator, r) => {
          if (r.code !== 'PEER_OFFLINE') emit('same-browser-fallback', { designator, code: r.code, message: r.message });
        },
      }) : wrapped;
  const store = indexedDbStore(init.storeName);
  // A non-extractable WebCrypto key where the platform has Ed25519 (an older stored seed is kept).
  const identity = await loadOrCreateBrowserIdentity(init.storeName, store);
  vat = await createVat({ netlayers: [network], store, identity, ...(init.liveness ? { liveness: init.liveness } : {}) });
  prepareSessionKey(); // off a first call's critical path
  const extension = hooks.extension?.(vat);
  const made = makeWorkerAdmin(vat, { extension, relay: relayStateSource(relay), sessionsRefreshMs: init.sessionsRefreshMs });
  emit = made.emit;
  recheckPaths = made.recheck;
  // The admin is the root of the page link: only the page holds the other end of that port.
  openPageLink(init.vatPort, { root: made.admin });
  return { type: 'capmesh-ready', designator: vat.designator };
}

/** The home relay client's state, for the page (the client exists once the netlayer is attached). */
function relayStateSource(relay: RelayNetlayer): RelayStateSource | undefined {
  const client = relay.client;
  if (!client) return undefined;
  let last: RelayStateDetail = { state: client.state === 'dial-only' ? 'registered' : client.state, reason: '' };
  return {
    current: () => last,
    on(listener) {
      return client.on('state', (state, reason) => {
        if (state === 'dial-only') return; // never for the home client
        last = { state, reason };
        listener(last);
      });
    },
  };
}

/**
 * Keeps an offer flood from becoming an event flood to the page: an
 * `OFFER_*` refusal is reported at most once a second per peer, code and
 * limit (other refusals, e.g. bad signatures, always are). Remembers at most
 * 1 024 keys, then starts afresh.
 */
class RefusalThrottle {
  private readonly last = new Map<string, number>();

  quiet(r: DirectPathRefusal): boolean {
    if (!r.code.startsWith('OFFER_')) return false;
    const key = `${r.peer}/${r.code}/${r.limit ?? ''}`;
    const now = Date.now();
    const at = this.last.get(key);
    if (at !== undefined && now - at < 1_000) return true;
    if (this.last.size >= 1_024) this.last.clear();
    this.last.set(key, now);
    return false;
  }
}
