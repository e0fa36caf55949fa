import { CapmeshError, isCapmeshError } from '../util/errors.js';
import { EventListeners, Listeners } from '../util/listeners.js';
import type { RegisterOptions, SessionInfo, Vat } from '../mesh/index.js';
import { formatSturdyRef } from '../mesh/uri.js';
import { E } from '../vat/eventual.js';
import { far } from '../vat/far.js';
import type { Remote } from '../vat/remote.js';
import type { Persistable, SyrupValue } from '../syrup/types.js';
import type { PeerLocator, SturdyRef } from '../wire/index.js';
import type { BrowserVatEvent, BrowserVatEvents, RelayState, RelayStateDetail } from './events.js';
import type { PageListener, WorkerAdmin } from './worker-admin.js';
import type { PageLink } from './page-link.js';

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

/** The worker's side of a page kind's context (worker-admin.ts `defineKinds`). */
interface WorkerKindContext {
  save(data: SyrupValue): void;
  uri(): string;
  enliven(ref: string): unknown;
  registerPersistent(kind: string, data: SyrupValue): string;
}

/**
 * The page's handle on the vat in its worker: the common {@link Vat} (so
 * `reconnecting(browserVat, uri)` works) plus the tab's relay state, typed
 * events and the worker's extension. References it returns work with `E`.
 *
 * - `sessions()` is a synchronous snapshot of a mirror the worker pushes on
 *   every session change (and, for fresh `stats`, about once a second while
 *   sessions are open); `page`↔worker link sessions are not in it.
 * - `onSessionsChanged` listeners run after the mirror changed (a session
 *   opened, ended or changed path), before the peer events of that change.
 * - `whenSessionEnds(peer)` resolves with the worker's error (code intact)
 *   when the worker's session to `peer` ends; at once with `DISCONNECTED`
 *   when none is open or the handle is closed.
 * - After `close()`, `enliven` rejects with `DISCONNECTED`
 *   (`detail.vatClosed`), so a `reconnecting` reference stops.
 * - If the link to the worker ends otherwise (the worker closed it, or
 *   crashed: the page link closes after 45 s without a sign of life, see
 *   `PageLinkOptions.silenceMs`), the mirror empties and `relay-state`
 *   reports `closed`.
 */
export interface BrowserVat extends Vat {
  /** This tab's identity slot (see `BrowserVatOptions.identity`): 0 for the first tab; 0 with `shared` or without Web Locks. */
  readonly slot: number;
  /** The last relay state the worker reported (`connecting` until the first report; `closed` after `close()`). */
  readonly relayState: RelayStateDetail;
  /**
   * The object an app's own worker script exposes with
   * `bootWorkerVat(self, { extension })`; rejects with `NOT_FOUND` when the
   * worker has none.
   */
  extension<T = unknown>(): Promise<Remote<T>>;
  /** Subscribes to an event (see {@link BrowserVatEvents}); returns an unsubscribe function. */
  on<K extends BrowserVatEvent>(event: K, listener: (detail: BrowserVatEvents[K]) => void): () => void;
}

type EventArguments = { [K in BrowserVatEvent]: [detail: BrowserVatEvents[K]] };

/** Integers cross the page link as bigints (as they did the CapTP link); the page's data uses numbers. */
function toNumbers<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out as T;
}

function pageSession(s: SessionInfo): SessionInfo {
  return { ...s, stats: toNumbers(s.stats) as SessionInfo['stats'] };
}

function closedError(): CapmeshError {
  return new CapmeshError('DISCONNECTED', 'the browser vat is closed', { detail: { vatClosed: true } });
}

export interface PageHandleOptions {
  readonly kinds?: Readonly<Record<string, PageKindMaker>>;
  /** The tab's identity slot, for `BrowserVat.slot` (default 0). */
  readonly slot?: number;
  /** Runs once in `close()`, after the worker vat was asked to close (terminate the worker, close the broker). */
  readonly onClose?: () => void;
}

/**
 * Connects the page's handle to the worker's admin, the root of the page
 * link (`link`, see page-link.ts): defines the page-hosted kinds, subscribes
 * to the worker's pushes, and resolves once the first session list and relay
 * state have arrived. Ownership: the handle owns `link` and closes it in
 * `close()`; when the link closes otherwise (the worker closed it or went
 * away), the mirror empties and `relay-state` reports `closed`.
 */
