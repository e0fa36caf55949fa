import { isCapmeshError } from '../util/errors.js';
import { createVat, type SessionInfo, type Vat } from '../mesh/index.js';
import { E, far } from '../vat/index.js';
import type { SyrupValue } from '../syrup/types.js';
import { messagePortNetlayer } from '../netlayer/message-port.js';
import { relayNetlayer } from '../netlayer/relay-netlayer.js';
import { webRtcNetlayer, type DirectPathRefusal } from '../netlayer/webrtc-netlayer.js';
import type { Netlayer } from '../netlayer/types.js';
import { indexedDbStore } from '../persistence/indexeddb-store.js';
import { loadOrCreateBrowserIdentity } from '../persistence/browser-identity.js';
import type { WorkerInit, WorkerReply } from './messages.js';

/** A session as the page sees it (plain data, structured-cloneable and passable). */
export interface BrowserSessionInfo {
  readonly designator: string;
  readonly transport: string;
  /** What carries the session now: `webrtc` or `relay`. */
  readonly path: string;
  readonly outbound: boolean;
  readonly sessionId: string;
  readonly stats: Record<string, number | boolean>;
}

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
  extension?(vat: Vat): object;
}

interface KindHost {
  make(kind: string, data: SyrupValue, ctx: object): object;
}

interface EventListener {
  event(name: string, detail: Record<string, unknown>): void;
}

function plainSession(s: SessionInfo): BrowserSessionInfo {
  return {
    designator: s.designator,
    transport: s.transport,
    path: s.path,
    outbound: s.outbound,
    sessionId: s.sessionId,
    stats: { ...s.stats },
  };
}

/**
 * Runs the vat of a browser tab inside its dedicated worker. Waits for the
 * page's `capmesh-init`, opens the IndexedDB store (identity — a
 * non-extractable WebCrypto key, see `loadOrCreateBrowserIdentity` — and
 * persistent objects), attaches the relay netlayer and the page link, and answers
 * `capmesh-ready` with the sturdyref of an admin object that only the page can
 * reach (registered `onlyOver: 'port'`: sessions on any other transport cannot
 * fetch it, even with its swiss number).
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
  const listeners = new Set<EventListener>();
  const emit = (name: string, detail: Record<string, unknown>): void => {
    for (const l of listeners) E.sendOnly(l).event(name, detail);
  };
  let vat: Vat | undefined;
  const refusalEvents = new RefusalThrottle();
  const home = relayNetlayer({ url: init.relay });
  // Another copy of this identity registered at the relay (BrowserVatEvent `replaced`).
  home.onReplaced((n) => emit('replaced', { relay: n.url, count: n.count, ...(n.retryInMs === undefined ? {} : { retryInMs: n.retryInMs }) }));
  let recheckPaths = (): void => {};
  const rtc = webRtcNetlayer({
    relay: home,
    broker: init.brokerPort,
    iceServers: init.direct.iceServers,
    iceTransportPolicy: init.direct.iceTransportPolicy,
    timeoutMs: init.direct.timeoutMs,
    forceRelay: init.direct.forceRelay,
    ...init.direct.offerLimits,
    answerPolicy: init.direct.answerPolicy,
    isKnownPeer: (designator) => vat?.sessions().some((s) => s.transport !== 'port' && s.designator === designator) ?? false,
    onPathChanged: () => recheckPaths(), // the session list's check emits `path-changed`
    onRefused: (r) => {
      if (refusalEvents.quiet(r)) return;
      emit('direct-refused', { designator: r.peer, role: r.role, code: r.code, message: r.message, ...(r.limit ? { limit: r.limit } : {}) });
    },
  });
  const network = hooks.wrapNetlayer ? hooks.wrapNetlayer(rtc) : rtc;
  const pageLink = messagePortNetlayer(init.vatPort, 'b');
  const store = indexedDbStore(init.storeName);
  // A non-extractable WebCrypto key where the platform has Ed25519 (an older stored seed is kept).
  const identity = await loadOrCreateBrowserIdentity(init.storeName, store);
  vat = await createVat({ netlayers: [network, pageLink], store, identity });
  recheckPaths = watchSessions(vat, emit);
  const extension = hooks.extension?.(vat);
  const admin = makeAdmin(vat, listeners, extension);
  // Private to the page link: a peer on the network that learns this swiss number gets NOT_FOUND.
  const adminUri = await vat.register(admin, { onlyOver: 'port' });
  return { type: 'capmesh-ready', adminUri, designator: vat.designator };
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

function makeAdmin(vat: Vat, listeners: Set<EventListener>, extension: object | undefined): object {
  return far('browser vat admin', {
    designator: () => vat.designator,
    register: (obj: object) => vat.register(obj),
    registerPersistent: (kind: string, data: SyrupValue) => vat.registerPersistent(kind, data),
    enliven: (uri: string) => vat.enliven(uri),
    revoke: (uri: string) => vat.revoke(uri),
    sessions: () => vat.sessions().filter((s) => s.transport !== 'port').map(plainSession),
    defineKinds: (names: string[], host: KindHost) => {
      for (const kind of names) {
        vat.defineKind(kind, (data, ctx) =>
          E(host).make(
            kind,
            data,
            far('persistent context', {
              save: (next: SyrupValue) => ctx.save(next),
              uri: () => ctx.uri,
              enliven: (ref: string) => ctx.enliven(ref),
              registerPersistent: (other: string, next: SyrupValue) => ctx.registerPersistent(other, next),
            }),
          ) as Promise<object>,
        );
      }
    },
    subscribe: (listener: EventListener) => {
      listeners.add(listener);
    },
    extension: () => extension ?? null,
    close: () => vat.close(),
  });
}

/** Tells subscribers when peers connect, switch path, and disconnect (by polling the session list on changes). */
function watchSessions(vat: Vat, emit: (name: string, detail: Record<string, unknown>) => void): () => void {
  const known = new Map<string, string>();
  const check = (): void => {
    const now = new Map(vat.sessions().filter((s) => s.transport !== 'port').map((s) => [s.designator, s.path]));
    for (const [designator, path] of now) {
      const before = known.get(designator);
      if (before === undefined) emit('peer-connected', { designator, path });
      else if (before !== path) emit('path-changed', { designator, from: before, to: path });
    }
    for (const [designator] of known) if (!now.has(designator)) emit('peer-disconnected', { designator });
    known.clear();
    for (const [d, p] of now) known.set(d, p);
  };
  vat.onSessionsChanged(check);
  return check;
}
