import { CapmeshError, ERROR_CODES, type CapmeshErrorCode } from '../util/errors.js';
import { normalizeRelayUrl } from '../netlayer/relay-protocol.js';
import { assertNonEmptyString } from '../util/assert.js';
import { createVat, type Vat } from '../mesh/index.js';
import { E, far, type Remote } from '../vat/index.js';
import type { Persistable, SyrupValue } from '../syrup/types.js';
import { messagePortNetlayer } from '../netlayer/message-port.js';
import type { DirectOfferLimits, DirectPathSettings, WorkerInit, WorkerReply } from './messages.js';
import type { BrowserSessionInfo } from './worker-vat.js';
import { startRtcBroker } from './rtc-broker.js';
import { OFFER_LIMIT_DEFAULTS } from '../netlayer/webrtc-offer-policy.js';
import { claimTabSlot } from './tab-slot.js';
import { closeOnPageHide } from './page-lifecycle.js';

/**
 * Events of `BrowserVat.on`, with their detail:
 * - `peer-connected` `{ designator, path }`, `peer-disconnected` `{ designator }`;
 * - `path-changed` `{ designator, from, to }` (`webrtc` ↔ `relay`);
 * - `direct-refused` `{ designator, role, code, message, limit? }`: a signed
 *   session description that failed its checks (someone on the way, e.g. the
 *   relay, altered it, or the peer misbehaves; the connection uses the relay
 *   path), or an offer dropped unanswered: `OFFER_REFUSED` (over the limit
 *   named by `limit`, or not allowed by `answerPolicy`), `OFFER_STALE`,
 *   `OFFER_REPLAYED`. `OFFER_*` events come at most once a second per peer,
 *   code and limit, so a flood does not flood the page;
 * - `replaced` `{ relay, count, retryInMs }`: a newer registration of this
 *   tab's designator took over at the home relay `relay` (another tab or
 *   device using the same identity: with `identity: 'shared'`, or a copied
 *   key). `count` is the number of consecutive replacements (1 first); the
 *   worker registers again after `retryInMs` (backing off, see
 *   `RelayClientOptions.replaceRecovery`), so two copies trade the
 *   designator ever more slowly; an app that wants to stop calls `close()`.
 */
export type BrowserVatEvent = 'peer-connected' | 'peer-disconnected' | 'path-changed' | 'direct-refused' | 'replaced';

/** A persistent kind whose objects live in the page; the worker keeps their records. */
export type PageKindMaker = (data: SyrupValue, ctx: PageKindContext) => object;

export interface PageKindContext {
  /** Persists new state (see `PersistentContext.save`). */
  save<T>(data: T & Persistable<T>): Promise<void>;
  /** The object's sturdyref. */
  uri(): Promise<string>;
  /**
   * Reaches the object `ref` names through the worker's vat, with the rules
   * of `PersistentContext.enliven` (`NOT_FOUND` once revoked; waiting on an
   * object that waits on this one's maker rejects with `INVALID_ARGUMENT`).
   */
  enliven<T = unknown>(ref: string): Promise<Remote<T>>;
  /** Makes a new persistent object (a facet), as `PersistentContext.registerPersistent`. */
  registerPersistent<T>(kind: string, data: T & Persistable<T>): Promise<string>;
}

/** The worker's side of a page kind's context (worker-vat.ts `defineKinds`). */
interface WorkerKindContext {
  save(data: SyrupValue): void;
  uri(): string;
  enliven(ref: string): unknown;
  registerPersistent(kind: string, data: SyrupValue): string;
}

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
  /** Tests: never open a direct path. */
  readonly forceRelay?: boolean;
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
}

/** The page's handle on the vat in its worker. References it returns work with `E`. */
export interface BrowserVat {
  readonly designator: string;
  /** This tab's identity slot (see `BrowserVatOptions.identity`): 0 for the first tab; 0 with `shared` or without Web Locks. */
  readonly slot: number;
  register(obj: object): Promise<string>;
  /** `data` may be typed as an `interface` (see `Persistable`). */
  registerPersistent<T>(kind: string, data: T & Persistable<T>): Promise<string>;
  enliven<T = unknown>(uri: string): Promise<Remote<T>>;
  revoke(uri: string): Promise<boolean>;
  sessions(): Promise<BrowserSessionInfo[]>;
  /**
   * The object an app's own worker script exposes with
   * `bootWorkerVat(self, { extension })`; rejects with `NOT_FOUND` when the
   * worker has none.
   */
  extension<T = unknown>(): Promise<Remote<T>>;
  /** Subscribes to peer events; returns an unsubscribe function. */
  on(event: BrowserVatEvent, listener: (detail: Record<string, unknown>) => void): () => void;
  /** Closes the worker vat, terminates the worker and releases the identity slot (ordering: vat, page link, broker, worker, slot). */
  close(): Promise<void>;
}