export async function connectPageHandle(link: PageLink, designator: string, options: PageHandleOptions = {}): Promise<BrowserVat> {
  const admin = link.root<Remote<WorkerAdmin>>();
  const kinds = options.kinds ?? {};
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
  const locators = (await E(admin).locators()) as PeerLocator[];

  const listeners = new EventListeners<EventArguments>();
  const sessionListeners = new Listeners<[]>();
  let mirror: SessionInfo[] = [];
  let relay: RelayStateDetail = { state: 'connecting', reason: '' };
  let closed = false;
  let firstList!: () => void;
  const gotList = new Promise<void>((resolve) => (firstList = resolve));

  const listener: PageListener = {
    event(name, detail) {
      if (closed) return;
      const d = toNumbers(detail);
      if (name === 'relay-state') relay = { state: d['state'] as RelayState, reason: String(d['reason'] ?? '') };
      listeners.emit(name as BrowserVatEvent, d as never);
    },
    sessions(list, changed) {
      if (closed) return;
      mirror = list.map(pageSession);
      firstList();
      if (!changed) return;
      sessionListeners.emit();
    },
  };
  await E(admin).subscribe(far('page events', { ...listener }));
  await gotList;
  // The worker went away (crashed, or closed from its side): nothing of its state holds any more.
  void link.closed.then((error) => {
    if (closed) return;
    listener.sessions([], true);
    listener.event('relay-state', { state: 'closed', reason: `the link to the vat worker ended: ${error.message}` });
  });

  const handle: BrowserVat = {
    designator,
    slot: options.slot ?? 0,
    get relayState() {
      return relay;
    },
    locators: () => locators.map((l) => ({ ...l })),
    register: (obj: object, opts?: RegisterOptions) => E(admin).register(obj, opts),
    registerPersistent: (kind, data) => E(admin).registerPersistent(kind, data as SyrupValue),
    async enliven<T>(ref: string | SturdyRef) {
      if (closed) throw closedError();
      return (await E(admin).enliven(typeof ref === 'string' ? ref : formatSturdyRef(ref))) as Remote<T>;
    },
    revoke: (ref) => E(admin).revoke(typeof ref === 'string' ? ref : formatSturdyRef(ref)),
    sessions: () => mirror.map((s) => ({ ...s })),
    async whenSessionEnds(peer: PeerLocator) {
      if (closed) return closedError();
      try {
        await E(admin).whenSessionEnds({ transport: peer.transport, designator: peer.designator, hints: peer.hints ? { ...peer.hints } : null });
        return new CapmeshError('INTERNAL', 'the worker reported no reason for the session end');
      } catch (e) {
        return isCapmeshError(e) ? e : new CapmeshError('DISCONNECTED', String(e), { cause: e });
      }
    },
    onSessionsChanged(l) {
      return sessionListeners.add(l);
    },
    async extension<T>() {
      const ext = await E(admin).extension();
      if (ext === null || ext === undefined) throw new CapmeshError('NOT_FOUND', 'this vat worker exposes no extension');
      return ext as Remote<T>;
    },
    on(event, l) {
      return listeners.on(event, l);
    },
    async close() {
      if (closed) return;
      try {
        await E(admin).close();
      } catch {
        // the worker may already be gone
      }
      closed = true;
      mirror = [];
      relay = { state: 'closed', reason: 'the browser vat was closed' };
      link.close('the browser vat was closed');
      options.onClose?.();
    },
  };
  return handle;
}

/**
 * Resolves once `vat.relayState` is `registered`. Rejects with
 * `RELAY_UNREACHABLE` when it is not by `deadline` (a `Date.now()` time), and
 * with `RELAY_REFUSED` when the relay refuses the registration.
 */
export function whenRelayRegistered(vat: BrowserVat, relayUrl: string, deadline: number): Promise<void> {
  if (vat.relayState.state === 'registered') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (outcome: CapmeshError | undefined): void => {
      clearTimeout(timer);
      off();
      if (outcome) reject(outcome);
      else resolve();
    };
    const off = vat.on('relay-state', ({ state, reason }) => {
      if (state === 'registered') finish(undefined);
      else if (state === 'refused') finish(new CapmeshError('RELAY_REFUSED', `the relay ${relayUrl} refused the registration (${reason})`));
    });
    const timer = setTimeout(
      () => finish(new CapmeshError('RELAY_UNREACHABLE', `not registered at the relay ${relayUrl} in time (state ${vat.relayState.state}${vat.relayState.reason ? `: ${vat.relayState.reason}` : ''})`)),
      Math.max(0, deadline - Date.now()),
    );
  });
}