interface Admin {
  designator(): string;
  register(obj: object): string;
  registerPersistent(kind: string, data: SyrupValue): string;
  enliven(uri: string): unknown;
  revoke(uri: string): boolean;
  sessions(): BrowserSessionInfo[];
  extension(): unknown;
  defineKinds(names: string[], host: object): void;
  subscribe(listener: object): void;
  close(): void;
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
 * Starts this tab's vat in a dedicated worker and returns the page's handle.
 *
 * The worker owns the network (the relay, and direct WebRTC paths whose data
 * channels the page's broker hands it), the identity and the persistent
 * records (IndexedDB). The page talks to it over a private CapTP session on a
 * `MessagePort`, so references the handle returns are ordinary remote
 * references: `E(ref).method()` works on them, and objects the page registers
 * stay in the page, reached through the worker.
 *
 * Failure: a malformed `relay` URL rejects with `INVALID_ARGUMENT` before the
 * worker is started; a worker that fails to start rejects with the worker's
 * own error code (its message prefixed by what failed). Errors of calls made
 * through the handle cross the page↔worker session with their codes intact
 * (`PEER_OFFLINE`, `RELAY_UNREACHABLE`, …: see `captp/errors-on-wire.ts`).
 */
export async function startBrowserVat(options: BrowserVatOptions): Promise<BrowserVat> {
  // A malformed relay URL is the caller's argument error, reported before any worker starts.
  assertNonEmptyString(options?.relay, 'relay');
  normalizeRelayUrl(options.relay, 'relay');
  const slot = await claimTabSlot({ store: options.store ?? 'capmesh', identity: options.identity ?? 'per-tab', reloadWaitMs: options.slotReloadWaitMs, maxSlots: options.maxTabSlots });
  const worker = makeWorker(options.worker);
  const vatLink = new MessageChannel();
  const brokerLink = new MessageChannel();
  const direct: DirectPathSettings = {
    iceServers: options.iceServers ?? [],
    iceTransportPolicy: options.iceTransportPolicy ?? 'all',
    timeoutMs: options.directTimeoutMs ?? 5_000,
    forceRelay: options.forceRelay ?? false,
    answerPolicy: options.answerPolicy ?? 'anyone',
    offerLimits: { ...options.offerLimits },
  };
  const kinds = options.kinds ?? {};
  const init: WorkerInit = {
    type: 'capmesh-init',
    relay: options.relay,
    storeName: slot.store,
    vatPort: vatLink.port2,
    brokerPort: brokerLink.port2,
    direct,
  };
  const ready = waitReady(worker);
  ready.catch(() => slot.release());
  worker.postMessage(init, [vatLink.port2, brokerLink.port2]);
  const broker = startRtcBroker(brokerLink.port1, { maxPeerConnections: options.offerLimits?.maxPeerConnections ?? OFFER_LIMIT_DEFAULTS.maxPeerConnections });
  const { adminUri, designator } = await ready;
  const pageVat: Vat = await createVat({ netlayers: [messagePortNetlayer(vatLink.port1, 'a')] });
  const admin = (await pageVat.enliven<Admin>(adminUri)) as unknown as Remote<Admin>;

  if (Object.keys(kinds).length > 0) {
    const host = far('page kinds', {
      make: (kind: string, data: SyrupValue, ctx: Remote<WorkerKindContext>) => {
        const maker = kinds[kind];
        if (!maker) throw new CapmeshError('INVALID_ARGUMENT', `no page kind "${kind}"`);
        return maker(data, {
          save: (d) => E(ctx).save(d as SyrupValue) as Promise<void>,
          uri: () => E(ctx).uri(),
          enliven: <T>(ref: string) => E(ctx).enliven(ref) as Promise<Remote<T>>,
          registerPersistent: (other, d) => E(ctx).registerPersistent(other, d as SyrupValue),
        });
      },
    });
    await E(admin).defineKinds(Object.keys(kinds), host);
  }

  const listeners = new Map<BrowserVatEvent, Set<(detail: Record<string, unknown>) => void>>();
  await E(admin).subscribe(
    far('page events', {
      event: (name: BrowserVatEvent, detail: Record<string, unknown>) => {
        // Integers cross CapTP as bigints; event details carry small counts and delays: numbers.
        const plain = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
        for (const l of listeners.get(name) ?? []) l(plain);
      },
    }),
  );

  // Goodbye on unload: only synchronous steps are sure to run (see page-lifecycle.ts).
  const stopWatching =
    options.closeOnPageHide === false
      ? () => {}
      : closeOnPageHide(globalThis as never, () => {
          broker.close();
          E.sendOnly(admin).close();
          slot.release();
        });

  return {
    designator,
    slot: slot.slot,
    register: (obj) => E(admin).register(obj),
    registerPersistent: (kind, data) => E(admin).registerPersistent(kind, data as SyrupValue),
    enliven: <T>(uri: string) => E(admin).enliven(uri) as Promise<Remote<T>>,
    revoke: (uri) => E(admin).revoke(uri),
    sessions: () => E(admin).sessions(),
    async extension<T>() {
      const ext = await E(admin).extension();
      if (ext === null || ext === undefined) throw new CapmeshError('NOT_FOUND', 'this vat worker exposes no extension');
      return ext as Remote<T>;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    async close() {
      stopWatching();
      try {
        await E(admin).close();
      } catch {
        // the worker may already be gone
      }
      await pageVat.close();
      broker.close();
      worker.terminate();
      slot.release();
    },
  };
}
